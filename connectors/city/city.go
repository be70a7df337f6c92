package city

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"

	"sanmian/connectors"
	"sanmian/connectors/internal/wire"
	"sanmian/connectors/resilience"
	"sanmian/hub/evidence"
)

// Platform is the platform name in errors, metrics and provenance.
const Platform = string(evidence.City)

// Endpoint names (metrics, errors, provenance).
const (
	EndpointToken    = "oauth2/token"
	EndpointGet      = "insured-persons:get"
	EndpointBatchGet = "insured-persons:batchGet"
)

// MaxBatch is the most ids one batchGet accepts.
const MaxBatch = 100

// Config configures the city client.
type Config struct {
	BaseURL      string            `yaml:"base_url"`
	ClientID     string            `yaml:"client_id"`
	ClientSecret string            `yaml:"client_secret"`
	Scope        string            `yaml:"scope,omitempty"`
	Resilience   resilience.Config `yaml:"resilience,omitempty"`
	// RefreshBefore is how long before expiry a token is replaced; default 60s, at most a
	// fifth of the token's lifetime.
	RefreshBefore time.Duration `yaml:"refresh_before,omitempty"`
}

// Validate reports a missing URL or credential.
func (c Config) Validate() error {
	if c.BaseURL == "" || c.ClientID == "" || c.ClientSecret == "" {
		return errors.New("city: base_url, client_id and client_secret are required")
	}
	if c.RefreshBefore < 0 {
		return errors.New("city: refresh_before is negative")
	}
	return c.Resilience.Validate()
}

// Client queries the city platform. Safe for concurrent use.
type Client struct {
	cfg Config
	rc  *resilience.Client
	now func() time.Time

	mu      sync.Mutex
	token   string
	expires time.Time
	refresh time.Time // replace the token after this instant
	sf      singleflight.Group
	tokens  int // tokens obtained (tests, metrics)
}

// New returns a client; opts are passed to resilience.New.
func New(cfg Config, opts ...resilience.Option) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.RefreshBefore == 0 {
		cfg.RefreshBefore = 60 * time.Second
	}
	rc, err := resilience.New(Platform, cfg.BaseURL, cfg.Resilience, opts...)
	if err != nil {
		return nil, err
	}
	return &Client{cfg: cfg, rc: rc, now: time.Now}, nil
}

// Resilience returns the underlying resilient client.
func (c *Client) Resilience() *resilience.Client { return c.rc }

// Close releases idle connections.
func (c *Client) Close() { c.rc.Close() }

// TokensObtained returns how many access tokens the client has requested successfully.
func (c *Client) TokensObtained() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tokens
}

var _ evidence.CitySource = (*Client)(nil)

// accessToken returns a live token, obtaining one if there is none, it is due for refresh,
// or it equals stale (the token a resource request was just refused with).
func (c *Client) accessToken(ctx context.Context, stale string) (string, error) {
	c.mu.Lock()
	tok, refresh := c.token, c.refresh
	c.mu.Unlock()
	if tok != "" && tok != stale && c.now().Before(refresh) {
		return tok, nil
	}
	ch := c.sf.DoChan("token", func() (any, error) {
		// Another caller may have refreshed while we waited for the flight.
		c.mu.Lock()
		if c.token != "" && c.token != stale && c.now().Before(c.refresh) {
			t := c.token
			c.mu.Unlock()
			return t, nil
		}
		c.mu.Unlock()
		// The token request must not be canceled by the first caller giving up.
		tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		return c.fetchToken(tctx)
	})
	select {
	case <-ctx.Done():
		return "", &connectors.Error{Platform: Platform, Endpoint: EndpointToken, Kind: connectors.ErrCanceled}
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(string), nil
	}
}

type tokenResponse struct {
	AccessToken *string `json:"access_token"`
	TokenType   *string `json:"token_type"`
	ExpiresIn   *int64  `json:"expires_in"`
}

