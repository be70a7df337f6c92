package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"sanmian/connectors/sim"
	"sanmian/hub/app"
	"sanmian/hub/auth"
	"sanmian/hub/config"
	"sanmian/hub/demo"
	"sanmian/hub/seal"
)

// env is a running hub (the real app on a store) in front of the real simulated platforms,
// served over loopback HTTP.
type env struct {
	URL       string
	App       *app.App
	Platforms *sim.Platforms
	Issuer    *auth.Issuer
	Config    *config.Config
	srv       *httptest.Server
}

type envOptions struct {
	residents int    // synthetic district size
	faults    string // sim fault profile (name or YAML file)
	store     string // store DSN; "" = SQLite in the data directory
	snapshot  bool   // sync the district feed into the store's resident snapshot first
	evaluator string // policy.evaluator; "" = the default (irvm)
}

// quietLogger drops everything below error: the benchmark measures the hub, not the log.
func quietLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError}))
}

// startPlatforms starts the simulated platforms, stopped at cleanup.
func startPlatforms(tb testing.TB, o envOptions) *sim.Platforms {
	tb.Helper()
	p, err := sim.Start(context.WithoutCancel(tb.Context()), sim.Config{Residents: o.residents, Seed: 1, Faults: o.faults, Logger: quietLogger()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = p.Close() })
	return p
}

// hubConfig is the configuration `hub demo` would write for platforms p in dir.
func hubConfig(tb testing.TB, dir string, p *sim.Platforms, storeDSN string) (*config.Config, *auth.Issuer) {
	tb.Helper()
	issuer, err := auth.OpenDemoIssuer(dir)
	if err != nil {
		tb.Fatal(err)
	}
	jwks, err := issuer.JWKS()
	if err != nil {
		tb.Fatal(err)
	}
	jwksFile := filepath.Join(dir, "issuer.jwks.json")
	if err := writeFile(jwksFile, jwks); err != nil {
		tb.Fatal(err)
	}
	if _, err := seal.DemoMasterKey(dir); err != nil {
		tb.Fatal(err)
	}
	cfg := demo.Config(dir, p, auth.TrustedIssuer{Name: issuer.Name(), Algorithms: []string{"EdDSA"}, JWKSFile: jwksFile})
	cfg.Addr = "127.0.0.1:0"
	cfg.PublicURL = "http://127.0.0.1" // printed on permits; the listener decides the port
	if storeDSN != "" {
		cfg.Store = storeDSN
	}
	return cfg, issuer
}

// startHub runs app.New on cfg behind a loopback HTTP server (cfg's addr and public_url are
// set to the server's); both stop at cleanup.
func startHub(tb testing.TB, cfg *config.Config) (*app.App, *httptest.Server) {
	tb.Helper()
	srv := httptest.NewUnstartedServer(nil)
	cfg.Addr, cfg.PublicURL = srv.Listener.Addr().String(), "http://"+srv.Listener.Addr().String()
	a, err := app.New(tb.Context(), cfg, app.WithLogger(quietLogger()), app.WithCheckpointInterval(time.Hour))
	if err != nil {
		srv.Close()
		tb.Fatal(err)
	}
	srv.Config.Handler = a.Handler()
	srv.Config.ReadHeaderTimeout = 10 * time.Second
	srv.Start()
	tb.Cleanup(func() {
		srv.Close()
		if err := a.Close(); err != nil {
			tb.Error(err)
		}
	})
	return a, srv
}

func startEnv(tb testing.TB, o envOptions) *env {
	tb.Helper()
	p := startPlatforms(tb, o)
	dir := tb.TempDir()
	cfg, issuer := hubConfig(tb, dir, p, o.store)
	cfg.Policy.Evaluator = o.evaluator
	a, srv := startHub(tb, cfg)
	if o.snapshot {
		// As `hub demo` does: copy the district roll into the store's resident snapshot.
		if err := a.SyncSnapshot(tb.Context(), nil); err != nil {
			tb.Fatal(err)
		}
	}
	return &env{URL: srv.URL, App: a, Platforms: p, Issuer: issuer, Config: cfg, srv: srv}
}

func writeFile(path string, b []byte) error { return os.WriteFile(path, b, 0o644) }

// resident is one applicant the load uses.
type resident struct {
	ID      string
	Village string
}

// residentsByHousehold returns up to n residents, at most one per household (so that no two
// requests share cached household evidence), skipping the first skip households.
func residentsByHousehold(p *sim.Platforms, skip, n int) []resident {
	d := p.Data
	var out []resident
	for i := skip; i < len(d.Households) && len(out) < n; i++ {
		h := &d.Households[i]
		if len(h.Members) == 0 {
			continue
		}
		per := &d.Persons[h.Members[0]]
		out = append(out, resident{ID: per.ID, Village: d.Village(per).Code})
	}
	return out
}

