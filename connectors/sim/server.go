package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Stats are the counters of one platform since it started or since the last ResetStats.
// Only data endpoints (and the city token endpoint) are counted, never /_sim/ admin calls.
type Stats struct {
	Requests     int64            `json:"requests"`      // requests received
	ByEndpoint   map[string]int64 `json:"by_endpoint"`   // "METHOD PATTERN" (or "other") → requests
	ByStatus     map[string]int64 `json:"by_status"`     // HTTP status ("200") or "aborted" → responses
	Faults       map[string]int64 `json:"faults"`        // fault kind → times injected
	IDsRequested int64            `json:"ids_requested"` // person and household ids asked for
	// ByTrace counts the requests that carried a W3C traceparent header, by its trace id.
	ByTrace map[string]int64 `json:"by_trace,omitempty"`
}

// counters is the mutable form of Stats; safe for concurrent use.
type counters struct {
	mu sync.Mutex
	s  Stats
}

func (c *counters) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.s = Stats{ByEndpoint: map[string]int64{}, ByStatus: map[string]int64{}, Faults: map[string]int64{}, ByTrace: map[string]int64{}}
}

func (c *counters) snapshot() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.s
	s.ByEndpoint = maps.Clone(c.s.ByEndpoint)
	s.ByStatus = maps.Clone(c.s.ByStatus)
	s.Faults = maps.Clone(c.s.Faults)
	s.ByTrace = maps.Clone(c.s.ByTrace)
	return s
}

func (c *counters) request(endpoint, traceID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.s.Requests++
	c.s.ByEndpoint[endpoint]++
	if traceID != "" {
		c.s.ByTrace[traceID]++
	}
}

// traceIDOf returns the trace id of a W3C traceparent header value
// ("00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>"), or "".
func traceIDOf(traceparent string) string {
	if len(traceparent) < 55 || traceparent[2] != '-' || traceparent[35] != '-' {
		return ""
	}
	return traceparent[3:35]
}

func (c *counters) status(code int) {
	key := "aborted"
	if code != 0 {
		key = strconv.Itoa(code)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.s.ByStatus[key]++
}

func (c *counters) fault(k faultKind) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.s.Faults[string(k)]++
}

func (c *counters) ids(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.s.IDsRequested += int64(n)
}

// failFunc writes a platform-styled error answer with the given status (500, 502, 503, 429,
// 404 for an unknown path ...). retryAfter > 0 is the Retry-After seconds of a 429.
type failFunc func(w http.ResponseWriter, status int, retryAfter int)

// Server is one simulated platform listening on its own address. Its methods are safe for
// concurrent use. It is created by Start and stopped by Platforms.Close (or Close).
type Server struct {
	name   string
	url    string
	ln     net.Listener
	srv    *http.Server
	mux    *http.ServeMux
	faults *injector
	stats  counters
	fail   failFunc
	log    *slog.Logger

	closing   chan struct{} // closed when Close begins: hanging handlers give up
	served    chan struct{} // closed when Serve has returned
	closeOnce sync.Once
	closeErr  error
}

func newServer(name string, seed int64, faults FaultConfig, fail failFunc, log *slog.Logger) *Server {
	s := &Server{
		name:    name,
		mux:     http.NewServeMux(),
		faults:  newInjector(seed, faults),
		fail:    fail,
		log:     log.With("platform", name),
		closing: make(chan struct{}),
		served:  make(chan struct{}),
	}
	s.stats.reset()
	s.mux.HandleFunc("GET /_sim/stats", s.getStats)
	s.mux.HandleFunc("DELETE /_sim/stats", s.deleteStats)
	s.mux.HandleFunc("GET /_sim/faults", s.getFaults)
	s.mux.HandleFunc("PUT /_sim/faults", s.putFaults)
	return s
}

// Name returns the platform name: "province", "city" or "district".
func (s *Server) Name() string { return s.name }

// URL returns the base URL, "http://host:port", without a trailing slash.
func (s *Server) URL() string { return s.url }

// Addr returns the listening address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats { return s.stats.snapshot() }

// ResetStats sets every counter back to zero.
func (s *Server) ResetStats() { s.stats.reset() }

// Faults returns the fault config in force.
func (s *Server) Faults() FaultConfig { return s.faults.get() }

// SetFaults replaces the fault config; outage windows are timed from now. An invalid config
// is refused (the error wraps ErrFaultConfig) and the previous one stays in force.
func (s *Server) SetFaults(c FaultConfig) error {
	if err := c.Validate(); err != nil {
		return err
	}
	s.faults.set(c)
	s.log.Info("fault config replaced")
	return nil
}

// handle registers a data endpoint: h runs behind fault injection and the counters.
// endpoint names it in Stats.ByEndpoint.
func (s *Server) handle(pattern, endpoint string, h http.Handler) {
	s.mux.Handle(pattern, s.wrap(endpoint, h))
}

// statusWriter remembers the status written through it.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

