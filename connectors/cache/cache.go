// Package cache is the hub's evidence cache, used by the assembler (hub/evidence/assembly):
// values fetched from the data platforms, kept per platform and kind with a TTL per kind,
// bounded in size (least recently used entries are evicted first), with single-flight so
// that concurrent requests for the same keys make one upstream call, and stale-if-error: when
// the platform fails, the last good value is served marked stale, but only where the caller
// allows stale evidence.
//
// Not-found answers are cached too (a negative entry), so a person unknown to a platform
// does not cost a call on every request within the TTL.
package cache

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"golang.org/x/sync/singleflight"

	"sanmian/connectors"
)

// Config tunes a Cache (hub.yaml's evidence section). Zero fields take defaults.
type Config struct {
	// MaxEntries bounds the number of cached values (default 100 000).
	MaxEntries int `yaml:"max_entries,omitempty"`
	// TTL is the freshness lifetime per kind ("<platform>.<kind>": "province.person",
	// "city.insurance", ...); kinds not listed use DefaultTTL (default 10 minutes).
	TTL        map[string]time.Duration `yaml:"ttl,omitempty"`
	DefaultTTL time.Duration            `yaml:"default_ttl,omitempty"`
	// MaxStale is, per kind, how long after expiry a value may still be served stale when its
	// platform fails and the caller allows stale evidence; 0 for a kind listed here means its
	// values are never served stale. Kinds not listed use DefaultMaxStale (default 24 hours).
	MaxStale        map[string]time.Duration `yaml:"max_stale,omitempty"`
	DefaultMaxStale time.Duration            `yaml:"default_max_stale,omitempty"`
}

// kindSyntax is the form of a kind in Config: "<platform>.<kind>", lower case.
var kindSyntax = regexp.MustCompile(`^[a-z]+\.[a-z_]+$`)

