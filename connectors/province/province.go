package province

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"sanmian/connectors"
	"sanmian/connectors/internal/wire"
	"sanmian/connectors/resilience"
	"sanmian/hub/evidence"
)

// Platform is the platform name in errors, metrics and provenance.
const Platform = string(evidence.Province)

// Endpoint names (metrics, errors, provenance).
const (
	EndpointPersons  = "rkjc/query"
	EndpointLicences = "dzzz/query"
	EndpointKinship  = "qsgx/query"
)

const (
	pathPersons  = "/gateway/api/rkjc/query"
	pathLicences = "/gateway/api/dzzz/query"
	pathKinship  = "/gateway/api/qsgx/query"
	// MaxBatch is the most ID numbers one query accepts.
	MaxBatch = 50
	// licencePageSize is the page size asked of dzzz/query (the platform allows 100).
	licencePageSize = 100
	// kinshipPageSize is the page size asked of qsgx/query (the platform allows 100).
	kinshipPageSize = 100
	// maxPages guards against a platform that never stops paging.
	maxPages = 1000
)

// Config configures the province client.
type Config struct {
	BaseURL    string            `yaml:"base_url"`
	AppKey     string            `yaml:"app_key"`
	Secret     string            `yaml:"secret"`
	Resilience resilience.Config `yaml:"resilience,omitempty"`
}

// Validate reports a missing URL or credential.
func (c Config) Validate() error {
	if c.BaseURL == "" || c.AppKey == "" || c.Secret == "" {
		return errors.New("province: base_url, app_key and secret are required")
	}
	return c.Resilience.Validate()
}

// Client queries the province platform. Safe for concurrent use.
type Client struct {
	rc  *resilience.Client
	now func() time.Time
}

// New returns a client. opts are passed to resilience.New (metrics, logger, transport);
// the request signer is added here.
func New(cfg Config, opts ...resilience.Option) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Client{now: time.Now}
	opts = append(opts, resilience.WithMiddleware(signer(cfg.AppKey, []byte(cfg.Secret), time.Now)))
	rc, err := resilience.New(Platform, cfg.BaseURL, cfg.Resilience, opts...)
	if err != nil {
		return nil, err
	}
	c.rc = rc
	return c, nil
}

// Resilience returns the underlying resilient client (breaker state, Close).
func (c *Client) Resilience() *resilience.Client { return c.rc }

// Close releases idle connections.
func (c *Client) Close() { c.rc.Close() }

var _ evidence.ProvinceSource = (*Client)(nil)

