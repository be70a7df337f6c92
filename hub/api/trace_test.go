package api_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"sanmian/hub/api"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestServerSpan: the server span of a request is named after its route pattern, never its
// path (which holds an ID number), carries the request id, the route and the status, and
// continues the caller's traceparent when one is sent; the request's log lines carry the
// trace id. With the default (no-op) provider nothing is recorded, but a caller's trace id
// still reaches the log.
func TestServerSpan(t *testing.T) {
	const (
		idNumber = "110101194910010013"
		traceID  = "4bf92f3577b34da6a3ce929d0e0e4736"
		parentID = "00f067aa0ba902b7"
	)
	for _, tc := range []struct {
		name        string
		traced      bool
		traceparent string
		wantLogged  bool // the log carries the trace id
	}{
		{"traced_caller_traceparent_continued", true, "00-" + traceID + "-" + parentID + "-01", true},
		{"traced_new_trace", true, "", false},
		{"untraced_caller_trace_id_logged", false, "00-" + traceID + "-" + parentID + "-01", true},
		{"untraced_nothing", false, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exp := tracetest.NewInMemoryExporter()
			logs := &lockedBuffer{}
			opts := []api.Option{api.WithLogger(slog.New(slog.NewJSONHandler(logs, nil)))}
			if tc.traced {
				tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
				t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
				opts = append(opts, api.WithTracerProvider(tp))
			}
			s := api.New(opts...)
			s.HandleFunc("GET /v1/residents/{id_number}/data-use", func(w http.ResponseWriter, r *http.Request) {
				api.Logger(r.Context()).InfoContext(r.Context(), "handler ran")
				w.WriteHeader(http.StatusNoContent)
			})
			ts := httptest.NewServer(s)
			t.Cleanup(ts.Close)
			hdr := map[string]string{api.RequestIDHeader: "req-1"}
			if tc.traceparent != "" {
				hdr["traceparent"] = tc.traceparent
			}
			resp, _ := get(t, ts.URL+"/v1/residents/"+idNumber+"/data-use?name=x", hdr)
			if resp.StatusCode != http.StatusNoContent {
				t.Fatalf("status %d", resp.StatusCode)
			}
			ts.Close() // the access log line is written after the answer
			logged := logs.String()
			if strings.Contains(logged, `"trace_id":"`+traceID+`"`) != tc.wantLogged {
				t.Errorf("log carries the caller's trace id: %v, want %v\n%s", !tc.wantLogged, tc.wantLogged, logged)
			}
			spans := exp.GetSpans()
			if !tc.traced {
				if len(spans) != 0 {
					t.Errorf("untraced server recorded %d spans", len(spans))
				}
				return
			}
			if len(spans) != 1 {
				t.Fatalf("spans: %d, want 1", len(spans))
			}
			sp := spans[0]
			if sp.Name != "GET /v1/residents/{id_number}/data-use" {
				t.Errorf("span name %q", sp.Name)
			}
			if tc.traceparent != "" && (sp.SpanContext.TraceID().String() != traceID || sp.Parent.SpanID().String() != parentID) {
				t.Errorf("span does not continue the caller's trace: trace %s parent %s", sp.SpanContext.TraceID(), sp.Parent.SpanID())
			}
			if !strings.Contains(logged, `"trace_id":"`+sp.SpanContext.TraceID().String()+`"`) {
				t.Errorf("log does not carry the span's trace id:\n%s", logged)
			}
			want := map[string]string{api.AttrRequestID: "req-1", "http.route": "/v1/residents/{id_number}/data-use",
				"http.response.status_code": "204", "http.request.method": "GET"}
			for _, kv := range sp.Attributes {
				if v := kv.Value.Emit(); strings.Contains(v, idNumber) || strings.Contains(v, "name=") {
					t.Errorf("attribute %s = %q holds the path or the query", kv.Key, v)
				}
				if w, ok := want[string(kv.Key)]; ok {
					if kv.Value.Emit() != w {
						t.Errorf("attribute %s = %q, want %q", kv.Key, kv.Value.Emit(), w)
					}
					delete(want, string(kv.Key))
				}
			}
			if len(want) > 0 {
				t.Errorf("missing attributes %v", want)
			}
		})
	}
}
