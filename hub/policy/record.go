package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/open-policy-agent/opa/v1/version"
)

// Record is a decision record in the shape of an OPA decision-log event (EventV1): the same
// field names for labels, decision_id, bundles, path, input, result, requested_by and
// timestamp, plus input_digest. Input is the minimised input exactly as evaluated (canonical
// JSON); Result the policy result (canonical JSON, object keys sorted). Labels is shared
// between records and must not be modified.
//
// Input holds personal data as evaluated, including full ID numbers where the item declares
// them: it is what makes replay exact. Stores must protect it, and listings shown to auditors
// must mask it; Replay needs the stored original.
type Record struct {
	Labels      map[string]string         `json:"labels,omitempty"`
	DecisionID  string                    `json:"decision_id"`
	Bundles     map[string]BundleRevision `json:"bundles"`
	Path        string                    `json:"path"`
	Input       json.RawMessage           `json:"input"`
	InputDigest string                    `json:"input_digest"` // "sha256:<hex>" of Input
	Result      json.RawMessage           `json:"result"`
	RequestedBy string                    `json:"requested_by,omitempty"`
	Timestamp   time.Time                 `json:"timestamp"` // decision time, also the evaluation clock
}

// BundleRevision is the revision of one bundle in a record.
type BundleRevision struct {
	Revision string `json:"revision"`
}

var recordLabels = map[string]string{"app": "sanmian-hub", "opa_version": version.Version}

// Revision is the bundle revision the record was decided under.
func (r *Record) Revision() string { return r.Bundles[BundleName].Revision }

// Replayed is the outcome of replaying a record.
type Replayed struct {
	// Result is the replayed result as canonical JSON.
	Result json.RawMessage
	// Revision is the bundle revision the record was replayed under; SameRevision says whether
	// it is the recorded one.
	Revision     string
	SameRevision bool
	// Identical says whether Result equals the recorded result byte for byte.
	Identical bool
}

// Replay re-evaluates rec with the bundle now in use, on the recorded input and clock, with
// OPA's topdown evaluator: decisions are made on irvm, so a replay is also an independent
// check of the evaluator that made the decision. With the same revision the result is
// byte-for-byte rec.Result (Identical); with a different revision it may differ, and
// SameRevision says so. A record whose input does not match its digest is refused with
// ErrDigestMismatch.
func (e *Engine) Replay(ctx context.Context, rec *Record) (Replayed, error) {
	if rec == nil {
		return Replayed{}, fmt.Errorf("%w: nil record", ErrUnknownPath)
	}
	if digest(rec.Input) != rec.InputDigest {
		return Replayed{}, ErrDigestMismatch
	}
	st := e.state.Load()
	res, err := evalRaw(ctx, st, rec.Path, rec.Input, rec.Timestamp)
	if err != nil {
		return Replayed{}, err
	}
	return Replayed{Result: res, Revision: st.revision, SameRevision: rec.Revision() == st.revision, Identical: rec.Identical(res)}, nil
}

// Identical reports whether a replayed result equals the recorded one.
func (r *Record) Identical(result json.RawMessage) bool { return bytes.Equal(r.Result, result) }