func (c *Client) fetchToken(ctx context.Context) (string, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	if c.cfg.Scope != "" {
		form.Set("scope", c.cfg.Scope)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	req, _ := http.NewRequest(http.MethodPost, "http://x", nil)
	req.SetBasicAuth(url.QueryEscape(c.cfg.ClientID), url.QueryEscape(c.cfg.ClientSecret))
	h.Set("Authorization", req.Header.Get("Authorization"))
	var tr tokenResponse
	start := c.now()
	_, err := c.rc.Do(ctx, resilience.Request{
		Endpoint: EndpointToken, Method: http.MethodPost, Path: "/oauth2/token",
		Header: h, Body: []byte(form.Encode()),
		Idempotent: true, // a new token is harmless; a lost answer just costs one token
		Decode: func(b []byte) error {
			tr = tokenResponse{}
			if err := json.Unmarshal(b, &tr); err != nil {
				return connectors.DecodeError(Platform, EndpointToken, "token: %s", wire.JSONError(err))
			}
			if tr.AccessToken == nil || *tr.AccessToken == "" || tr.ExpiresIn == nil || *tr.ExpiresIn <= 0 {
				return connectors.DecodeError(Platform, EndpointToken, "token: access_token and a positive expires_in are required")
			}
			if tr.TokenType == nil || !equalFold(*tr.TokenType, "Bearer") {
				return connectors.DecodeError(Platform, EndpointToken, "token: token_type is not Bearer")
			}
			return nil
		},
	})
	if err != nil {
		return "", err
	}
	ttl := time.Duration(*tr.ExpiresIn) * time.Second
	before := min(c.cfg.RefreshBefore, ttl/5)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.token = *tr.AccessToken
	c.expires = start.Add(ttl)
	c.refresh = c.expires.Add(-before)
	c.tokens++
	return c.token, nil
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		x, y := a[i]|0x20, b[i]|0x20
		if x != y {
			return false
		}
	}
	return true
}

// do sends an authenticated request, refreshing the token once on 401.
func (c *Client) do(ctx context.Context, req resilience.Request) (*resilience.Response, error) {
	stale := ""
	for try := 0; ; try++ {
		tok, err := c.accessToken(ctx, stale)
		if err != nil {
			return nil, err
		}
		h := req.Header.Clone()
		if h == nil {
			h = http.Header{}
		}
		h.Set("Authorization", "Bearer "+tok)
		r := req
		r.Header = h
		resp, err := c.rc.Do(ctx, r)
		var ce *connectors.Error
		if try == 0 && errors.As(err, &ce) && ce.Status == http.StatusUnauthorized {
			stale = tok
			continue
		}
		return resp, err
	}
}

