package resilience

import (
	"errors"
	"fmt"
	"time"
)

// Config tunes one platform's client. The zero value of every field means "use the
// default" (see WithDefaults); Validate rejects negative values.
type Config struct {
	// RetryMax is the retry budget per call: at most RetryMax+1 attempts. Default 8, which
	// keeps a call's failure probability below 4e-6 when a quarter of attempts fail (0.25^9),
	// so an evidence request of about seven calls fails less than once in 30,000. Retries
	// only happen while attempts fail, so a healthy platform never sees them.
	RetryMax int `yaml:"retry_max,omitempty"`
	// RetryWaitMin and RetryWaitMax bound the jittered exponential backoff between attempts.
	// Defaults 50ms and 250ms: a counter waits for the answer, so the whole retry budget of a
	// failing call stays under about 1.6 s (429 answers wait for their Retry-After instead).
	RetryWaitMin time.Duration `yaml:"retry_wait_min,omitempty"`
	RetryWaitMax time.Duration `yaml:"retry_wait_max,omitempty"`
	// RetryAfterMax caps how long a Retry-After header (429/503) may make the client wait
	// before the next attempt. Default 2s.
	RetryAfterMax time.Duration `yaml:"retry_after_max,omitempty"`
	// AttemptTimeout limits one attempt, from sending the request to reading the whole body.
	// The caller's context bounds the whole call, all attempts and waits included.
	// Default 5s.
	AttemptTimeout time.Duration `yaml:"attempt_timeout,omitempty"`
	// RateLimit is the most attempts per second sent to the platform (every retry counts);
	// 0 means unlimited. RateBurst is the bucket size (default max(1, RateLimit)).
	RateLimit float64 `yaml:"rate_limit,omitempty"`
	RateBurst int     `yaml:"rate_burst,omitempty"`
	// BreakerFailures is the number of consecutive failed calls (each after its retries)
	// that opens the circuit. Default 5.
	BreakerFailures uint32 `yaml:"breaker_failures,omitempty"`
	// BreakerOpen is how long the circuit stays open before one probe call is let through.
	// Default 10s.
	BreakerOpen time.Duration `yaml:"breaker_open,omitempty"`
	// BreakerProbes is how many successful half-open probe calls close the circuit again.
	// Default 1.
	BreakerProbes uint32 `yaml:"breaker_probes,omitempty"`
	// MaxResponseBytes bounds the body read from one response. Default 64 MiB.
	MaxResponseBytes int64 `yaml:"max_response_bytes,omitempty"`
	// HedgeBudget enables hedged requests for idempotent calls: when an attempt has not
	// been answered after the endpoint's recent HedgeQuantile latency, one duplicate attempt
	// is sent (signed afresh) and the first good answer wins. The value caps the extra
	// load as a fraction of the other attempts (token bucket, burst 10): 0.05 allows at most 5%
	// more requests. 0 (the default) disables hedging; at most 0.5.
	HedgeBudget float64 `yaml:"hedge_budget,omitempty"`
	// HedgeQuantile is the quantile of the endpoint's recent attempt latencies (last 512,
	// hedging starts after 32) after which a hedge is sent. Default 0.9.
	HedgeQuantile float64 `yaml:"hedge_quantile,omitempty"`
	// HedgeMinDelay is the shortest wait before a hedge, so that sub-millisecond local
	// jitter never triggers one. Default 10ms.
	HedgeMinDelay time.Duration `yaml:"hedge_min_delay,omitempty"`
}

// Default values used by WithDefaults.
const (
	DefaultRetryMax         = 8
	DefaultRetryWaitMin     = 50 * time.Millisecond
	DefaultRetryWaitMax     = 250 * time.Millisecond
	DefaultRetryAfterMax    = 2 * time.Second
	DefaultAttemptTimeout   = 5 * time.Second
	DefaultBreakerFailures  = 5
	DefaultBreakerOpen      = 10 * time.Second
	DefaultBreakerProbes    = 1
	DefaultMaxResponseBytes = 64 << 20
	DefaultHedgeQuantile    = 0.9
	DefaultHedgeMinDelay    = 10 * time.Millisecond
)

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	if c.RetryMax == 0 {
		c.RetryMax = DefaultRetryMax
	}
	if c.RetryWaitMin == 0 {
		c.RetryWaitMin = DefaultRetryWaitMin
	}
	if c.RetryWaitMax == 0 {
		c.RetryWaitMax = DefaultRetryWaitMax
	}
	if c.RetryWaitMax < c.RetryWaitMin {
		c.RetryWaitMax = c.RetryWaitMin
	}
	if c.RetryAfterMax == 0 {
		c.RetryAfterMax = DefaultRetryAfterMax
	}
	if c.AttemptTimeout == 0 {
		c.AttemptTimeout = DefaultAttemptTimeout
	}
	if c.RateLimit > 0 && c.RateBurst == 0 {
		c.RateBurst = max(1, int(c.RateLimit))
	}
	if c.BreakerFailures == 0 {
		c.BreakerFailures = DefaultBreakerFailures
	}
	if c.BreakerOpen == 0 {
		c.BreakerOpen = DefaultBreakerOpen
	}
	if c.BreakerProbes == 0 {
		c.BreakerProbes = DefaultBreakerProbes
	}
	if c.MaxResponseBytes == 0 {
		c.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if c.HedgeQuantile == 0 {
		c.HedgeQuantile = DefaultHedgeQuantile
	}
	if c.HedgeMinDelay == 0 {
		c.HedgeMinDelay = DefaultHedgeMinDelay
	}
	return c
}

// NoRetries is the RetryMax value meaning "one attempt only" (a zero RetryMax means the
// default).
const NoRetries = -1

// Validate reports the first invalid field. Zero values are valid (they mean the default).
func (c Config) Validate() error {
	var errs []error
	if c.RetryMax < NoRetries {
		errs = append(errs, fmt.Errorf("retry_max %d < %d", c.RetryMax, NoRetries))
	}
	for name, d := range map[string]time.Duration{
		"retry_wait_min": c.RetryWaitMin, "retry_wait_max": c.RetryWaitMax,
		"retry_after_max": c.RetryAfterMax, "attempt_timeout": c.AttemptTimeout,
		"breaker_open": c.BreakerOpen, "hedge_min_delay": c.HedgeMinDelay,
	} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("%s is negative", name))
		}
	}
	if c.RateLimit < 0 || c.RateBurst < 0 {
		errs = append(errs, errors.New("rate_limit and rate_burst must not be negative"))
	}
	if c.MaxResponseBytes < 0 {
		errs = append(errs, errors.New("max_response_bytes is negative"))
	}
	if c.HedgeBudget < 0 || c.HedgeBudget > 0.5 {
		errs = append(errs, errors.New("hedge_budget must be between 0 and 0.5"))
	}
	if c.HedgeQuantile < 0 || c.HedgeQuantile >= 1 {
		errs = append(errs, errors.New("hedge_quantile must be in [0, 1)"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("resilience: config: %w", errors.Join(errs...))
	}
	return nil
}

// retries returns the effective retry budget (NoRetries -> 0).
func (c Config) retries() int {
	if c.RetryMax < 0 {
		return 0
	}
	return c.RetryMax
}
