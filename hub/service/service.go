package service

import (
	"bytes"
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
	whatif   WhatIfRunner
	jobs     whatIfJobs
}

// Option configures a Hub.
type Option func(*Hub)

// WithClock sets the clock (default time.Now); decisions pin the time they read from it.
func WithClock(now func() time.Time) Option { return func(h *Hub) { h.now = now } }

// WithWhatIf sets the runner of policy what-ifs (app: the district scan with the live engine
// and a candidate's); without it WhatIf fails after authorisation.
func WithWhatIf(r WhatIfRunner) Option { return func(h *Hub) { h.whatif = r } }

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
	// Subject names whom the benefit is for when it is not the applicant: the deceased of a
	// funeral subsidy claimed by a relative (items whose benefit subject is SubjectDeceased
	// only). Optional: without it the claim is for the applicant's own death or the one
	// recent death in the applicant's household.
	Subject *SubjectRef `json:"subject,omitempty"`
}

// Outcome is what a state-changing call returns: the view of what it changed (an
// application, a permit), and whether it is the replay of an earlier request with the same
// Idempotency-Key (then nothing changed and View is the first request's answer).
type Outcome[T any] struct {
	View     T
	Replayed bool
}

// callerKey is whom idempotency records belong to: the token's issuer and subject (a subject
// is unique only within its issuer).
func callerKey(c auth.Caller) store.Caller { return store.Caller{Issuer: c.Issuer, Subject: c.Subject} }

// replayCheck authorises the caller, before a stored view is replayed to it, to read what
// the view shows (it reads through r). A replay is a read: it must not show what the caller
// may no longer see (a token of the same caller with another jurisdiction or scope).
type replayCheck[T any] func(ctx context.Context, r store.Reader, v T) error

// mayReadApplication is the replayCheck of calls whose view is an application.
func (h *Hub) mayReadApplication(c auth.Caller) replayCheck[ApplicationView] {
	return func(ctx context.Context, r store.Reader, v ApplicationView) error {
		if v.ID == "" {
			return fmt.Errorf("service: stored result names no application")
		}
		_, _, err := h.loadApplication(ctx, r, c, v.ID, "application.read")
		return err
	}
}

// idempotencyStatus is the status column of idempotency records: the service stores views,
// not HTTP answers (the handler chooses the status), so it carries nothing.
const idempotencyStatus = 0

// storedView decodes a view stored by idempotent. Numbers stay as written (json.Number), so
// a replayed view encodes to the same JSON as the first answer.
func storedView[T any](body []byte) (T, error) {
	var v T
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return v, fmt.Errorf("service: stored idempotent result: %w", err)
	}
	return v, nil
}

// idempotent runs commit for a request once per (caller, key). With an empty key commit
// always runs. commit writes inside the transaction and returns the view to store and
// answer with; a stored view is replayed only once check allows the caller to read it.
func idempotent[T any](ctx context.Context, h *Hub, c auth.Caller, key string, request any, check replayCheck[T],
	commit func(tx store.Txn) (T, error)) (Outcome[T], error) {
	var reqHash string
	if key != "" {
		if len(key) > 200 {
			return Outcome[T]{}, &InvalidError{Field: "Idempotency-Key", Detail: "longer than 200 characters"}
		}
		sum := sha256.Sum256(mustJSON(request))
		reqHash = hex.EncodeToString(sum[:])
	}
	var res Outcome[T]
	err := h.store.Tx(ctx, func(tx store.Txn) error {
		res = Outcome[T]{}
		if key != "" {
			rec, err := tx.ReserveIdempotency(ctx, callerKey(c), key, reqHash)
			if errors.Is(err, store.ErrIdempotencyMismatch) {
				return ErrIdempotencyMismatch
			}
			if err != nil {
				return err
			}
			if rec != nil {
				v, err := storedView[T](rec.Body)
				if err != nil {
					return err
				}
				if err := check(ctx, tx, v); err != nil {
					return err
				}
				res = Outcome[T]{View: v, Replayed: true}
				return nil
			}
		}
		v, err := commit(tx)
		if err != nil {
			return err
		}
		if key != "" {
			if err := tx.CompleteIdempotency(ctx, callerKey(c), key, idempotencyStatus, mustJSON(v)); err != nil {
				return err
			}
		}
		res = Outcome[T]{View: v}
		return nil
	})
	return res, err
}

