package scan

import (
	"context"

	"sanmian/hub/store"
)

// Save persists the report's results as the latest findings of each scanned item in division
// ("" for the district), replacing that item's previous findings there (one transaction per
// item); a delta scan's results replace only the findings of the residents it rescanned, of
// every item in one transaction. A finding the scan found again unchanged keeps its id (the
// store's Seq). The worklist and alert views read what Save wrote; they never scan. After a scan of every item over the district, the change sequence it read at
// becomes the baseline of the next delta scan.
func Save(ctx context.Context, s store.ScanResults, division string, rep *Report) error {
	ds, _ := s.(store.ScanDelta)
	delta := rep.Delta != nil && ds != nil
	var items []string
	var all []store.ScanFinding
	for _, it := range rep.Items {
		findings := make([]store.ScanFinding, 0, len(it.Worklist)+len(it.AlertList))
		for _, e := range it.Worklist {
			findings = append(findings, finding(store.FindingCandidate, e, rep.At))
		}
		for _, e := range it.AlertList {
			findings = append(findings, finding(store.FindingAlert, e, rep.At))
		}
		if delta {
			items, all = append(items, it.Item), append(all, findings...)
			continue
		}
		if err := s.ReplaceScanFindings(ctx, it.Item, division, findings); err != nil {
			return err
		}
	}
	if delta && len(items) > 0 {
		if err := ds.ReplaceScanFindingsOf(ctx, items, division, rep.changed, all); err != nil {
			return err
		}
	}
	if rep.tracked && rep.whole && division == "" && ds != nil {
		return ds.SetScanBaseline(ctx, rep.seq)
	}
	return nil
}

func finding(kind string, e Entry, at string) store.ScanFinding {
	return store.ScanFinding{Kind: kind, Item: e.Item, IDNumber: e.full, Village: e.Village, Reasons: e.Reasons,
		Rule: e.Rule, Evidence: e.Evidence, Sources: e.Sources, At: at}
}
