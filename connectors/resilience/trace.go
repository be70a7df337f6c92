package resilience

import (
	"errors"
	"net/http"
	"strconv"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"sanmian/connectors"
)

// TracerName is the instrumentation scope of the platform call and attempt spans.
const TracerName = "sanmian/connectors/resilience"

// Span attributes of platform calls and attempts. None of them ever holds a URL, a query, a
// body or an identifier of a person.
const (
	AttrPlatform = "sanmian.platform" // "province", "city", "district"
	AttrEndpoint = "sanmian.endpoint" // the logical endpoint name ("rkjc/query")
	AttrOutcome  = "sanmian.outcome"  // a call's outcome: "ok", "timeout", "upstream" ...
	AttrAttempts = "sanmian.attempts" // a call's HTTP attempts, retries and hedges included
	AttrAttempt  = "sanmian.attempt"  // an attempt's number within its call, from 1
	AttrRetry    = "sanmian.retry"    // the attempt repeats a failed one
	AttrHedge    = "sanmian.hedge"    // the attempt duplicates a slow one (hedged request)
	attrStatus   = "http.response.status_code"
	attrMethod   = "http.request.method"
	attrErrType  = "error.type"
)

// propagator writes the W3C traceparent (and tracestate) on every attempt.
var propagator = propagation.TraceContext{}

// endCall ends a call span with its outcome.
func endCall(span trace.Span, resp *Response, err error) {
	outcome := "ok"
	if err != nil {
		outcome = outcomeOf(err)
		span.SetStatus(codes.Error, outcome)
	}
	attrs := []attribute.KeyValue{attribute.String(AttrOutcome, outcome)}
	if resp != nil {
		attrs = append(attrs, attribute.Int(AttrAttempts, resp.Attempts), attribute.Int(attrStatus, resp.Status))
	} else if ce := connectorError(err); ce != nil {
		attrs = append(attrs, attribute.Int(AttrAttempts, ce.Attempts))
		if ce.Status != 0 {
			attrs = append(attrs, attribute.Int(attrStatus, ce.Status))
		}
	}
	span.SetAttributes(attrs...)
	span.End()
}

// startAttempt starts the span of one HTTP attempt (a child of the call's span) and returns
// the request to send, carrying the W3C traceparent of that span. When the context's span
// does not record (tracing off), a valid incoming trace context is passed on unchanged and
// no span is started. req is never modified: a header is set on a clone.
func startAttempt(req *http.Request, platform, endpoint string, attempt int, retry, hedge bool) (*http.Request, trace.Span) {
	ctx := req.Context()
	parent := trace.SpanFromContext(ctx)
	if !parent.SpanContext().IsValid() {
		return req, nil
	}
	var span trace.Span
	if parent.IsRecording() {
		ctx, span = parent.TracerProvider().Tracer(TracerName).Start(ctx, platform+" "+endpoint+" attempt "+strconv.Itoa(attempt),
			trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(
				attribute.String(AttrPlatform, platform), attribute.String(AttrEndpoint, endpoint),
				attribute.String(attrMethod, req.Method), attribute.Int(AttrAttempt, attempt),
				attribute.Bool(AttrRetry, retry), attribute.Bool(AttrHedge, hedge),
				attribute.String("server.address", req.URL.Hostname()),
			))
	}
	out := req.Clone(ctx)
	propagator.Inject(ctx, propagation.HeaderCarrier(out.Header))
	return out, span
}

// endAttempt ends an attempt span with the platform's status or the transport failure.
func endAttempt(span trace.Span, resp *http.Response, err error) {
	if span == nil {
		return
	}
	switch {
	case err != nil:
		kind := transportKind(err)
		span.SetAttributes(attribute.String(attrErrType, kind))
		span.SetStatus(codes.Error, kind)
	default:
		span.SetAttributes(attribute.Int(attrStatus, resp.StatusCode))
		if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
			span.SetStatus(codes.Error, strconv.Itoa(resp.StatusCode))
		}
	}
	span.End()
}

// connectorError returns the *connectors.Error in err's chain, or nil.
func connectorError(err error) *connectors.Error {
	var ce *connectors.Error
	if errors.As(err, &ce) {
		return ce
	}
	return nil
}
