package webhook

import (
	"errors"
	"fmt"
	"time"
)

// Bounds of Config.
const (
	MaxConcurrency = 256
	MaxRetries     = 30
	// MinRetryTotal is the least time a schedule must keep retrying: the contract promises
	// at least a day before a delivery is dead-lettered.
	MinRetryTotal = 24 * time.Hour
)

// ErrConfig is returned by Config.Validate for an unusable configuration.
var ErrConfig = errors.New("webhook: invalid configuration")

// Config is the "webhooks" section of the hub's configuration: this replica's delivery
// worker.
type Config struct {
	// Enabled says whether this replica runs a delivery worker (default true). Replicas
	// sharing PostgreSQL lease deliveries to each other, so any number may run one; with
	// false, events are still written to the outbox and other replicas deliver them.
	Enabled *bool `yaml:"enabled,omitempty"`
	// PollInterval is how often an idle worker looks for due deliveries (default 1s).
	PollInterval time.Duration `yaml:"poll_interval,omitempty"`
	// Concurrency is how many deliveries one round claims and sends at once (default 16).
	Concurrency int `yaml:"concurrency,omitempty"`
	// Timeout is how long a receiver has to answer one POST (default 10s).
	Timeout time.Duration `yaml:"timeout,omitempty"`
	// RetrySchedule is the wait before each retry after a failed attempt (default
	// DefaultSchedule: 5s 5m 30m 2h 5h 10h 10h); after the last, the delivery is
	// dead-lettered. The waits must add up to at least a day.
	RetrySchedule []time.Duration `yaml:"retry_schedule,omitempty"`
}

// On reports whether this replica runs a worker.
func (c Config) On() bool { return c.Enabled == nil || *c.Enabled }

// Validate reports the first problem, wrapping ErrConfig.
func (c Config) Validate() error {
	if c.PollInterval < 0 || c.PollInterval > time.Minute {
		return fmt.Errorf("%w: poll_interval must be between 0 (default 1s) and 1m", ErrConfig)
	}
	if c.Concurrency < 0 || c.Concurrency > MaxConcurrency {
		return fmt.Errorf("%w: concurrency must be between 0 (default 16) and %d", ErrConfig, MaxConcurrency)
	}
	if c.Timeout < 0 || c.Timeout > time.Minute {
		return fmt.Errorf("%w: timeout must be between 0 (default 10s) and 1m", ErrConfig)
	}
	if len(c.RetrySchedule) > 0 {
		if len(c.RetrySchedule) > MaxRetries {
			return fmt.Errorf("%w: retry_schedule has more than %d waits", ErrConfig, MaxRetries)
		}
		var total time.Duration
		for i, d := range c.RetrySchedule {
			if d <= 0 {
				return fmt.Errorf("%w: retry_schedule[%d] must be positive", ErrConfig, i)
			}
			total += d
		}
		if total < MinRetryTotal {
			return fmt.Errorf("%w: retry_schedule adds up to %s; deliveries must be retried for at least %s", ErrConfig, total, MinRetryTotal)
		}
	}
	return nil
}

// Options returns the worker options the configuration sets.
func (c Config) Options() []Option {
	var o []Option
	if c.PollInterval > 0 {
		o = append(o, WithPollInterval(c.PollInterval))
	}
	if c.Concurrency > 0 {
		o = append(o, WithBatch(c.Concurrency))
	}
	if c.Timeout > 0 {
		o = append(o, WithTimeout(c.Timeout))
	}
	if len(c.RetrySchedule) > 0 {
		o = append(o, WithSchedule(c.RetrySchedule))
	}
	return o
}
