package irvm

import (
	"errors"
	"fmt"
)

// ErrUnsupported is returned by Compile when the query cannot be run exactly as topdown
// would: a rule OPA could not plan, a statement or built-in function irvm does not know, a
// non-deterministic built-in, iteration over a document holding both rules and base data, or
// a relation (walk) called without its output.
// Callers evaluate such a query with topdown.
var ErrUnsupported = errors.New("irvm: query not supported")

// ErrInternal is returned by Program.Eval when irvm itself failed (a panic, recovered) rather
// than the policy; the query can be evaluated with topdown instead.
var ErrInternal = errors.New("irvm: internal error")

// EvalError is returned by Program.Eval for a conflict the policy produced at run time (a
// complete rule or object key with two different values), where topdown reports its
// eval_conflict_error. Row and Text locate the statement in the policy source.
type EvalError struct {
	Message string
	Row     int
	Text    string
}

func (e *EvalError) Error() string {
	return fmt.Sprintf("eval_conflict_error: %s (line %d: %s)", e.Message, e.Row, e.Text)
}
