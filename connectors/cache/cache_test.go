package cache

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"sanmian/connectors"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type clock struct{ t atomic.Int64 }

func (c *clock) now() time.Time      { return time.Unix(0, c.t.Load()) }
func (c *clock) add(d time.Duration) { c.t.Add(int64(d)) }
func newClock() *clock {
	c := &clock{}
	c.t.Store(time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func kv(vals map[string]int) Fetch[int] {
	return func(context.Context, []string) (map[string]int, error) { return vals, nil }
}

type counter struct{ hit, miss, stale atomic.Int32 }

func (c *counter) CacheResult(_, _, r string) {
	switch r {
	case "hit":
		c.hit.Add(1)
	case "miss":
		c.miss.Add(1)
	case "stale":
		c.stale.Add(1)
	}
}

var down = &connectors.Error{Platform: "p", Kind: connectors.ErrUnavailable}

func TestTTLPerKindAndNegativeEntries(t *testing.T) {
	clk := newClock()
	obs := &counter{}
	c := New(Config{TTL: map[string]time.Duration{"p.short": time.Second}, DefaultTTL: time.Hour}, WithClock(clk.now), WithObserver(obs))
	var calls atomic.Int32
	fetch := func(_ context.Context, keys []string) (map[string]int, error) {
		calls.Add(1)
		return map[string]int{"a": 1}, nil // "b" is unknown to the platform
	}
	for range 2 {
		r, err := GetMany(t.Context(), c, "p", "short", []string{"a", "b"}, false, fetch)
		if err != nil || r["a"].Value != 1 || !r["a"].Found || r["b"].Found {
			t.Fatalf("%+v %v", r, err)
		}
	}
	if calls.Load() != 1 || obs.hit.Load() != 2 || obs.miss.Load() != 2 {
		t.Fatalf("calls %d hits %d misses %d", calls.Load(), obs.hit.Load(), obs.miss.Load())
	}
	clk.add(2 * time.Second) // past the kind's TTL
	GetMany(t.Context(), c, "p", "short", []string{"a"}, false, fetch)
	GetMany(t.Context(), c, "p", "long", []string{"a"}, false, fetch)
	GetMany(t.Context(), c, "p", "long", []string{"a"}, false, fetch)
	if calls.Load() != 3 {
		t.Errorf("calls = %d, want 3", calls.Load())
	}
}

func TestStaleIfError(t *testing.T) {
	clk := newClock()
	obs := &counter{}
	c := New(Config{DefaultTTL: time.Minute, DefaultMaxStale: time.Hour}, WithClock(clk.now), WithObserver(obs))
	GetMany(t.Context(), c, "p", "k", []string{"a"}, false, kv(map[string]int{"a": 7}))
	clk.add(2 * time.Minute)
	fail := func(error) Fetch[int] {
		return func(context.Context, []string) (map[string]int, error) { return nil, down }
	}
	// Not allowed: the error.
	if _, err := GetMany(t.Context(), c, "p", "k", []string{"a"}, false, fail(down)); !errors.Is(err, connectors.ErrUnavailable) {
		t.Fatalf("err = %v", err)
	}
	// Allowed: the last good value, marked stale.
	r, err := GetMany(t.Context(), c, "p", "k", []string{"a"}, true, fail(down))
	if err != nil || !r["a"].Stale || r["a"].Value != 7 || obs.stale.Load() != 1 {
		t.Fatalf("%+v %v", r, err)
	}
	// A key never fetched cannot be served: error, with the partial results.
	r, err = GetMany(t.Context(), c, "p", "k", []string{"a", "z"}, true, fail(down))
	if err == nil || !r["a"].Stale {
		t.Fatalf("partial: %+v %v", r, err)
	}
	// Not an availability failure (auth): never served stale.
	auth := func(context.Context, []string) (map[string]int, error) {
		return nil, &connectors.Error{Platform: "p", Kind: connectors.ErrAuth}
	}
	if _, err := GetMany(t.Context(), c, "p", "k", []string{"a"}, true, auth); !errors.Is(err, connectors.ErrAuth) {
		t.Errorf("auth error served stale: %v", err)
	}
	// Too old even for stale.
	clk.add(2 * time.Hour)
	if _, err := GetMany(t.Context(), c, "p", "k", []string{"a"}, true, fail(down)); err == nil {
		t.Error("value older than MaxStale served")
	}
}

func TestBoundedLRU(t *testing.T) {
	c := New(Config{MaxEntries: 3})
	for _, k := range []string{"a", "b", "c"} {
		GetMany(t.Context(), c, "p", "k", []string{k}, false, kv(map[string]int{k: 1}))
	}
	GetMany(t.Context(), c, "p", "k", []string{"a"}, false, kv(nil)) // touch a
	GetMany(t.Context(), c, "p", "k", []string{"d"}, false, kv(map[string]int{"d": 1}))
	if c.Len() != 3 {
		t.Fatalf("len = %d", c.Len())
	}
	if _, ok := Peek[int](c, "p", "k", "b"); ok {
		t.Error("least recently used entry b survived")
	}
	if _, ok := Peek[int](c, "p", "k", "a"); !ok {
		t.Error("recently used entry a evicted")
	}
}

// TestLRURecency pins which lookups count as a use for eviction: a fresh hit and a re-fetch
// do; a Peek (a hint) and a stale serve after a platform failure do not.
func TestLRURecency(t *testing.T) {
	failing := func(context.Context, []string) (map[string]int, error) { return nil, down }
	cases := []struct {
		name    string
		between func(t *testing.T, c *Cache, clk *clock) // after a, b, c are cached (a oldest)
		evicted string                                   // by caching d
	}{
		{"fresh_hit_is_a_use", func(t *testing.T, c *Cache, _ *clock) {
			GetMany(t.Context(), c, "p", "k", []string{"a"}, false, kv(nil))
		}, "b"},
		{"peek_is_not_a_use", func(t *testing.T, c *Cache, _ *clock) {
			Peek[int](c, "p", "k", "a")
		}, "a"},
		{"refetch_after_expiry_is_a_use", func(t *testing.T, c *Cache, clk *clock) {
			clk.add(2 * time.Minute)
			GetMany(t.Context(), c, "p", "k", []string{"a"}, false, kv(map[string]int{"a": 2}))
		}, "b"},
		{"stale_serve_is_not_a_use", func(t *testing.T, c *Cache, clk *clock) {
			clk.add(2 * time.Minute)
			if r, err := GetMany(t.Context(), c, "p", "k", []string{"a"}, true, failing); err != nil || !r["a"].Stale {
				t.Fatalf("stale serve: %+v %v", r, err)
			}
		}, "a"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			c := New(Config{MaxEntries: 3, DefaultTTL: time.Minute}, WithClock(clk.now))
			for _, k := range []string{"a", "b", "c"} {
				GetMany(t.Context(), c, "p", "k", []string{k}, false, kv(map[string]int{k: 1}))
			}
			tc.between(t, c, clk)
			GetMany(t.Context(), c, "p", "k", []string{"d"}, false, kv(map[string]int{"d": 1}))
			for _, k := range []string{"a", "b", "c", "d"} {
				_, ok := Peek[int](c, "p", "k", k)
				if ok == (k == tc.evicted) {
					t.Errorf("entry %s cached = %v, want the eviction of %s only", k, ok, tc.evicted)
				}
			}
		})
	}
}

func TestSingleFlight(t *testing.T) {
	c := New(Config{})
	var calls atomic.Int32
	release := make(chan struct{})
	fetch := func(context.Context, []string) (map[string]int, error) {
		calls.Add(1)
		<-release
		return map[string]int{"a": 1, "b": 2}, nil
	}
	var wg sync.WaitGroup
	for i := range 20 {
		keys := []string{"a", "b"}
		if i%2 == 1 {
			keys = []string{"b", "a"} // same set, other order
		}
		wg.Go(func() {
			r, err := GetMany(t.Context(), c, "p", "k", keys, false, fetch)
			if err != nil || r["b"].Value != 2 {
				t.Error(r, err)
			}
		})
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	if calls.Load() != 1 {
		t.Errorf("fetches = %d, want 1", calls.Load())
	}
}

func TestNilCacheFetches(t *testing.T) {
	var c *Cache
	r, err := GetMany(t.Context(), c, "p", "k", []string{"a", "b"}, true, kv(map[string]int{"a": 1}))
	if err != nil || !r["a"].Found || r["b"].Found {
		t.Fatal(r, err)
	}
}

// TestMaxStalePerKind: a kind's own max_stale bounds its stale serves (0: never stale), other
// kinds use DefaultMaxStale.
func TestMaxStalePerKind(t *testing.T) {
	clk := newClock()
	c := New(Config{DefaultTTL: time.Minute, DefaultMaxStale: time.Hour,
		MaxStale: map[string]time.Duration{"p.short": 5 * time.Minute, "p.never": 0}}, WithClock(clk.now))
	down := func(context.Context, []string) (map[string]int, error) {
		return nil, &connectors.Error{Platform: "p", Kind: connectors.ErrUnavailable}
	}
	for _, k := range []string{"short", "never", "other"} {
		GetMany(t.Context(), c, "p", k, []string{"a"}, false, kv(map[string]int{"a": 1}))
	}
	clk.add(time.Minute + 4*time.Minute) // 4 minutes past expiry
	for _, tc := range []struct {
		kind      string
		wantStale bool
	}{{"short", true}, {"never", false}, {"other", true}} {
		r, err := GetMany(t.Context(), c, "p", tc.kind, []string{"a"}, true, down)
		if got := err == nil && r["a"].Stale; got != tc.wantStale {
			t.Errorf("4m past expiry, kind %s: stale served %v (err %v), want %v", tc.kind, got, err, tc.wantStale)
		}
	}
	clk.add(2 * time.Minute) // 6 minutes past expiry: beyond p.short's 5 minutes
	for _, tc := range []struct {
		kind      string
		wantStale bool
	}{{"short", false}, {"never", false}, {"other", true}} {
		r, err := GetMany(t.Context(), c, "p", tc.kind, []string{"a"}, true, down)
		if got := err == nil && r["a"].Stale; got != tc.wantStale {
			t.Errorf("6m past expiry, kind %s: stale served %v (err %v), want %v", tc.kind, got, err, tc.wantStale)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want string // "" valid, else a fragment of the error
	}{
		{"zero", Config{}, ""},
		{"per_kind", Config{TTL: map[string]time.Duration{"province.person": time.Minute},
			MaxStale: map[string]time.Duration{"province.person": 0, "district.resident": time.Hour}}, ""},
		{"ttl_zero", Config{TTL: map[string]time.Duration{"province.person": 0}}, "ttl.province.person 0s is not positive"},
		{"ttl_negative", Config{TTL: map[string]time.Duration{"city.insurance": -time.Second}}, "not positive"},
		{"bare_kind", Config{TTL: map[string]time.Duration{"person": time.Minute}}, `kind "person" is not of the form`},
		{"max_stale_negative", Config{MaxStale: map[string]time.Duration{"city.insurance": -time.Second}}, "max_stale.city.insurance -1s is negative"},
		{"default_ttl_negative", Config{DefaultTTL: -time.Second}, "default_ttl"},
		{"default_max_stale_negative", Config{DefaultMaxStale: -time.Second}, "default_max_stale"},
		{"max_entries_negative", Config{MaxEntries: -1}, "max_entries"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("valid config refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
