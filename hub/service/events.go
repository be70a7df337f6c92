package service

import (
	"context"
	"time"

	"sanmian/hub/ident"
	"sanmian/hub/store"
)

// Event types written to the outbox (store.Writer.EnqueueEvent) and delivered as webhooks.
const (
	EventApplicationCreated      = "application.created"       // a draft was created
	EventApplicationConfirmed    = "application.confirmed"     // the applicant confirmed; in review or approved at once
	EventApplicationLevelChanged = "application.level_changed" // approved at one review level, awaiting the next
	EventApplicationApproved     = "application.approved"
	EventApplicationRejected     = "application.rejected"
	EventApplicationReturned     = "application.returned" // sent back to the counter for correction
	EventPermitIssued            = "permit.issued"
	EventPermitRevoked           = "permit.revoked"
)

// EventTypes lists every event type.
var EventTypes = []string{EventApplicationCreated, EventApplicationConfirmed, EventApplicationLevelChanged,
	EventApplicationApproved, EventApplicationRejected, EventApplicationReturned, EventPermitIssued, EventPermitRevoked}

// EventPayload is the body of an event as delivered: no personal data beyond the masked ID
// number of the applicant (no names, no form values, no free text).
type EventPayload struct {
	ID         string    `json:"id"` // also the webhook-id header
	Type       string    `json:"type"`
	OccurredAt time.Time `json:"occurred_at"`
	Data       EventData `json:"data"`
}

// EventData describes the application (and permit) an event is about, as it stands after the
// change.
type EventData struct {
	ApplicationID     string     `json:"application_id"`
	Item              string     `json:"item"`
	Status            string     `json:"status"` // the application's status
	Village           string     `json:"village"`
	AwaitingLevel     string     `json:"awaiting_level,omitempty"`
	AwaitingDivision  string     `json:"awaiting_division,omitempty"`
	ApplicantIDMasked string     `json:"applicant_id_masked"`
	PermitID          string     `json:"permit_id,omitempty"`
	PermitStatus      string     `json:"permit_status,omitempty"`
	Issuer            string     `json:"issuer,omitempty"` // the sealing office's division
	ExpiresAt         *time.Time `json:"expires_at,omitempty"`
}

// transition is where an application stood before a change.
type transition struct {
	status store.ApplicationStatus
	level  string
}

func from(a store.Application) transition { return transition{a.Status, a.AwaitingLevel} }

// enqueueEvent writes one event about app (and permit p, if not nil) to the outbox inside tx.
func enqueueEvent(ctx context.Context, tx store.Txn, typ string, app *store.Application, p *store.Permit, at time.Time) error {
	e := &store.Event{ID: store.NewID(), Type: typ, Item: app.Item, ApplicationID: app.ID, OccurredAt: store.NormTime(at)}
	d := EventData{ApplicationID: app.ID, Item: app.Item, Status: string(app.Status), Village: app.Village,
		AwaitingLevel: app.AwaitingLevel, AwaitingDivision: app.AwaitingDivision,
		ApplicantIDMasked: ident.MaskIDNumber(app.ApplicantID), PermitID: app.PermitID}
	if p != nil {
		d.PermitID, d.PermitStatus, d.Issuer = p.ID, string(p.Status), p.Issuer
		if !p.ExpiresAt.IsZero() {
			exp := p.ExpiresAt.UTC()
			d.ExpiresAt = &exp
		}
	}
	e.Payload = mustJSON(EventPayload{ID: e.ID, Type: typ, OccurredAt: e.OccurredAt, Data: d})
	return tx.EnqueueEvent(ctx, e)
}

// enqueueTransition writes the events of app's move from was to its current state (saved in
// tx): confirmed, a review level passed, approved (with the permit issued), rejected,
// returned.
func enqueueTransition(ctx context.Context, tx store.Txn, was transition, app *store.Application) error {
	var types []string
	if was.status == store.StatusDraft || was.status == store.StatusReturned {
		types = append(types, EventApplicationConfirmed)
	}
	switch app.Status {
	case store.StatusInReview:
		if was.status == store.StatusInReview && was.level != app.AwaitingLevel {
			types = append(types, EventApplicationLevelChanged)
		}
	case store.StatusApproved:
		types = append(types, EventApplicationApproved)
	case store.StatusRejected:
		types = append(types, EventApplicationRejected)
	case store.StatusReturned:
		types = append(types, EventApplicationReturned)
	}
	for _, t := range types {
		if err := enqueueEvent(ctx, tx, t, app, nil, app.UpdatedAt); err != nil {
			return err
		}
	}
	if app.Status == store.StatusApproved && app.PermitID != "" && was.status != store.StatusApproved {
		p, err := tx.GetPermit(ctx, app.PermitID)
		if err != nil {
			return err
		}
		return enqueueEvent(ctx, tx, EventPermitIssued, app, &p, p.IssuedAt)
	}
	return nil
}
