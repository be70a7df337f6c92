package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"sanmian/hub/ident"
)

type ctxKey int

const (
	requestIDKey ctxKey = iota
	loggerKey
)

// RequestIDHeader carries the request id on every response (and is honoured on requests
// when it is a sane value, so a caller can correlate its own logs).
const RequestIDHeader = "X-Request-Id"

// RequestID returns the request id stored in ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// Logger returns the request-scoped logger (carrying the request id), or slog.Default().
func Logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// statusRecorder remembers the status code written through it.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// httpMetrics are the hub's HTTP server metrics.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "sanmian", Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests served, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "sanmian", Subsystem: "http", Name: "request_duration_seconds",
			Help:    "HTTP request latency by route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

// TracerName is the instrumentation scope of the hub's server spans.
const TracerName = "sanmian/hub/api"

// AttrRequestID is the span attribute holding the request id (the X-Request-Id of the
// response and the request_id of the log lines).
const AttrRequestID = "sanmian.request_id"

// propagator reads the W3C traceparent (and tracestate) of incoming requests.
var propagator = propagation.TraceContext{}

// serverSpan is the start option of every server span.
var serverSpan = trace.WithSpanKind(trace.SpanKindServer)

// instrument wraps h with request id, request-scoped logger, a server span (continuing the
// caller's W3C traceparent), panic recovery, access logging (method, route, status,
// duration; never query strings or bodies, which may carry personal data) and metrics.
//
// The span is named after the route pattern once the mux has matched it ("POST
// /v1/applications"), never after the path, which may hold an ID number; likewise it carries
// the route, method, status and request id, but no URL, query string or client address.
// The log lines of a traced request carry its trace_id. A nil tracer turns tracing off: no
// span is started, a caller's traceparent is still passed on.
func instrument(h http.Handler, log *slog.Logger, m *httpMetrics, tracer trace.Tracer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(RequestIDHeader)
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set(RequestIDHeader, id)
		ctx := r.Context()
		if r.Header.Get("traceparent") != "" {
			// Also with tracing off: the platforms then receive the caller's trace context.
			ctx = propagator.Extract(ctx, propagation.HeaderCarrier(r.Header))
		}
		var span trace.Span // nil: tracing off
		if tracer != nil {
			ctx, span = tracer.Start(ctx, r.Method, serverSpan)
			span.SetAttributes(attribute.String("http.request.method", r.Method), attribute.String(AttrRequestID, id))
			defer span.End()
		}
		l := log.With("request_id", id)
		if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
			l = l.With("trace_id", sc.TraceID().String())
		}
		ctx = context.WithValue(context.WithValue(ctx, requestIDKey, id), loggerKey, l)
		r = r.WithContext(ctx)
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				l.Error("panic serving request", "panic", ident.RedactText(fmt.Sprint(v)), "stack", string(debug.Stack()))
				if rec.status == 0 {
					WriteProblem(rec, r, problemInternal)
				}
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			d := time.Since(start)
			if span != nil && span.IsRecording() {
				span.SetName(r.Method + " " + routePath(route))
				span.SetAttributes(attribute.String("http.route", routePath(route)), attribute.Int("http.response.status_code", status))
				if status >= 500 {
					span.SetStatus(codes.Error, http.StatusText(status))
				}
			}
			m.requests.WithLabelValues(route, r.Method, strconv.Itoa(status)).Inc()
			m.duration.WithLabelValues(route).Observe(d.Seconds())
			l.LogAttrs(r.Context(), slog.LevelInfo, "http",
				slog.String("method", r.Method), slog.String("route", route),
				slog.Int("status", status), slog.Duration("duration", d))
		}()
		h.ServeHTTP(rec, r)
	})
}

// routePath is a mux pattern without its method ("POST /v1/applications" ->
// "/v1/applications").
func routePath(pattern string) string {
	if i := strings.IndexByte(pattern, ' '); i >= 0 {
		return pattern[i+1:]
	}
	return pattern
}
