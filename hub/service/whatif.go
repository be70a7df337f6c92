package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"sanmian/hub/auth"
	"sanmian/hub/division"
	"sanmian/hub/store"
)

// PurposeWhatIf is the purpose recorded in the data-use record of every resident a policy
// what-if shows (masked) to the auditor who ran it.
const PurposeWhatIf = "政策试算"

// MaxBundleBytes bounds an uploaded candidate bundle (a gzipped tarball).
const MaxBundleBytes = 16 << 20

// WhatIfRequest is one policy what-if: a candidate bundle (gzipped tarball bytes), the scan
// date (YYYY-MM-DD, default today in China Standard Time), an item ("" for every proactive
// item) and a division (the district, a town or a village; default the district).
type WhatIfRequest struct {
	Bundle   []byte
	At       string
	Item     string
	Division string
}

// WhatIfQuery is what the runner is asked: the pinned time and the scan's selection.
type WhatIfQuery struct {
	At       time.Time
	Item     string
	Division string // a division code prefix ("" for the district)
}

// WhatIfRunner runs the district scan with the live policy and with a candidate bundle that it
// loads (under the live bundle's verification rules) but never activates. A bundle that
// cannot be read, verified or compiled, or fails its own tests, is an error wrapping
// ErrBadBundle; an item the scan does not know, one wrapping ErrUnknownScanItem.
type WhatIfRunner interface {
	WhatIf(ctx context.Context, bundle []byte, q WhatIfQuery) (*WhatIfReport, error)
}

// Errors a WhatIfRunner wraps.
var (
	ErrBadBundle       = errors.New("service: candidate bundle refused")
	ErrUnknownScanItem = errors.New("service: not a proactive item of the scan")
)

// WhatIfReport is the difference between the live policy and a candidate over the synced
// district (see package hub/scan): totals, per item, per village and item, every change.
type WhatIfReport struct {
	At                string          `json:"at"`
	Division          string          `json:"division"`
	LiveRevision      string          `json:"live_revision"`
	CandidateRevision string          `json:"candidate_revision"`
	CandidateDigest   string          `json:"candidate_digest"` // sha256 of the uploaded bundle
	Residents         int             `json:"residents"`
	Gains             int             `json:"gains"`
	Losses            int             `json:"losses"`
	Cleared           int             `json:"cleared"`
	ElapsedMS         int64           `json:"elapsed_ms"`
	Items             []WhatIfItem    `json:"items"`
	Villages          []WhatIfVillage `json:"villages"`
	Changes           []WhatIfChange  `json:"changes"`
}

// WhatIfItem is one item's worklist and alert counts under both policies and its changes.
type WhatIfItem struct {
	Item                string `json:"item"`
	ItemName            string `json:"item_name"`
	LiveCandidates      int    `json:"live_candidates"`
	CandidateCandidates int    `json:"candidate_candidates"`
	LiveAlerts          int    `json:"live_alerts"`
	CandidateAlerts     int    `json:"candidate_alerts"`
	Gains               int    `json:"gains"`
	Losses              int    `json:"losses"`
	Cleared             int    `json:"cleared"`
}

// WhatIfVillage is one village's changes for one item.
type WhatIfVillage struct {
	Village     string `json:"village"`
	VillageName string `json:"village_name"`
	Item        string `json:"item"`
	Gains       int    `json:"gains"`
	Losses      int    `json:"losses"`
	Cleared     int    `json:"cleared"`
}

// WhatIfChange is one resident whose outcome for an item changes: "gain" (would join the
// worklist), "loss" (would leave it, or, enrolled, become a supervision alert) or "cleared"
// (enrolled, an alert under the live policy that the candidate clears); the reason codes that
// changed and the rule they cite. IDNumber is masked; FullID never leaves the service.
type WhatIfChange struct {
	Item        string   `json:"item"`
	Village     string   `json:"village"`
	VillageName string   `json:"village_name"`
	IDNumber    string   `json:"id_number"`
	Change      string   `json:"change"`
	Enrolled    bool     `json:"enrolled"`
	Reasons     []string `json:"reasons"`
	Rule        string   `json:"rule,omitempty"`
	FullID      string   `json:"-"`
}