// replayIfDone returns the stored view when (caller, key) already completed and check
// allows the caller to read it, so the slow work before the transaction (evidence, policy)
// is skipped on a retry. It returns ok=false when the request must run. Calls without slow
// work rely on idempotent alone.
func replayIfDone[T any](ctx context.Context, h *Hub, c auth.Caller, key string, request any, check replayCheck[T]) (Outcome[T], bool, error) {
	if key == "" {
		return Outcome[T]{}, false, nil
	}
	rec, err := h.store.GetIdempotency(ctx, callerKey(c), key)
	if errors.Is(err, store.ErrNotFound) {
		return Outcome[T]{}, false, nil
	}
	if err != nil {
		return Outcome[T]{}, false, err
	}
	sum := sha256.Sum256(mustJSON(request))
	if rec.RequestHash != hex.EncodeToString(sum[:]) {
		return Outcome[T]{}, false, ErrIdempotencyMismatch
	}
	if !rec.Completed {
		return Outcome[T]{}, false, nil
	}
	v, err := storedView[T](rec.Body)
	if err != nil {
		return Outcome[T]{}, false, err
	}
	if err := check(ctx, h.store, v); err != nil {
		return Outcome[T]{}, false, err
	}
	return Outcome[T]{View: v, Replayed: true}, true, nil
}

// authorize asks the access policy and returns *DeniedError on refusal. It writes nothing:
// every public method that authorises defers auditRefusal, which records the refusal once
// any transaction has ended (a refusal must be recorded even though the change is rolled
// back).
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

// auditRefusal is deferred first thing by every public method that authorises (with its
// named error result): when the method returns a refusal, the refusal is written to the
// audit log, after any transaction of the method has ended. It is the one place refusals
// are audited; see auditDenied.
func (h *Hub) auditRefusal(ctx context.Context, c auth.Caller, err *error) {
	*err = h.auditDenied(ctx, c, *err)
}

