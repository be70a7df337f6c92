package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestScanCommandFlagsAndErrors: bad flags exit 2 with a clear message; a scan of an empty
// synced store prints the JSON summary at the pinned date with every proactive item, each
// with its counts (cross-item conflicts and double enrolments among them).
func TestScanCommandFlagsAndErrors(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir)
	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"bad_date", []string{"--at", "06/12/2026"}, 2, "want YYYY-MM-DD"},
		{"bad_division", []string{"--division", "3701"}, 2, "division code"},
		{"unknown_item", []string{"--item", "no_such_item"}, 2, "unknown or non-proactive item"},
		{"extra_argument", []string{"now"}, 2, "unexpected argument"},
		{"missing_config", []string{"--config", dir + "/absent.yaml"}, 2, "hub demo"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"scan", "--data", dir}, tc.args...)
			if code, _, errOut := runHub(t, t.Context(), args...); code != tc.code || !strings.Contains(errOut, tc.msg) {
				t.Fatalf("exit %d %q, want %d mentioning %q", code, errOut, tc.code, tc.msg)
			}
		})
	}
	code, out, errOut := runHub(t, t.Context(), "scan", "--data", dir, "--at", "2026-12-06", "--json", "--item", "elderly_allowance", "--verify")
	if code != 0 {
		t.Fatalf("scan: exit %d %s", code, errOut)
	}
	var sum struct {
		At        string `json:"at"`
		Residents int    `json:"residents"`
		ElapsedMS *int64 `json:"elapsed_ms"`
		Items     []struct {
			Item       string `json:"item"`
			Candidates int    `json:"candidates"`
			Alerts     int    `json:"alerts"`
			Evaluated  string `json:"evaluated"`
			Conflicts  *int   `json:"conflicts"`
			Doubles    *int   `json:"doubles"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if sum.At != "2026-12-06" || sum.ElapsedMS == nil || len(sum.Items) != 1 || sum.Items[0].Item != "elderly_allowance" || sum.Items[0].Evaluated != "sql" ||
		sum.Items[0].Conflicts == nil || sum.Items[0].Doubles == nil {
		t.Fatalf("summary %+v", sum)
	}

	// --delta: a full scan while no scan of every item was saved; after one, a delta.
	for _, wantDelta := range []bool{false, true} {
		code, out, errOut := runHub(t, t.Context(), "scan", "--data", dir, "--at", "2026-12-06", "--json", "--delta")
		if code != 0 {
			t.Fatalf("scan --delta: exit %d %s", code, errOut)
		}
		var d struct {
			Delta *struct {
				Since   *int64 `json:"since"`
				Changed *int   `json:"changed"`
			} `json:"delta"`
		}
		if err := json.Unmarshal([]byte(out), &d); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if (d.Delta != nil) != wantDelta || (wantDelta && (d.Delta.Since == nil || d.Delta.Changed == nil || *d.Delta.Changed != 0)) {
			t.Fatalf("scan --delta (delta expected %v): %s", wantDelta, out)
		}
	}
}
