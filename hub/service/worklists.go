package service

import (
	"context"

	"sanmian/hub/auth"
	"sanmian/hub/division"
	"sanmian/hub/ident"
	"sanmian/hub/store"
)

// Purposes recorded in the residents' data-use records when a scan result shows them.
const (
	PurposeWorklist = "主动服务名单" // proactive-service worklist
	PurposeAlerts   = "监督预警"   // supervision alerts
)

// FindingQuery selects a page of worklist candidates or alerts: a division (default the
// caller's jurisdiction, else the district), an item ("" for all), a cursor and a page size.
type FindingQuery struct {
	Division string
	Item     string
	After    string
	Limit    int
}

// FindingView is one worklist candidate or supervision alert of the latest scan, as shown:
// the resident's ID number masked, the village, the item, the policy's reasons, and for
// alerts the rule, the evidence and the platform each fact came from.
type FindingView struct {
	IDNumber  string   `json:"id_number"`
	Village   string   `json:"village"`
	Item      string   `json:"item"`
	Reasons   []string `json:"reasons"`
	Rule      string   `json:"rule,omitempty"`
	Evidence  []string `json:"evidence"`
	Sources   []string `json:"sources"`
	ScannedAt string   `json:"scanned_at"`
}

// Worklists returns a page of the latest scan's proactive candidates (worklist.read), in the
// caller's jurisdiction only; every resident shown gets a data-use record.
func (h *Hub) Worklists(ctx context.Context, c auth.Caller, q FindingQuery) (_ []FindingView, _ string, err error) {
	defer h.auditRefusal(ctx, c, &err)
	return h.findings(ctx, c, q, store.FindingCandidate, "worklist.read", PurposeWorklist)
}

// Alerts returns a page of the latest scan's supervision alerts (alert.read: auditors and
// admins); every resident shown gets a data-use record.
func (h *Hub) Alerts(ctx context.Context, c auth.Caller, q FindingQuery) (_ []FindingView, _ string, err error) {
	defer h.auditRefusal(ctx, c, &err)
	return h.findings(ctx, c, q, store.FindingAlert, "alert.read", PurposeAlerts)
}

func (h *Hub) findings(ctx context.Context, c auth.Caller, q FindingQuery, kind, action, purpose string) ([]FindingView, string, error) {
	if q.Item != "" {
		if _, ok := h.policy.Item(q.Item); !ok {
			return nil, "", &InvalidError{Field: "item", Detail: "not an item code of the catalogue"}
		}
	}
	if err := checkSeqCursor(q.After); err != nil {
		return nil, "", err
	}
	scope := q.Division
	if scope == "" {
		scope = c.Jurisdiction
	}
	if scope == "" {
		scope = division.DistrictCode
	}
	// Filters are checked before the access policy, so a refusal records only valid codes.
	prefix, villages, err := divisionFilter(scope)
	if err != nil {
		return nil, "", &InvalidError{Field: "division", Detail: "not a division code of the district"}
	}
	if _, err := h.authorize(ctx, c, action, Resource{Item: q.Item, Division: scope}, ""); err != nil {
		return nil, "", err
	}
	limit := q.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	rows, next, err := h.store.ListScanFindings(ctx, store.FindingFilter{Kind: kind, Item: q.Item, DivisionPrefix: prefix, Villages: villages},
		store.Page{After: q.After, Limit: limit})
	if err != nil {
		return nil, "", err
	}
	out := make([]FindingView, 0, len(rows))
	for _, f := range rows {
		out = append(out, FindingView{IDNumber: ident.MaskIDNumber(f.IDNumber), Village: f.Village, Item: f.Item,
			Reasons: nonNil(f.Reasons), Rule: f.Rule, Evidence: nonNil(f.Evidence), Sources: nonNil(f.Sources), ScannedAt: f.At})
	}
	if len(rows) > 0 {
		err = h.store.Tx(ctx, func(tx store.Txn) error {
			for _, f := range rows {
				if err := tx.RecordDataUse(ctx, &store.DataUse{IDNumber: f.IDNumber, Sub: c.Subject, Role: c.Role, Org: c.Issuer,
					Item: f.Item, Purpose: purpose}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, "", err
		}
	}
	return out, next, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
