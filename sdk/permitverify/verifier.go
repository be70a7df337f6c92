package permitverify

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"sanmian/hub/auth/jwk"
)

// Paths of the hub's public verification material, below its base URL.
const (
	JWKSPath       = "/.well-known/jwks.json"
	StatusListPath = "/v1/permits/status"
)

// Defaults of Config.
const (
	DefaultMaxAge          = 5 * time.Minute // cache time of a response without max-age or Expires
	DefaultRefreshInterval = time.Minute     // least time between two key-set fetches for unknown kids
	DefaultMaxStale        = time.Hour       // how long past its cache time a key set is used when the hub cannot be reached
	maxCacheAge            = 24 * time.Hour  // cap on a served max-age
)

// Config configures an online Verifier.
type Config struct {
	// HubURL is the hub's base URL; the key set is fetched from HubURL + JWKSPath. Required
	// unless JWKSURL is given.
	HubURL string
	// JWKSURL overrides the key set's URL.
	JWKSURL string
	// StatusListOrigins are the origins ("https://hub.example.gov.cn") whose status lists
	// the verifier fetches when a permit names one; the key set's origin is always allowed.
	// A permit naming a list elsewhere is refused with ErrStatusList: the URL comes from
	// the token and is not fetched blindly.
	StatusListOrigins []string
	// HTTPClient fetches key sets and status lists (default: a client with a 15-second
	// timeout).
	HTTPClient *http.Client
	// DefaultMaxAge is how long a response without Cache-Control max-age or Expires is
	// cached (default DefaultMaxAge).
	DefaultMaxAge time.Duration
	// RefreshInterval rate-limits the key-set fetches a permit with an unknown kid causes
	// (default DefaultRefreshInterval): within it, an unknown kid is invalid
	// (ReasonUnknownKey) without asking the hub again.
	RefreshInterval time.Duration
	// MaxStale is how long past its cache time a key set or status list is still used
	// while the hub cannot be reached (default DefaultMaxStale; a status list never past
	// its own exp).
	MaxStale time.Duration
	// Leeway allows clock skew on a permit's exp, iat and nbf (default none).
	Leeway time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// OfflineConfig configures a Verifier that works from a Snapshot alone.
type OfflineConfig struct {
	// StaleStatusList is how long after its exp a status list in the snapshot is still
	// used (its signature is then checked as of its exp). Zero: an expired list is an
	// error (ErrStatusList) and the snapshot must be renewed; a permit that names no
	// status list still verifies.
	StaleStatusList time.Duration
	// Leeway allows clock skew on a permit's exp, iat and nbf (default none).
	Leeway time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Verifier verifies permits with the hub's key set and revocation status lists. Online (New)
// it fetches both from the hub and caches them as the hub's Cache-Control says; offline
// (NewOffline) it uses a Snapshot taken earlier and never touches the network. Safe for
// concurrent use.
type Verifier struct {
	offline     bool
	jwksURL     string
	origins     map[string]bool
	client      *http.Client
	defaultAge  time.Duration
	refreshGap  time.Duration
	maxStale    time.Duration
	staleOK     time.Duration
	leeway      time.Duration
	now         func() time.Time
	keysMu      sync.Mutex
	keys        jwk.Set
	keysRaw     []byte
	keysExpire  time.Time // cache time
	keysFetched time.Time // last fetch attempt
	listsMu     sync.Mutex
	lists       map[string]*cachedList
}

// cachedList is a verified, decoded status list with the token it came from.
type cachedList struct {
	token   string
	list    *StatusList
	expires time.Time // cache time (online)
	exp     time.Time // the token's exp; zero when it has none
}

// New returns an online verifier for the hub cfg names. It fetches nothing until the
// first Verify (or Refresh).
func New(cfg Config) (*Verifier, error) {
	jwksURL := cfg.JWKSURL
	if jwksURL == "" {
		if cfg.HubURL == "" {
			return nil, errors.New("permitverify: HubURL or JWKSURL is required")
		}
		jwksURL = strings.TrimRight(cfg.HubURL, "/") + JWKSPath
	}
	u, err := url.Parse(jwksURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("permitverify: key set URL %q is not an absolute http(s) URL", jwksURL)
	}
	v := &Verifier{
		jwksURL:    jwksURL,
		origins:    map[string]bool{origin(u): true},
		client:     cfg.HTTPClient,
		defaultAge: orDefault(cfg.DefaultMaxAge, DefaultMaxAge),
		refreshGap: orDefault(cfg.RefreshInterval, DefaultRefreshInterval),
		maxStale:   orDefault(cfg.MaxStale, DefaultMaxStale),
		leeway:     cfg.Leeway,
		now:        cfg.Now,
		lists:      map[string]*cachedList{},
	}
	for _, o := range cfg.StatusListOrigins {
		ou, err := url.Parse(o)
		if err != nil || ou.Host == "" {
			return nil, fmt.Errorf("permitverify: status list origin %q is not a URL", o)
		}
		v.origins[origin(ou)] = true
	}
	if v.client == nil {
		v.client = &http.Client{Timeout: 15 * time.Second}
	}
	if v.now == nil {
		v.now = time.Now
	}
	return v, nil
}

// NewOffline returns a verifier that uses only the key set and status lists of s.
// Errors wrap ErrJWKS when the snapshot's key set does not parse or is empty.
func NewOffline(s *Snapshot, cfg OfflineConfig) (*Verifier, error) {
	if s == nil {
		return nil, fmt.Errorf("%w: no snapshot", ErrJWKS)
	}
	keys, err := jwk.Parse(s.JWKS)
	if err != nil {
		return nil, fmt.Errorf("%w: snapshot: %w", ErrJWKS, err)
	}
	if keys.Len() == 0 {
		return nil, fmt.Errorf("%w: snapshot: empty key set", ErrJWKS)
	}
	v := &Verifier{
		offline: true,
		keys:    keys,
		keysRaw: s.JWKS,
		staleOK: cfg.StaleStatusList,
		leeway:  cfg.Leeway,
		now:     cfg.Now,
		lists:   map[string]*cachedList{},
	}
	if v.now == nil {
		v.now = time.Now
	}
	for uri, tok := range s.StatusLists {
		v.lists[uri] = &cachedList{token: tok}
	}
	return v, nil
}

// Verify checks a permit token: signature with the hub's key set (fetched again, at most
// once per RefreshInterval, when the permit's kid is unknown), the kid's office, exp, iat
// and nbf, the required claims, and, when the permit names a status list, revocation.
// A permit that does not verify or is revoked is a Result with Valid false and a Reason,
// and a nil error; the error is non-nil when verification could not be carried out: no
// usable key set (ErrJWKS), or the status list could not be had or trusted (ErrStatusList;
// offline, also ErrOffline when the snapshot holds no list for the permit).
func (v *Verifier) Verify(ctx context.Context, token string) (Result, error) {
	token = strings.TrimSpace(token)
	keys, err := v.keySet(ctx, headerKid(token))
	if err != nil {
		return Result{Status: StatusInvalid}, err
	}
	now := v.now()
	res, err := Verify(token, keys, now, WithLeeway(v.leeway))
	if err != nil || !res.Valid || res.Claims.Status == nil {
		return res, err
	}
	uri := res.Claims.Status.StatusList.URI
	list, err := v.statusList(ctx, uri, keys, now)
	if err != nil {
		return Result{Status: StatusInvalid, Claims: res.Claims, Kid: res.Kid}, err
	}
	return checkRevocation(res, uri, list)
}

// Refresh fetches the key set now (online only), whatever its cache time.
func (v *Verifier) Refresh(ctx context.Context) error {
	if v.offline {
		return nil
	}
	v.keysMu.Lock()
	defer v.keysMu.Unlock()
	return v.fetchKeys(ctx)
}

// keySet returns the key set to verify a permit with kid, fetching it when none is cached,
// the cached one is past its cache time, or kid is not in it (rate-limited).
func (v *Verifier) keySet(ctx context.Context, kid string) (jwk.Set, error) {
	v.keysMu.Lock()
	defer v.keysMu.Unlock()
	if v.offline {
		return v.keys, nil
	}
	now := v.now()
	have := v.keys.Len() > 0
	_, known := v.keys.Lookup(kid)
	switch {
	case !have:
		if err := v.fetchKeys(ctx); err != nil {
			return jwk.Set{}, err
		}
	case now.After(v.keysExpire):
		if err := v.fetchKeys(ctx); err != nil && now.After(v.keysExpire.Add(v.maxStale)) {
			return jwk.Set{}, err
		}
	case !known && kid != "" && now.Sub(v.keysFetched) >= v.refreshGap:
		_ = v.fetchKeys(ctx) // the permit stays unknown_key if this fails
	}
	return v.keys, nil
}

// fetchKeys fetches the key set; the caller holds keysMu.
func (v *Verifier) fetchKeys(ctx context.Context) error {
	now := v.now()
	v.keysFetched = now
	body, maxAge, err := v.get(ctx, v.jwksURL, jwk.MaxSetSize)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrJWKS, err)
	}
	keys, err := jwk.Parse(body)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrJWKS, v.jwksURL, err)
	}
	if keys.Len() == 0 {
		return fmt.Errorf("%w: %s: empty key set", ErrJWKS, v.jwksURL)
	}
	v.keys, v.keysRaw, v.keysExpire = keys, body, now.Add(maxAge)
	return nil
}

