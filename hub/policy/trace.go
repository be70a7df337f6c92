package policy

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// TracerName is the instrumentation scope of the decision spans.
const TracerName = "sanmian/hub/policy"

// Span attributes of decisions (never the input: it holds personal data).
const (
	AttrItem     = "sanmian.item"     // item code ("elderly-allowance")
	AttrRevision = "sanmian.revision" // policy bundle revision
)

// startSpan starts a span under the one in ctx, from that span's tracer provider (the no-op
// one when ctx carries no recording span).
func startSpan(ctx context.Context, name string, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	parent := trace.SpanFromContext(ctx)
	if !parent.IsRecording() {
		return ctx, parent
	}
	return parent.TracerProvider().Tracer(TracerName).Start(ctx, name, trace.WithAttributes(attrs...))
}

// endSpan records err's presence (not its text, which may quote input) and ends span.
func endSpan(span trace.Span, err error) {
	if !span.IsRecording() {
		return
	}
	if err != nil {
		span.SetStatus(codes.Error, "decision failed")
	}
	span.End()
}
