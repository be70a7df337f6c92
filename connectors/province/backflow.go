package province

import (
	"context"
	"encoding/json"
	"fmt"

	"sanmian/connectors"
	"sanmian/connectors/internal/wire"
	"sanmian/hub/evidence"
)

// EndpointBackflow is the backflow feed's endpoint name (metrics, errors, provenance).
const EndpointBackflow = "sjhl/query"

const pathBackflow = "/gateway/api/sjhl/query"

// MaxBackflowPage is the largest page of the backflow feed the platform serves.
const MaxBackflowPage = 5000

// Backflow operations.
const (
	OpUpsert = "upsert" // the person's backflow record is new or changed
	OpDelete = "delete" // the person is no longer backflowed to the district
)

// BackflowChange is one entry of the backflow feed (数据回流): a person's death record and
// the licences the hub decides on (disability, only-child honour, birth, marriage, divorce,
// death), as the province holds them after the change.
type BackflowChange struct {
	Seq      int64
	Op       string // OpUpsert or OpDelete
	IDNumber string
	// The fields below are set on OpUpsert only.
	HukouType    string // evidence.HukouAgricultural or evidence.HukouNonAgricultural
	HukouVillage string // 12-digit village code of the household register
	Deceased     bool
	DeathDate    string // YYYY-MM-DD, may be empty when deceased
	Licences     []evidence.LicenceRecord
}

// BackflowPage is one page of the backflow feed.
type BackflowPage struct {
	Changes    []BackflowChange
	NextCursor string // resume point; never empty
	HasMore    bool
}

// Backflow returns up to size changes after cursor ("" = from the beginning). Requests are
// signed and retried like every province query (the feed is read-only).
func (c *Client) Backflow(ctx context.Context, cursor string, size int) (BackflowPage, error) {
	if size < 1 || size > MaxBackflowPage {
		return BackflowPage{}, &connectors.Error{Platform: Platform, Endpoint: EndpointBackflow, Kind: connectors.ErrInvalidRequest,
			Err: fmt.Errorf("size must be 1-%d", MaxBackflowPage)}
	}
	var w sjhlPage // decoded with the envelope, in one pass over the body
	found, fetched, err := c.query(ctx, EndpointBackflow, pathBackflow, map[string]any{"yb": cursor, "size": size}, &w)
	if err != nil {
		return BackflowPage{}, err
	}
	if !found {
		return BackflowPage{}, connectors.DecodeError(Platform, EndpointBackflow, "backflow: not found")
	}
	page, err := checkBackflow(w)
	if err != nil {
		return BackflowPage{}, err
	}
	for i := range page.Changes {
		for j := range page.Changes[i].Licences {
			l := &page.Changes[i].Licences[j]
			l.Provenance.Endpoint = EndpointBackflow
			l.Provenance.FetchedAt = fetched
		}
	}
	return page, nil
}

type sjhlPage struct {
	List *[]struct {
		Xh   *int64  `json:"xh"`
		Czlx *string `json:"czlx"`
		Sfzh *string `json:"sfzh"`
		Ryxx *struct {
			Hklx *string `json:"hklx"`
			Hjqh *string `json:"hjqh"`
			Swbz *string `json:"swbz"`
			Swrq *string `json:"swrq"`
		} `json:"ryxx"`
		Zzlb []dzzzLicence `json:"zzlb"`
	} `json:"list"`
	Xyyb  *string `json:"xyyb"`
	Sfyhx *string `json:"sfyhx"`
}

func berr(format string, args ...any) error {
	return connectors.DecodeError(Platform, EndpointBackflow, format, args...)
}

// decodeBackflow decodes and checks the data of a backflow answer.
func decodeBackflow(b []byte) (BackflowPage, error) {
	var w sjhlPage
	if err := json.Unmarshal(b, &w); err != nil {
		return BackflowPage{}, berr("backflow: %s", wire.JSONError(err))
	}
	return checkBackflow(w)
}

// checkBackflow checks the decoded data of a backflow answer.
func checkBackflow(w sjhlPage) (BackflowPage, error) {
	if w.List == nil || w.Xyyb == nil || w.Sfyhx == nil {
		return BackflowPage{}, berr("backflow: list, xyyb and sfyhx are required")
	}
	if *w.Xyyb == "" {
		return BackflowPage{}, berr("backflow: xyyb empty")
	}
	out := BackflowPage{NextCursor: *w.Xyyb, Changes: make([]BackflowChange, 0, len(*w.List))}
	switch *w.Sfyhx {
	case "1":
		out.HasMore = true
	case "0":
	default:
		return BackflowPage{}, berr("backflow: sfyhx: unknown code")
	}
	var last int64
	for _, e := range *w.List {
		if e.Xh == nil || e.Czlx == nil || e.Sfzh == nil {
			return BackflowPage{}, berr("entry: xh, czlx and sfzh are required")
		}
		if *e.Xh <= last {
			return BackflowPage{}, berr("entry: xh not strictly increasing")
		}
		last = *e.Xh
		id, err := wire.IDNumber(*e.Sfzh)
		if err != nil {
			return BackflowPage{}, berr("entry: sfzh: %v", err)
		}
		ch := BackflowChange{Seq: *e.Xh, IDNumber: id}
		switch *e.Czlx {
		case "D":
			ch.Op = OpDelete
			out.Changes = append(out.Changes, ch)
			continue
		case "U":
			ch.Op = OpUpsert
		default:
			return BackflowPage{}, berr("entry: czlx: unknown code")
		}
		p := e.Ryxx
		if p == nil || p.Hklx == nil || p.Hjqh == nil || p.Swbz == nil {
			return BackflowPage{}, berr("entry: ryxx with hklx, hjqh and swbz is required on U")
		}
		switch *p.Hklx {
		case "1":
			ch.HukouType = evidence.HukouAgricultural
		case "2":
			ch.HukouType = evidence.HukouNonAgricultural
		default:
			return BackflowPage{}, berr("entry: ryxx.hklx: unknown code")
		}
		if ch.HukouVillage, err = wire.DivisionCode(*p.Hjqh); err != nil {
			return BackflowPage{}, berr("entry: ryxx.hjqh: %v", err)
		}
		switch *p.Swbz {
		case "0":
		case "1":
			ch.Deceased = true
			if p.Swrq != nil && *p.Swrq != "" {
				if ch.DeathDate, err = wire.CompactDate(*p.Swrq); err != nil {
					return BackflowPage{}, berr("entry: ryxx.swrq: %v", err)
				}
			}
		default:
			return BackflowPage{}, berr("entry: ryxx.swbz: unknown code")
		}
		for _, l := range e.Zzlb {
			r, err := l.record()
			if err != nil {
				return BackflowPage{}, err
			}
			if r.Holder != id {
				return BackflowPage{}, berr("entry: licence holder does not match sfzh")
			}
			ch.Licences = append(ch.Licences, r)
		}
		out.Changes = append(out.Changes, ch)
	}
	return out, nil
}
