package app_test

import (
	"bytes"
	"compress/gzip"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"sanmian/connectors/resilience"
	"sanmian/hub/api"
	"sanmian/hub/app"
	"sanmian/hub/auth"
)

// otlpCollector is a minimal OTLP/HTTP trace receiver (protobuf bodies, as otlptracehttp
// sends them): it keeps every span it is sent, with its resource's attributes.
type otlpCollector struct {
	*httptest.Server
	discard  bool // count nothing (a sink for benchmarks)
	mu       sync.Mutex
	spans    []*tracepb.Span
	resource []*commonpb.KeyValue
}

func startCollector(t testing.TB) *otlpCollector {
	return newCollector(t, false)
}

// startSink is a collector that decodes what it is sent and keeps nothing.
func startSink(tb testing.TB) *otlpCollector { return newCollector(tb, true) }

func newCollector(t testing.TB, discard bool) *otlpCollector {
	c := &otlpCollector{discard: discard}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
			http.Error(w, "not an OTLP/HTTP protobuf trace export", http.StatusBadRequest)
			return
		}
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = zr
		}
		b, err := io.ReadAll(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var req coltracepb.ExportTraceServiceRequest
		if err := proto.Unmarshal(b, &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		c.mu.Lock()
		for _, rs := range req.ResourceSpans {
			if c.discard {
				break
			}
			c.resource = append(c.resource, rs.GetResource().GetAttributes()...)
			for _, ss := range rs.ScopeSpans {
				c.spans = append(c.spans, ss.Spans...)
			}
		}
		c.mu.Unlock()
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	}))
	t.Cleanup(c.Close)
	return c
}

func (c *otlpCollector) received() ([]*tracepb.Span, []*commonpb.KeyValue) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*tracepb.Span(nil), c.spans...), append([]*commonpb.KeyValue(nil), c.resource...)
}

func spanAttr(s *tracepb.Span, key string) *commonpb.AnyValue {
	for _, kv := range s.Attributes {
		if kv.Key == key {
			return kv.Value
		}
	}
	return nil
}

// syncBuffer is a bytes.Buffer safe for the hub's concurrent log writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// idNumberPattern matches a full 18-character resident ID number anywhere in a string.
var idNumberPattern = regexp.MustCompile(`\d{17}[\dXx]`)

