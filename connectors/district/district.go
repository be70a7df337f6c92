package district

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"sanmian/connectors"
	"sanmian/connectors/internal/wire"
	"sanmian/connectors/resilience"
	"sanmian/hub/evidence"
)

// Platform is the platform name in errors, metrics and provenance.
const Platform = string(evidence.District)

// Endpoint names (metrics, errors, provenance).
const (
	EndpointResident  = "residents:get"
	EndpointHousehold = "households:get"
	EndpointChanges   = "changes"
)

// MaxChangesLimit is the largest page of the change feed the platform serves.
const MaxChangesLimit = 5000

// Config configures the district client.
type Config struct {
	BaseURL    string            `yaml:"base_url"`
	APIKey     string            `yaml:"api_key"`
	Resilience resilience.Config `yaml:"resilience,omitempty"`
}

// Validate reports a missing URL or key.
func (c Config) Validate() error {
	if c.BaseURL == "" || c.APIKey == "" {
		return errors.New("district: base_url and api_key are required")
	}
	return c.Resilience.Validate()
}

// Client queries the district platform. Safe for concurrent use.
type Client struct {
	rc     *resilience.Client
	header http.Header
	now    func() time.Time
}

// New returns a client; opts are passed to resilience.New.
func New(cfg Config, opts ...resilience.Option) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	rc, err := resilience.New(Platform, cfg.BaseURL, cfg.Resilience, opts...)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	h.Set("X-Api-Key", cfg.APIKey)
	return &Client{rc: rc, header: h, now: time.Now}, nil
}

// Resilience returns the underlying resilient client.
func (c *Client) Resilience() *resilience.Client { return c.rc }

// Close releases idle connections.
func (c *Client) Close() { c.rc.Close() }

var _ evidence.DistrictSource = (*Client)(nil)

func (c *Client) get(ctx context.Context, endpoint, path string, q url.Values, decode func([]byte) error) error {
	_, err := c.rc.Do(ctx, resilience.Request{Endpoint: endpoint, Path: path, Query: q, Header: c.header, Decode: decode})
	return err
}

// Resident returns the district's record of one resident; connectors.ErrNotFound when the
// district does not know them.
func (c *Client) Resident(ctx context.Context, id string) (evidence.DistrictResident, error) {
	if len(id) != 18 {
		return evidence.DistrictResident{}, &connectors.Error{Platform: Platform, Endpoint: EndpointResident, Kind: connectors.ErrInvalidRequest, Err: errors.New("ID number is not 18 characters")}
	}
	var rec evidence.DistrictResident
	err := c.get(ctx, EndpointResident, "/open/v1/residents/"+url.PathEscape(id), nil, func(b []byte) error {
		var w resident
		if err := json.Unmarshal(b, &w); err != nil {
			return derr(EndpointResident, "resident: %s", wire.JSONError(err))
		}
		r, err := w.record(EndpointResident)
		rec = r
		return err
	})
	if err != nil {
		return evidence.DistrictResident{}, err
	}
	rec.Provenance.FetchedAt = c.now()
	return rec, nil
}

// Household returns one household; connectors.ErrNotFound when unknown.
func (c *Client) Household(ctx context.Context, no string) (evidence.DistrictHousehold, error) {
	if no == "" || strings.ContainsAny(no, "/?#") {
		return evidence.DistrictHousehold{}, &connectors.Error{Platform: Platform, Endpoint: EndpointHousehold, Kind: connectors.ErrInvalidRequest, Err: errors.New("bad household number")}
	}
	var rec evidence.DistrictHousehold
	err := c.get(ctx, EndpointHousehold, "/open/v1/households/"+url.PathEscape(no), nil, func(b []byte) error {
		var w household
		if err := json.Unmarshal(b, &w); err != nil {
			return derr(EndpointHousehold, "household: %s", wire.JSONError(err))
		}
		r, err := w.record()
		rec = r
		return err
	})
	if err != nil {
		return evidence.DistrictHousehold{}, err
	}
	rec.Provenance.FetchedAt = c.now()
	return rec, nil
}

// Change is one entry of the change feed.
type Change struct {
	Seq      int64
	Op       string // "upsert" or "delete"
	IDNumber string
	// Resident is the record after the change (upsert) or the last known record (delete,
	// may be nil).
	Resident *evidence.DistrictResident
	// Extra carries feed fields beyond the resident endpoint's (hukou type and land, when
	// the platform sends them); empty when absent.
	HukouType string
	LandMu    *float64
	Homestead *evidence.Homestead // the household's homestead record, when the feed carries one
	// OtherRolls are the entries of other villages' rolls that still name the resident, when
	// the feed carries them (the resident's own village's rolls are Resident.Rolls.Enrolled).
	OtherRolls []RollEntry
}

