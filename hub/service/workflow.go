package service

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"sanmian/hub/auth"
	"sanmian/hub/division"
	"sanmian/hub/ident"
	"sanmian/hub/store"
)

// loadApplication reads an application and authorises action on it. An application outside
// the caller's reach is reported as denied (and audited).
func (h *Hub) loadApplication(ctx context.Context, r store.Reader, c auth.Caller, id, action string) (store.Application, ApplicationView, error) {
	app, err := r.GetApplication(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return app, ApplicationView{}, &NotFoundError{What: "application", ID: id}
	}
	if err != nil {
		return app, ApplicationView{}, err
	}
	res := Resource{Village: app.Village, Item: app.Item, Level: app.AwaitingLevel, Division: app.AwaitingDivision}
	if _, err := h.authorize(ctx, c, action, res, h.subjectOf(app.ApplicantID)); err != nil {
		return app, ApplicationView{}, err
	}
	v, err := viewOf(app)
	return app, v, err
}

func viewOf(a store.Application) (ApplicationView, error) {
	v := ApplicationView{ID: a.ID, Item: a.Item, Village: a.Village, Status: string(a.Status), PermitID: a.PermitID,
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt, Version: a.Version,
		Applicant: Applicant{IDNumber: ident.MaskIDNumber(a.ApplicantID)}}
	if err := json.Unmarshal(a.Form, &v.Form); err != nil {
		return v, fmt.Errorf("service: stored form of %s: %w", a.ID, err)
	}
	if err := json.Unmarshal(a.Decision, &v.Decision); err != nil {
		return v, fmt.Errorf("service: stored decision of %s: %w", a.ID, err)
	}
	// The applicant's name is the form's name field: "name", or "applicant_name" on the forms
	// of items whose subject is not the applicant alone.
	for _, f := range v.Form.Fields {
		if (f.Name == "name" || f.Name == "applicant_name") && v.Applicant.Name == "" {
			if s, ok := f.Value.(string); ok {
				v.Applicant.Name = s
			}
		}
	}
	if a.Status == store.StatusInReview {
		v.Awaiting = &Awaiting{Level: a.AwaitingLevel, Division: a.AwaitingDivision}
	}
	return v, nil
}

// GetApplication returns one application the caller may read.
func (h *Hub) GetApplication(ctx context.Context, c auth.Caller, id string) (_ ApplicationView, err error) {
	defer h.auditRefusal(ctx, c, &err)
	_, v, err := h.loadApplication(ctx, h.store, c, id, "application.read")
	return v, err
}

// ListFilter selects applications for GET /v1/applications.
type ListFilter struct {
	Status   string
	Division string
	Item     string
	After    string
	Limit    int
}

// ListApplications returns the applications the caller may see, newest first, and the next
// cursor. Counters and reviewers see their jurisdiction only; department apps their items.
func (h *Hub) ListApplications(ctx context.Context, c auth.Caller, f ListFilter) (_ []ApplicationView, _ string, err error) {
	defer h.auditRefusal(ctx, c, &err)
	return h.listApplications(ctx, c, f)
}

func (h *Hub) listApplications(ctx context.Context, c auth.Caller, f ListFilter) ([]ApplicationView, string, error) {
	var sf store.ApplicationFilter
	if f.Status != "" {
		st := store.ApplicationStatus(f.Status)
		if !st.Valid() {
			return nil, "", &InvalidError{Field: "status", Detail: fmt.Sprintf("unknown status %q", f.Status)}
		}
		sf.Status = []store.ApplicationStatus{st}
	}
	if f.Item != "" {
		if _, ok := h.policy.Item(f.Item); !ok {
			return nil, "", &InvalidError{Field: "item", Detail: "not an item code of the catalogue"}
		}
	}
	sf.Item = f.Item
	if err := checkIDCursor(f.After); err != nil {
		return nil, "", err
	}
	scope := f.Division
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
	if _, err := h.authorize(ctx, c, "application.list", Resource{Item: f.Item, Division: scope}, ""); err != nil {
		return nil, "", err
	}
	sf.DivisionPrefix, sf.Villages = prefix, villages
	limit := f.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	var out []ApplicationView
	after := f.After
	for len(out) < limit {
		apps, next, err := h.store.ListApplications(ctx, sf, store.Page{After: after, Limit: limit})
		if err != nil {
			return nil, "", err
		}
		for _, a := range apps {
			if c.Role == "department" && !inScope(c.Scope, a.Item) {
				continue
			}
			v, err := viewOf(a)
			if err != nil {
				return nil, "", err
			}
			out = append(out, v)
		}
		if next == "" || len(out) >= limit {
			return out, next, nil
		}
		after = next
	}
	return out, after, nil
}

