// Package telemetry sets up the hub's OpenTelemetry tracing from the telemetry section of
// hub.yaml: an OTLP exporter (HTTP/protobuf or gRPC) with a ratio sampler when an endpoint
// is configured, and a no-op tracer provider otherwise (off by default, and then close to
// free: no span is recorded, an incoming W3C traceparent is merely passed on).
//
// The spans themselves are started where the work happens, each from the tracer provider of
// the span already in the context (trace.SpanFromContext(ctx).TracerProvider()), so that only
// the HTTP server needs the provider: hub/api (the request, with its route pattern and
// request id), hub/policy (access and eligibility decisions), hub/evidence (assembly),
// connectors/resilience (one span per platform call and one child per attempt, retries and
// hedges marked) and the store's transactions.
//
// Span names and attributes never carry personal data: route patterns instead of paths,
// item codes, platform and endpoint names, status codes, counts. No URL, query string, ID
// number or name is ever recorded.
package telemetry