// auditDenied appends a refusal entry when err is a *DeniedError not audited yet and returns
// err unchanged (or the audit failure, which must not be swallowed). A refusal is audited
// once, however many audited methods it passes through.
func (h *Hub) auditDenied(ctx context.Context, c auth.Caller, err error) error {
	var d *DeniedError
	if !errors.As(err, &d) || d.audited {
		return err
	}
	d.audited = true
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
// audit entries and data-use record. It returns the new application (or, for a repeated
// Idempotency-Key, the first request's).
func (h *Hub) CreateApplication(ctx context.Context, c auth.Caller, req CreateRequest, idemKey string) (_ Outcome[ApplicationView], err error) {
	defer h.auditRefusal(ctx, c, &err)
	type result = Outcome[ApplicationView]
	req.Applicant.IDNumber = store.NormalizeIDNumber(req.Applicant.IDNumber)
	item, ok := h.policy.Item(req.Item)
	if !ok {
		return result{}, &InvalidError{Field: "item", Detail: fmt.Sprintf("unknown item %q", req.Item)}
	}
	if _, err := ident.ParseIDNumber(req.Applicant.IDNumber); err != nil {
		return result{}, &InvalidError{Field: "applicant.id_number", Detail: err.Error()}
	}
	purpose, err := checkPurpose(req.Purpose)
	if err != nil {
		return result{}, err
	}
	req.Purpose = purpose
	// The person the evidence is about: the applicant, or the deceased the claim names.
	about := req.Applicant.IDNumber
	if req.Subject != nil {
		req.Subject.IDNumber = store.NormalizeIDNumber(req.Subject.IDNumber)
		if item.BenefitSubject != SubjectDeceased {
			return result{}, &InvalidError{Field: "subject", Detail: fmt.Sprintf("item %q is granted to the %s; a subject names the deceased of a funeral claim", item.Code, item.BenefitSubject)}
		}
		if _, err := ident.ParseIDNumber(req.Subject.IDNumber); err != nil {
			return result{}, &InvalidError{Field: "subject.id_number", Detail: err.Error()}
		}
		about = req.Subject.IDNumber
	}
	if res, done, err := replayIfDone(ctx, h, c, idemKey, req, h.mayReadApplication(c)); done || err != nil {
		return res, err
	}
	subject := h.subjectOf(about)
	// An open application or an active permit for a non-repeatable item holds its subject:
	// the applicant, the household, or the deceased (Item.BenefitSubject). The store's unique
	// index enforces it; the checks here spare the evidence lookups and the policy. Subjects
	// known from the request are checked now, the household and an unnamed deceased once the
	// evidence names them.
	var holdKey string
	if !item.Repeatable && (item.BenefitSubject == SubjectApplicant || item.BenefitSubject == "" || req.Subject != nil) {
		holdKey = subject
	}
	// Locate reads only the resident's village (from the local snapshot when it has one), so
	// jurisdiction and scope are decided before any personal data is fetched. A claim naming
	// the deceased belongs to the deceased's village.
	village, err := h.evidence.Locate(ctx, about)
	if err != nil {
		return result{}, evidenceErr(err)
	}
	if _, err := h.authorize(ctx, c, "application.create", Resource{Village: village, Item: item.Code}, subject); err != nil {
		return result{}, err
	}
	if holdKey != "" {
		if err := h.checkHeld(ctx, item, holdKey); err != nil {
			return result{}, err
		}
	}
	bundle, err := h.assembleFor(ctx, about, item)
	if err != nil {
		return result{}, evidenceErr(err)
	}
	now := h.now()
	if !item.Repeatable && holdKey == "" {
		key, ok := h.holdKeyAfterEvidence(item, bundle, req.Applicant.IDNumber, now)
		if !ok {
			return result{}, &InvalidError{Field: "subject.id_number", Detail: "the household records several deaths within the claim window: name the deceased the claim is for"}
		}
		if key != "" {
			if err := h.checkHeld(ctx, item, key); err != nil {
				return result{}, err
			}
		}
		holdKey = key
	}
	formBundle := bundle
	if req.Subject != nil {
		b := *bundle
		b.Claimant = &evidence.Claimant{IDNumber: req.Applicant.IDNumber}
		bundle, formBundle = &b, claimantView(&b, req.Applicant.IDNumber)
	}
	dec, err := h.policy.Decide(ctx, item.Code, bundle, now, c.Subject)
	if err != nil {
		return result{}, fmt.Errorf("service: policy: %w", err)
	}
	if bundle.Applicant.Village != "" {
		village = bundle.Applicant.Village
	}
	// The stored purpose also masks the applicant's name (and the deceased's); the request
	// (and its idempotency hash) keeps the purpose as checked above.
	purpose = redact(redact(purpose, bundle.Applicant.Name), formBundle.Applicant.Name)
	formItem := item
	if req.Subject != nil {
		formItem = claimantForm(item)
	}
	form := buildForm(formItem, formBundle, dec)
	view := ApplicationView{
		Item:      item.Code,
		Applicant: Applicant{IDNumber: ident.MaskIDNumber(req.Applicant.IDNumber), Name: formBundle.Applicant.Name},
		Village:   village,
		Status:    string(store.StatusDraft),
		Form:      form,
		Decision:  decisionView(dec, bundle),
	}
	return idempotent(ctx, h, c, idemKey, req, h.mayReadApplication(c), func(tx store.Txn) (ApplicationView, error) {
		app := &store.Application{
			Item: item.Code, ApplicantID: req.Applicant.IDNumber, Village: village,
			Status: store.StatusDraft, Form: mustJSON(view.Form), Decision: mustJSON(view.Decision),
			SubjectKey: holdKey, CreatedBy: c.Subject,
		}
		if err := tx.CreateApplication(ctx, app); err != nil {
			var held *store.HeldError
			if errors.As(err, &held) {
				return ApplicationView{}, heldError(held, item.BenefitSubject)
			}
			return ApplicationView{}, err
		}
		if err := enqueueEvent(ctx, tx, EventApplicationCreated, app, nil, app.CreatedAt); err != nil {
			return ApplicationView{}, err
		}
		if err := tx.InsertDecision(ctx, &store.Decision{ID: dec.ID, ApplicationID: app.ID, Item: item.Code,
			Path: dec.Path, Revision: dec.Revision, InputDigest: dec.InputDigest, Input: dec.Input,
			Result: dec.Result, RequestedBy: c.Subject, At: dec.At}); err != nil {
			return ApplicationView{}, err
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
				return ApplicationView{}, err
			}
		}
		used := []string{req.Applicant.IDNumber}
		if about != req.Applicant.IDNumber {
			used = append(used, about)
		}
		for _, id := range used {
			if err := tx.RecordDataUse(ctx, &store.DataUse{IDNumber: id, Sub: c.Subject, Role: c.Role,
				Org: c.Issuer, Item: item.Code, Purpose: purpose, ApplicationID: app.ID}); err != nil {
				return ApplicationView{}, err
			}
		}
		view.ID, view.CreatedAt, view.UpdatedAt, view.Version = app.ID, app.CreatedAt, app.UpdatedAt, app.Version
		return view, nil
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
