// Package apptest starts the real hub for tests: the simulated platforms, app.New on SQLite
// in a temporary directory with the real policy bundle and connectors, a test token issuer,
// and the resident snapshot synced, served on a loopback HTTP server. Everything stops at the
// test's cleanup.
package apptest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"sanmian/connectors/sim"
	"sanmian/hub/app"
	"sanmian/hub/auth"
	"sanmian/hub/config"
	"sanmian/hub/demo"
	"sanmian/hub/seal"
)

// Hub is a running hub over simulated platforms.
type Hub struct {
	URL    string         // http://127.0.0.1:port, also the configured public URL
	Sim    *sim.Platforms // the platforms and their synthetic district
	App    *app.App
	Issuer *auth.Issuer       // the one trusted token issuer (EdDSA, kid auth.DemoKeyID)
	Key    ed25519.PrivateKey // the issuer's key, for hand-made tokens
}

// Options tune Start; the zero value is a 3,000-resident district with seed 7.
type Options struct {
	Residents int
	Seed      int64
	Faults    string
	// Wrap wraps the hub's handler (for tests that stand in for a gateway in front of it).
	Wrap func(http.Handler) http.Handler
	// Logger receives everything the hub logs (default: discarded). The simulated platforms
	// log elsewhere.
	Logger *slog.Logger
	// Configure adjusts the hub's configuration before the hub starts (hub.yaml settings).
	Configure func(*config.Config)
	// AppOptions are passed to app.New (a clock, for example).
	AppOptions []app.Option
}

// Start runs the hub; it fails the test on any error.
func Start(tb testing.TB, o Options) *Hub {
	tb.Helper()
	if o.Residents == 0 {
		o.Residents = 3000
	}
	if o.Seed == 0 {
		o.Seed = 7
	}
	ctx := tb.Context()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	p, err := sim.Start(context.WithoutCancel(ctx), sim.Config{Residents: o.Residents, Seed: o.Seed, Faults: o.Faults, Logger: quiet})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.Close() })
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	iss, err := auth.NewIssuer(auth.DemoIssuerName, auth.DemoKeyID, key, nil)
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	if _, err := seal.DemoMasterKey(dir); err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	url := "http://" + srv.Listener.Addr().String()
	cfg := demo.Config(dir, p, auth.TrustedIssuer{Name: iss.Name(), Algorithms: []string{"EdDSA"}, Keys: iss.KeySet()})
	cfg.Addr, cfg.PublicURL = srv.Listener.Addr().String(), url
	hubLog := o.Logger
	if hubLog == nil {
		hubLog = quiet
	}
	if o.Configure != nil {
		o.Configure(cfg)
	}
	a, err := app.New(ctx, cfg, append([]app.Option{app.WithLogger(hubLog), app.WithCheckpointInterval(time.Hour)}, o.AppOptions...)...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { a.Close() })
	if err := a.SyncSnapshot(ctx, nil); err != nil {
		tb.Fatal(err)
	}
	var h http.Handler = a.Handler()
	if o.Wrap != nil {
		h = o.Wrap(h)
	}
	srv.Config.Handler = h
	srv.Start()
	tb.Cleanup(srv.Close)
	return &Hub{URL: url, Sim: p, App: a, Issuer: iss, Key: key}
}

// Token mints a one-hour caller token with the test issuer; the subject is role-jurisdiction.
func (h *Hub) Token(tb testing.TB, role, jurisdiction string, scope ...string) string {
	tb.Helper()
	tok, err := h.Issuer.Mint(auth.Caller{Subject: role + "-" + jurisdiction, Role: role, Jurisdiction: jurisdiction, Scope: scope}, time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// Candidates lists up to 30 residents (indexes into the synthetic district's persons) that are
// likely eligible for item: the showcase samples first, then those the generator's heuristics
// mark. The real policy decides; tests try them in order until one is eligible.
func (h *Hub) Candidates(item string) []int32 {
	d := h.Sim.Data
	var out []int32
	for _, s := range d.Samples(40) {
		if slices.Contains(s.Items, item) {
			out = append(out, s.Person)
		}
	}
	for i := range d.Persons {
		if len(out) >= 30 {
			break
		}
		if slices.Contains(d.LikelyEligible(int32(i)), item) {
			out = append(out, int32(i))
		}
	}
	return out
}

// Eligible returns a living resident the real policy finds eligible for item, and the village
// they live in. It asks the hub's eligibility check (GraphQL person.eligibility with a
// village counter token) for each of Candidates in turn: the check creates no application, so
// the resident is still free to apply for the item (a second open application for a
// non-repeatable item is refused).
func (h *Hub) Eligible(tb testing.TB, item string) (id, village string) {
	tb.Helper()
	d := h.Sim.Data
	const query = `query($id: String!, $item: String!) { person(idNumber: $id, purpose: "测试：查找符合条件的居民") { eligibility(item: $item) { eligible } } }`
	candidates := h.Candidates(item)
	var last []byte
	for _, i := range candidates {
		p := &d.Persons[i]
		v := d.Village(p).Code
		body, _ := json.Marshal(map[string]any{"query": query, "variables": map[string]any{"id": p.ID, "item": item}})
		req, err := http.NewRequestWithContext(tb.Context(), http.MethodPost, h.URL+"/graphql", bytes.NewReader(body))
		if err != nil {
			tb.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+h.Token(tb, "counter", v))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			tb.Fatal(err)
		}
		last, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		var r struct {
			Data struct {
				Person struct {
					Eligibility struct {
						Eligible *bool
					}
				}
			}
		}
		if resp.StatusCode == http.StatusOK && json.Unmarshal(last, &r) == nil {
			if e := r.Data.Person.Eligibility.Eligible; e != nil && *e {
				return p.ID, v
			}
		}
	}
	tb.Fatalf("no resident the policy finds eligible for %s among %d candidates; last answer: %.600s", item, len(candidates), last)
	return "", ""
}
