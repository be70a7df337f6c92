package service

import (
	"errors"
	"fmt"

	"sanmian/hub/evidence"
	"sanmian/hub/store"
)

var (
	// ErrNotFound is returned when the application, permit, item or decision does not exist
	// (or the caller may not know that it exists).
	ErrNotFound = errors.New("service: not found")

	// ErrState is returned when the action does not fit the application's status (confirming
	// an approved application, reviewing a draft, reviewing at the wrong level).
	ErrState = errors.New("service: action not allowed in the current state")

	// ErrConcurrent is returned when another request changed the application at the same time
	// (optimistic concurrency); retrying reads the new state.
	ErrConcurrent = errors.New("service: application changed concurrently")

	// ErrAlreadyHeld is returned (as a *HeldError) by CreateApplication when the item is not
	// repeatable and the applicant already has an open application for it (draft, confirmed,
	// in review, returned) or holds an active permit for it.
	ErrAlreadyHeld = errors.New("service: the resident already applies for or holds this item")

	// ErrIdempotencyMismatch is returned when an Idempotency-Key is reused for a different
	// request.
	ErrIdempotencyMismatch = errors.New("service: idempotency key reused with a different request")

	// ErrResidentNotFound is returned when a valid ID number is not on the district's resident
	// roll (and no other platform knows the person). It wraps ErrNotFound, so callers that
	// only distinguish "not found" still see it as such.
	ErrResidentNotFound = fmt.Errorf("resident not on the district roll: %w", ErrNotFound)

	// ErrEvidenceUnavailable is returned when no evidence could be obtained for the applicant
	// (every platform failed and no cached value may be used).
	ErrEvidenceUnavailable = errors.New("service: evidence unavailable")

	// ErrRecordAltered is returned by Policy.Replay when a stored decision's input no longer
	// matches its digest: the record was changed after the decision.
	ErrRecordAltered = errors.New("service: decision record altered")
)

// DeniedError is returned when the access policy refuses the caller. The refusal has been
// audited when it is returned.
type DeniedError struct {
	Action string
	Reason Reason

	resource Resource
	subject  string
	audited  bool // the refusal entry is written (auditDenied)
}

func (e *DeniedError) Error() string {
	return fmt.Sprintf("service: %s denied: %s", e.Action, e.Reason.EN)
}

// InvalidError is returned for a request that is malformed; Field names the offending input.
type InvalidError struct {
	Field  string
	Detail string
}

func (e *InvalidError) Error() string {
	return fmt.Sprintf("service: invalid %s: %s", e.Field, e.Detail)
}

// HeldError is ErrAlreadyHeld with the application (and permit) that holds the item.
type HeldError struct {
	Item          string
	ApplicationID string
	Status        string // the holding application's status
	PermitID      string // its active permit, when approved
	// Subject is the item's benefit subject (SubjectApplicant, SubjectHousehold,
	// SubjectDeceased): whom the holder holds the item for; "" reads as the applicant.
	Subject string
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("service: item %s already held by application %s (%s)", e.Item, e.ApplicationID, e.Status)
}

// Unwrap returns ErrAlreadyHeld.
func (e *HeldError) Unwrap() error { return ErrAlreadyHeld }

