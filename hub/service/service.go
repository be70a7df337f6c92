package service

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"sanmian/hub/auth"
	"sanmian/hub/division"
	"sanmian/hub/evidence"
	"sanmian/hub/ident"
	"sanmian/hub/store"
)

// Hub is the service. Safe for concurrent use; several Hub processes may share one
// PostgreSQL store.
type Hub struct {
	store    store.Store
	policy   Policy
	evidence Evidence
	sealer   Sealer
	now      func() time.Time
	log      *slog.Logger
}

// Option configures a Hub.
type Option func(*Hub)

// WithClock sets the clock (default time.Now); decisions pin the time they read from it.
func WithClock(now func() time.Time) Option { return func(h *Hub) { h.now = now } }

// WithLogger sets the logger. Personal data is never logged.
func WithLogger(l *slog.Logger) Option { return func(h *Hub) { h.log = l } }

// New returns a Hub over its required collaborators.
func New(st store.Store, p Policy, ev Evidence, s Sealer, opts ...Option) *Hub {
	h := &Hub{store: st, policy: p, evidence: ev, sealer: s, now: time.Now, log: slog.Default()}
	for _, o := range opts {
		o(h)
	}
	return h
}

// Items returns the item catalogue.
func (h *Hub) Items() []Item { return h.policy.Items() }

// Item returns one item or ErrNotFound.
func (h *Hub) Item(code string) (Item, error) {
	it, ok := h.policy.Item(code)
	if !ok {
		return Item{}, &NotFoundError{What: "item", ID: code}
	}
	return it, nil
}

// CreateRequest is POST /v1/applications.
type CreateRequest struct {
	Item      string `json:"item"`
	Applicant struct {
		IDNumber string `json:"id_number"`
	} `json:"applicant"`
	Purpose string `json:"purpose"`
}

// Result is the outcome of a state-changing call: the HTTP status and body the caller gets,
// and whether it is the replay of an earlier request with the same Idempotency-Key.
type Result struct {
	Status   int
	Body     json.RawMessage
	Replayed bool
}

// callerKey is whom idempotency records belong to: the token's issuer and subject (a subject
// is unique only within its issuer).
func callerKey(c auth.Caller) store.Caller { return store.Caller{Issuer: c.Issuer, Subject: c.Subject} }

// replayCheck authorises the caller, before a stored result is replayed to it, to read what
// the result shows (it reads through r). A replay is a read: it must not show what the caller
// may no longer see (a token of the same caller with another jurisdiction or scope).
type replayCheck func(ctx context.Context, r store.Reader, body json.RawMessage) error

// mayReadApplication is the replayCheck of results that are an application view.
func (h *Hub) mayReadApplication(c auth.Caller) replayCheck {
	return func(ctx context.Context, r store.Reader, body json.RawMessage) error {
		var v struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(body, &v); err != nil || v.ID == "" {
			return fmt.Errorf("service: stored result names no application")
		}
		_, _, err := h.loadApplication(ctx, r, c, v.ID, "application.read")
		return err
	}
}

// idempotent runs work for a request once per (caller, key). With an empty key work always
// runs. commit writes inside the transaction and returns the status and body to store and
// send; a stored result is replayed only once check allows the caller to read it.
func (h *Hub) idempotent(ctx context.Context, c auth.Caller, key string, request any, check replayCheck,
	commit func(tx store.Txn) (int, any, error)) (Result, error) {
	var reqHash string
	if key != "" {
		if len(key) > 200 {
			return Result{}, &InvalidError{Field: "Idempotency-Key", Detail: "longer than 200 characters"}
		}
		sum := sha256.Sum256(mustJSON(request))
		reqHash = hex.EncodeToString(sum[:])
	}
	var res Result
	err := h.store.Tx(ctx, func(tx store.Txn) error {
		res = Result{}
		if key != "" {
			rec, err := tx.ReserveIdempotency(ctx, callerKey(c), key, reqHash)
			if errors.Is(err, store.ErrIdempotencyMismatch) {
				return ErrIdempotencyMismatch
			}
			if err != nil {
				return err
			}
			if rec != nil {
				if err := check(ctx, tx, rec.Body); err != nil {
					return err
				}
				res = Result{Status: rec.Status, Body: rec.Body, Replayed: true}
				return nil
			}
		}
		status, body, err := commit(tx)
		if err != nil {
			return err
		}
		b := mustJSON(body)
		if key != "" {
			if err := tx.CompleteIdempotency(ctx, callerKey(c), key, status, b); err != nil {
				return err
			}
		}
		res = Result{Status: status, Body: b}
		return nil
	})
	return res, err
}

