// Package resilience is the HTTP machinery shared by the hub's platform connectors: one
// Client per upstream platform, built on github.com/hashicorp/go-retryablehttp, with
//
//   - an idempotency-aware retry policy: GET/HEAD/PUT/DELETE/OPTIONS and requests the caller
//     marks Idempotent (read-only query POSTs, token requests) are retried on connection
//     errors, timeouts, 5xx (not 501), 429 and truncated or malformed bodies; any other
//     request is retried only when it certainly did not reach the platform (a failed dial)
//     or the platform refused it unprocessed (429);
//   - jittered exponential backoff that honours Retry-After on 429/503 but caps it
//     (Config.RetryAfterMax), a retry budget (Config.RetryMax), a per-attempt timeout
//     (Config.AttemptTimeout) inside the caller's overall deadline (the context);
//   - a client-side rate limit (golang.org/x/time/rate) applied to every attempt, retries
//     included;
//   - a circuit breaker per platform (github.com/sony/gobreaker/v2) around the whole retried
//     call: it opens after consecutive failed calls and then fails immediately with an error
//     of kind connectors.ErrCircuitOpen naming the platform, lets one probe through after
//     Config.BreakerOpen, and closes again when the probe succeeds;
//   - optional hedged requests for idempotent calls (Config.HedgeBudget, "The Tail at
//     Scale"): an attempt slower than the endpoint's recent p90 gets one duplicate, signed
//     afresh by the middleware, the first good answer wins and the other is canceled; a token
//     bucket caps the extra load (hedge.go);
//   - Prometheus metrics per platform (Metrics);
//   - OpenTelemetry tracing when the caller's context carries a recording span: one span per
//     call ("<platform> <endpoint>", with outcome and attempts) and one CLIENT child span per
//     HTTP attempt, retries and hedges marked (sanmian.retry, sanmian.hedge), each attempt
//     sending its span as the W3C traceparent; without a recording span a caller's trace
//     context is passed on unchanged and nothing is recorded (trace.go). Spans carry platform,
//     endpoint, method, host and status, never a URL, query or body;
//   - no request logging by default, and never a URL in a log line (URLs can carry ID
//     numbers): an optional *slog.Logger receives platform, endpoint, attempt and status.
//
// Two pitfalls of go-retryablehttp v0.7.8 are handled here so connectors need not know them:
// its Retry-After handling is uncapped (Backoff is replaced), and it calls
// CloseIdleConnections on the client whenever retries are exhausted or the context ends
// during a backoff (hashicorp/go-retryablehttp#85, #98, #237), which would drop the pooled
// connections of every concurrent request to the platform. The transport handed to
// go-retryablehttp is wrapped so that call is a no-op; Client.Close releases the pool.
// The final response is returned to the caller, not drained (ErrorHandler).
//
// Errors are *connectors.Error values; see sanmian/connectors.
package resilience