// Insurance returns the insurance records of ids, one batchGet per 100 ids (batches run
// concurrently); unknown ids are absent from the result.
func (c *Client) Insurance(ctx context.Context, ids []string) (map[string]evidence.CityRecord, error) {
	uniq, err := wire.DedupeIDs(Platform, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]evidence.CityRecord, len(uniq))
	if len(uniq) == 0 {
		return out, nil
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for lo := 0; lo < len(uniq); lo += MaxBatch {
		batch := uniq[lo:min(lo+MaxBatch, len(uniq))]
		g.Go(func() error {
			recs, err := c.batchGet(gctx, batch)
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			for _, r := range recs {
				out[r.IDNumber] = r
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

func (c *Client) batchGet(ctx context.Context, ids []string) ([]evidence.CityRecord, error) {
	body, _ := json.Marshal(map[string][]string{"ids": ids})
	var recs []evidence.CityRecord
	_, err := c.do(ctx, resilience.Request{
		Endpoint: EndpointBatchGet, Method: http.MethodPost, Path: "/api/v2/insured-persons:batchGet",
		Body: body, Idempotent: true, // read-only
		Decode: func(b []byte) error {
			var resp struct {
				Items    *[]insuredPerson `json:"items"`
				NotFound *[]string        `json:"notFound"`
			}
			if err := json.Unmarshal(b, &resp); err != nil {
				return connectors.DecodeError(Platform, EndpointBatchGet, "batch: %s", wire.JSONError(err))
			}
			if resp.Items == nil || resp.NotFound == nil {
				return connectors.DecodeError(Platform, EndpointBatchGet, "batch: items and notFound are required")
			}
			recs = recs[:0]
			for _, it := range *resp.Items {
				r, err := it.record(EndpointBatchGet)
				if err != nil {
					return err
				}
				recs = append(recs, r)
			}
			return nil
		},
	})
	if err != nil {
		return nil, err
	}
	now := c.now()
	for i := range recs {
		recs[i].Provenance.FetchedAt = now
	}
	return recs, nil
}

// Get returns one person's insurance record (GET by resource); connectors.ErrNotFound when
// the city does not know the person.
func (c *Client) Get(ctx context.Context, id string) (evidence.CityRecord, error) {
	if _, err := wire.DedupeIDs(Platform, []string{id}); err != nil {
		return evidence.CityRecord{}, err
	}
	var rec evidence.CityRecord
	_, err := c.do(ctx, resilience.Request{
		Endpoint: EndpointGet, Path: "/api/v2/insured-persons/" + url.PathEscape(id),
		Decode: func(b []byte) error {
			var it insuredPerson
			if err := json.Unmarshal(b, &it); err != nil {
				return connectors.DecodeError(Platform, EndpointGet, "person: %s", wire.JSONError(err))
			}
			r, err := it.record(EndpointGet)
			rec = r
			return err
		},
	})
	if err != nil {
		return evidence.CityRecord{}, err
	}
	rec.Provenance.FetchedAt = c.now()
	return rec, nil
}

// insuredPerson is the city's resource; every field is required (dates may be null).
type insuredPerson struct {
	IDNumber *string `json:"idNumber"`
	Name     *string `json:"name"`
	Pension  *struct {
		Status         *string  `json:"status"`
		EnrolledOn     *string  `json:"enrolledOn"`
		ReceivingSince *string  `json:"receivingSince"`
		MonthlyAmount  *float64 `json:"monthlyAmount"`
	} `json:"pension"`
	MedicalInsurance *struct {
		Status *string `json:"status"`
		Year   *int    `json:"year"`
	} `json:"medicalInsurance"`
	Employment *struct {
		Status               *string `json:"status"`
		UnemployedSince      *string `json:"unemployedSince"`
		EmploymentDifficulty *bool   `json:"employmentDifficulty"`
	} `json:"employment"`
}

var (
	pensionStatus = map[string]string{"NOT_ENROLLED": "not_enrolled", "ENROLLED": "enrolled", "RECEIVING": "receiving", "SUSPENDED": "suspended"}
	medicalStatus = map[string]string{"INSURED": "enrolled", "NOT_INSURED": "not_enrolled"}
	employment    = map[string]string{"EMPLOYED": "employed", "UNEMPLOYED": "unemployed_registered",
		"RETIRED": "not_in_labour_force", "STUDENT": "not_in_labour_force", "NOT_IN_LABOUR_FORCE": "not_in_labour_force"}
)

func (x insuredPerson) record(endpoint string) (evidence.CityRecord, error) {
	bad := func(format string, args ...any) (evidence.CityRecord, error) {
		return evidence.CityRecord{}, connectors.DecodeError(Platform, endpoint, format, args...)
	}
	if x.IDNumber == nil || x.Name == nil || x.Pension == nil || x.MedicalInsurance == nil || x.Employment == nil {
		return bad("person: idNumber, name, pension, medicalInsurance and employment are required")
	}
	id, err := wire.IDNumber(*x.IDNumber)
	if err != nil {
		return bad("person: idNumber: %v", err)
	}
	var in evidence.Insurance
	var ok bool
	p := x.Pension
	if p.Status == nil || p.MonthlyAmount == nil {
		return bad("person: pension.status and pension.monthlyAmount are required")
	}
	if in.Pension, ok = pensionStatus[*p.Status]; !ok {
		return bad("person: pension.status: unknown value")
	}
	since := p.EnrolledOn
	if in.Pension == "receiving" {
		since = p.ReceivingSince
	}
	if in.PensionSince, err = wire.OptionalISODate(since); err != nil {
		return bad("person: pension date: %v", err)
	}
	if p.ReceivingSince != nil {
		if _, err := wire.ISODate(*p.ReceivingSince); err != nil {
			return bad("person: pension.receivingSince: %v", err)
		}
	}
	if *p.MonthlyAmount < 0 || (in.Pension != "receiving" && *p.MonthlyAmount != 0) {
		return bad("person: pension.monthlyAmount inconsistent with status")
	}
	in.PensionMonthly = *p.MonthlyAmount
	m := x.MedicalInsurance
	if m.Status == nil {
		return bad("person: medicalInsurance.status is required")
	}
	if in.Medical, ok = medicalStatus[*m.Status]; !ok {
		return bad("person: medicalInsurance.status: unknown value")
	}
	if m.Year != nil {
		if *m.Year < 1990 || *m.Year > 2200 {
			return bad("person: medicalInsurance.year out of range")
		}
		in.MedicalYear = *m.Year
	}
	e := x.Employment
	if e.Status == nil || e.EmploymentDifficulty == nil {
		return bad("person: employment.status and employment.employmentDifficulty are required")
	}
	if in.Employment, ok = employment[*e.Status]; !ok {
		return bad("person: employment.status: unknown value")
	}
	if in.UnemployedSince, err = wire.OptionalISODate(e.UnemployedSince); err != nil {
		return bad("person: employment.unemployedSince: %v", err)
	}
	in.EmploymentDifficulty = *e.EmploymentDifficulty
	return evidence.CityRecord{
		IDNumber: id, Name: *x.Name, Insurance: in,
		Provenance: evidence.Provenance{Platform: evidence.City, Endpoint: endpoint, Record: wire.Mask(id)},
	}, nil
}
