package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"sanmian/hub/api"
)

// BenchmarkInstrument measures the server middleware (request id, logger, span, access log,
// metrics) around a handler that does nothing, with tracing off (the default no-op provider)
// and on (an SDK provider that samples every request and exports nowhere), so that the cost
// tracing adds per request can be set against the cost of a request.
//
//	go test -run '^$' -bench Instrument -benchmem -count 6 ./hub/api/
func BenchmarkInstrument(b *testing.B) {
	quiet := api.WithLogger(slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError})))
	for _, tc := range []struct {
		name        string
		opts        []api.Option
		traceparent bool
	}{
		{"tracing=off", []api.Option{quiet}, false},
		{"tracing=off/traceparent", []api.Option{quiet}, true},
		{"tracing=on", []api.Option{quiet, api.WithTracerProvider(sdktrace.NewTracerProvider())}, false},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s := api.New(tc.opts...)
			s.HandleFunc("GET /v1/residents/{id_number}/data-use", func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusNoContent)
			})
			req := httptest.NewRequest(http.MethodGet, "/v1/residents/110101194910010013/data-use", nil)
			if tc.traceparent {
				req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
			}
			b.ReportAllocs()
			for b.Loop() {
				s.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}

// BenchmarkSpanGuardOff measures what every instrumented place below the middleware (access
// and eligibility decisions, assembly, each platform call and attempt, each store
// transaction) costs with tracing off: it looks up the span of the request's context, as the
// middleware hands it to the handler, and finds it not recording. One op is one guard; an
// application creation passes about 16 of them (the spans a traced creation records).
func BenchmarkSpanGuardOff(b *testing.B) {
	var ctx context.Context
	s := api.New(api.WithLogger(slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError}))))
	s.HandleFunc("GET /v1/residents/{id_number}/data-use", func(w http.ResponseWriter, r *http.Request) {
		ctx = r.Context()
		w.WriteHeader(http.StatusNoContent)
	})
	s.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/v1/residents/110101194910010013/data-use", nil))
	if ctx == nil {
		b.Fatal("the handler did not run")
	}
	recording := 0
	b.ReportAllocs()
	for b.Loop() {
		if trace.SpanFromContext(ctx).IsRecording() {
			recording++
		}
	}
	if recording > 0 {
		b.Fatalf("%d guards found a recording span with tracing off", recording)
	}
}
