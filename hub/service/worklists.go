package service

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

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
// Resolved ("", "open" or "resolved") filters alerts by their resolution.
type FindingQuery struct {
	Division string
	Item     string
	After    string
	Limit    int
	Resolved string
}

// FindingView is one worklist candidate or supervision alert of the latest scan, as shown:
// the resident's ID number masked, the village, the item, the policy's reasons, and for
// alerts the rule, the evidence and the platform each fact came from.
// ID names the finding in the follow-up calls (contact log, application, resolution) until
// the next scan replaces it. Contact is a candidate's latest contact-log entry, Resolution an
// alert's resolution (both null when there is none).
type FindingView struct {
	ID       string   `json:"id"`
	IDNumber string   `json:"id_number"`
	Village  string   `json:"village"`
	Item     string   `json:"item"`
	Reasons  []string `json:"reasons"`
	// ReasonTexts are the reasons' texts from the catalogue, in Chinese and English, in the
	// order of Reasons (an unknown code keeps its code as text).
	ReasonTexts []Reason `json:"reason_texts"`
	Rule        string   `json:"rule,omitempty"`
	Evidence    []string `json:"evidence"`
	Sources     []string `json:"sources"`
	ScannedAt   string   `json:"scanned_at"`
	// Contact is the latest entry of a candidate's contact log (candidates only).
	Contact *ContactView `json:"contact,omitempty"`
	// Resolution is an alert's resolution (alerts only; null while open).
	Resolution *ResolutionView `json:"resolution,omitempty"`
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
	resolution := ""
	switch {
	case q.Resolved == "":
	case kind == store.FindingAlert && (q.Resolved == store.ResolutionOpen || q.Resolved == store.ResolutionResolved):
		resolution = q.Resolved
	default:
		return nil, "", &InvalidError{Field: "resolved", Detail: "open or resolved (alerts only)"}
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
	rows, next, err := h.store.ListScanFindings(ctx, store.FindingFilter{Kind: kind, Item: q.Item, DivisionPrefix: prefix, Villages: villages,
		Resolution: resolution}, store.Page{After: q.After, Limit: limit})
	if err != nil {
		return nil, "", err
	}
	out := make([]FindingView, 0, len(rows))
	for _, f := range rows {
		out = append(out, h.findingView(f))
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

// findingView is a finding as shown: the ID number masked, the reasons with their texts.
func (h *Hub) findingView(f store.ScanFinding) FindingView {
	v := FindingView{ID: strconv.FormatInt(f.Seq, 10), IDNumber: ident.MaskIDNumber(f.IDNumber), Village: f.Village, Item: f.Item,
		Reasons: nonNil(f.Reasons), Rule: f.Rule, Evidence: nonNil(f.Evidence), Sources: nonNil(f.Sources), ScannedAt: f.At,
		ReasonTexts: make([]Reason, 0, len(f.Reasons))}
	for _, code := range f.Reasons {
		r, ok := h.policy.ReasonText(code)
		if !ok {
			r = Reason{Code: code, ZH: code, EN: code}
		}
		v.ReasonTexts = append(v.ReasonTexts, r)
	}
	if f.Contact != nil {
		cv := contactView(*f.Contact)
		v.Contact = &cv
	}
	if f.Resolution != nil {
		v.Resolution = &ResolutionView{Note: f.Resolution.Note, By: f.Resolution.ActorSub, Role: f.Resolution.ActorRole, At: f.Resolution.At}
	}
	return v
}

// ContactRequest is POST /v1/worklists/{id}/contacts: what came of contacting a candidate.
type ContactRequest struct {
	Status string `json:"status"` // contacted, unreachable, declined or applied
	Note   string `json:"note"`
}

// ContactView is one entry of a candidate's contact log, as shown: the note redacted, the
// resident's ID number masked.
type ContactView struct {
	Seq      int64     `json:"seq"`
	Item     string    `json:"item"`
	IDNumber string    `json:"id_number"`
	Village  string    `json:"village"`
	Status   string    `json:"status"`
	Note     string    `json:"note"`
	By       string    `json:"by"`
	Role     string    `json:"role"`
	At       time.Time `json:"at"`
}

func contactView(c store.Contact) ContactView {
	return ContactView{Seq: c.Seq, Item: c.Item, IDNumber: ident.MaskIDNumber(c.IDNumber), Village: c.Village, Status: c.Status,
		Note: c.Note, By: c.ActorSub, Role: c.ActorRole, At: c.At}
}

// ResolveRequest is POST /v1/alerts/{id}/resolve: the auditor's note.
type ResolveRequest struct {
	Note string `json:"note"`
}

// ResolutionView is an alert's resolution as shown.
type ResolutionView struct {
	Note string    `json:"note"`
	By   string    `json:"by"`
	Role string    `json:"role"`
	At   time.Time `json:"at"`
}

// WorklistApplyRequest is POST /v1/worklists/{id}/application: the purpose of the
// application made for a candidate (default 主动服务：<item name>).
type WorklistApplyRequest struct {
	Purpose string `json:"purpose"`
}

// Purposes of the follow-up of scan findings, in the residents' data-use records.
const (
	PurposeContact    = "主动服务联系记录" // a contact-log entry or the log read
	PurposeResolution = "监督预警处理"   // an alert resolved
)

// maxFollowUpNote bounds a contact-log or resolution note, in characters.
const maxFollowUpNote = 1000

// finding loads a finding of kind by its view id; a malformed or unknown id (also one a
// rescan replaced) is *NotFoundError.
func (h *Hub) finding(ctx context.Context, r store.Reader, id, kind string) (store.ScanFinding, error) {
	what := map[string]string{store.FindingCandidate: "worklist candidate", store.FindingAlert: "alert"}[kind]
	seq, err := strconv.ParseInt(id, 10, 64)
	if err != nil || seq <= 0 || strings.Trim(id, "0123456789") != "" {
		return store.ScanFinding{}, &NotFoundError{What: what, ID: auditValue(id)}
	}
	f, err := r.GetScanFinding(ctx, seq)
	if errors.Is(err, store.ErrNotFound) || (err == nil && f.Kind != kind) {
		return store.ScanFinding{}, &NotFoundError{What: what, ID: id}
	}
	return f, err
}

// residentNames are the names free text about a resident is redacted with.
func residentNames(ctx context.Context, r store.Reader, idNumber string) []string {
	if res, err := r.GetResident(ctx, idNumber); err == nil && res.Name != "" {
		return []string{res.Name}
	}
	return nil
}

// ContactLog returns the contact log of a worklist candidate, newest first (worklist.read in
// the candidate's village); the view is in the resident's data-use record.
func (h *Hub) ContactLog(ctx context.Context, c auth.Caller, findingID string) (_ []ContactView, err error) {
	defer h.auditRefusal(ctx, c, &err)
	f, err := h.finding(ctx, h.store, findingID, store.FindingCandidate)
	if err != nil {
		return nil, err
	}
	subject := h.subjectOf(f.IDNumber)
	if _, err := h.authorize(ctx, c, "worklist.read", Resource{Village: f.Village, Item: f.Item}, subject); err != nil {
		return nil, err
	}
	log, err := h.store.ListContacts(ctx, f.Item, f.IDNumber)
	if err != nil {
		return nil, err
	}
	if err := h.store.RecordDataUse(ctx, &store.DataUse{IDNumber: f.IDNumber, Sub: c.Subject, Role: c.Role, Org: c.Issuer,
		Item: f.Item, Purpose: PurposeContact}); err != nil {
		return nil, err
	}
	out := make([]ContactView, 0, len(log))
	for _, e := range log {
		out = append(out, contactView(e))
	}
	return out, nil
}

// AddContact appends an entry to a worklist candidate's contact log (worklist.contact: the
// cadres of the candidate's village and the reviewers above it). The note is redacted (ID
// numbers, phone numbers, the resident's name); the entry, the audit entry and the data-use
// record commit together.
func (h *Hub) AddContact(ctx context.Context, c auth.Caller, findingID string, req ContactRequest) (_ ContactView, err error) {
	defer h.auditRefusal(ctx, c, &err)
	if !slices.Contains(store.ContactStatuses, req.Status) {
		return ContactView{}, &InvalidError{Field: "status", Detail: "contacted, unreachable, declined or applied"}
	}
	note, err := checkText(req.Note, textRule{field: "note", max: maxFollowUpNote, multiline: true})
	if err != nil {
		return ContactView{}, err
	}
	f, err := h.finding(ctx, h.store, findingID, store.FindingCandidate)
	if err != nil {
		return ContactView{}, err
	}
	return h.addContact(ctx, c, f, req.Status, note)
}

func (h *Hub) addContact(ctx context.Context, c auth.Caller, f store.ScanFinding, status, note string) (ContactView, error) {
	subject := h.subjectOf(f.IDNumber)
	if _, err := h.authorize(ctx, c, "worklist.contact", Resource{Village: f.Village, Item: f.Item}, subject); err != nil {
		return ContactView{}, err
	}
	var out store.Contact
	err := h.store.Tx(ctx, func(tx store.Txn) error {
		out = store.Contact{Item: f.Item, IDNumber: f.IDNumber, Village: f.Village, Status: status,
			Note: redact(note, residentNames(ctx, tx, f.IDNumber)...), ActorSub: c.Subject, ActorRole: c.Role}
		if err := tx.AddContact(ctx, &out); err != nil {
			return err
		}
		if err := tx.AppendAudit(ctx, &store.AuditEntry{ActorSub: c.Subject, ActorRole: c.Role, Action: store.AuditContact,
			Subject: subject, Item: f.Item, Purpose: PurposeContact,
			Details: mustJSON(map[string]any{"finding": f.Seq, "village": f.Village, "status": status, "note": out.Note, "contact_seq": out.Seq})}); err != nil {
			return err
		}
		return tx.RecordDataUse(ctx, &store.DataUse{IDNumber: f.IDNumber, Sub: c.Subject, Role: c.Role, Org: c.Issuer,
			Item: f.Item, Purpose: PurposeContact})
	})
	if err != nil {
		return ContactView{}, err
	}
	return contactView(out), nil
}

// ResolveAlert resolves a supervision alert with a note (alert.resolve: auditors and admins).
// The note is redacted; the resolution, the audit entry and the data-use record commit
// together. An alert already resolved is *StateError.
func (h *Hub) ResolveAlert(ctx context.Context, c auth.Caller, findingID string, req ResolveRequest) (_ FindingView, err error) {
	defer h.auditRefusal(ctx, c, &err)
	note, err := checkText(req.Note, textRule{field: "note", max: maxFollowUpNote, required: true, multiline: true})
	if err != nil {
		if inv, ok := err.(*InvalidError); ok && inv.Detail == "required" {
			inv.Detail = "a note is required: say what was checked and done"
		}
		return FindingView{}, err
	}
	f, err := h.finding(ctx, h.store, findingID, store.FindingAlert)
	if err != nil {
		return FindingView{}, err
	}
	subject := h.subjectOf(f.IDNumber)
	if _, err := h.authorize(ctx, c, "alert.resolve", Resource{Village: f.Village, Item: f.Item}, subject); err != nil {
		return FindingView{}, err
	}
	err = h.store.Tx(ctx, func(tx store.Txn) error {
		r := store.AlertResolution{Item: f.Item, IDNumber: f.IDNumber, Village: f.Village,
			Note: redact(note, residentNames(ctx, tx, f.IDNumber)...), ActorSub: c.Subject, ActorRole: c.Role}
		if err := tx.ResolveAlert(ctx, &r); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return &StateError{Detail: "the alert is already resolved"}
			}
			return err
		}
		if err := tx.AppendAudit(ctx, &store.AuditEntry{ActorSub: c.Subject, ActorRole: c.Role, Action: store.AuditAlertResolution,
			Subject: subject, Item: f.Item, Purpose: PurposeResolution,
			Details: mustJSON(map[string]any{"finding": f.Seq, "village": f.Village, "rule": f.Rule, "note": r.Note})}); err != nil {
			return err
		}
		if err := tx.RecordDataUse(ctx, &store.DataUse{IDNumber: f.IDNumber, Sub: c.Subject, Role: c.Role, Org: c.Issuer,
			Item: f.Item, Purpose: PurposeResolution}); err != nil {
			return err
		}
		f, err = tx.GetScanFinding(ctx, f.Seq)
		return err
	})
	if err != nil {
		return FindingView{}, err
	}
	return h.findingView(f), nil
}

// ApplyFromWorklist makes the application for a worklist candidate: CreateApplication for the
// candidate's item and ID number, which gathers live evidence and decides again (the scan's
// finding is only why the cadre called). The cadre needs worklist.read on the candidate and
// application.create for the resident; the candidate's contact log gets an "applied" entry
// naming the application (not on an Idempotency-Key replay). ID numbers in the answer's form
// are masked.
func (h *Hub) ApplyFromWorklist(ctx context.Context, c auth.Caller, findingID string, req WorklistApplyRequest, idemKey string) (_ Outcome[ApplicationView], err error) {
	defer h.auditRefusal(ctx, c, &err)
	f, err := h.finding(ctx, h.store, findingID, store.FindingCandidate)
	if err != nil {
		return Outcome[ApplicationView]{}, err
	}
	if _, err := h.authorize(ctx, c, "worklist.read", Resource{Village: f.Village, Item: f.Item}, h.subjectOf(f.IDNumber)); err != nil {
		return Outcome[ApplicationView]{}, err
	}
	purpose := req.Purpose
	if strings.TrimSpace(purpose) == "" {
		purpose = PurposeWorklist
		if it, ok := h.policy.Item(f.Item); ok {
			purpose = "主动服务：" + it.NameZH
		}
	}
	var cr CreateRequest
	cr.Item, cr.Applicant.IDNumber, cr.Purpose = f.Item, f.IDNumber, purpose
	res, err := h.CreateApplication(ctx, c, cr, idemKey)
	if err != nil {
		return res, err
	}
	res.View = maskedForm(res.View)
	if res.Replayed {
		return res, nil
	}
	if _, err := h.addContact(ctx, c, f, store.ContactApplied, "申请编号 "+res.View.ID); err != nil {
		return res, err
	}
	return res, nil
}

// maskedForm returns v with every ID number in its form masked (values and source records):
// the cadre calling from the worklist never typed the resident's ID number, so the page
// answering shows it masked; the stored application is unchanged.
func maskedForm(v ApplicationView) ApplicationView {
	fields := make([]Field, len(v.Form.Fields))
	for i, f := range v.Form.Fields {
		if s, ok := f.Value.(string); ok {
			if _, err := ident.ParseIDNumber(s); err == nil {
				f.Value = ident.MaskIDNumber(s)
			}
		}
		if f.Source != nil {
			if _, err := ident.ParseIDNumber(f.Source.Record); err == nil {
				src := *f.Source
				src.Record = ident.MaskIDNumber(src.Record)
				f.Source = &src
			}
		}
		fields[i] = f
	}
	v.Form.Fields = fields
	return v
}
