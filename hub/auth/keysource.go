package auth

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"sanmian/hub/auth/jwk"
)

// Defaults of the JWKS cache (see WithJWKSCache).
const (
	DefaultJWKSRefresh  = 10 * time.Minute // a cached set older than this is re-read
	DefaultJWKSMinWait  = 30 * time.Second // never re-read more often, even on unknown kid
	DefaultJWKSMaxStale = 6 * time.Hour    // serve a cached set this long while re-reading fails
)

// keySource yields an issuer's current key set.
type keySource interface {
	// keys returns the current set; refresh asks for a re-read (on an
	// unknown kid), which a cached source honours only past its minimum
	// wait.
	keys(ctx context.Context, refresh bool) (jwk.Set, error)
}

type staticSource struct{ set jwk.Set }

func (s staticSource) keys(context.Context, bool) (jwk.Set, error) { return s.set, nil }

// cachedSource caches the set read by load. It holds one set per issuer,
// so its memory is bounded by jwk.MaxSetSize per issuer. Safe for
// concurrent use; concurrent callers wait for one read.
type cachedSource struct {
	load     func(ctx context.Context) ([]byte, error)
	refresh  time.Duration
	minWait  time.Duration
	maxStale time.Duration
	now      func() time.Time

	mu       sync.Mutex
	set      jwk.Set
	loadedAt time.Time // zero until the first successful read
	tried    time.Time // last read attempt
	lastErr  error     // error of the last read, nil after a success
}

func (c *cachedSource) keys(ctx context.Context, refresh bool) (jwk.Set, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	have := !c.loadedAt.IsZero()
	if !c.tried.IsZero() && now.Sub(c.tried) < c.minWait {
		// Bounded: never read the source more often than minWait, even
		// when tokens with unknown kids or a failing source keep coming.
		return c.cached(now)
	}
	if have && !refresh && now.Sub(c.loadedAt) < c.refresh {
		return c.set, nil
	}
	c.tried = now
	data, err := c.load(ctx)
	if err == nil {
		var set jwk.Set
		set, err = jwk.Parse(data)
		if err == nil {
			c.set, c.loadedAt, c.lastErr = set, now, nil
			return set, nil
		}
	}
	c.lastErr = err
	return c.cached(now)
}

// cached returns the cached set while it is younger than maxStale.
func (c *cachedSource) cached(now time.Time) (jwk.Set, error) {
	if !c.loadedAt.IsZero() && now.Sub(c.loadedAt) < c.maxStale {
		return c.set, nil
	}
	if c.lastErr == nil {
		return jwk.Set{}, ErrKeysUnavailable
	}
	// The read error may name a path or URL from configuration, never a token.
	return jwk.Set{}, fmt.Errorf("%w: %v", ErrKeysUnavailable, c.lastErr)
}

func fileLoader(path string) func(context.Context) ([]byte, error) {
	return func(context.Context) ([]byte, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("open jwks file: %w", err)
		}
		defer f.Close()
		return io.ReadAll(io.LimitReader(f, jwk.MaxSetSize+1))
	}
}

func urlLoader(client *http.Client, url string) func(context.Context) ([]byte, error) {
	return func(ctx context.Context) ([]byte, error) {
		return FetchJWKS(ctx, client, url)
	}
}

// FetchJWKS GETs a JWK Set document from url with client (a client with a
// 10 s timeout when nil) and returns its body, at most jwk.MaxSetSize+1
// bytes (jwk.Parse refuses larger). Any status but 200 is an error.
func FetchJWKS(ctx context.Context, client *http.Client, url string) ([]byte, error) {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("jwks request: %w", err)
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("jwks fetch: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, fmt.Errorf("jwks fetch: status %d", resp.StatusCode)
	}
	return io.ReadAll(io.LimitReader(resp.Body, jwk.MaxSetSize+1))
}