// replayIfDone returns the stored result when (caller, key) already completed and check
// allows the caller to read it, so the slow work before the transaction (evidence, policy)
// is skipped on a retry. It returns ok=false when the request must run. Calls without slow
// work rely on idempotent alone.
func (h *Hub) replayIfDone(ctx context.Context, c auth.Caller, key string, request any, check replayCheck) (Result, bool, error) {
	if key == "" {
		return Result{}, false, nil
	}
	rec, err := h.store.GetIdempotency(ctx, callerKey(c), key)
	if errors.Is(err, store.ErrNotFound) {
		return Result{}, false, nil
	}
	if err != nil {
		return Result{}, false, err
	}
	sum := sha256.Sum256(mustJSON(request))
	if rec.RequestHash != hex.EncodeToString(sum[:]) {
		return Result{}, false, ErrIdempotencyMismatch
	}
	if !rec.Completed {
		return Result{}, false, nil
	}
	if err := check(ctx, h.store, rec.Body); err != nil {
		return Result{}, false, err
	}
	return Result{Status: rec.Status, Body: rec.Body, Replayed: true}, true, nil
}

// authorize asks the access policy and returns *DeniedError on refusal. It writes nothing:
// the public method that called it audits the refusal with auditDenied once any transaction
// has ended (a refusal must be recorded even though the change is rolled back).
func (h *Hub) authorize(ctx context.Context, c auth.Caller, action string, r Resource, subject string) (Authorization, error) {
	a, err := h.policy.Authorize(ctx, c, action, r)
	if err != nil {
		return a, fmt.Errorf("service: access policy: %w", err)
	}
	if a.Allow {
		return a, nil
	}
	return a, &DeniedError{Action: action, Reason: a.Reason, resource: r, subject: subject}
}

// auditDenied appends a refusal entry when err is a *DeniedError and returns err unchanged
// (or the audit failure, which must not be swallowed).
func (h *Hub) auditDenied(ctx context.Context, c auth.Caller, err error) error {
	var d *DeniedError
	if !errors.As(err, &d) {
		return err
	}
	// The resource may carry what the caller typed (a list filter): stored redacted and bounded.
	res := Resource{Village: auditValue(d.resource.Village), Item: auditValue(d.resource.Item),
		Level: auditValue(d.resource.Level), Division: auditValue(d.resource.Division)}
	details := mustJSON(map[string]any{"action": d.Action, "resource": res, "reason": d.Reason})
	entry := &store.AuditEntry{ActorSub: c.Subject, ActorRole: c.Role, Action: store.AuditRefusal,
		Subject: d.subject, Item: res.Item, Details: details}
	if aerr := h.store.AppendAudit(context.WithoutCancel(ctx), entry); aerr != nil {
		return fmt.Errorf("service: audit refusal: %w", aerr)
	}
	return err
}

// subjectOf is how the audit log names a resident: the keyed digest, never the ID number.
func (h *Hub) subjectOf(idNumber string) string {
	if idNumber == "" {
		return ""
	}
	return h.store.SubjectDigest(idNumber)
}

// CreateApplication authorises the caller for the applicant's village and the item, gathers
// the evidence, asks the policy and stores the pre-filled application with its decision,
// audit entries and data-use record. Status 201 with the application.
func (h *Hub) CreateApplication(ctx context.Context, c auth.Caller, req CreateRequest, idemKey string) (Result, error) {
	res, err := h.createApplication(ctx, c, req, idemKey)
	return res, h.auditDenied(ctx, c, err)
}

