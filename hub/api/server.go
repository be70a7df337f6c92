package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// ReadinessCheck reports whether one dependency is ready to serve. It must return quickly and
// honour ctx.
type ReadinessCheck func(ctx context.Context) error

// Server is the hub's HTTP handler: request ids, access logs and metrics around a ServeMux.
// Build it with New, mount the routes with Routes, then serve it. Handle and AddCheck must be
// called before serving; ServeHTTP is safe for concurrent use.
type Server struct {
	mux      *http.ServeMux
	log      *slog.Logger
	registry *prometheus.Registry
	metrics  *httpMetrics
	handler  http.Handler
	tracer   trace.Tracer // nil: tracing off

	patterns []string // every pattern registered, in order (Patterns)

	mu     sync.RWMutex
	checks map[string]ReadinessCheck
}

// Option configures a Server.
type Option func(*Server)

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// WithRegistry sets the Prometheus registry served at /metrics (default: a new registry with
// the Go and process collectors).
func WithRegistry(r *prometheus.Registry) Option { return func(s *Server) { s.registry = r } }

// WithTracerProvider traces every request with tp (default: the no-op provider, which
// records nothing and passes an incoming traceparent on unchanged). Spans further down
// (policy, evidence, platform calls, store) come from the provider of the request's span.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(s *Server) {
		if _, off := tp.(noop.TracerProvider); off || tp == nil {
			s.tracer = nil
			return
		}
		s.tracer = tp.Tracer(TracerName)
	}
}

// New returns a Server with no routes; Routes mounts them.
func New(opts ...Option) *Server {
	s := &Server{mux: http.NewServeMux(), log: slog.Default(), checks: map[string]ReadinessCheck{}}
	for _, o := range opts {
		o(s)
	}
	if s.registry == nil {
		s.registry = NewRegistry()
	}
	s.metrics = newHTTPMetrics(s.registry)
	s.handler = instrument(s.mux, s.log, s.metrics, s.tracer)
	return s
}

// NewRegistry returns a Prometheus registry with the Go runtime and process collectors.
func NewRegistry() *prometheus.Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return r
}

// Registry returns the registry served at /metrics, for other packages' metrics.
func (s *Server) Registry() *prometheus.Registry { return s.registry }

// Handle registers h for a Go 1.22 ServeMux pattern such as "GET /v1/items/{code}".
func (s *Server) Handle(pattern string, h http.Handler) {
	s.mux.Handle(pattern, h)
	s.patterns = append(s.patterns, pattern)
}

// HandleFunc registers f for pattern.
func (s *Server) HandleFunc(pattern string, f http.HandlerFunc) { s.Handle(pattern, f) }

// Patterns returns every pattern registered on s, in registration order ("/" is the
// not-found fallback).
func (s *Server) Patterns() []string { return slices.Clone(s.patterns) }

// AddCheck registers a named readiness check consulted by /readyz.
func (s *Server) AddCheck(name string, c ReadinessCheck) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checks[name] = c
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz runs every check concurrently with a short deadline and reports each by name:
// "ok" or "failed" (why is logged, not shown).
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	s.mu.RLock()
	names := make([]string, 0, len(s.checks))
	for n := range s.checks {
		names = append(names, n)
	}
	sort.Strings(names)
	checks := make([]ReadinessCheck, len(names))
	for i, n := range names {
		checks[i] = s.checks[n]
	}
	s.mu.RUnlock()

	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	results := make([]string, len(names))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c(ctx); err != nil {
				// The error's text stays in the log: it may name hosts, files or SQL.
				Logger(r.Context()).Error("readiness check failed", "check", names[i], "error", logText(err))
				results[i] = "failed"
			} else {
				results[i] = "ok"
			}
		}()
	}
	wg.Wait()
	status, body := http.StatusOK, map[string]any{"status": "ready"}
	detail := map[string]string{}
	for i, n := range names {
		detail[n] = results[i]
		if results[i] != "ok" {
			status, body["status"] = http.StatusServiceUnavailable, "not_ready"
		}
	}
	body["checks"] = detail
	WriteJSON(w, status, body)
}

// WriteJSON writes v as JSON with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