// statusList returns the verified list at uri: cached while fresh, fetched otherwise
// (online), from the snapshot (offline).
func (v *Verifier) statusList(ctx context.Context, uri string, keys jwk.Set, now time.Time) (*StatusList, error) {
	v.listsMu.Lock()
	defer v.listsMu.Unlock()
	c := v.lists[uri]
	if v.offline {
		if c == nil {
			return nil, fmt.Errorf("%w: %w: no status list for %s", ErrStatusList, ErrOffline, uri)
		}
		if c.list == nil {
			if err := c.verify(keys, uri, now, v.staleOK); err != nil {
				return nil, err
			}
		}
		if !c.exp.IsZero() && now.After(c.exp.Add(v.staleOK)) {
			return nil, fmt.Errorf("%w: the snapshot's list for %s expired at %s; take a new snapshot",
				ErrStatusList, uri, c.exp.Format(time.RFC3339))
		}
		return c.list, nil
	}
	if c != nil && now.Before(c.expires) {
		return c.list, nil
	}
	fresh, err := v.fetchList(ctx, uri, keys, now)
	if err != nil {
		// Keep using a list past its cache time (never past its exp) while the hub
		// cannot be reached.
		if c != nil && now.Before(c.expires.Add(v.maxStale)) && (c.exp.IsZero() || now.Before(c.exp)) {
			return c.list, nil
		}
		return nil, err
	}
	v.lists[uri] = fresh
	return fresh.list, nil
}