// Validate reports every problem at once: negative sizes or lifetimes, a TTL that is not
// positive, or a kind not of the form "<platform>.<kind>". Which kinds exist is the
// assembler's to say (hub/config checks them against assembly.CacheKinds).
func (c Config) Validate() error {
	var errs []error
	if c.MaxEntries < 0 {
		errs = append(errs, fmt.Errorf("max_entries %d is negative", c.MaxEntries))
	}
	if c.DefaultTTL < 0 {
		errs = append(errs, fmt.Errorf("default_ttl %s is negative", c.DefaultTTL))
	}
	if c.DefaultMaxStale < 0 {
		errs = append(errs, fmt.Errorf("default_max_stale %s is negative", c.DefaultMaxStale))
	}
	for _, k := range slices.Sorted(maps.Keys(c.TTL)) {
		if !kindSyntax.MatchString(k) {
			errs = append(errs, fmt.Errorf("ttl: kind %q is not of the form <platform>.<kind>", k))
		}
		if c.TTL[k] <= 0 {
			errs = append(errs, fmt.Errorf("ttl.%s %s is not positive", k, c.TTL[k]))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(c.MaxStale)) {
		if !kindSyntax.MatchString(k) {
			errs = append(errs, fmt.Errorf("max_stale: kind %q is not of the form <platform>.<kind>", k))
		}
		if c.MaxStale[k] < 0 {
			errs = append(errs, fmt.Errorf("max_stale.%s %s is negative", k, c.MaxStale[k]))
		}
	}
	return errors.Join(errs...)
}

// Kinds returns every kind the configuration names (in ttl or max_stale), sorted.
func (c Config) Kinds() []string {
	seen := map[string]bool{}
	for k := range c.TTL {
		seen[k] = true
	}
	for k := range c.MaxStale {
		seen[k] = true
	}
	return slices.Sorted(maps.Keys(seen))
}

// Observer receives one call per key looked up: result is "hit", "miss" or "stale".
// *resilience.Metrics implements it.
type Observer interface {
	CacheResult(platform, kind, result string)
}

// Cache is safe for concurrent use. A nil *Cache caches nothing (every lookup fetches).
type Cache struct {
	cfg      Config
	observer Observer
	now      func() time.Time

	mu  sync.Mutex
	lru *simplelru.LRU[string, *entry] // guarded by mu; kept past expiry for stale-if-error
	sf  singleflight.Group
}

type entry struct {
	value   any
	found   bool
	fetched time.Time
	expires time.Time
}

// Option configures a Cache.
type Option func(*Cache)

// WithObserver reports hits, misses and stale serves to o.
func WithObserver(o Observer) Option { return func(c *Cache) { c.observer = o } }

// WithClock replaces time.Now (tests).
func WithClock(now func() time.Time) Option { return func(c *Cache) { c.now = now } }

// New returns a cache.
func New(cfg Config, opts ...Option) *Cache {
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = 100_000
	}
	if cfg.DefaultTTL <= 0 {
		cfg.DefaultTTL = 10 * time.Minute
	}
	if cfg.DefaultMaxStale <= 0 {
		cfg.DefaultMaxStale = 24 * time.Hour
	}
	lru, err := simplelru.NewLRU[string, *entry](cfg.MaxEntries, nil)
	if err != nil {
		panic(err) // unreachable: MaxEntries is positive
	}
	c := &Cache{cfg: cfg, now: time.Now, lru: lru}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Result is one key's outcome of GetMany.
type Result[V any] struct {
	Value   V
	Found   bool      // false: the platform answered that it holds nothing for the key
	Fetched time.Time // when the value was fetched from the platform
	Stale   bool      // served after the platform failed, past its TTL
	Cached  bool      // served from the cache (fresh or stale) rather than this call's fetch
}

// Fetch fetches the values of keys from the platform; keys it holds nothing for are absent
// from the map.
type Fetch[V any] func(ctx context.Context, keys []string) (map[string]V, error)

// GetMany returns the values of keys under platform and kind: fresh cached values without a
// call, the others from one fetch of the missing keys (shared with concurrent callers
// asking for the same missing keys). When the fetch fails with an availability failure
// (connectors.IsAvailabilityFailure) and allowStale is set, keys with a cached value not
// older than MaxStale past expiry are served stale; the error is returned only when some
// key could not be served at all, together with the results that could.
func GetMany[V any](ctx context.Context, c *Cache, platform, kind string, keys []string, allowStale bool, fetch Fetch[V]) (map[string]Result[V], error) {
	out := make(map[string]Result[V], len(keys))
	if c == nil {
		vals, err := fetch(ctx, keys)
		if err != nil {
			return out, err
		}
		now := time.Now()
		for _, k := range keys {
			v, ok := vals[k]
			out[k] = Result[V]{Value: v, Found: ok, Fetched: now}
		}
		return out, nil
	}
	now := c.now()
	var missing []string
	c.mu.Lock()
	for _, k := range keys {
		if _, dup := out[k]; dup || slices.Contains(missing, k) {
			continue
		}
		key := c.key(platform, kind, k)
		if e, ok := c.lru.Peek(key); ok {
			if now.Before(e.expires) {
				c.lru.Get(key) // a fresh hit is a use; an expired entry keeps its place
				v, _ := e.value.(V)
				out[k] = Result[V]{Value: v, Found: e.found, Fetched: e.fetched, Cached: true}
				c.observe(platform, kind, "hit")
				continue
			}
		}
		missing = append(missing, k)
	}
	c.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	for range missing {
		c.observe(platform, kind, "miss")
	}
	sorted := slices.Clone(missing)
	slices.Sort(sorted)
	flight := platform + "\x00" + kind + "\x00" + strings.Join(sorted, ",")
	ch := c.sf.DoChan(flight, func() (any, error) {
		// The shared fetch must not die when the first caller is canceled while others
		// wait on it; it keeps the first caller's deadline.
		fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		if dl, ok := ctx.Deadline(); ok {
			fctx, cancel = context.WithDeadline(context.WithoutCancel(ctx), dl)
		}
		defer cancel()
		vals, err := fetch(fctx, sorted)
		if err != nil {
			return nil, err
		}
		fetched := c.now()
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, k := range sorted {
			v, ok := vals[k]
			c.put(platform, kind, k, v, ok, fetched)
		}
		return vals, nil
	})
	var res singleflight.Result
	select {
	case res = <-ch:
	case <-ctx.Done():
		return out, &connectors.Error{Platform: platform, Endpoint: kind, Kind: connectors.ErrCanceled}
	}
	if res.Err == nil {
		vals := res.Val.(map[string]V)
		fetched := c.now()
		for _, k := range missing {
			v, ok := vals[k]
			out[k] = Result[V]{Value: v, Found: ok, Fetched: fetched}
		}
		return out, nil
	}
	if !allowStale || !connectors.IsAvailabilityFailure(res.Err) {
		return out, res.Err
	}
	served := 0
	c.mu.Lock()
	for _, k := range missing {
		e, ok := c.lru.Peek(c.key(platform, kind, k))
		if !ok {
			continue
		}
		if now.Sub(e.expires) > c.maxStale(platform, kind) {
			continue
		}
		v, _ := e.value.(V)
		out[k] = Result[V]{Value: v, Found: e.found, Fetched: e.fetched, Stale: true, Cached: true}
		served++
	}
	c.mu.Unlock()
	for range served {
		c.observe(platform, kind, "stale")
	}
	if served < len(missing) {
		return out, res.Err
	}
	return out, nil
}

// Peek returns a cached value regardless of its age (fresh, expired or stale), without
// counting a lookup: used for hints, never as evidence.
func Peek[V any](c *Cache, platform, kind, key string) (V, bool) {
	var zero V
	if c == nil {
		return zero, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.lru.Peek(c.key(platform, kind, key))
	if !ok {
		return zero, false
	}
	v, ok := e.value.(V)
	return v, ok && e.found
}

// Len returns the number of cached entries.
func (c *Cache) Len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// Purge drops every entry.
func (c *Cache) Purge() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lru.Purge()
}

func (c *Cache) key(platform, kind, k string) string { return platform + "\x00" + kind + "\x00" + k }

func (c *Cache) ttl(platform, kind string) time.Duration {
	if d, ok := c.cfg.TTL[platform+"."+kind]; ok && d > 0 {
		return d
	}
	return c.cfg.DefaultTTL
}

func (c *Cache) maxStale(platform, kind string) time.Duration {
	if d, ok := c.cfg.MaxStale[platform+"."+kind]; ok && d >= 0 {
		return d
	}
	return c.cfg.DefaultMaxStale
}

// put stores a value; c.mu must be held.
func (c *Cache) put(platform, kind, k string, v any, found bool, fetched time.Time) {
	e := &entry{value: v, found: found, fetched: fetched, expires: fetched.Add(c.ttl(platform, kind))}
	c.lru.Add(c.key(platform, kind, k), e) // replaces and refreshes a key; evicts the least recently used past MaxEntries
}

func (c *Cache) observe(platform, kind, result string) {
	if c.observer != nil {
		c.observer.CacheResult(platform, kind, result)
	}
}