var (
	_ http.ResponseWriter = (*statusWriter)(nil)
	_ http.ResponseWriter = (*recorder)(nil)
)

// recorder buffers a handler's answer so that a fault can rewrite it.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

// HeaderLatency is the response header in which a platform reports the latency it injected
// before answering, in milliseconds with three decimals ("41.237"; "0.000" without a latency
// fault). It is set on every answer except an outage's, so a benchmark can tell the
// simulated network's share of a request from the client's own. A diagnostic of the
// simulator, not part of any vendor's API: connectors must not rely on it.
const HeaderLatency = "X-Sim-Latency-Ms"

// wrap applies, in order: counting, outage, latency, error / rate limit / timeout, the handler
// (which authenticates), then truncate / malformed on a 2xx answer.
func (s *Server) wrap(endpoint string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		s.stats.request(endpoint, traceIDOf(r.Header.Get("traceparent")))
		defer func() { s.stats.status(sw.status) }()

		p := s.faults.decide(time.Now())
		if p.outage != "" {
			s.stats.fault(faultOutage)
			if p.outage == OutageReset {
				resetConn(w)
			}
			s.fail(sw, http.StatusServiceUnavailable, 0)
			return
		}
		if p.delay > 0 {
			s.stats.fault(faultLatency)
			if !s.wait(r.Context(), p.delay) {
				panic(http.ErrAbortHandler)
			}
		}
		sw.Header().Set(HeaderLatency, strconv.FormatFloat(float64(p.delay)/float64(time.Millisecond), 'f', 3, 64))
		switch p.kind {
		case faultError:
			s.stats.fault(faultError)
			s.fail(sw, p.status, 0)
			return
		case faultRateLimit:
			s.stats.fault(faultRateLimit)
			sw.Header().Set("Retry-After", strconv.Itoa(p.retryAfter))
			s.fail(sw, http.StatusTooManyRequests, p.retryAfter)
			return
		case faultTimeout:
			s.stats.fault(faultTimeout)
			s.wait(r.Context(), p.timeoutMax)
			panic(http.ErrAbortHandler) // close the connection without an answer
		case faultTruncate, faultMalformed:
			rec := &recorder{header: http.Header{}}
			h.ServeHTTP(rec, r)
			body := rec.body.Bytes()
			if rec.status >= 200 && rec.status < 300 && len(body) > 0 {
				s.stats.fault(p.kind)
				rec.header.Del("Content-Length")
				if p.kind == faultTruncate {
					body = body[:len(body)/2]
				} else if p.htmlBody {
					body = []byte(malformedHTML)
				} else {
					body = wrongTypes(body)
				}
			}
			maps.Copy(sw.Header(), rec.header)
			if rec.status == 0 {
				rec.status = http.StatusOK
			}
			sw.WriteHeader(rec.status)
			_, _ = sw.Write(body)
			return
		}
		h.ServeHTTP(sw, r)
	})
}

// wait sleeps for d; it returns false early if the request is cancelled or the server closes.
func (s *Server) wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.closing:
		return false
	}
}

// resetConn hijacks the connection and closes it with SO_LINGER 0, so that the client sees a
// TCP reset; it then aborts the handler. It returns (to let the caller answer normally) only
// when the connection cannot be hijacked (HTTP/2).
func resetConn(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
	panic(http.ErrAbortHandler)
}

// start listens on host:port and serves in the background; it returns once the listener
// accepts connections.
func (s *Server) start(host string, port int) error {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		return fmt.Errorf("sim: %s: listen: %w", s.name, err)
	}
	s.ln = ln
	s.url = "http://" + ln.Addr().String()
	s.srv = &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      maxFaultDelay + time.Minute, // longer than any injected delay
		IdleTimeout:       90 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	go func() {
		defer close(s.served)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("serve stopped", "err", err)
		}
	}()
	s.log.Info("listening", "url", s.url)
	return nil
}

// Close stops the server: handlers that hang (timeouts, latency) give up at once, in-flight
// answers get up to five seconds to finish, then connections are closed. It waits for the
// serving goroutine and is safe to call more than once (later calls return the first result).
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.closing)
		if s.srv == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.srv.Shutdown(ctx); err != nil {
			s.closeErr = fmt.Errorf("sim: %s: shutdown: %w", s.name, err)
			_ = s.srv.Close()
		}
		<-s.served
	})
	return s.closeErr
}

// Admin endpoints: never faulted, never counted, no auth.

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	body = append(body, '\n')
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (s *Server) getStats(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Stats())
}

func (s *Server) deleteStats(w http.ResponseWriter, _ *http.Request) {
	s.ResetStats()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) getFaults(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Faults())
}

func (s *Server) putFaults(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		http.Error(w, "fault config: body unreadable or over 64 KiB", http.StatusRequestEntityTooLarge)
		return
	}
	c, err := ParseFaultConfig(body)
	if err == nil {
		err = s.SetFaults(c)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