func inScope(scope []string, item string) bool {
	return slices.Contains(scope, "*") || slices.Contains(scope, item)
}

// ConfirmRequest is the applicant's confirmation: the preview was shown, these fields are
// declined (they go to manual entry with the evidence the applicant brings, described in
// Notes), Values holds what the counter entered for fields the hub did not fill (manual and
// declined ones: bank account, phone, ...), and the signature captured at the counter.
type ConfirmRequest struct {
	Signature string            `json:"signature"`
	Declined  []string          `json:"declined"`
	Notes     map[string]string `json:"notes"`
	Values    map[string]string `json:"values"`
}

// maxEnteredValue caps a value entered at the counter, in characters.
const maxEnteredValue = 200

// Confirm records the applicant's confirmation. With instant approval allowed and nothing
// declined, conflicting or stale, the permit is issued at once; otherwise the application
// goes to its first review level.
func (h *Hub) Confirm(ctx context.Context, c auth.Caller, id string, req ConfirmRequest, idemKey string) (_ Outcome[ApplicationView], err error) {
	defer h.auditRefusal(ctx, c, &err)
	return h.confirm(ctx, c, id, req, idemKey)
}

func (h *Hub) confirm(ctx context.Context, c auth.Caller, id string, req ConfirmRequest, idemKey string) (Outcome[ApplicationView], error) {
	if strings.TrimSpace(req.Signature) == "" {
		return Outcome[ApplicationView]{}, &InvalidError{Field: "signature", Detail: "the applicant's signature is required"}
	}
	if len(req.Signature) > 256<<10 {
		return Outcome[ApplicationView]{}, &InvalidError{Field: "signature", Detail: "larger than 256 KiB"}
	}
	for name, note := range req.Notes {
		n, err := checkText(note, textRule{field: "notes", max: maxNote, multiline: true})
		if err != nil {
			return Outcome[ApplicationView]{}, err
		}
		req.Notes[name] = n
	}
	sealer, err := h.prepareSeal(ctx, id)
	if err != nil {
		return Outcome[ApplicationView]{}, err
	}
	key := struct {
		ID string
		ConfirmRequest
	}{id, req}
	return idempotent(ctx, h, c, idemKey, key, h.mayReadApplication(c), func(tx store.Txn) (ApplicationView, error) {
		app, view, err := h.loadApplication(ctx, tx, c, id, "application.confirm")
		if err != nil {
			return ApplicationView{}, err
		}
		if app.Status != store.StatusDraft && app.Status != store.StatusReturned {
			return ApplicationView{}, &StateError{Detail: fmt.Sprintf("confirm needs a draft or returned application, it is %s", app.Status)}
		}
		item, ok := h.policy.Item(app.Item)
		if !ok {
			return ApplicationView{}, &NotFoundError{What: "item", ID: app.Item}
		}
		names := map[string]int{}
		for i, f := range view.Form.Fields {
			names[f.Name] = i
		}
		for _, d := range req.Declined {
			i, ok := names[d]
			if !ok {
				return ApplicationView{}, &InvalidError{Field: "declined", Detail: fmt.Sprintf("the form has no field %q", d)}
			}
			f := &view.Form.Fields[i]
			f.Value, f.Source, f.Declined, f.Manual = nil, nil, true, true
			f.Note = redact(req.Notes[d], applicantNames(ctx, tx, app, view)...)
			if f.Note == "" {
				f.Note = "申请人拒绝自动填充，需提交材料人工录入 (declined by the applicant; enter from the evidence brought)"
			}
		}
		for name, val := range req.Values {
			i, ok := names[name]
			if !ok {
				return ApplicationView{}, &InvalidError{Field: "values", Detail: fmt.Sprintf("the form has no field %q", name)}
			}
			f := &view.Form.Fields[i]
			if !f.Manual {
				return ApplicationView{}, &InvalidError{Field: "values", Detail: fmt.Sprintf("field %q is filled from a platform; decline it first to enter it by hand", name)}
			}
			val, err := checkText(val, textRule{field: "values." + name, max: maxEnteredValue, required: true})
			if err != nil {
				return ApplicationView{}, err
			}
			f.Value = val
			f.Source = &Source{Platform: "counter", Record: c.Subject, FetchedAt: h.now().UTC()}
		}
		sig := sha256.Sum256([]byte(req.Signature))
		if err := tx.AddConfirmation(ctx, &store.Confirmation{ApplicationID: app.ID, DeclinedFields: req.Declined,
			SignatureDigest: hex.EncodeToString(sig[:])}); err != nil {
			return ApplicationView{}, err
		}
		if err := tx.AppendAudit(ctx, &store.AuditEntry{ActorSub: c.Subject, ActorRole: c.Role, Action: store.AuditConfirmation,
			Subject: h.subjectOf(app.ApplicantID), Item: app.Item, ApplicationID: app.ID,
			Details: mustJSON(map[string]any{"declined": req.Declined, "entered": slices.Sorted(maps.Keys(req.Values))})}); err != nil {
			return ApplicationView{}, err
		}
		app.Form = mustJSON(view.Form)
		expected, was := app.Version, from(app)
		instant := item.Instant && view.Decision.Instant && len(req.Declined) == 0 &&
			view.Decision.Eligible != nil && *view.Decision.Eligible && len(view.Decision.Conflicts) == 0 && !view.Decision.Stale
		if instant {
			app.Status = store.StatusApproved
			app.AwaitingLevel, app.AwaitingDivision = "", ""
			if err := h.issuePermit(ctx, tx, c, sealer, &app, item, view, nil); err != nil {
				return ApplicationView{}, err
			}
		} else {
			app.Status = store.StatusInReview
			app.AwaitingLevel = item.Levels[0]
			app.AwaitingDivision = levelDivision(item.Levels[0], app.Village)
		}
		return saveApplication(ctx, tx, &app, expected, was)
	})
}

