package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"
)

// Built-in fault profile names (part of the product contract, DESIGN.md section 4).
const (
	ProfileNone           = "none"
	ProfileRealistic      = "realistic"
	ProfileFlaky          = "flaky"
	ProfileOutageProvince = "outage-province"
)

// Outage modes.
const (
	OutageStatus = "status" // answer every request with 503 in the platform's style
	OutageReset  = "reset"  // reset the TCP connection without an answer
)

// Limits on configured durations, so that a fault never holds a handler for ever.
const (
	maxFaultDelay     = 2 * time.Minute
	defaultTimeoutMax = 30 * time.Second
	defaultRetryAfter = time.Second
)

// Duration is a time.Duration that reads and writes as a Go duration string ("40ms") in JSON
// and YAML; a plain number is read as milliseconds.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats d like time.Duration.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalJSON writes d as a duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// MarshalYAML writes d as a duration string.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// UnmarshalJSON reads a duration string or a number of milliseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		return d.parse(s)
	}
	var ms float64
	if err := json.Unmarshal(b, &ms); err != nil {
		return fmt.Errorf("duration: want a string like \"40ms\" or milliseconds, got %s", b)
	}
	*d = Duration(ms * float64(time.Millisecond))
	return nil
}

// UnmarshalYAML reads a duration string or a number of milliseconds.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("duration: line %d: want a scalar", n.Line)
	}
	if n.Tag == "!!int" || n.Tag == "!!float" {
		ms, err := strconv.ParseFloat(n.Value, 64)
		if err != nil {
			return fmt.Errorf("duration: line %d: %w", n.Line, err)
		}
		*d = Duration(ms * float64(time.Millisecond))
		return nil
	}
	return d.parse(n.Value)
}

func (d *Duration) parse(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		*d = 0
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: %w", s, err)
	}
	*d = Duration(v)
	return nil
}

// Latency is a log-normal response delay given by its median and 99th percentile.
type Latency struct {
	Median Duration `json:"median" yaml:"median"` // 0 = no added latency
	P99    Duration `json:"p99" yaml:"p99"`       // 0 = 4 × Median
}

// Outage is a window during which a platform refuses every request.
type Outage struct {
	After Duration `json:"after" yaml:"after"` // start, measured from when the config is applied
	For   Duration `json:"for" yaml:"for"`     // length; 0 = until the config is replaced or the process ends
	Mode  string   `json:"mode" yaml:"mode"`   // OutageStatus (default) or OutageReset
}

// FaultConfig is the fault injection of one platform. The zero value injects nothing. Rates are
// probabilities in [0, 1]; the per-request faults (error, rate limit, timeout, truncate,
// malformed) are mutually exclusive, so their rates must sum to at most 1.
type FaultConfig struct {
	Latency       Latency  `json:"latency" yaml:"latency"`
	ErrorRate     float64  `json:"error_rate" yaml:"error_rate"`           // 5xx: 500, 502 and 503
	RateLimitRate float64  `json:"rate_limit_rate" yaml:"rate_limit_rate"` // 429 with Retry-After
	RetryAfter    Duration `json:"retry_after" yaml:"retry_after"`         // Retry-After value; 0 = 1 s
	TimeoutRate   float64  `json:"timeout_rate" yaml:"timeout_rate"`       // hang, then close the connection
	TimeoutMax    Duration `json:"timeout_max" yaml:"timeout_max"`         // longest hang; 0 = 30 s
	TruncateRate  float64  `json:"truncate_rate" yaml:"truncate_rate"`     // 2xx with the body cut mid-JSON
	MalformedRate float64  `json:"malformed_rate" yaml:"malformed_rate"`   // 2xx with invalid JSON or wrong types
	Outages       []Outage `json:"outages" yaml:"outages"`
}

// Validate reports whether c is usable; the error (wrapping ErrFaultConfig) names the field.
func (c FaultConfig) Validate() error {
	rates := []struct {
		name string
		v    float64
	}{
		{"error_rate", c.ErrorRate}, {"rate_limit_rate", c.RateLimitRate}, {"timeout_rate", c.TimeoutRate},
		{"truncate_rate", c.TruncateRate}, {"malformed_rate", c.MalformedRate},
	}
	sum := 0.0
	for _, r := range rates {
		if math.IsNaN(r.v) || r.v < 0 || r.v > 1 {
			return fmt.Errorf("%w: %s must be in [0, 1]", ErrFaultConfig, r.name)
		}
		sum += r.v
	}
	if sum > 1+1e-9 {
		return fmt.Errorf("%w: the rates sum to %.3f, more than 1", ErrFaultConfig, sum)
	}
	durs := []struct {
		name string
		v    Duration
	}{
		{"latency.median", c.Latency.Median}, {"latency.p99", c.Latency.P99},
		{"retry_after", c.RetryAfter}, {"timeout_max", c.TimeoutMax},
	}
	for _, d := range durs {
		if d.v < 0 || d.v.D() > maxFaultDelay {
			return fmt.Errorf("%w: %s must be between 0 and %s", ErrFaultConfig, d.name, maxFaultDelay)
		}
	}
	if c.Latency.P99 != 0 && c.Latency.P99 < c.Latency.Median {
		return fmt.Errorf("%w: latency.p99 is below latency.median", ErrFaultConfig)
	}
	for i, o := range c.Outages {
		if o.After < 0 || o.For < 0 {
			return fmt.Errorf("%w: outages[%d]: negative duration", ErrFaultConfig, i)
		}
		switch o.Mode {
		case "", OutageStatus, OutageReset:
		default:
			return fmt.Errorf("%w: outages[%d].mode must be %q or %q", ErrFaultConfig, i, OutageStatus, OutageReset)
		}
	}
	return nil
}

