package policy

import "errors"

var (
	// ErrUnknownItem is returned by Decide when the item code is not in the loaded catalogue.
	ErrUnknownItem = errors.New("policy: unknown item")
	// ErrNoEvidence is returned by Decide and Scan when the evidence bundle is nil.
	ErrNoEvidence = errors.New("policy: no evidence")
	// ErrNoClock is returned when a decision is requested with a zero decision time: every
	// decision must be pinned to an explicit clock so that it can be replayed.
	ErrNoClock = errors.New("policy: zero decision time")
	// ErrBundle is returned when the policy bundle cannot be read, verified or compiled, or
	// lacks the catalogue; the engine keeps serving the previous revision.
	ErrBundle = errors.New("policy: invalid bundle")
	// ErrBundleRefused is returned by Reload (and New) when a bundle that compiles fails the
	// checks it must pass before going live on irvm: its own Rego tests, or the differential
	// corpus, on which irvm and topdown must decide alike. The engine keeps serving the
	// previous revision.
	ErrBundleRefused = errors.New("policy: bundle refused")
	// ErrFetch is returned when the bundle service cannot be reached or answers with a status
	// other than 200 or 304.
	ErrFetch = errors.New("policy: bundle fetch failed")
	// ErrUndefined is returned when a policy query yields no result (a bundle that lacks the
	// decision rule); access is then denied.
	ErrUndefined = errors.New("policy: undefined result")
	// ErrEvaluation wraps an error raised by OPA while evaluating a query.
	ErrEvaluation = errors.New("policy: evaluation failed")
	// ErrDigestMismatch is returned by Replay when a record's input does not match its input
	// digest (the record was altered).
	ErrDigestMismatch = errors.New("policy: input digest mismatch")
	// ErrUnknownPath is returned by Replay for a record whose path is not a query this engine
	// evaluates.
	ErrUnknownPath = errors.New("policy: unknown decision path")
	// ErrConfig is returned by New and Config.Validate for contradictory or incomplete options.
	ErrConfig = errors.New("policy: invalid configuration")
)

// ErrCompile is returned by CompileSQL when a rule cannot be compiled to a SQL filter.
var ErrCompile = errors.New("policy: rule does not compile to SQL")
