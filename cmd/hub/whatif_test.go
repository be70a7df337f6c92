package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sanmian/hub/store"
	"sanmian/hub/store/sqlite"
	"sanmian/policies"
)

// bundleTarball writes the embedded bundle as a gzipped tarball (as `opa build` writes one)
// with its revision replaced, and returns the file's path.
func bundleTarball(t *testing.T, dir, revision string) string {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	err := fs.WalkDir(policies.Bundle, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(policies.Bundle, path)
		if err != nil {
			return err
		}
		if path == ".manifest" {
			b = []byte(strings.Replace(string(b), `"revision": "`, `"revision": "`+revision+`-`, 1))
		}
		if err := tw.WriteHeader(&tar.Header{Name: "/" + path, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err = tw.Write(b)
		return err
	})
	if err == nil {
		err = tw.Close()
	}
	if err == nil {
		err = gz.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, revision+".tar.gz")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestWhatIfCommand: a missing, absent or broken bundle exits 2 with a clear message; the
// live bundle as a tarball candidate (another revision) runs on an empty synced store and
// reports both revisions and no change.
func TestWhatIfCommand(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir)
	garbage := filepath.Join(dir, "garbage.tar.gz")
	if err := os.WriteFile(garbage, []byte("not a bundle"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no_bundle", nil, 2, "--bundle is required"},
		{"absent_bundle", []string{"--bundle", filepath.Join(dir, "absent")}, 2, "invalid bundle"},
		{"garbage_bundle", []string{"--bundle", garbage}, 2, "candidate bundle refused"},
		{"empty_directory", []string{"--bundle", t.TempDir()}, 2, "candidate bundle refused"},
		{"bad_date", []string{"--bundle", garbage, "--at", "2026/12/06"}, 2, "want YYYY-MM-DD"},
		{"bad_division", []string{"--bundle", garbage, "--division", "12"}, 2, "division code"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"whatif", "--data", dir}, tc.args...)
			if code, _, errOut := runHub(t, t.Context(), args...); code != tc.code || !strings.Contains(errOut, tc.msg) {
				t.Fatalf("exit %d %q, want %d mentioning %q", code, errOut, tc.code, tc.msg)
			}
		})
	}
	path := bundleTarball(t, t.TempDir(), "candidate")
	code, out, errOut := runHub(t, t.Context(), "whatif", "--data", dir, "--bundle", path, "--at", "2026-12-06", "--item", "elderly_allowance", "--json")
	if code != 0 {
		t.Fatalf("whatif: exit %d %s", code, errOut)
	}
	var rep struct {
		At                string `json:"at"`
		LiveRevision      string `json:"live_revision"`
		CandidateRevision string `json:"candidate_revision"`
		Gains             *int   `json:"gains"`
		Items             []struct {
			Item string `json:"item"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if rep.At != "2026-12-06" || !strings.HasPrefix(rep.CandidateRevision, "candidate-") || rep.LiveRevision == rep.CandidateRevision ||
		rep.Gains == nil || *rep.Gains != 0 || len(rep.Items) != 1 || rep.Items[0].Item != "elderly_allowance" {
		t.Fatalf("report %s", out)
	}
	if !strings.Contains(errOut, "candidate policy candidate-") {
		t.Fatalf("no progress naming the candidate: %q", errOut)
	}
	// The run is in the audit chain with both revisions.
	st, err := sqlite.Open(t.Context(), filepath.Join(dir, "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	entries, err := st.ListAudit(t.Context(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var audited int
	for _, e := range entries {
		var d map[string]any
		_ = json.Unmarshal(e.Details, &d)
		if e.Action == store.AuditPolicy && d["candidate_revision"] == rep.CandidateRevision && d["live_revision"] == rep.LiveRevision &&
			strings.HasPrefix(e.ActorSub, "cli:") {
			audited++
		}
	}
	if audited != 1 {
		t.Fatalf("%d audit entries of the what-if, want 1", audited)
	}
}
