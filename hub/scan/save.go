package scan

import (
	"context"

	"sanmian/hub/store"
)

// Save persists the report's results as the latest findings of each scanned item in division
// ("" for the district), replacing that item's previous findings there (one transaction per
// item). The worklist and alert views read what Save wrote; they never scan.
func Save(ctx context.Context, s store.ScanResults, division string, rep *Report) error {
	for _, it := range rep.Items {
		findings := make([]store.ScanFinding, 0, len(it.Worklist)+len(it.AlertList))
		for _, e := range it.Worklist {
			findings = append(findings, finding(store.FindingCandidate, e, rep.At))
		}
		for _, e := range it.AlertList {
			findings = append(findings, finding(store.FindingAlert, e, rep.At))
		}
		if err := s.ReplaceScanFindings(ctx, it.Item, division, findings); err != nil {
			return err
		}
	}
	return nil
}

func finding(kind string, e Entry, at string) store.ScanFinding {
	return store.ScanFinding{Kind: kind, Item: e.Item, IDNumber: e.full, Village: e.Village, Reasons: e.Reasons,
		Rule: e.Rule, Evidence: e.Evidence, Sources: e.Sources, At: at}
}
