package schema

import "sanmian/hub/auth"

// The hub's HTTP layer converts its authenticated caller with schema.Caller(c) (see
// WithCallerFunc); this fails to compile if the two field sets drift apart.
var _ = Caller(auth.Caller{})
