package service

import (
	"encoding/json"
	"time"
)

// ApplicationView is an application as the API returns it (DESIGN.md section 3). The
// applicant's ID number is always masked.
type ApplicationView struct {
	ID        string       `json:"id"`
	Item      string       `json:"item"`
	Applicant Applicant    `json:"applicant"`
	Village   string       `json:"village"`
	Status    string       `json:"status"`
	Form      Form         `json:"form"`
	Decision  DecisionView `json:"decision"`
	Awaiting  *Awaiting    `json:"awaiting,omitempty"`
	PermitID  string       `json:"permit_id,omitempty"`
	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
	Version   int64        `json:"version"`
}

// Applicant identifies the applicant without exposing the ID number.
type Applicant struct {
	IDNumber string `json:"id_number"` // masked: 370114********123X
	Name     string `json:"name,omitempty"`
}

// Form is the pre-filled application form.
type Form struct {
	Fields []Field `json:"fields"`
}

// Field is one form field with its value and where the value came from. A field the item
// does not allow to be auto-filled, or that the applicant declined, has no value and Manual
// set: the counter enters it from evidence the applicant brings (Note says which).
type Field struct {
	Name     string  `json:"name"`
	Label    string  `json:"label"`
	Value    any     `json:"value"`
	Source   *Source `json:"source,omitempty"`
	Manual   bool    `json:"manual,omitempty"`
	Declined bool    `json:"declined,omitempty"`
	Note     string  `json:"note,omitempty"`
}

// Source is a field's provenance.
type Source struct {
	Platform  string    `json:"platform"` // province, city, district; policy (derived); counter (entered by hand)
	Endpoint  string    `json:"endpoint,omitempty"`
	Record    string    `json:"record"`
	FetchedAt time.Time `json:"fetched_at"`
	Stale     bool      `json:"stale"`
}

// DecisionView is the decision as callers see it.
type DecisionView struct {
	Eligible   *bool          `json:"eligible"`
	Reasons    []Reason       `json:"reasons"`
	Missing    []string       `json:"missing"`
	Autofill   []string       `json:"autofill"`
	Instant    bool           `json:"instant"`
	DecisionID string         `json:"decision_id"`
	Revision   string         `json:"revision"`
	Conflicts  []ConflictView `json:"conflicts,omitempty"`
	Stale      bool           `json:"stale,omitempty"`
}

// ConflictView names a field on which platforms disagree.
type ConflictView struct {
	Field     string   `json:"field"`
	Authority string   `json:"authority"`
	Platforms []string `json:"platforms"`
}

// Awaiting names the review step an application waits for.
type Awaiting struct {
	Level    string `json:"level"`
	Division string `json:"division"`
}

// PermitView is a permit as the API returns it.
type PermitView struct {
	ID            string     `json:"id"`
	Token         string     `json:"token"`
	Status        string     `json:"status"`
	Item          string     `json:"item"`
	IssuedAt      time.Time  `json:"issued_at"`
	ExpiresAt     *time.Time `json:"expires_at,omitempty"`
	Issuer        string     `json:"issuer"`
	KID           string     `json:"kid"`
	ApplicationID string     `json:"application_id"`
	RevokedAt     *time.Time `json:"revoked_at,omitempty"`
	Reason        string     `json:"revocation_reason,omitempty"`
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain data types are marshalled here
	}
	return b
}