// WhatIf evaluates a candidate policy bundle against the synced district beside the live
// policy (policy.whatif: auditors and administrators), never activating it. The run is
// audited with both revisions and the candidate's digest, and every resident the report
// names gets a data-use record.
func (h *Hub) WhatIf(ctx context.Context, c auth.Caller, req WhatIfRequest) (_ *WhatIfReport, err error) {
	defer h.auditRefusal(ctx, c, &err)
	if len(req.Bundle) == 0 {
		return nil, &InvalidError{Field: "bundle", Detail: "a candidate bundle (gzipped tarball) is required"}
	}
	if len(req.Bundle) > MaxBundleBytes {
		return nil, &InvalidError{Field: "bundle", Detail: fmt.Sprintf("larger than %d bytes", MaxBundleBytes)}
	}
	at := h.now().In(cst)
	if req.At != "" {
		t, perr := time.ParseInLocation(time.DateOnly, req.At, cst)
		if perr != nil {
			return nil, &InvalidError{Field: "at", Detail: "want YYYY-MM-DD"}
		}
		at = t.Add(12 * time.Hour)
	}
	if req.Item != "" {
		if it, ok := h.policy.Item(req.Item); !ok || !it.Proactive {
			return nil, &InvalidError{Field: "item", Detail: "not a proactive item code of the catalogue"}
		}
	}
	scope := req.Division
	if scope == "" {
		scope = division.DistrictCode
	}
	prefix := ""
	if scope != division.DistrictCode {
		d, ok := division.Lookup(scope)
		if !ok || (d.Level != division.LevelTown && d.Level != division.LevelVillage) {
			return nil, &InvalidError{Field: "division", Detail: "not the district, a town or a village of the district"}
		}
		prefix = scope
		if d.Level == division.LevelTown {
			prefix = scope[:9]
		}
	}
	if _, err := h.authorize(ctx, c, "policy.whatif", Resource{Item: req.Item, Division: scope}, ""); err != nil {
		return nil, err
	}
	if h.whatif == nil {
		return nil, errors.New("service: policy what-if is not configured")
	}
	rep, err := h.whatif.WhatIf(ctx, req.Bundle, WhatIfQuery{At: at, Item: req.Item, Division: prefix})
	switch {
	case errors.Is(err, ErrBadBundle):
		return nil, &InvalidError{Field: "bundle", Detail: err.Error()}
	case errors.Is(err, ErrUnknownScanItem):
		return nil, &InvalidError{Field: "item", Detail: "not an item of the candidate's scan"}
	case err != nil:
		return nil, err
	}
	sum := sha256.Sum256(req.Bundle)
	rep.CandidateDigest, rep.Division = "sha256:"+hex.EncodeToString(sum[:]), scope
	for k := range rep.Items {
		if it, ok := h.policy.Item(rep.Items[k].Item); ok {
			rep.Items[k].ItemName = it.NameZH
		}
	}
	for k := range rep.Villages {
		rep.Villages[k].VillageName = divisionName(rep.Villages[k].Village)
	}
	for k := range rep.Changes {
		rep.Changes[k].VillageName = divisionName(rep.Changes[k].Village)
	}
	details := mustJSON(map[string]any{"operation": "whatif", "live_revision": rep.LiveRevision, "candidate_revision": rep.CandidateRevision,
		"candidate_digest": rep.CandidateDigest, "at": rep.At, "item": req.Item, "division": scope,
		"gains": rep.Gains, "losses": rep.Losses, "cleared": rep.Cleared})
	err = h.store.Tx(ctx, func(tx store.Txn) error {
		if err := tx.AppendAudit(ctx, &store.AuditEntry{ActorSub: c.Subject, ActorRole: c.Role, Action: store.AuditPolicy,
			Item: req.Item, Details: details}); err != nil {
			return err
		}
		for _, ch := range rep.Changes {
			if err := tx.RecordDataUse(ctx, &store.DataUse{IDNumber: ch.FullID, Sub: c.Subject, Role: c.Role, Org: c.Issuer,
				Item: ch.Item, Purpose: PurposeWhatIf}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("service: record what-if: %w", err)
	}
	return rep, nil
}

func divisionName(code string) string {
	if d, ok := division.Lookup(code); ok {
		return d.Name
	}
	return ""
}
