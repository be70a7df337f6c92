// Package policy evaluates the Sanmian policy bundle (package sanmian/policies) in-process with
// the OPA Go SDK: eligibility decisions per item, the proactive scan per resident, and access
// decisions per caller and action.
//
// The bundle is loaded from the embedded copy by default, from a directory, or from an OPA
// bundle service (OPA's bundle protocol: GET a gzipped tarball, ETag and If-None-Match, polled;
// signatures verified when configured). Queries are prepared once per bundle revision and
// reused; a reload builds the new revision completely and swaps it in atomically, so in-flight
// evaluations finish on the revision they started with and none is dropped.
//
// Every decision is pinned to a clock given by the caller (input.now and rego.EvalTime), is
// stamped with the bundle revision, and comes with a Record shaped like an OPA decision-log
// event (decision_id, bundles.{name}.revision, path, minimised input and its digest, result,
// timestamp, requested_by). Replay re-evaluates a Record and gives the identical result when
// the revision is the same. The minimised input keeps only the evidence the item declares in
// the catalogue (data minimisation), and the decision is evaluated on exactly that input, so
// the record is sufficient to reproduce it.
//
// Queries run on package irvm: OPA plans each query (the intermediate representation OPA
// compiles to WebAssembly, obtained through rego.Target) and irvm runs that plan on OPA's AST
// values with OPA's built-in functions, four times faster than OPA's tree-walking evaluator
// (topdown). Topdown remains the reference: WithTopdown (hub.yaml policy.evaluator: topdown)
// uses it for everything, a query irvm cannot run falls back to it with a warning, Replay
// always uses it (so every replay also checks the evaluator that made the decision), and the
// differential tests require both to give byte-identical results. The Rego tests run on both.
//
// An Engine is safe for concurrent use.
package policy
