// Package conformance holds the conformance suite every platform connector must pass, run
// against the real simulated platforms of connectors/sim (started inside the tests): auth
// (including refused credentials), strict decoding, every fault kind (5xx, 429 with
// Retry-After, timeout, truncated and malformed bodies, outage), breaker opening and
// closing, cache and stale behaviour, and batching counts proven with the simulators' own
// request counters. The suite lives in the package's tests; this file only documents it.
package conformance