// Reason says why the application is refused and what to do instead, in Chinese and English.
// It names the holder by application and permit number, never by person.
func (e *HeldError) Reason() Reason {
	switch e.Subject {
	case SubjectHousehold:
		if e.PermitID != "" {
			return Reason{Code: "already_holds_permit",
				ZH: fmt.Sprintf("本户已持有本事项的有效许可 %s（申请 %s，按户享受一次），户内其他成员不能重复申请。", e.PermitID, e.ApplicationID),
				EN: fmt.Sprintf("The household already holds active permit %s for this item (application %s); it is granted once per household, so no other member can apply.", e.PermitID, e.ApplicationID)}
		}
		return Reason{Code: "already_applied",
			ZH: fmt.Sprintf("本户已有本事项的在办申请 %s（状态 %s，按户享受一次），请继续办理该申请。", e.ApplicationID, e.Status),
			EN: fmt.Sprintf("The household already has an open application %s for this item (status %s); it is granted once per household, continue that application instead.", e.ApplicationID, e.Status)}
	case SubjectDeceased:
		if e.PermitID != "" {
			return Reason{Code: "already_holds_permit",
				ZH: fmt.Sprintf("该逝者的本事项已核发有效许可 %s（申请 %s，每位逝者补贴一次），不能重复申领。", e.PermitID, e.ApplicationID),
				EN: fmt.Sprintf("Active permit %s was already issued for this death (application %s); the benefit is granted once per deceased and cannot be claimed again.", e.PermitID, e.ApplicationID)}
		}
		return Reason{Code: "already_applied",
			ZH: fmt.Sprintf("该逝者的本事项已有在办申请 %s（状态 %s，每位逝者补贴一次），请继续办理该申请。", e.ApplicationID, e.Status),
			EN: fmt.Sprintf("This death already has an open claim %s for this item (status %s); the benefit is granted once per deceased, continue that application instead.", e.ApplicationID, e.Status)}
	}
	if e.PermitID != "" {
		return Reason{Code: "already_holds_permit",
			ZH: fmt.Sprintf("该居民已持有本事项的有效许可 %s（申请 %s），不能重复申请。", e.PermitID, e.ApplicationID),
			EN: fmt.Sprintf("The resident already holds active permit %s for this item (application %s); it cannot be applied for again.", e.PermitID, e.ApplicationID)}
	}
	return Reason{Code: "already_applied",
		ZH: fmt.Sprintf("该居民已有本事项的在办申请 %s（状态 %s），请继续办理该申请。", e.ApplicationID, e.Status),
		EN: fmt.Sprintf("The resident already has an open application %s for this item (status %s); continue that application instead.", e.ApplicationID, e.Status)}
}

// heldError converts the store's refusal.
func heldError(h *store.HeldError, subject string) *HeldError {
	return &HeldError{Item: h.Item, ApplicationID: h.ApplicationID, Status: string(h.Status), PermitID: h.PermitID, Subject: subject}
}

// NotFoundError is ErrNotFound naming what was not found: What is the kind of thing
// ("application", "permit", "item", ...), ID the identifier asked for ("" when the request
// named none). Both may be shown to the caller who asked.
type NotFoundError struct {
	What string
	ID   string
}

func (e *NotFoundError) Error() string {
	if e.ID == "" {
		return fmt.Sprintf("%s: %v", e.What, ErrNotFound)
	}
	return fmt.Sprintf("%s %q: %v", e.What, e.ID, ErrNotFound)
}

// Unwrap returns ErrNotFound.
func (e *NotFoundError) Unwrap() error { return ErrNotFound }

// StateError is ErrState saying why the action does not fit: Detail is written for the
// caller ("the application is approved, not in review").
type StateError struct {
	Detail string
}

func (e *StateError) Error() string { return fmt.Sprintf("%v: %s", ErrState, e.Detail) }

// Unwrap returns ErrState.
func (e *StateError) Unwrap() error { return ErrState }

// EvidenceError is ErrEvidenceUnavailable with the platform that failed: Platform is
// "province", "city" or "district", or "" when the failure names none. Err is the cause,
// for logs only: its text may carry internal detail.
type EvidenceError struct {
	Platform string
	Err      error
}

func (e *EvidenceError) Error() string { return fmt.Sprintf("%v: %v", ErrEvidenceUnavailable, e.Err) }

// Unwrap returns ErrEvidenceUnavailable and the cause.
func (e *EvidenceError) Unwrap() []error { return []error{ErrEvidenceUnavailable, e.Err} }

// evidenceUnavailable wraps an evidence failure as an *EvidenceError naming the platform of
// the first source failure (*evidence.SourceError) in its chain.
func evidenceUnavailable(err error) *EvidenceError {
	e := &EvidenceError{Err: err}
	var se *evidence.SourceError
	if errors.As(err, &se) {
		e.Platform = se.Platform
	}
	return e
}