// ReviewRequest is one reviewer's action.
type ReviewRequest struct {
	Action  string `json:"action"`
	Comment string `json:"comment"`
}

// Review records a reviewer's action at the level the application awaits. Approve moves it to
// the next level, or at the last level issues the permit; reject ends it; return sends it
// back to the counter for correction.
func (h *Hub) Review(ctx context.Context, c auth.Caller, id string, req ReviewRequest, idemKey string) (_ Outcome[ApplicationView], err error) {
	defer h.auditRefusal(ctx, c, &err)
	return h.review(ctx, c, id, req, idemKey)
}

func (h *Hub) review(ctx context.Context, c auth.Caller, id string, req ReviewRequest, idemKey string) (Outcome[ApplicationView], error) {
	action := store.ReviewAction(req.Action)
	switch action {
	case store.ReviewApprove, store.ReviewReject, store.ReviewReturn:
	default:
		return Outcome[ApplicationView]{}, &InvalidError{Field: "action", Detail: "must be approve, reject or return"}
	}
	comment, err := checkText(req.Comment, textRule{field: "comment", max: maxComment, multiline: true})
	if err != nil {
		return Outcome[ApplicationView]{}, err
	}
	if action != store.ReviewApprove && comment == "" {
		return Outcome[ApplicationView]{}, &InvalidError{Field: "comment", Detail: "a reason is required to reject or return"}
	}
	req.Comment = comment
	key := struct {
		ID string
		ReviewRequest
	}{id, req}
	var sealer PermitSealer
	if action == store.ReviewApprove {
		var err error
		if sealer, err = h.prepareSeal(ctx, id); err != nil {
			return Outcome[ApplicationView]{}, err
		}
	}
	return idempotent(ctx, h, c, idemKey, key, h.mayReadApplication(c), func(tx store.Txn) (ApplicationView, error) {
		app, view, err := h.loadApplication(ctx, tx, c, id, "application.review")
		if err != nil {
			return ApplicationView{}, err
		}
		if app.Status != store.StatusInReview {
			return ApplicationView{}, &StateError{Detail: fmt.Sprintf("the application is %s, not in review", app.Status)}
		}
		item, ok := h.policy.Item(app.Item)
		if !ok {
			return ApplicationView{}, &NotFoundError{What: "item", ID: app.Item}
		}
		rv := &store.Review{ApplicationID: app.ID, Level: app.AwaitingLevel, Division: app.AwaitingDivision,
			Action: action, Comment: redact(req.Comment, applicantNames(ctx, tx, app, view)...), Reviewer: c.Subject}
		if err := tx.AddReview(ctx, rv); err != nil {
			return ApplicationView{}, err
		}
		if err := tx.AppendAudit(ctx, &store.AuditEntry{ActorSub: c.Subject, ActorRole: c.Role, Action: store.AuditReview,
			Subject: h.subjectOf(app.ApplicantID), Item: app.Item, ApplicationID: app.ID,
			Details: mustJSON(map[string]any{"level": rv.Level, "division": rv.Division, "action": action})}); err != nil {
			return ApplicationView{}, err
		}
		expected, was := app.Version, from(app)
		switch action {
		case store.ReviewReject:
			app.Status, app.AwaitingLevel, app.AwaitingDivision = store.StatusRejected, "", ""
		case store.ReviewReturn:
			app.Status, app.AwaitingLevel, app.AwaitingDivision = store.StatusReturned, "", ""
		case store.ReviewApprove:
			i := slices.Index(item.Levels, app.AwaitingLevel)
			if i >= 0 && i+1 < len(item.Levels) {
				app.AwaitingLevel = item.Levels[i+1]
				app.AwaitingDivision = levelDivision(app.AwaitingLevel, app.Village)
				break
			}
			app.Status, app.AwaitingLevel, app.AwaitingDivision = store.StatusApproved, "", ""
			if err := h.issuePermit(ctx, tx, c, sealer, &app, item, view, rv); err != nil {
				return ApplicationView{}, err
			}
		}
		return saveApplication(ctx, tx, &app, expected, was)
	})
}