// RollEntry is one entry of a village's subsidy roll: the item (hub item code) and the
// village (12-digit code) that pays it.
type RollEntry struct {
	Item, Village string
}

// ChangePage is one page of the change feed.
type ChangePage struct {
	Changes    []Change
	NextCursor string
	HasMore    bool
}

// Changes returns up to limit changes after cursor ("" = from the beginning).
func (c *Client) Changes(ctx context.Context, cursor string, limit int) (ChangePage, error) {
	if limit < 1 || limit > MaxChangesLimit {
		return ChangePage{}, &connectors.Error{Platform: Platform, Endpoint: EndpointChanges, Kind: connectors.ErrInvalidRequest, Err: fmt.Errorf("limit must be 1-%d", MaxChangesLimit)}
	}
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	var page ChangePage
	err := c.get(ctx, EndpointChanges, "/open/v1/changes", q, func(b []byte) error {
		p, err := decodeChanges(b)
		page = p
		return err
	})
	if err != nil {
		return ChangePage{}, err
	}
	now := c.now()
	for _, ch := range page.Changes {
		if ch.Resident != nil {
			ch.Resident.Provenance.FetchedAt = now
		}
	}
	return page, nil
}

func decodeChanges(b []byte) (ChangePage, error) {
	var w struct {
		Changes *[]struct {
			Seq       *int64    `json:"seq"`
			Op        *string   `json:"op"`
			IDNo      *string   `json:"id_no"`
			ChangedAt *string   `json:"changed_at"`
			Resident  *resident `json:"resident"` // decoded in the same pass as the page
		} `json:"changes"`
		NextCursor *string `json:"next_cursor"`
		HasMore    *bool   `json:"has_more"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return ChangePage{}, derr(EndpointChanges, "changes: %s", wire.JSONError(err))
	}
	if w.Changes == nil || w.NextCursor == nil || w.HasMore == nil {
		return ChangePage{}, derr(EndpointChanges, "changes: changes, next_cursor and has_more are required")
	}
	if *w.NextCursor == "" {
		return ChangePage{}, derr(EndpointChanges, "changes: next_cursor is empty")
	}
	out := ChangePage{NextCursor: *w.NextCursor, HasMore: *w.HasMore, Changes: make([]Change, 0, len(*w.Changes))}
	last := int64(0)
	for _, ch := range *w.Changes {
		if ch.Seq == nil || ch.Op == nil || ch.IDNo == nil {
			return ChangePage{}, derr(EndpointChanges, "change: seq, op and id_no are required")
		}
		if *ch.Seq <= last {
			return ChangePage{}, derr(EndpointChanges, "change: seq not strictly increasing")
		}
		last = *ch.Seq
		id, err := wire.IDNumber(*ch.IDNo)
		if err != nil {
			return ChangePage{}, derr(EndpointChanges, "change: id_no: %v", err)
		}
		c := Change{Seq: *ch.Seq, Op: *ch.Op, IDNumber: id}
		switch c.Op {
		case "upsert", "delete":
		default:
			return ChangePage{}, derr(EndpointChanges, "change: op: unknown value")
		}
		if r := ch.Resident; r != nil {
			rec, err := r.record(EndpointChanges)
			if err != nil {
				return ChangePage{}, err
			}
			if rec.IDNumber != id {
				return ChangePage{}, derr(EndpointChanges, "change: resident does not match id_no")
			}
			c.Resident = &rec
			if r.HukouType != nil {
				if c.HukouType, err = hukouType(*r.HukouType); err != nil {
					return ChangePage{}, derr(EndpointChanges, "change: resident.hukou_type: %v", err)
				}
			}
			c.LandMu = r.LandMu
			if r.Homestead != nil {
				if c.Homestead, err = r.Homestead.record(); err != nil {
					return ChangePage{}, derr(EndpointChanges, "change: resident.homestead: %v", err)
				}
			}
			if r.OtherRolls != nil {
				if c.OtherRolls, err = otherRolls(*r.OtherRolls); err != nil {
					return ChangePage{}, derr(EndpointChanges, "change: resident.other_rolls: %v", err)
				}
			}
		} else if c.Op == "upsert" {
			return ChangePage{}, derr(EndpointChanges, "change: upsert without resident")
		}
		out.Changes = append(out.Changes, c)
	}
	return out, nil
}

func derr(endpoint, format string, args ...any) error {
	return connectors.DecodeError(Platform, endpoint, format, args...)
}