// TestApplicationTrace: one application created on a real hub with tracing on, over the
// simulated platforms, under a caller's traceparent, is exported over OTLP/HTTP as one trace
// continuing the caller's: the server span (route pattern, request id) under the caller's
// span, and below it the access decision, evidence assembly with one call span per platform
// call and one attempt span per HTTP attempt under it, the eligibility decision and the store
// transaction, every span's parent among them. The platforms receive the trace in their
// traceparent headers; the hub's log lines carry the trace id. No span name, attribute, event
// or log line holds an ID number or the household's names.
func TestApplicationTrace(t *testing.T) {
	col := startCollector(t)
	p := startPlatforms(t, envOptions{residents: 2000, faults: "none"})
	cfg, issuer := hubConfig(t, t.TempDir(), p, "")
	cfg.Telemetry.Endpoint = col.URL
	cfg.Telemetry.ServiceName = "sanmian-hub-test"
	srv := httptest.NewUnstartedServer(nil)
	t.Cleanup(srv.Close)
	cfg.Addr, cfg.PublicURL = srv.Listener.Addr().String(), "http://"+srv.Listener.Addr().String()
	logs := &syncBuffer{}
	a, err := app.New(t.Context(), cfg, app.WithLogger(slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		app.WithCheckpointInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	srv.Config.Handler = a.Handler()
	srv.Start()

	r := residentsByHousehold(p, 0, 1)[0]
	tok, err := issuer.Mint(auth.Caller{Subject: "counter-" + r.Village, Role: auth.RoleCounter, Jurisdiction: r.Village}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	const (
		traceID   = "4bf92f3577b34da6a3ce929d0e0e4736"
		parentID  = "00f067aa0ba902b7"
		requestID = "trace-test-1"
	)
	body := `{"item":"medical_assistance","applicant":{"id_number":"` + r.ID + `"},"purpose":"test: traced application"}`
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/v1/applications", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Idempotency-Key", "trace-test")
	req.Header.Set("traceparent", "00-"+traceID+"-"+parentID+"-01")
	req.Header.Set(api.RequestIDHeader, requestID)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST /v1/applications: %d %s", resp.StatusCode, answer)
	}
	srv.Close()
	if err := a.Close(); err != nil { // flushes the batched spans to the collector
		t.Fatal(err)
	}
	spans, resource := col.received()
	if len(spans) == 0 {
		t.Fatal("the collector received no span")
	}

	byID := map[string]*tracepb.Span{}
	for _, s := range spans {
		if got := hex.EncodeToString(s.TraceId); got != traceID {
			t.Errorf("span %q in trace %s, want the caller's %s", s.Name, got, traceID)
		}
		byID[hex.EncodeToString(s.SpanId)] = s
	}
	var server *tracepb.Span
	named := map[string][]*tracepb.Span{}
	for _, s := range spans {
		named[s.Name] = append(named[s.Name], s)
		parent := hex.EncodeToString(s.ParentSpanId)
		switch {
		case parent == parentID:
			if server != nil {
				t.Errorf("spans %q and %q both under the caller's span", server.Name, s.Name)
			}
			server = s
		case byID[parent] == nil:
			t.Errorf("span %q: parent %s is neither exported nor the caller's span", s.Name, parent)
		}
	}
	if server == nil || server.Name != "POST /v1/applications" || server.Kind != tracepb.Span_SPAN_KIND_SERVER {
		t.Fatalf("server span = %v, want a SERVER span \"POST /v1/applications\" under the caller's span", server)
	}
	if v := spanAttr(server, api.AttrRequestID); v.GetStringValue() != requestID {
		t.Errorf("server span request id = %q, want %q", v.GetStringValue(), requestID)
	}
	if v := spanAttr(server, "http.response.status_code"); v.GetIntValue() != http.StatusCreated {
		t.Errorf("server span status = %d, want 201", v.GetIntValue())
	}
	// descends reports whether s is below an ancestor named name.
	descends := func(s *tracepb.Span, name string) bool {
		for p := byID[hex.EncodeToString(s.ParentSpanId)]; p != nil; p = byID[hex.EncodeToString(p.ParentSpanId)] {
			if p.Name == name {
				return true
			}
		}
		return false
	}
	for _, name := range []string{"policy.access", "evidence.assemble", "policy.eligibility", "store.tx"} {
		if len(named[name]) == 0 {
			t.Errorf("no %q span", name)
		}
		for _, s := range named[name] {
			if !descends(s, server.Name) {
				t.Errorf("span %q is not under the server span", name)
			}
		}
	}
	calls, underAssembly := map[string]int{}, 0
	for _, s := range spans {
		platform := spanAttr(s, resilience.AttrPlatform).GetStringValue()
		if platform == "" {
			continue
		}
		if spanAttr(s, resilience.AttrAttempt) != nil {
			parent := byID[hex.EncodeToString(s.ParentSpanId)]
			if s.Kind != tracepb.Span_SPAN_KIND_CLIENT || parent == nil || spanAttr(parent, resilience.AttrAttempt) != nil ||
				spanAttr(parent, resilience.AttrPlatform).GetStringValue() != platform {
				t.Errorf("attempt span %q is not a CLIENT span under its platform call's span", s.Name)
			}
			continue
		}
		calls[platform]++
		// The applicant's village (for the access decision) may be read before assembly.
		if descends(s, "evidence.assemble") {
			underAssembly++
		} else if !descends(s, server.Name) {
			t.Errorf("platform call span %q is not under the server span", s.Name)
		}
		if spanAttr(s, resilience.AttrAttempts).GetIntValue() < 1 {
			t.Errorf("platform call span %q records no attempt", s.Name)
		}
	}
	if underAssembly == 0 {
		t.Error("no platform call span under evidence.assemble")
	}
	for _, sv := range p.Servers() {
		if calls[sv.Name()] == 0 {
			t.Errorf("no call span for platform %s (call spans: %v)", sv.Name(), calls)
		}
		if n := sv.Stats().ByTrace[traceID]; n == 0 {
			t.Errorf("platform %s received no request with the trace's traceparent", sv.Name())
		}
	}

	// No personal data: the full ID numbers, the household's names.
	d := p.Data
	var secrets []string
	applicant, _, ok := d.PersonByID(r.ID)
	if !ok {
		t.Fatal("the applicant is not in the synthetic district")
	}
	for _, m := range d.Households[applicant.Household].Members {
		secrets = append(secrets, d.Persons[m].ID, d.Persons[m].Name)
	}
	check := func(where, text string) {
		if idNumberPattern.MatchString(text) {
			t.Errorf("%s holds an ID number: %q", where, text)
		}
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s holds personal data %q: %q", where, s, text)
			}
		}
	}
	emit := func(v *commonpb.AnyValue) string { b, _ := json.Marshal(v); return string(b) }
	for _, kv := range resource {
		check("resource attribute "+kv.Key, emit(kv.Value))
	}
	for _, s := range spans {
		check("span name", s.Name)
		check("span status", s.GetStatus().GetMessage())
		for _, kv := range s.Attributes {
			check("span "+s.Name+" attribute "+kv.Key, kv.Key+"="+emit(kv.Value))
		}
		for _, ev := range s.Events {
			check("span "+s.Name+" event", ev.Name)
			for _, kv := range ev.Attributes {
				check("span "+s.Name+" event attribute "+kv.Key, emit(kv.Value))
			}
		}
	}
	logged := logs.String()
	check("the hub's log", logged)
	if !strings.Contains(logged, `"trace_id":"`+traceID+`"`) || !strings.Contains(logged, `"request_id":"`+requestID+`"`) {
		t.Errorf("no log line carries the trace id and the request id:\n%.2000s", logged)
	}
}