// sealingOffice is the office that seals an item's permits for a village: the division of
// the item's last review level (for instant approval too: that office delegated it).
func sealingOffice(item Item, village string) string {
	return levelDivision(item.Levels[len(item.Levels)-1], village)
}

// prepareSeal returns the sealer of the office that would seal application id's permit,
// before any transaction starts: creating the office's first key is a write of its own, and
// reading the keys inside the transaction would wait for a second pool connection while
// holding the first (with every connection held that way, the pool deadlocks). It returns nil
// for an unknown application or item, left for the transaction to report.
func (h *Hub) prepareSeal(ctx context.Context, id string) (PermitSealer, error) {
	app, err := h.store.GetApplication(ctx, id)
	if err != nil {
		return nil, nil
	}
	item, ok := h.policy.Item(app.Item)
	if !ok {
		return nil, nil
	}
	s, err := h.sealer.OfficeSealer(ctx, sealingOffice(item, app.Village))
	if err != nil {
		return nil, fmt.Errorf("service: sealing key: %w", err)
	}
	return s, nil
}

// issuePermit seals (with sealer, made by prepareSeal) and stores the permit for app inside tx
// (see sealingOffice). It reads and writes through tx only.
func (h *Hub) issuePermit(ctx context.Context, tx store.Txn, c auth.Caller, sealer PermitSealer, app *store.Application, item Item, view ApplicationView, last *store.Review) error {
	office := sealingOffice(item, app.Village)
	if sealer == nil || sealer.Office() != office {
		// The application was created or changed after prepareSeal read it.
		return ErrConcurrent
	}
	reviews, err := tx.ListReviews(ctx, app.ID)
	if err != nil {
		return err
	}
	var chain []ReviewClaim
	for _, r := range reviews {
		if r.Action == store.ReviewApprove {
			chain = append(chain, ReviewClaim{Level: r.Level, Division: r.Division, Action: string(r.Action), Reviewer: r.Reviewer, At: r.At})
		}
	}
	idx, err := tx.AllocateStatusIndex(ctx)
	if err != nil {
		return err
	}
	now := h.now().UTC().Truncate(time.Second)
	claims := PermitClaims{ID: store.NewID(), Item: item.Code, Office: office, HolderID: app.ApplicantID,
		HolderMasked: ident.MaskIDNumber(app.ApplicantID), IssuedAt: now, Reviews: chain,
		Evidence: evidenceDigests(view.Form), PolicyRevision: view.Decision.Revision,
		DecisionID: view.Decision.DecisionID, StatusIndex: idx}
	if item.ValidityDays > 0 {
		claims.ExpiresAt = now.AddDate(0, 0, item.ValidityDays)
	}
	token, kid, err := sealer.Seal(claims)
	if err != nil {
		return fmt.Errorf("service: seal permit: %w", err)
	}
	p := &store.Permit{ID: claims.ID, ApplicationID: app.ID, Token: token, KID: kid, Item: item.Code, Issuer: office,
		IssuedAt: now, ExpiresAt: claims.ExpiresAt, StatusListIndex: idx}
	if err := tx.InsertPermit(ctx, p); err != nil {
		if errors.Is(err, store.ErrDuplicatePermit) {
			return ErrConcurrent
		}
		return err
	}
	app.PermitID = p.ID
	return tx.AppendAudit(ctx, &store.AuditEntry{ActorSub: c.Subject, ActorRole: c.Role, Action: store.AuditPermit,
		Subject: h.subjectOf(app.ApplicantID), Item: app.Item, ApplicationID: app.ID,
		Details: mustJSON(map[string]any{"permit_id": p.ID, "kid": kid, "office": office, "status_index": idx, "instant": last == nil})})
}