// Persons returns the population base records of ids, batched by 50 and paged; IDs the
// province does not know are absent. Batches run concurrently.
func (c *Client) Persons(ctx context.Context, ids []string) (map[string]evidence.ProvinceRecord, error) {
	out := make(map[string]evidence.ProvinceRecord, len(ids))
	var mu sync.Mutex
	err := c.batches(ctx, ids, func(ctx context.Context, batch []string) error {
		recs, err := c.personsBatch(ctx, batch)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		for _, r := range recs {
			out[r.Person.IDNumber] = r
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Licences returns the e-licences of holders, batched by 50 holders and paged; holders
// without licences or unknown to the province are absent.
func (c *Client) Licences(ctx context.Context, holders []string) (map[string][]evidence.LicenceRecord, error) {
	out := make(map[string][]evidence.LicenceRecord, len(holders))
	var mu sync.Mutex
	err := c.batches(ctx, holders, func(ctx context.Context, batch []string) error {
		recs, err := c.licencesBatch(ctx, batch)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		for _, r := range recs {
			out[r.Holder] = append(out[r.Holder], r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Children returns the children the province links to each parent (the population base
// register and birth certificates), wherever they live: one qsgx/query request per 50
// parents (a household fits one), paged. Parents without children or unknown to the province
// are absent.
func (c *Client) Children(ctx context.Context, parents []string) (map[string][]evidence.KinshipRecord, error) {
	out := make(map[string][]evidence.KinshipRecord, len(parents))
	var mu sync.Mutex
	err := c.batches(ctx, parents, func(ctx context.Context, batch []string) error {
		rows, err := fetchPagesBody[qsgxRelative](ctx, c, EndpointKinship, pathKinship,
			func(pg int) any {
				return map[string]any{"sfzh": batch, "gxlb": "zn", "page": pg, "size": kinshipPageSize}
			},
			func(r *kinshipRow, at time.Time) { r.record.Provenance.FetchedAt = at })
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		for _, r := range rows {
			if r.child {
				out[r.record.Parent] = append(out[r.record.Parent], r.record)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// batches validates and deduplicates ids, splits them into batches of MaxBatch and runs f
// on each (at most 4 at a time).
func (c *Client) batches(ctx context.Context, ids []string, f func(context.Context, []string) error) error {
	uniq, err := wire.DedupeIDs(Platform, ids)
	if err != nil {
		return err
	}
	if len(uniq) == 0 {
		return nil
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for lo := 0; lo < len(uniq); lo += MaxBatch {
		batch := uniq[lo:min(lo+MaxBatch, len(uniq))]
		g.Go(func() error { return f(ctx, batch) })
	}
	return g.Wait()
}

// query sends one signed query and returns the decoded data object. A 404 with code 4040
// (no such person) returns found=false.
func (c *Client) query(ctx context.Context, endpoint, path string, body any, data any) (found bool, fetched time.Time, err error) {
	b, err := json.Marshal(body)
	if err != nil {
		return false, time.Time{}, err
	}
	resp, err := c.rc.Do(ctx, resilience.Request{
		Endpoint: endpoint, Method: http.MethodPost, Path: path, Body: b,
		Idempotent: true, // read-only query
		Decode: func(body []byte) error {
			return decodeEnvelope(endpoint, body, data)
		},
	})
	fetched = c.now()
	if err != nil {
		if errors.Is(err, connectors.ErrNotFound) && resp != nil {
			var env envelope
			if json.Unmarshal(resp.Body, &env) == nil && env.Code != nil && *env.Code == "4040" {
				return false, fetched, nil
			}
		}
		return false, fetched, err
	}
	return true, fetched, nil
}

// envelope is the province's {"code","msg","data"} wrapper.
type envelope struct {
	Code *string         `json:"code"`
	Msg  string          `json:"msg"`
	Data json.RawMessage `json:"data"`
}

func decodeEnvelope(endpoint string, body []byte, data any) error {
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return connectors.DecodeError(Platform, endpoint, "envelope: %s", wire.JSONError(err))
	}
	if env.Code == nil {
		return connectors.DecodeError(Platform, endpoint, "envelope: code missing")
	}
	if *env.Code != "0000" {
		return connectors.DecodeError(Platform, endpoint, "envelope: code %q on a 2xx answer", *env.Code)
	}
	if len(env.Data) == 0 || string(env.Data) == "null" {
		return connectors.DecodeError(Platform, endpoint, "envelope: data missing")
	}
	if err := json.Unmarshal(env.Data, data); err != nil {
		var ce *connectors.Error
		if errors.As(err, &ce) {
			return ce
		}
		return connectors.DecodeError(Platform, endpoint, "data: %s", wire.JSONError(err))
	}
	return nil
}

type page struct {
	Total *int            `json:"total"`
	Page  *int            `json:"page"`
	Size  *int            `json:"size"`
	List  json.RawMessage `json:"list"`
	Wpp   []string        `json:"wpp"`
}

func (p *page) check(endpoint string) error {
	if p.Total == nil || p.Page == nil || p.Size == nil || len(p.List) == 0 {
		return connectors.DecodeError(Platform, endpoint, "page: total, page, size and list are required")
	}
	if *p.Total < 0 || *p.Page < 1 || *p.Size < 1 {
		return connectors.DecodeError(Platform, endpoint, "page: counters out of range")
	}
	return nil
}

func (c *Client) personsBatch(ctx context.Context, ids []string) ([]evidence.ProvinceRecord, error) {
	return fetchPages[rkjcPerson](ctx, c, EndpointPersons, pathPersons, "sfzh", ids, MaxBatch,
		func(r *evidence.ProvinceRecord, at time.Time) { r.Provenance.FetchedAt = at })
}

func (c *Client) licencesBatch(ctx context.Context, holders []string) ([]evidence.LicenceRecord, error) {
	return fetchPages[dzzzLicence](ctx, c, EndpointLicences, pathLicences, "czztdm", holders, licencePageSize,
		func(r *evidence.LicenceRecord, at time.Time) { r.Provenance.FetchedAt = at })
}

// fetchPages asks endpoint for every page of the records of ids (sent as key) and stamps each
// record with the time its page arrived.
func fetchPages[T item[R], R any](ctx context.Context, c *Client, endpoint, path, key string, ids []string, size int,
	stamp func(*R, time.Time)) ([]R, error) {
	return fetchPagesBody[T](ctx, c, endpoint, path,
		func(pg int) any { return map[string]any{key: ids, "page": pg, "size": size} }, stamp)
}

// fetchPagesBody is fetchPages with the request body of page pg built by body.
func fetchPagesBody[T item[R], R any](ctx context.Context, c *Client, endpoint, path string, body func(pg int) any,
	stamp func(*R, time.Time)) ([]R, error) {
	var out []R
	for pg := 1; pg <= maxPages; pg++ {
		d := &pageDecoder[T, R]{endpoint: endpoint}
		found, fetched, err := c.query(ctx, endpoint, path, body(pg), d)
		if err != nil || !found {
			return out, err
		}
		for i := range d.records {
			stamp(&d.records[i], fetched)
		}
		out = append(out, d.records...)
		if pg**d.p.Size >= *d.p.Total || len(d.records) == 0 {
			return out, nil
		}
	}
	return nil, connectors.DecodeError(Platform, endpoint, "more than %d pages", maxPages)
}

// item is a wire record that maps to an evidence record.
type item[R any] interface {
	record() (R, error)
}

// pageDecoder decodes a page, its list and every item strictly, inside the retry loop.
type pageDecoder[T item[R], R any] struct {
	endpoint string
	p        page
	records  []R
}

func (d *pageDecoder[T, R]) UnmarshalJSON(b []byte) error {
	d.p, d.records = page{}, nil
	if err := json.Unmarshal(b, &d.p); err != nil {
		return err
	}
	if err := d.p.check(d.endpoint); err != nil {
		return err
	}
	var list []T
	if err := json.Unmarshal(d.p.List, &list); err != nil {
		return err
	}
	for _, x := range list {
		r, err := x.record()
		if err != nil {
			return err
		}
		d.records = append(d.records, r)
	}
	return nil
}
