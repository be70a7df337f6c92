package storetest

import (
	"testing"

	"sanmian/hub/store"
)

func finding(kind, item, id, village string) store.ScanFinding {
	return store.ScanFinding{Kind: kind, Item: item, IDNumber: id, Village: village, Reasons: []string{"ok"},
		Rule: "rule", Evidence: []string{"applicant.deceased"}, Sources: []string{"province"}, At: "2026-12-06"}
}

func findingIDs(t *testing.T, s store.Store, f store.FindingFilter, limit int) []string {
	t.Helper()
	var ids []string
	after := ""
	for {
		page, next, err := s.ListScanFindings(t.Context(), f, store.Page{After: after, Limit: limit})
		must(t, err)
		for _, x := range page {
			ids = append(ids, x.Kind[:1]+":"+x.Item+":"+x.IDNumber)
		}
		if next == "" {
			return ids
		}
		after = next
	}
}

func testScanFindings(t *testing.T, s store.Store) {
	ctx := t.Context()
	const v1, v2, v3 = "370114001201", "370114001202", "370114002201"
	must(t, s.ReplaceScanFindings(ctx, "elderly_allowance", "", []store.ScanFinding{
		finding(store.FindingCandidate, "elderly_allowance", "A", v1),
		finding(store.FindingCandidate, "elderly_allowance", "B", v2),
		finding(store.FindingCandidate, "elderly_allowance", "C", v3),
		finding(store.FindingAlert, "elderly_allowance", "D", v1),
	}))
	must(t, s.ReplaceScanFindings(ctx, "senior_card", "", []store.ScanFinding{
		finding(store.FindingCandidate, "senior_card", "E", v1),
	}))
	got, _, err := s.ListScanFindings(ctx, store.FindingFilter{Kind: store.FindingAlert}, store.Page{})
	must(t, err)
	if len(got) != 1 || got[0].IDNumber != "D" || got[0].Rule != "rule" || got[0].At != "2026-12-06" ||
		len(got[0].Evidence) != 1 || got[0].Sources[0] != "province" || got[0].Reasons[0] != "ok" || got[0].Seq == 0 {
		t.Fatalf("alerts read back %+v", got)
	}
	for _, tc := range []struct {
		name string
		f    store.FindingFilter
		want string
	}{
		{"all_candidates_paged_by_one", store.FindingFilter{Kind: store.FindingCandidate}, "c:elderly_allowance:A c:elderly_allowance:B c:elderly_allowance:C c:senior_card:E"},
		{"item", store.FindingFilter{Kind: store.FindingCandidate, Item: "senior_card"}, "c:senior_card:E"},
		{"town_prefix", store.FindingFilter{Kind: store.FindingCandidate, DivisionPrefix: "370114001"}, "c:elderly_allowance:A c:elderly_allowance:B c:senior_card:E"},
		{"villages", store.FindingFilter{Kind: store.FindingCandidate, Item: "elderly_allowance", Villages: []string{v2, v3}}, "c:elderly_allowance:B c:elderly_allowance:C"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := join(findingIDs(t, s, tc.f, 1)); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}

	// Replacing over a town leaves the item's other towns and the other items alone.
	must(t, s.ReplaceScanFindings(ctx, "elderly_allowance", "370114001", []store.ScanFinding{
		finding(store.FindingCandidate, "elderly_allowance", "F", v2),
	}))
	if got, want := join(findingIDs(t, s, store.FindingFilter{Kind: store.FindingCandidate}, 50)), "c:elderly_allowance:C c:senior_card:E c:elderly_allowance:F"; got != want {
		t.Fatalf("after town replace got %q, want %q", got, want)
	}
	if got := findingIDs(t, s, store.FindingFilter{Kind: store.FindingAlert}, 50); len(got) != 0 {
		t.Fatalf("town replace kept alerts %v", got)
	}

	// A finding outside the item or division is refused and changes nothing.
	wantErr(t, s.ReplaceScanFindings(ctx, "senior_card", "370114001", []store.ScanFinding{
		finding(store.FindingCandidate, "senior_card", "G", v1), finding(store.FindingCandidate, "senior_card", "H", v3),
	}), store.ErrInvalid)
	wantErr(t, s.ReplaceScanFindings(ctx, "senior_card", "", []store.ScanFinding{finding(store.FindingCandidate, "elderly_allowance", "G", v1)}), store.ErrInvalid)
	if got := join(findingIDs(t, s, store.FindingFilter{Kind: store.FindingCandidate, Item: "senior_card"}, 50)); got != "c:senior_card:E" {
		t.Fatalf("refused replace changed findings: %q", got)
	}
	_, _, err = s.ListScanFindings(ctx, store.FindingFilter{}, store.Page{})
	wantErr(t, err, store.ErrInvalid)
	_, _, err = s.ListScanFindings(ctx, store.FindingFilter{Kind: store.FindingAlert}, store.Page{After: "x"})
	wantErr(t, err, store.ErrInvalid)
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out
}
