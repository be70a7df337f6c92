package webhook

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"sanmian/hub/store"
)

// Store is what the worker needs of the store.
type Store interface {
	ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]store.ClaimedDelivery, error)
	FinishDelivery(ctx context.Context, o store.DeliveryOutcome) error
}

// DefaultSchedule is the wait before each retry after a failed attempt: eight attempts over
// about 28 hours, then the delivery is dead-lettered.
var DefaultSchedule = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour,
	5 * time.Hour, 10 * time.Hour, 10 * time.Hour}

// Error classes recorded in the delivery log.
const (
	ClassTimeout  = "timeout"
	ClassConnect  = "connect"
	ClassRedirect = "status_3xx"
	ClassClient   = "status_4xx"
	ClassServer   = "status_5xx"
	ClassSecret   = "bad_secret"
	ClassOther    = "other"
)

// Worker delivers due webhooks. Run it once per process; with PostgreSQL every replica runs
// one and the leases share the work out.
type Worker struct {
	st       Store
	client   *http.Client
	now      func() time.Time
	schedule []time.Duration
	timeout  time.Duration
	lease    time.Duration
	batch    int
	poll     time.Duration
	jitter   float64
	log      *slog.Logger
}

// Option configures a Worker.
type Option func(*Worker)

// WithClock sets the worker's clock (due times, backoff, the webhook-timestamp header), so
// tests can let hours pass.
func WithClock(now func() time.Time) Option { return func(w *Worker) { w.now = now } }

// WithSchedule sets the retry schedule (see DefaultSchedule).
func WithSchedule(s []time.Duration) Option {
	return func(w *Worker) { w.schedule = append([]time.Duration(nil), s...) }
}

// WithTimeout sets the timeout of one POST (default 10 s); the lease is the timeout plus 30 s.
func WithTimeout(d time.Duration) Option { return func(w *Worker) { w.timeout = d } }

// WithPollInterval sets how often Run looks for due deliveries when idle (default 1 s).
func WithPollInterval(d time.Duration) Option { return func(w *Worker) { w.poll = d } }

// WithBatch sets how many deliveries one claim takes and sends concurrently (default 16).
func WithBatch(n int) Option { return func(w *Worker) { w.batch = n } }

// WithJitter sets the relative jitter of retry waits (default 0.1: ±10 %).
func WithJitter(f float64) Option { return func(w *Worker) { w.jitter = f } }

// WithHTTPClient sets the client that POSTs (its Timeout is replaced by the worker's).
func WithHTTPClient(c *http.Client) Option { return func(w *Worker) { w.client = c } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(w *Worker) { w.log = l } }

// NewWorker returns a worker over st.
func NewWorker(st Store, opts ...Option) *Worker {
	w := &Worker{st: st, now: time.Now, schedule: DefaultSchedule, timeout: 10 * time.Second, batch: 16,
		poll: time.Second, jitter: 0.1, log: slog.Default()}
	for _, o := range opts {
		o(w)
	}
	w.lease = w.timeout + 30*time.Second
	c := http.Client{}
	if w.client != nil {
		c = *w.client
	}
	c.Timeout = w.timeout
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	w.client = &c
	return w
}

// Run delivers until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := w.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			w.log.Warn("webhook: delivery round failed", "error", err)
		}
		wait := w.poll
		if n == w.batch {
			wait = 0 // more may be due
		}
		t.Reset(wait)
	}
}

// RunOnce claims one batch of due deliveries, sends them concurrently and records the
// outcomes. It returns how many it claimed.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	claimed, err := w.st.ClaimDeliveries(ctx, w.now(), w.lease, w.batch)
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	errs := make([]error, len(claimed))
	for i, d := range claimed {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = w.deliver(ctx, d)
		}()
	}
	wg.Wait()
	return len(claimed), errors.Join(errs...)
}

// deliver sends one delivery and records the attempt.
func (w *Worker) deliver(ctx context.Context, d store.ClaimedDelivery) error {
	start := w.now()
	status, class := w.post(ctx, d, start)
	a := store.DeliveryAttempt{DeliveryID: d.ID, Attempt: d.Attempts + 1, At: start, StatusCode: status,
		Duration: w.now().Sub(start), ErrorClass: class}
	o := store.DeliveryOutcome{ID: d.ID, ClaimToken: d.ClaimToken, Attempt: a, State: store.DeliveryDelivered}
	if class != "" {
		if d.Attempts < len(w.schedule) && class != ClassSecret {
			o.State, o.NextAt = store.DeliveryPending, w.now().Add(w.backoff(w.schedule[d.Attempts]))
		} else {
			o.State = store.DeliveryDead
			w.log.Warn("webhook: delivery dead-lettered", "delivery", d.ID, "subscription", d.SubscriptionID,
				"attempts", a.Attempt, "error_class", class, "status", status)
		}
	}
	err := w.st.FinishDelivery(context.WithoutCancel(ctx), o)
	if errors.Is(err, store.ErrLeaseLost) {
		w.log.Warn("webhook: lease lost during a delivery (another worker took it over, or its subscriber was revoked)", "delivery", d.ID)
		return nil
	}
	return err
}

// backoff returns d with the jitter applied.
func (w *Worker) backoff(d time.Duration) time.Duration {
	if w.jitter <= 0 {
		return d
	}
	f := 1 + w.jitter*(2*rand.Float64()-1)
	return time.Duration(float64(d) * f)
}

// post sends the signed request and classifies the answer ("" on 2xx).
func (w *Worker) post(ctx context.Context, d store.ClaimedDelivery, at time.Time) (status int, class string) {
	key, err := SecretKey(d.Secret)
	if err != nil {
		return 0, ClassSecret
	}
	ts := at.Unix()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Payload))
	if err != nil {
		return 0, ClassOther
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "sanmian-hub-webhooks")
	req.Header.Set("webhook-id", d.EventID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", Sign(key, d.EventID, ts, d.Payload))
	resp, err := w.client.Do(req)
	if err != nil {
		return 0, classify(err)
	}
	_ = resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return resp.StatusCode, ""
	case resp.StatusCode < 400:
		return resp.StatusCode, ClassRedirect
	case resp.StatusCode < 500:
		return resp.StatusCode, ClassClient
	default:
		return resp.StatusCode, ClassServer
	}
}

// classify names a transport error without its text (which may carry the URL).
func classify(err error) string {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return ClassTimeout
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" {
		return ClassConnect
	}
	return ClassOther
}
