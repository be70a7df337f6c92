package api_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

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