// evidenceDigests digests the provenance of every auto-filled field, so a permit names the
// exact records it rests on without carrying them.
func evidenceDigests(f Form) []EvidenceDigest {
	seen := map[string]bool{}
	var out []EvidenceDigest
	for _, fl := range f.Fields {
		if fl.Source == nil || fl.Source.Platform == "policy" {
			continue
		}
		sum := sha256.Sum256([]byte(fl.Source.Platform + "\x00" + fl.Source.Endpoint + "\x00" + fl.Source.Record + "\x00" +
			fl.Source.FetchedAt.UTC().Format(time.RFC3339Nano)))
		d := "sha256:" + base64.RawURLEncoding.EncodeToString(sum[:])
		if !seen[d] {
			seen[d] = true
			out = append(out, EvidenceDigest{Kind: fl.Source.Endpoint, Platform: fl.Source.Platform, Digest: d})
		}
	}
	slices.SortFunc(out, func(a, b EvidenceDigest) int { return strings.Compare(a.Digest, b.Digest) })
	return out
}

// saveApplication writes app if it is still at version expected (ErrConcurrent otherwise),
// writes the events of its move from was to the outbox, and answers with its view.
func saveApplication(ctx context.Context, tx store.Txn, app *store.Application, expected int64, was transition) (ApplicationView, error) {
	if err := tx.UpdateApplication(ctx, app, expected); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return ApplicationView{}, ErrConcurrent
		}
		return ApplicationView{}, err
	}
	if err := enqueueTransition(ctx, tx, was, app); err != nil {
		return ApplicationView{}, err
	}
	return viewOf(*app)
}
