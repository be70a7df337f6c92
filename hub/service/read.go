package service

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"sanmian/hub/auth"
	"sanmian/hub/division"
	"sanmian/hub/ident"
	"sanmian/hub/store"
)

// divisionFilter turns a division code into a store filter: a code prefix for the district
// and towns, the village list for a work area, the exact code for a village.
func divisionFilter(code string) (prefix string, villages []string, err error) {
	if code == division.DistrictCode {
		return division.DistrictCode, nil, nil
	}
	d, ok := division.Lookup(code)
	if !ok {
		return "", nil, fmt.Errorf("unknown division code %q", code)
	}
	switch d.Level {
	case division.LevelTown:
		return code[:9], nil, nil
	case division.LevelWorkArea:
		for _, v := range division.Children(code) {
			villages = append(villages, v.Code)
		}
		return "", villages, nil
	default:
		return "", []string{code}, nil
	}
}

func permitView(p store.Permit) PermitView {
	v := PermitView{ID: p.ID, Token: p.Token, Status: string(p.Status), Item: p.Item, IssuedAt: p.IssuedAt,
		Issuer: p.Issuer, KID: p.KID, ApplicationID: p.ApplicationID, Reason: p.RevocationReason}
	if !p.ExpiresAt.IsZero() {
		t := p.ExpiresAt
		v.ExpiresAt = &t
	}
	if !p.RevokedAt.IsZero() {
		t := p.RevokedAt
		v.RevokedAt = &t
	}
	return v
}

// GetPermit returns a permit the caller may read (the same access as its application).
func (h *Hub) GetPermit(ctx context.Context, c auth.Caller, id string) (_ PermitView, err error) {
	defer h.auditRefusal(ctx, c, &err)
	p, err := h.store.GetPermit(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return PermitView{}, &NotFoundError{What: "permit", ID: id}
	}
	if err != nil {
		return PermitView{}, err
	}
	if _, _, err := h.loadApplication(ctx, h.store, c, p.ApplicationID, "permit.read"); err != nil {
		return PermitView{}, err
	}
	return permitView(p), nil
}

// RevokeRequest is POST /v1/permits/{id}/revoke.
type RevokeRequest struct {
	Reason string `json:"reason"`
}

// Revoke revokes a permit with a reason; the status list shows it from then on.
func (h *Hub) Revoke(ctx context.Context, c auth.Caller, id string, req RevokeRequest, idemKey string) (_ Outcome[PermitView], err error) {
	defer h.auditRefusal(ctx, c, &err)
	reason, err := checkText(req.Reason, textRule{field: "reason", max: maxReason, multiline: true})
	if err != nil {
		return Outcome[PermitView]{}, err
	}
	if reason == "" {
		return Outcome[PermitView]{}, &InvalidError{Field: "reason", Detail: "a revocation reason is required"}
	}
	req.Reason = reason
	key := struct {
		ID string
		RevokeRequest
	}{id, req}
	// A replayed revocation shows the permit: the caller must still be allowed to read it.
	mayReadPermit := func(ctx context.Context, r store.Reader, v PermitView) error {
		if v.ApplicationID == "" {
			return fmt.Errorf("service: stored result names no permit")
		}
		_, _, err := h.loadApplication(ctx, r, c, v.ApplicationID, "permit.read")
		return err
	}
	return idempotent(ctx, h, c, idemKey, key, mayReadPermit, func(tx store.Txn) (PermitView, error) {
		p, err := tx.GetPermit(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return PermitView{}, &NotFoundError{What: "permit", ID: id}
		}
		if err != nil {
			return PermitView{}, err
		}
		app, view, err := h.loadApplication(ctx, tx, c, p.ApplicationID, "permit.revoke")
		if err != nil {
			return PermitView{}, err
		}
		reason := redact(req.Reason, applicantNames(ctx, tx, app, view)...)
		if err := tx.RevokePermit(ctx, id, reason); err != nil {
			if errors.Is(err, store.ErrPermitRevoked) {
				return PermitView{}, &StateError{Detail: "the permit is already revoked"}
			}
			return PermitView{}, err
		}
		if err := tx.AppendAudit(ctx, &store.AuditEntry{ActorSub: c.Subject, ActorRole: c.Role, Action: store.AuditRevocation,
			Subject: h.subjectOf(app.ApplicantID), Item: p.Item, ApplicationID: p.ApplicationID,
			Details: mustJSON(map[string]any{"permit_id": id, "reason": reason, "status_index": p.StatusListIndex})}); err != nil {
			return PermitView{}, err
		}
		p, err = tx.GetPermit(ctx, id)
		if err != nil {
			return PermitView{}, err
		}
		if err := enqueueEvent(ctx, tx, EventPermitRevoked, &app, &p, p.RevokedAt); err != nil {
			return PermitView{}, err
		}
		return permitView(p), nil
	})
}

// VerifyPermit verifies a permit token: signature against the published keys, expiry, and
// revocation through the status list. Anyone may call it.
func (h *Hub) VerifyPermit(ctx context.Context, token string) (Verification, error) {
	token = strings.TrimSpace(token)
	if token == "" {
		return Verification{}, &InvalidError{Field: "token", Detail: "a permit token is required"}
	}
	if len(token) > 64<<10 {
		return Verification{}, &InvalidError{Field: "token", Detail: "longer than 64 KiB"}
	}
	return h.sealer.Verify(ctx, token)
}

