package store

import "context"

// CompiledSQLKept is how many compiled queries the store keeps: saving more removes the
// oldest beyond it. A scan of every item compiles 90 queries per bundle, dialect and scan
// date, so this is some thirty scan dates' worth.
const CompiledSQLKept = 3000

// CompiledSQLCache keeps the SQL the policy engine compiled from the items' rules by partial
// evaluation, so that a scan in another process (each `hub scan` is one) reads it instead of
// compiling it again. The keys are the engine's: each names the bundle's content, OPA's
// version, the query, the dialect and the scan date, so an entry never outlives what it was
// compiled from; the store keeps them opaque.
type CompiledSQLCache interface {
	// CompiledSQL returns the kept SQL of those of keys the store has, by key.
	CompiledSQL(ctx context.Context, keys []string) (map[string]string, error)
	// SaveCompiledSQL keeps sql (key → SQL), replacing an entry with the same key, and
	// removes the oldest entries beyond CompiledSQLKept. An empty key or SQL is ErrInvalid.
	SaveCompiledSQL(ctx context.Context, sql map[string]string) error
}