// Profile is a fault configuration for the three platforms, built in or read from YAML.
type Profile struct {
	Name     string      `json:"name" yaml:"-"`            // profile name or file path
	Seed     int64       `json:"seed" yaml:"seed"`         // 0 = derive from the data seed
	Province FaultConfig `json:"province" yaml:"province"` //
	City     FaultConfig `json:"city" yaml:"city"`         //
	District FaultConfig `json:"district" yaml:"district"` //
}

// profileFile is the YAML layout of a fault file: `all` applies to every platform not listed.
type profileFile struct {
	Seed     int64        `yaml:"seed"`
	All      *FaultConfig `yaml:"all"`
	Province *FaultConfig `yaml:"province"`
	City     *FaultConfig `yaml:"city"`
	District *FaultConfig `yaml:"district"`
}

// ProfileNames lists the built-in fault profiles.
func ProfileNames() []string {
	return []string{ProfileNone, ProfileRealistic, ProfileFlaky, ProfileOutageProvince}
}

func lognormal(median time.Duration) Latency {
	return Latency{Median: Duration(median), P99: Duration(8 * median)}
}

// builtinProfile returns the named built-in profile.
func builtinProfile(name string) (Profile, bool) {
	p := Profile{Name: name}
	switch name {
	case "", ProfileNone:
		p.Name = ProfileNone
	case ProfileRealistic:
		p.Province.Latency = lognormal(40 * time.Millisecond)
		p.City.Latency = lognormal(30 * time.Millisecond)
		p.District.Latency = lognormal(15 * time.Millisecond)
	case ProfileFlaky:
		c := FaultConfig{ErrorRate: 0.20, RateLimitRate: 0.05, RetryAfter: Duration(time.Second)}
		p.Province, p.City, p.District = c, c, c
	case ProfileOutageProvince:
		p.Province.Outages = []Outage{{Mode: OutageStatus}}
	default:
		return Profile{}, false
	}
	return p, true
}

// ParseFaults returns the built-in profile with the given name or, when nameOrPath is not a
// profile name, the profile read from the YAML file at that path (format in API.md section 5).
// The empty string is ProfileNone. Errors wrap ErrFaultConfig.
func ParseFaults(nameOrPath string) (Profile, error) {
	if p, ok := builtinProfile(nameOrPath); ok {
		return p, nil
	}
	data, err := os.ReadFile(nameOrPath)
	if err != nil {
		return Profile{}, fmt.Errorf("%w: %q is neither a built-in profile (%s) nor a readable file: %w",
			ErrFaultConfig, nameOrPath, strings.Join(ProfileNames(), ", "), err)
	}
	p, err := ParseProfileYAML(data)
	if err != nil {
		return Profile{}, err
	}
	p.Name = nameOrPath
	return p, nil
}

// ParseProfileYAML reads a fault profile in the YAML file format of API.md section 5.
// Unknown keys are errors. Errors wrap ErrFaultConfig.
func ParseProfileYAML(data []byte) (Profile, error) {
	var f profileFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return Profile{}, fmt.Errorf("%w: %w", ErrFaultConfig, err)
	}
	pick := func(c *FaultConfig) FaultConfig {
		switch {
		case c != nil:
			return *c
		case f.All != nil:
			return *f.All
		}
		return FaultConfig{}
	}
	p := Profile{Seed: f.Seed, Province: pick(f.Province), City: pick(f.City), District: pick(f.District)}
	for name, c := range map[string]FaultConfig{"province": p.Province, "city": p.City, "district": p.District} {
		if err := c.Validate(); err != nil {
			return Profile{}, fmt.Errorf("%s: %w", name, err)
		}
	}
	return p, nil
}

// ParseFaultConfig reads one platform's fault config from JSON or YAML (JSON is read as YAML).
// An empty document is the zero config. Unknown keys are errors. Errors wrap ErrFaultConfig.
func ParseFaultConfig(data []byte) (FaultConfig, error) {
	var c FaultConfig
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return FaultConfig{}, fmt.Errorf("%w: %w", ErrFaultConfig, err)
	}
	if err := c.Validate(); err != nil {
		return FaultConfig{}, err
	}
	return c, nil
}

// faultKind names an injected fault in the stats.
type faultKind string

