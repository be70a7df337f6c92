package resilience

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// traceServer answers the n-th request (from 0) with status(n) after delay(n), and records
// the traceparent header of every request.
type traceServer struct {
	*httptest.Server
	n            atomic.Int32
	mu           sync.Mutex
	traceparents []string
}

func newTraceServer(t *testing.T, status func(n int) int, delay func(n int) time.Duration) *traceServer {
	ts := &traceServer{}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(ts.n.Add(1)) - 1
		ts.mu.Lock()
		ts.traceparents = append(ts.traceparents, r.Header.Get("traceparent"))
		ts.mu.Unlock()
		if d := delay(n); d > 0 {
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
		}
		w.WriteHeader(status(n))
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func (ts *traceServer) received() []string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]string(nil), ts.traceparents...)
}

// tracedContext returns a context carrying a recording root span of a provider that exports
// synchronously to the returned recorder, and the root span.
func tracedContext(t *testing.T) (context.Context, trace.Span, *tracetest.InMemoryExporter) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	ctx, root := tp.Tracer("test").Start(t.Context(), "root")
	return ctx, root, exp
}

func attrOf(s tracetest.SpanStub, key string) (attribute.Value, bool) {
	for _, kv := range s.Attributes {
		if string(kv.Key) == key {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

// attemptSpans returns the attempt spans among spans, in order of their attempt number.
func attemptSpans(spans tracetest.SpanStubs) map[int64]tracetest.SpanStub {
	out := map[int64]tracetest.SpanStub{}
	for _, s := range spans {
		if v, ok := attrOf(s, AttrAttempt); ok {
			out[v.AsInt64()] = s
		}
	}
	return out
}

// TestTraceRetryIsAChildAttemptSpan: a call retried after a 503 gives one call span under the
// caller's span and one attempt span per HTTP attempt under it, the second marked as a retry;
// each attempt carries its own span in the traceparent the platform receives; no span holds
// the path or the query.
func TestTraceRetryIsAChildAttemptSpan(t *testing.T) {
	srv := newTraceServer(t, func(n int) int {
		if n == 0 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	}, func(int) time.Duration { return 0 })
	c, _ := newTestClient(t, srv.URL, fastConfig())
	ctx, root, exp := tracedContext(t)
	if _, err := c.Do(ctx, Request{Endpoint: "e", Path: "/people/110101194910010013", Query: map[string][]string{"name": {"张三"}}}); err != nil {
		t.Fatal(err)
	}
	root.End()
	spans := exp.GetSpans()
	var call tracetest.SpanStub
	for _, s := range spans {
		if s.Name == "test e" {
			call = s
		}
	}
	if call.Parent.SpanID() != root.SpanContext().SpanID() {
		t.Fatalf("call span %q not under the root span (spans: %d)", call.Name, len(spans))
	}
	if v, _ := attrOf(call, AttrAttempts); v.AsInt64() != 2 {
		t.Errorf("call span: %s = %v, want 2", AttrAttempts, v.AsInt64())
	}
	attempts := attemptSpans(spans)
	if len(attempts) != 2 {
		t.Fatalf("attempt spans: %d, want 2", len(attempts))
	}
	got := srv.received()
	for n, want := range []struct {
		retry  bool
		status int64
	}{{false, 503}, {true, 200}} {
		a := attempts[int64(n+1)]
		if a.Parent.SpanID() != call.SpanContext.SpanID() {
			t.Errorf("attempt %d is not a child of the call span", n+1)
		}
		if v, _ := attrOf(a, AttrRetry); v.AsBool() != want.retry {
			t.Errorf("attempt %d: retry = %v, want %v", n+1, v.AsBool(), want.retry)
		}
		if v, _ := attrOf(a, attrStatus); v.AsInt64() != want.status {
			t.Errorf("attempt %d: status = %d, want %d", n+1, v.AsInt64(), want.status)
		}
		wantTP := "00-" + a.SpanContext.TraceID().String() + "-" + a.SpanContext.SpanID().String() + "-01"
		if got[n] != wantTP {
			t.Errorf("attempt %d: platform received traceparent %q, want %q", n+1, got[n], wantTP)
		}
	}
	for _, s := range spans {
		for _, kv := range s.Attributes {
			if v := kv.Value.Emit(); strings.Contains(v, "110101") || strings.Contains(v, "/people") || strings.Contains(v, "张三") {
				t.Errorf("span %q attribute %s = %q holds the path or the query", s.Name, kv.Key, v)
			}
		}
	}
}

// TestTraceHedgeIsMarked: a hedged read shows as a second attempt span under the same call
// span, marked as a hedge and not as a retry.
func TestTraceHedgeIsMarked(t *testing.T) {
	const warm = 40
	srv := newTraceServer(t, func(int) int { return http.StatusOK }, func(n int) time.Duration {
		if n == warm {
			return 3 * time.Second // the traced call's first attempt: hedged
		}
		return 2 * time.Millisecond
	})
	cfg := fastConfig()
	cfg.AttemptTimeout = 5 * time.Second
	cfg.HedgeBudget = 0.5
	c, _ := newTestClient(t, srv.URL, cfg)
	for range warm {
		if _, err := c.Do(t.Context(), Request{Endpoint: "e", Path: "/x"}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, root, exp := tracedContext(t)
	if _, err := c.Do(ctx, Request{Endpoint: "e", Path: "/x"}); err != nil {
		t.Fatal(err)
	}
	root.End()
	// The canceled first attempt ends when its transport returns, possibly just after Do.
	var attempts map[int64]tracetest.SpanStub
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if attempts = attemptSpans(exp.GetSpans()); len(attempts) == 2 {
			break
		}
	}
	if len(attempts) != 2 {
		t.Fatalf("attempt spans: %d, want 2 (the slow attempt and its hedge)", len(attempts))
	}
	for n, wantHedge := range []bool{false, true} {
		a := attempts[int64(n+1)]
		if v, _ := attrOf(a, AttrHedge); v.AsBool() != wantHedge {
			t.Errorf("attempt %d: hedge = %v, want %v", n+1, v.AsBool(), wantHedge)
		}
		if v, _ := attrOf(a, AttrRetry); v.AsBool() {
			t.Errorf("attempt %d marked as a retry", n+1)
		}
		if a.Parent.SpanID() != attempts[1].Parent.SpanID() || !a.Parent.IsValid() {
			t.Errorf("attempt %d is not under the call span", n+1)
		}
	}
}

// TestTraceparentWithoutTracing: with no recording span, nothing is traced; a caller's trace
// context (tracing off, a traceparent received) is passed to the platform unchanged, and
// without one no traceparent is sent.
func TestTraceparentWithoutTracing(t *testing.T) {
	remote := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:  trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7}, TraceFlags: trace.FlagsSampled, Remote: true,
	})
	for _, tc := range []struct {
		name string
		ctx  func(context.Context) context.Context
		want string
	}{
		{"no_trace_context", func(ctx context.Context) context.Context { return ctx }, ""},
		{"caller_traceparent_passed_on", func(ctx context.Context) context.Context { return trace.ContextWithRemoteSpanContext(ctx, remote) },
			"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newTraceServer(t, func(int) int { return http.StatusOK }, func(int) time.Duration { return 0 })
			c, _ := newTestClient(t, srv.URL, fastConfig())
			if _, err := c.Do(tc.ctx(t.Context()), Request{Endpoint: "e", Path: "/x"}); err != nil {
				t.Fatal(err)
			}
			if got := srv.received(); len(got) != 1 || got[0] != tc.want {
				t.Errorf("platform received traceparent %q, want %q", got, tc.want)
			}
		})
	}
}
