// Package connectors holds what the hub's platform clients share: the typed errors every
// connector returns (errors.go) and the name of each upstream platform. The clients
// themselves live in one package per platform (connectors/province, connectors/city,
// connectors/district); retries, rate limiting, the circuit breaker and metrics are in
// connectors/resilience; the evidence cache is in connectors/cache.
//
// A connector speaks one vendor's wire format and maps it into the hub's evidence model
// (sanmian/hub/evidence) with provenance on every field, implementing that package's source
// interfaces; its errors map onto the model's failure kinds (evidence.ErrNotFound,
// *evidence.SourceError), so nothing above the assembler (hub/evidence/assembly) needs to know
// a connector. Connectors import the model, never the hub's store or service, and never the
// simulated platforms (connectors/sim): they are written against the documented wire formats
// only, so a simulator cannot make a connector pass by sharing its types.
package connectors