func (h *Hub) createApplication(ctx context.Context, c auth.Caller, req CreateRequest, idemKey string) (Result, error) {
	req.Applicant.IDNumber = store.NormalizeIDNumber(req.Applicant.IDNumber)
	item, ok := h.policy.Item(req.Item)
	if !ok {
		return Result{}, &InvalidError{Field: "item", Detail: fmt.Sprintf("unknown item %q", req.Item)}
	}
	if _, err := ident.ParseIDNumber(req.Applicant.IDNumber); err != nil {
		return Result{}, &InvalidError{Field: "applicant.id_number", Detail: err.Error()}
	}
	purpose, err := checkPurpose(req.Purpose)
	if err != nil {
		return Result{}, err
	}
	req.Purpose = purpose
	if res, done, err := h.replayIfDone(ctx, c, idemKey, req, h.mayReadApplication(c)); done || err != nil {
		return res, err
	}
	subject := h.subjectOf(req.Applicant.IDNumber)
	// The applicant is held by an open application or an active permit for a non-repeatable
	// item; the store's unique index enforces it, this early check spares the evidence
	// lookups. The subject is the applicant (the benefit's subject, once items name another).
	var holdKey string
	if !item.Repeatable {
		holdKey = subject
	}
	// Locate reads only the resident's village (from the local snapshot when it has one), so
	// jurisdiction and scope are decided before any personal data is fetched.
	village, err := h.evidence.Locate(ctx, req.Applicant.IDNumber)
	if err != nil {
		return Result{}, evidenceErr(err)
	}
	if _, err := h.authorize(ctx, c, "application.create", Resource{Village: village, Item: item.Code}, subject); err != nil {
		return Result{}, err
	}
	if holdKey != "" {
		holder, err := h.store.GetHoldingApplication(ctx, item.Code, holdKey)
		if err == nil {
			return Result{}, heldError(&store.HeldError{Item: item.Code, ApplicationID: holder.ID, Status: holder.Status, PermitID: holder.PermitID})
		}
		if !errors.Is(err, store.ErrNotFound) {
			return Result{}, err
		}
	}
	bundle, err := h.assembleFor(ctx, req.Applicant.IDNumber, item)
	if err != nil {
		return Result{}, evidenceErr(err)
	}
	now := h.now()
	dec, err := h.policy.Decide(ctx, item.Code, bundle, now, c.Subject)
	if err != nil {
		return Result{}, fmt.Errorf("service: policy: %w", err)
	}
	if bundle.Applicant.Village != "" {
		village = bundle.Applicant.Village
	}
	// The stored purpose also masks the applicant's name; the request (and its idempotency
	// hash) keeps the purpose as checked above.
	purpose = redact(purpose, bundle.Applicant.Name)
	form := buildForm(item, bundle, dec)
	view := ApplicationView{
		Item:      item.Code,
		Applicant: Applicant{IDNumber: ident.MaskIDNumber(req.Applicant.IDNumber), Name: bundle.Applicant.Name},
		Village:   village,
		Status:    string(store.StatusDraft),
		Form:      form,
		Decision:  decisionView(dec, bundle),
	}
	return h.idempotent(ctx, c, idemKey, req, h.mayReadApplication(c), func(tx store.Txn) (int, any, error) {
		app := &store.Application{
			Item: item.Code, ApplicantID: req.Applicant.IDNumber, Village: village,
			Status: store.StatusDraft, Form: mustJSON(view.Form), Decision: mustJSON(view.Decision),
			SubjectKey: holdKey, CreatedBy: c.Subject,
		}
		if err := tx.CreateApplication(ctx, app); err != nil {
			var held *store.HeldError
			if errors.As(err, &held) {
				return 0, nil, heldError(held)
			}
			return 0, nil, err
		}
		if err := enqueueEvent(ctx, tx, EventApplicationCreated, app, nil, app.CreatedAt); err != nil {
			return 0, nil, err
		}
		if err := tx.InsertDecision(ctx, &store.Decision{ID: dec.ID, ApplicationID: app.ID, Item: item.Code,
			Path: dec.Path, Revision: dec.Revision, InputDigest: dec.InputDigest, Input: dec.Input,
			Result: dec.Result, RequestedBy: c.Subject, At: dec.At}); err != nil {
			return 0, nil, err
		}
		lookup := mustJSON(map[string]any{"platforms": platformsUsed(bundle), "missing": bundle.Missing, "stale": bundle.Stale})
		for _, e := range []*store.AuditEntry{
			{ActorSub: c.Subject, ActorRole: c.Role, Action: store.AuditLookup, Subject: subject, Item: item.Code,
				Purpose: purpose, ApplicationID: app.ID, Details: lookup},
			{ActorSub: c.Subject, ActorRole: c.Role, Action: store.AuditDecision, Subject: subject, Item: item.Code,
				Purpose: purpose, ApplicationID: app.ID, Details: mustJSON(map[string]any{
					"decision_id": dec.ID, "revision": dec.Revision, "eligible": dec.Eligible, "instant": dec.Instant})},
		} {
			if err := tx.AppendAudit(ctx, e); err != nil {
				return 0, nil, err
			}
		}
		if err := tx.RecordDataUse(ctx, &store.DataUse{IDNumber: req.Applicant.IDNumber, Sub: c.Subject, Role: c.Role,
			Org: c.Issuer, Item: item.Code, Purpose: purpose, ApplicationID: app.ID}); err != nil {
			return 0, nil, err
		}
		view.ID, view.CreatedAt, view.UpdatedAt, view.Version = app.ID, app.CreatedAt, app.UpdatedAt, app.Version
		return 201, view, nil
	})
}

func platformsUsed(b *evidence.Bundle) []string {
	seen := map[string]bool{}
	for _, p := range b.Provenance {
		seen[string(p.Platform)] = true
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func decisionView(d Decision, b *evidence.Bundle) DecisionView {
	v := DecisionView{Eligible: d.Eligible, Reasons: d.Reasons, Missing: d.Missing, Autofill: d.Autofill,
		Instant: d.Instant && len(b.Conflicts) == 0 && !b.Stale, DecisionID: d.ID, Revision: d.Revision, Stale: b.Stale}
	if v.Reasons == nil {
		v.Reasons = []Reason{}
	}
	if v.Missing == nil {
		v.Missing = []string{}
	}
	if v.Autofill == nil {
		v.Autofill = []string{}
	}
	for _, c := range b.Conflicts {
		cv := ConflictView{Field: c.Field, Authority: string(c.Authority)}
		for _, val := range c.Values {
			cv.Platforms = append(cv.Platforms, string(val.Platform))
		}
		v.Conflicts = append(v.Conflicts, cv)
	}
	return v
}

// levelDivision is the division whose office reviews at level for a village.
func levelDivision(level, village string) string {
	switch level {
	case "village":
		return village
	case "work_area":
		if wa, ok := division.WorkAreaOf(village); ok {
			return wa.Code
		}
	case "town":
		if d, ok := division.Lookup(village); ok {
			return d.Town
		}
	case "district":
		return division.DistrictCode
	}
	return ""
}
