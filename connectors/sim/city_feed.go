package sim

// The city's bulk enrolment changes: resident pension, medical insurance and employment
// records of the district's residents as a change feed, REST style with bearer tokens and
// page tokens. Wire format: API.md section 2, "GET /api/v2/insured-persons:changes".

import (
	"net/http"
	"strconv"

	"sanmian/connectors/sim/synth"
)

const (
	cityFeedDefault = 1000
	cityFeedMax     = 5000
	cityFeedPrefix  = "cc1."
)

// registerFeed adds the enrolment change feed to the city server.
func (c *city) registerFeed() {
	c.s.handle("GET /api/v2/insured-persons:changes", "GET /api/v2/insured-persons:changes", c.authed(c.changes))
}

type cityChange struct {
	Sequence      uint64         `json:"sequence"`
	Type          string         `json:"type"` // UPSERT or DELETE
	IDNumber      string         `json:"idNumber"`
	ChangeTime    string         `json:"changeTime"`
	InsuredPerson *insuredPerson `json:"insuredPerson"` // null on DELETE
}

func (c *city) changes(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	size := cityFeedDefault
	if s := q.Get("pageSize"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > cityFeedMax {
			cityError(w, http.StatusBadRequest, "pageSize must be an integer from 1 to 5000")
			return
		}
		size = n
	}
	after, ok := decodeFeedCursor(cityFeedPrefix, q.Get("pageToken"))
	if !ok || after > c.data.LastSeq() {
		cityError(w, http.StatusBadRequest, "invalid pageToken")
		return
	}
	chs := c.data.Changes(after, size+1)
	more := len(chs) > size
	if more {
		chs = chs[:size]
	}
	c.s.stats.ids(len(chs))
	at := c.reference.In(cityZone).Format("2006-01-02T15:04:05Z07:00")
	resp := struct {
		Changes       []cityChange `json:"changes"`
		NextPageToken string       `json:"nextPageToken"`
		HasMore       bool         `json:"hasMore"`
	}{Changes: make([]cityChange, 0, len(chs)), HasMore: more}
	last := after
	for _, ch := range chs {
		p := &c.data.Persons[ch.Person]
		e := cityChange{Sequence: ch.Seq, Type: "UPSERT", IDNumber: p.ID, ChangeTime: at}
		if ch.Op == synth.OpDelete {
			e.Type = "DELETE"
		} else {
			ip := c.person(p)
			e.InsuredPerson = &ip
		}
		resp.Changes = append(resp.Changes, e)
		last = ch.Seq
	}
	resp.NextPageToken = encodeFeedCursor(cityFeedPrefix, last)
	writeJSON(w, http.StatusOK, resp)
}
