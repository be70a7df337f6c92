package city

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	"sanmian/connectors"
	"sanmian/connectors/internal/wire"
	"sanmian/connectors/resilience"
	"sanmian/hub/evidence"
)

// EndpointChanges is the enrolment change feed's endpoint name (metrics, errors, provenance).
const EndpointChanges = "insured-persons:changes"

// MaxChangesPage is the largest page of the enrolment change feed the platform serves.
const MaxChangesPage = 5000

// Change operations.
const (
	OpUpsert = "upsert"
	OpDelete = "delete"
)

// Change is one entry of the city's enrolment change feed.
type Change struct {
	Seq      int64
	Op       string // OpUpsert or OpDelete
	IDNumber string
	// Record is the person's insurance record after the change; nil on OpDelete.
	Record *evidence.CityRecord
}

// ChangePage is one page of the enrolment change feed.
type ChangePage struct {
	Changes    []Change
	NextCursor string // resume point (the page token); never empty
	HasMore    bool
}

// Changes returns up to size enrolment changes after cursor ("" = from the beginning), with
// the client's bearer token (renewed once on 401) and resilience.
func (c *Client) Changes(ctx context.Context, cursor string, size int) (ChangePage, error) {
	if size < 1 || size > MaxChangesPage {
		return ChangePage{}, &connectors.Error{Platform: Platform, Endpoint: EndpointChanges, Kind: connectors.ErrInvalidRequest,
			Err: fmt.Errorf("size must be 1-%d", MaxChangesPage)}
	}
	q := url.Values{"pageSize": {strconv.Itoa(size)}}
	if cursor != "" {
		q.Set("pageToken", cursor)
	}
	var page ChangePage
	_, err := c.do(ctx, resilience.Request{
		Endpoint: EndpointChanges, Path: "/api/v2/insured-persons:changes", Query: q,
		Decode: func(b []byte) error {
			p, err := decodeChanges(b)
			page = p
			return err
		},
	})
	if err != nil {
		return ChangePage{}, err
	}
	now := c.now()
	for _, ch := range page.Changes {
		if ch.Record != nil {
			ch.Record.Provenance.FetchedAt = now
		}
	}
	return page, nil
}

func decodeChanges(b []byte) (ChangePage, error) {
	var w struct {
		Changes *[]struct {
			Sequence      *int64         `json:"sequence"`
			Type          *string        `json:"type"`
			IDNumber      *string        `json:"idNumber"`
			InsuredPerson *insuredPerson `json:"insuredPerson"`
		} `json:"changes"`
		NextPageToken *string `json:"nextPageToken"`
		HasMore       *bool   `json:"hasMore"`
	}
	bad := func(format string, args ...any) (ChangePage, error) {
		return ChangePage{}, connectors.DecodeError(Platform, EndpointChanges, format, args...)
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return bad("changes: %s", wire.JSONError(err))
	}
	if w.Changes == nil || w.NextPageToken == nil || w.HasMore == nil {
		return bad("changes: changes, nextPageToken and hasMore are required")
	}
	if *w.NextPageToken == "" {
		return bad("changes: nextPageToken empty")
	}
	out := ChangePage{NextCursor: *w.NextPageToken, HasMore: *w.HasMore, Changes: make([]Change, 0, len(*w.Changes))}
	var last int64
	for _, ch := range *w.Changes {
		if ch.Sequence == nil || ch.Type == nil || ch.IDNumber == nil {
			return bad("change: sequence, type and idNumber are required")
		}
		if *ch.Sequence <= last {
			return bad("change: sequence not strictly increasing")
		}
		last = *ch.Sequence
		id, err := wire.IDNumber(*ch.IDNumber)
		if err != nil {
			return bad("change: idNumber: %v", err)
		}
		c := Change{Seq: *ch.Sequence, IDNumber: id}
		switch *ch.Type {
		case "DELETE":
			c.Op = OpDelete
		case "UPSERT":
			c.Op = OpUpsert
			if ch.InsuredPerson == nil {
				return bad("change: UPSERT without insuredPerson")
			}
			r, err := ch.InsuredPerson.record(EndpointChanges)
			if err != nil {
				return ChangePage{}, err
			}
			if r.IDNumber != id {
				return bad("change: insuredPerson does not match idNumber")
			}
			c.Record = &r
		default:
			return bad("change: type: unknown value")
		}
		out.Changes = append(out.Changes, c)
	}
	return out, nil
}