// fetchList fetches and verifies the status list token at uri.
func (v *Verifier) fetchList(ctx context.Context, uri string, keys jwk.Set, now time.Time) (*cachedList, error) {
	u, err := url.Parse(uri)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !v.origins[origin(u)] {
		return nil, fmt.Errorf("%w: the permit names a status list at %q, outside the allowed origins", ErrStatusList, uri)
	}
	body, maxAge, err := v.get(ctx, uri, 4*MaxStatusListBits/8)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStatusList, err)
	}
	c := &cachedList{token: strings.TrimSpace(string(body))}
	if err := c.verify(keys, uri, now, 0); err != nil {
		return nil, err
	}
	c.expires = now.Add(maxAge)
	if !c.exp.IsZero() && c.exp.Before(c.expires) {
		c.expires = c.exp
	}
	return c, nil
}

// verify checks the list's token with keys as of now, or as of its exp when it expired
// less than stale ago, and fills list and exp.
func (c *cachedList) verify(keys jwk.Set, uri string, now time.Time, stale time.Duration) error {
	exp := tokenExp(c.token)
	at := now
	if stale > 0 && !exp.IsZero() && now.After(exp) && now.Before(exp.Add(stale)) {
		at = exp.Add(-time.Second)
	}
	list, err := VerifyStatusListToken(c.token, keys, uri, at)
	if err != nil {
		if !exp.IsZero() && at.After(exp) {
			return fmt.Errorf("%w: the list for %s expired at %s", ErrStatusList, uri, exp.Format(time.RFC3339))
		}
		return err
	}
	c.list, c.exp = list, exp
	return nil
}

// get fetches url and returns at most limit bytes of its body and how long it may be
// cached.
func (v *Verifier) get(ctx context.Context, url string, limit int64) ([]byte, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, 0, err
	}
	resp, err := v.client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return nil, 0, fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, 0, fmt.Errorf("GET %s: %w", url, err)
	}
	if int64(len(body)) > limit {
		return nil, 0, fmt.Errorf("GET %s: larger than %d bytes", url, limit)
	}
	return body, cacheAge(resp.Header, v.now(), v.defaultAge), nil
}

// cacheAge reads how long a response may be cached (RFC 9111): no-store or no-cache
// none, else max-age less Age, else Expires less Date (or now), else def; capped at a
// day.
func cacheAge(h http.Header, now time.Time, def time.Duration) time.Duration {
	age := def
	cc := strings.ToLower(h.Get("Cache-Control"))
	found := false
	for d := range strings.SplitSeq(cc, ",") {
		d = strings.TrimSpace(d)
		switch {
		case d == "no-store" || d == "no-cache":
			return 0
		case strings.HasPrefix(d, "max-age="):
			if n, err := strconv.ParseInt(strings.Trim(d[len("max-age="):], `"`), 10, 64); err == nil && n >= 0 {
				age, found = time.Duration(n)*time.Second, true
			}
		}
	}
	if found {
		if n, err := strconv.ParseInt(h.Get("Age"), 10, 64); err == nil && n > 0 {
			age -= time.Duration(n) * time.Second
		}
	} else if e := h.Get("Expires"); e != "" {
		age = 0 // an invalid Expires means already expired
		if t, err := http.ParseTime(e); err == nil {
			base := now
			if d, err := http.ParseTime(h.Get("Date")); err == nil {
				base = d
			}
			age = t.Sub(base)
		}
	}
	return min(max(age, 0), maxCacheAge)
}

// headerKid reads the kid of a compact JWS header without verifying anything ("" when
// there is none).
func headerKid(token string) string {
	h, _, ok := strings.Cut(token, ".")
	if !ok || len(h) > 4096 {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return ""
	}
	var hdr struct {
		Kid string `json:"kid"`
	}
	_ = json.Unmarshal(b, &hdr)
	return hdr.Kid
}

// tokenExp reads the exp claim of a compact JWS without verifying it (zero when absent).
func tokenExp(token string) time.Time {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return time.Time{}
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}
	}
	var c struct {
		Exp *float64 `json:"exp"`
	}
	if json.Unmarshal(b, &c) != nil || c.Exp == nil {
		return time.Time{}
	}
	return time.Unix(int64(*c.Exp), 0)
}

func origin(u *url.URL) string { return strings.ToLower(u.Scheme + "://" + u.Host) }

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