// tokens mints one counter token per village of rs.
func tokens(tb testing.TB, iss *auth.Issuer, rs []resident) map[string]string {
	tb.Helper()
	out := map[string]string{}
	for _, r := range rs {
		if _, ok := out[r.Village]; ok {
			continue
		}
		t, err := iss.Mint(auth.Caller{Subject: "counter-" + r.Village, Role: auth.RoleCounter, Jurisdiction: r.Village}, 8*time.Hour)
		if err != nil {
			tb.Fatal(err)
		}
		out[r.Village] = t
	}
	return out
}

// loadResult is the outcome of one load run.
type loadResult struct {
	Clients  int
	Interval time.Duration // 0: closed loop
	Requests int
	Errors   int
	Status   map[int]int
	Wall     time.Duration
	CPU      time.Duration   // user+system CPU of the whole process (hub, platforms, clients)
	Lat      []time.Duration // sorted
}

// CPUPerRequest is the process CPU time per request: on a machine shared with other work
// it shows the cost that throughput alone hides.
func (r loadResult) CPUPerRequest() time.Duration { return r.CPU / time.Duration(max(r.Requests, 1)) }

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (r loadResult) PerSecond() float64 { return float64(r.Requests) / r.Wall.Seconds() }

func (r loadResult) Pct(p float64) time.Duration {
	if len(r.Lat) == 0 {
		return 0
	}
	i := int(float64(len(r.Lat)-1) * p)
	return r.Lat[i]
}

func (r loadResult) String() string {
	return fmt.Sprintf("| %d | %d | %.0f/s | %.1f ms | %.1f ms | %.1f ms | %.2f ms | %d |", r.Clients, r.Requests, r.PerSecond(),
		ms(r.Pct(0.5)), ms(r.Pct(0.9)), ms(r.Pct(0.99)), ms(r.CPUPerRequest()), r.Errors)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

var idemSeq atomic.Int64

// createLoad POSTs n application creations from clients concurrent clients; request i is for
// rs[i % len(rs)], each with a fresh Idempotency-Key (so each creates a new application).
// Each client sends its next request as soon as the previous one is answered (closed loop).
func createLoad(tb testing.TB, url string, toks map[string]string, rs []resident, item string, clients, n int) loadResult {
	return pacedLoad(tb, url, toks, rs, item, clients, n, 0)
}

// pacedLoad is createLoad where each client starts a request at most every interval (the
// clients' phases spread evenly over one interval); interval 0 is the closed loop.
func pacedLoad(tb testing.TB, url string, toks map[string]string, rs []resident, item string, clients, n int, interval time.Duration) loadResult {
	tb.Helper()
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        clients,
		MaxIdleConnsPerHost: clients,
		MaxConnsPerHost:     clients,
		IdleConnTimeout:     time.Minute,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 2 * time.Minute}
	bodies := make([][]byte, len(rs))
	for i, r := range rs {
		bodies[i] = []byte(`{"item":"` + item + `","applicant":{"id_number":"` + r.ID + `"},"purpose":"benchmark: application at the service counter"}`)
	}
	lat := make([]time.Duration, n)
	status := make([]int, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	cpu0, start := cpuTime(), time.Now()
	for c := range clients {
		wg.Go(func() {
			slot := start.Add(interval * time.Duration(c) / time.Duration(clients))
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if interval > 0 {
					time.Sleep(time.Until(slot))
					slot = slot.Add(interval)
				}
				r := rs[i%len(rs)]
				req, err := http.NewRequest(http.MethodPost, url+"/v1/applications", bytes.NewReader(bodies[i%len(rs)]))
				if err != nil {
					panic(err)
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+toks[r.Village])
				req.Header.Set("Idempotency-Key", "bench-"+strconv.FormatInt(idemSeq.Add(1), 10))
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					status[i] = -1
					lat[i] = time.Since(t0)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				_ = resp.Body.Close()
				lat[i] = time.Since(t0)
				status[i] = resp.StatusCode
			}
		})
	}
	wg.Wait()
	res := loadResult{Clients: clients, Interval: interval, Requests: n, Wall: time.Since(start), CPU: cpuTime() - cpu0, Status: map[int]int{}}
	for i := range n {
		res.Status[status[i]]++
		if status[i] != http.StatusCreated {
			res.Errors++
		}
	}
	slices.Sort(lat)
	res.Lat = lat
	return res
}

// postJSON sends one JSON request with a bearer token and, for a 2xx answer, decodes it into
// out (if not nil); it returns the status. Safe to call from other goroutines: it reports
// failures with Error, not Fatal.
func postJSON(tb testing.TB, method, url, token, idemKey string, body any, out any) int {
	tb.Helper()
	st, b, err := sendJSON(method, url, token, idemKey, body)
	if err != nil {
		tb.Errorf("%s %s: %v", method, url, err)
		return 0
	}
	if out != nil && st/100 == 2 && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			tb.Errorf("%s %s: %d %s: %v", method, url, st, b, err)
		}
	}
	if st/100 != 2 {
		tb.Logf("%s %s: %d %s", method, url, st, b)
	}
	return st
}

func sendJSON(method, url, token, idemKey string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}
