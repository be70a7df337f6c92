// Package irvm evaluates Rego queries by interpreting the intermediate representation (IR)
// that OPA's own planner produces for them: the plan OPA compiles to WebAssembly, run here
// directly on OPA's AST values, with OPA's built-in function implementations.
//
// Why: OPA's tree-walking evaluator (topdown) spends most of a small decision on unification
// and bookkeeping; the planned form of the same query is a flat list of statements over
// numbered locals, several times cheaper to run. The plan comes from OPA through its
// documented extension point for evaluation engines (rego.Target and rego.RegisterPlugin), so
// parsing, compilation, rule indexing decisions and the planning itself stay OPA's.
//
// Semantics follow OPA's WebAssembly compiler (internal/compiler/wasm), which is the
// reference for what each IR statement means: a statement that is undefined leaves the
// innermost block; BreakStmt leaves Index+1 blocks; a scan's body may continue (break 0) or
// leave the scan (break 1); functions of exactly two parameters (input and data) are
// memoised per evaluation and per `with` frame. Where the wasm runtime departs from topdown,
// irvm follows topdown, the reference: a relation (walk) yields each of its outputs (a call
// without its output, which topdown repeats per output and the plan tests once, is
// refused), print is true, and where a rule and the base document define the same path the
// base document's value stays (wasm: undefined). Results are checked against topdown by this package's
// differential tests and policy fuzzer, and by those of package hub/policy.
//
// Target registers irvm as a rego evaluation target, so that OPA's tester can run a
// bundle's Rego tests on it (hub/policy does before a revision goes live).
//
// A Program is immutable and safe for concurrent use; each evaluation takes a machine (its
// locals, memo and argument stacks) from a pool. What irvm cannot run exactly as topdown
// would, Compile refuses with ErrUnsupported; a failure of irvm itself during an evaluation is
// ErrInternal, never a crash. Evaluation stops within a bounded number of loop iterations
// and calls once its context is done, and built-in functions see the cancellation through
// BuiltinContext.Cancel.
package irvm