// DataUseView is one data-use record as the resident (or an auditor) sees it.
type DataUseView struct {
	At            time.Time `json:"at"`
	Who           string    `json:"who"`
	Role          string    `json:"role"`
	Org           string    `json:"org,omitempty"`
	Item          string    `json:"item,omitempty"`
	Purpose       string    `json:"purpose"`
	ApplicationID string    `json:"application_id,omitempty"`
}

// DataUse lists who used a resident's data, newest first, and the cursor of the next page
// ("" at the end). Counters may ask for residents of their jurisdiction (to show the resident
// at the counter); auditors and admins for anyone.
func (h *Hub) DataUse(ctx context.Context, c auth.Caller, idNumber, after string, limit int) (_ []DataUseRecord, _ string, err error) {
	defer h.auditRefusal(ctx, c, &err)
	return h.dataUse(ctx, c, idNumber, after, limit, h.evidence.Locate)
}

// dataUse authorises resident.data_use.read (counters and reviewers on the resident's village,
// found with locate, whose failure evidenceErr classifies) and lists the resident's data-use
// records.
func (h *Hub) dataUse(ctx context.Context, c auth.Caller, idNumber, after string, limit int,
	locate func(ctx context.Context, idNumber string) (string, error)) ([]DataUseRecord, string, error) {
	idNumber = store.NormalizeIDNumber(idNumber)
	if _, err := ident.ParseIDNumber(idNumber); err != nil {
		return nil, "", &InvalidError{Field: "id_number", Detail: err.Error()}
	}
	if err := checkSeqCursor(after); err != nil {
		return nil, "", err
	}
	res := Resource{}
	if c.Role == "counter" || c.Role == "reviewer" {
		village, err := locate(ctx, idNumber)
		if err != nil {
			return nil, "", evidenceErr(err)
		}
		res.Village = village
	}
	if _, err := h.authorize(ctx, c, "resident.data_use.read", res, h.subjectOf(idNumber)); err != nil {
		return nil, "", err
	}
	recs, next, err := h.store.ListDataUse(ctx, idNumber, store.Page{After: after, Limit: limit})
	if err != nil {
		return nil, "", fmt.Errorf("service: data-use records: %w", err)
	}
	out := make([]DataUseRecord, 0, len(recs))
	for _, r := range recs {
		out = append(out, DataUseRecord{ID: strconv.FormatInt(r.ID, 10), DataUseView: DataUseView{At: r.At, Who: r.Sub,
			Role: r.Role, Org: r.Org, Item: r.Item, Purpose: r.Purpose, ApplicationID: r.ApplicationID}})
	}
	return out, next, nil
}

// AuditEntries lists audit entries after seq for auditors and admins.
func (h *Hub) AuditEntries(ctx context.Context, c auth.Caller, afterSeq int64, limit int) (_ []store.AuditEntry, err error) {
	defer h.auditRefusal(ctx, c, &err)
	if _, err := h.authorize(ctx, c, "audit.read", Resource{}, ""); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	return h.store.ListAudit(ctx, afterSeq, limit)
}

// LatestCheckpoint returns the newest signed audit checkpoint.
func (h *Hub) LatestCheckpoint(ctx context.Context, c auth.Caller) (_ store.Checkpoint, err error) {
	defer h.auditRefusal(ctx, c, &err)
	if _, err := h.authorize(ctx, c, "audit.read", Resource{}, ""); err != nil {
		return store.Checkpoint{}, err
	}
	cp, err := h.store.LatestCheckpoint(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return cp, &NotFoundError{What: "checkpoint"}
	}
	return cp, err
}

// VerifyAudit walks the whole audit chain and every signed checkpoint for an auditor
// (action audit.read) and writes the verification, with its outcome, to the audit log. A
// chain that does not verify is a report (Intact false, FirstBadSeq and Problem set), not an
// error; errors are storage failures and refusals.
func (h *Hub) VerifyAudit(ctx context.Context, c auth.Caller) (_ store.AuditReport, err error) {
	defer h.auditRefusal(ctx, c, &err)
	if _, err := h.authorize(ctx, c, "audit.read", Resource{}, ""); err != nil {
		return store.AuditReport{}, err
	}
	keys, err := store.AuditPublicKeys(ctx, h.store)
	if err != nil {
		return store.AuditReport{}, fmt.Errorf("service: audit keys: %w", err)
	}
	rep, err := h.store.VerifyAudit(ctx, keys)
	if err != nil && !errors.Is(err, store.ErrAuditTampered) {
		return store.AuditReport{}, fmt.Errorf("service: verify audit: %w", err)
	}
	entry := &store.AuditEntry{ActorSub: c.Subject, ActorRole: c.Role, Action: store.AuditVerify,
		Details: mustJSON(map[string]any{"intact": rep.Intact, "entries": rep.Entries, "checkpoints": rep.Checkpoints,
			"head_seq": rep.HeadSeq, "first_bad_seq": rep.FirstBadSeq})}
	if err := h.store.AppendAudit(ctx, entry); err != nil {
		return store.AuditReport{}, fmt.Errorf("service: audit verification: %w", err)
	}
	return rep, nil
}