const (
	faultNone      faultKind = ""
	faultLatency   faultKind = "latency"
	faultError     faultKind = "error"
	faultRateLimit faultKind = "rate_limit"
	faultTimeout   faultKind = "timeout"
	faultTruncate  faultKind = "truncate"
	faultMalformed faultKind = "malformed"
	faultOutage    faultKind = "outage"
)

// plan is what the injector decided for one request.
type plan struct {
	outage     string        // "" or an outage mode
	delay      time.Duration // added latency
	kind       faultKind     // at most one per-request fault
	status     int           // for faultError: 500, 502 or 503
	retryAfter int           // for faultRateLimit: seconds
	timeoutMax time.Duration // for faultTimeout
	htmlBody   bool          // for faultMalformed: a non-JSON body instead of wrong types
}

// injector holds one platform's fault config and its seeded generator. Safe for concurrent
// use: every draw happens under mu, so a given sequence of requests sees a reproducible
// sequence of faults.
type injector struct {
	mu      sync.Mutex
	cfg     FaultConfig
	applied time.Time
	rng     *rand.Rand
}

func newInjector(seed int64, cfg FaultConfig) *injector {
	return &injector{cfg: cfg, applied: time.Now(), rng: rand.New(rand.NewPCG(uint64(seed), 0x73616e6d69616e))}
}

func (in *injector) set(cfg FaultConfig) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.cfg = cfg
	in.applied = time.Now()
}

func (in *injector) get() FaultConfig {
	in.mu.Lock()
	defer in.mu.Unlock()
	c := in.cfg
	c.Outages = append([]Outage{}, c.Outages...)
	return c
}

// decide draws the faults for one request arriving at now.
func (in *injector) decide(now time.Time) plan {
	in.mu.Lock()
	defer in.mu.Unlock()
	c := &in.cfg
	var p plan
	since := now.Sub(in.applied)
	for _, o := range c.Outages {
		if since >= o.After.D() && (o.For == 0 || since < o.After.D()+o.For.D()) {
			p.outage = o.Mode
			if p.outage == "" {
				p.outage = OutageStatus
			}
			return p
		}
	}
	if c.Latency.Median > 0 {
		p.delay = sampleLatency(in.rng, c.Latency)
	}
	u := in.rng.Float64()
	switch {
	case u < c.ErrorRate:
		p.kind = faultError
		switch v := in.rng.IntN(4); v {
		case 0, 1:
			p.status = 500
		case 2:
			p.status = 502
		default:
			p.status = 503
		}
	case u < c.ErrorRate+c.RateLimitRate:
		p.kind = faultRateLimit
		ra := c.RetryAfter.D()
		if ra <= 0 {
			ra = defaultRetryAfter
		}
		p.retryAfter = max(1, int(math.Ceil(ra.Seconds())))
	case u < c.ErrorRate+c.RateLimitRate+c.TimeoutRate:
		p.kind = faultTimeout
		p.timeoutMax = c.TimeoutMax.D()
		if p.timeoutMax <= 0 {
			p.timeoutMax = defaultTimeoutMax
		}
	case u < c.ErrorRate+c.RateLimitRate+c.TimeoutRate+c.TruncateRate:
		p.kind = faultTruncate
	case u < c.ErrorRate+c.RateLimitRate+c.TimeoutRate+c.TruncateRate+c.MalformedRate:
		p.kind = faultMalformed
		p.htmlBody = in.rng.IntN(2) == 0
	}
	return p
}

// sampleLatency draws from the log-normal distribution with the given median and p99
// (z = 2.3263 at the 99th percentile), capped at 5 × p99.
func sampleLatency(rng *rand.Rand, l Latency) time.Duration {
	med := float64(l.Median)
	p99 := float64(l.P99)
	if p99 <= 0 {
		p99 = 4 * med
	}
	sigma := math.Log(p99/med) / 2.3263
	d := med * math.Exp(sigma*rng.NormFloat64())
	return time.Duration(min(d, 5*p99, float64(maxFaultDelay)))
}

// wrongTypes returns the JSON document body with its values converted to the wrong JSON
// types: numbers become strings, numeric strings become numbers, booleans and "Y"/"N" swap
// representations. When body is not JSON it is returned unchanged.
func wrongTypes(body []byte) []byte {
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return body
	}
	out, err := json.Marshal(mistype(v))
	if err != nil {
		return body
	}
	return out
}

func mistype(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = mistype(x)
		}
		return t
	case []any:
		for i, x := range t {
			t[i] = mistype(x)
		}
		return t
	case json.Number:
		return t.String()
	case bool:
		if t {
			return "true"
		}
		return "false"
	case string:
		switch t {
		case "Y":
			return true
		case "N":
			return false
		}
		if f, err := strconv.ParseFloat(t, 64); err == nil && !math.IsInf(f, 0) {
			return f
		}
		return t
	case nil:
		return 0
	}
	return v
}

// malformedHTML is what a misbehaving gateway sends instead of JSON.
const malformedHTML = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n"
