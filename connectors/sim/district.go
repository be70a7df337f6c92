package sim

// The district platform (区数据要素融合赋能平台): API key header, snake_case JSON, "Y"/"N"
// booleans, a bulk change feed. Wire format: API.md section 3.

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"sanmian/connectors/sim/synth"
)

const (
	districtDefaultLimit = 1000
	districtMaxLimit     = 5000
	districtCursorPrefix = "v1:"
)

type district struct {
	s         *Server
	data      *synth.District
	roll      *roll
	apiKey    string
	updatedAt string
	reqSeq    atomic.Uint64
}

// roll tracks the persons removed from the district roll by a recorded "delete" change
// (and restored by a later "upsert"). Safe for concurrent use.
type roll struct {
	data    *synth.District
	mu      sync.RWMutex
	removed map[int32]bool
}

func newRoll(data *synth.District) *roll { return &roll{data: data, removed: map[int32]bool{}} }

func (r *roll) isRemoved(i int32) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.removed[i]
}

// record appends a change for the person with the given ID number to the feed.
func (r *roll) record(idNumber, op string) (uint64, error) {
	if op != synth.OpUpsert && op != synth.OpDelete {
		return 0, fmt.Errorf("%w: %q", ErrChangeOp, op)
	}
	_, i, ok := r.data.PersonByID(idNumber)
	if !ok {
		return 0, ErrUnknownPerson
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if op == synth.OpDelete {
		r.removed[i] = true
	} else {
		delete(r.removed, i)
	}
	return r.data.Record(i, op), nil
}

func newDistrict(data *synth.District, rl *roll, creds Credentials, seed int64, faults FaultConfig, log *slog.Logger) *Server {
	d := &district{
		data:      data,
		roll:      rl,
		apiKey:    creds.DistrictAPIKey,
		updatedAt: data.Config.Reference.In(districtZone).Format(time.RFC3339),
	}
	d.s = newServer("district", seed, faults, d.fail, log)
	d.s.mux.HandleFunc("POST /_sim/changes", d.recordChange)
	d.s.handle("GET /open/v1/residents/{id_no}", "GET /open/v1/residents/{id_no}", d.authed(d.resident))
	d.s.handle("GET /open/v1/households/{household_no}", "GET /open/v1/households/{household_no}", d.authed(d.household))
	d.s.handle("GET /open/v1/changes", "GET /open/v1/changes", d.authed(d.changes))
	d.s.handle("/", "other", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		d.error(w, http.StatusNotFound, "no such endpoint")
	}))
	return d.s
}

// districtZone is the offset the district platform writes timestamps in.
var districtZone = time.FixedZone("CST", 8*3600)

var districtErrorCode = map[int]string{
	http.StatusBadRequest:            "bad_request",
	http.StatusUnauthorized:          "unauthorized",
	http.StatusForbidden:             "forbidden",
	http.StatusNotFound:              "not_found",
	http.StatusMethodNotAllowed:      "method_not_allowed",
	http.StatusRequestEntityTooLarge: "payload_too_large",
	http.StatusTooManyRequests:       "too_many_requests",
	http.StatusInternalServerError:   "internal",
	http.StatusBadGateway:            "bad_gateway",
	http.StatusServiceUnavailable:    "unavailable",
}

func (d *district) error(w http.ResponseWriter, status int, msg string) {
	code := districtErrorCode[status]
	if code == "" {
		code = "error"
	}
	writeJSON(w, status, map[string]string{
		"error":      code,
		"message":    msg,
		"request_id": fmt.Sprintf("d-%06d", d.reqSeq.Add(1)),
	})
}

func (d *district) fail(w http.ResponseWriter, status int, _ int) {
	d.error(w, status, strings.ToLower(http.StatusText(status)))
}

func (d *district) authed(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("X-Api-Key")
		if key == "" {
			d.error(w, http.StatusUnauthorized, "missing X-Api-Key")
			return
		}
		if subtle.ConstantTimeCompare([]byte(key), []byte(d.apiKey)) != 1 {
			d.error(w, http.StatusForbidden, "invalid API key")
			return
		}
		h(w, r)
	})
}

func yn(b bool) string {
	if b {
		return "Y"
	}
	return "N"
}

type districtResident struct {
	IDNo               string   `json:"id_no"`
	Name               string   `json:"name"`
	VillageCode        string   `json:"village_code"`
	VillageName        string   `json:"village_name"`
	TownCode           string   `json:"town_code"`
	HouseholdNo        string   `json:"household_no"`
	Relation           string   `json:"relation"`
	Dibao              string   `json:"dibao"`
	Tekun              string   `json:"tekun"`
	DisabilityCategory *string  `json:"disability_category"`
	DisabilityGrade    *int     `json:"disability_grade"`
	Veteran            string   `json:"veteran"`
	VeteranType        *string  `json:"veteran_type"`
	InSchool           string   `json:"in_school"`
	SchoolLevel        *string  `json:"school_level"`
	CollectiveMember   string   `json:"collective_member"`
	Deceased           string   `json:"deceased"`
	Programs           []string `json:"programs"`
	UpdatedAt          string   `json:"updated_at"`
	// Feed-only fields (the change feed carries them, the resident endpoint does not): the
	// person's hukou type and their household's land and homestead records.
	HukouType *string            `json:"hukou_type,omitempty"`
	LandMu    *float64           `json:"land_mu,omitempty"`
	Homestead *districtHomestead `json:"homestead,omitempty"`
	// OtherRolls: entries of other villages' rolls that still name the person (absent when
	// none).
	OtherRolls []districtRollEntry `json:"other_rolls,omitempty"`
}

// districtRollEntry is one entry of a village's subsidy roll: the village and the programme
// by its Chinese name.
type districtRollEntry struct {
	VillageCode string `json:"village_code"`
	Program     string `json:"program"`
}

func (d *district) record(p *synth.Person) districtResident {
	v := d.data.Village(p)
	out := districtResident{
		IDNo:             p.ID,
		Name:             p.Name,
		VillageCode:      v.Code,
		VillageName:      v.Name,
		TownCode:         v.Town,
		Relation:         p.Relation.Chinese(),
		Dibao:            "N",
		Tekun:            yn(p.Tekun),
		Veteran:          yn(p.Veteran != synth.NoVeteran),
		InSchool:         yn(p.School != synth.NoSchool),
		CollectiveMember: yn(p.CollectiveMember),
		Deceased:         yn(p.Death != 0 && p.DeathOnVillageRoll),
		Programs:         []string{},
		UpdatedAt:        d.updatedAt,
	}
	if p.Household >= 0 && int(p.Household) < len(d.data.Households) {
		h := &d.data.Households[p.Household]
		out.HouseholdNo = h.No
		out.Dibao = yn(h.Dibao)
	}
	if p.Disability != synth.NoDisability {
		cat := p.Disability.Chinese()
		grade := int(p.DisabilityGrade)
		out.DisabilityCategory, out.DisabilityGrade = &cat, &grade
	}
	if p.Veteran != synth.NoVeteran {
		vt := p.Veteran.String()
		out.VeteranType = &vt
	}
	if p.School != synth.NoSchool {
		sl := p.School.String()
		out.SchoolLevel = &sl
	}
	for i, pr := range synth.Programs {
		if p.IsEnrolled(i) {
			out.Programs = append(out.Programs, pr.Name)
		}
	}
	return out
}

func (d *district) resident(w http.ResponseWriter, r *http.Request) {
	d.s.stats.ids(1)
	p, i, ok := d.data.PersonByID(r.PathValue("id_no"))
	if !ok || d.roll.isRemoved(i) {
		d.error(w, http.StatusNotFound, "resident not found")
		return
	}
	writeJSON(w, http.StatusOK, d.record(p))
}

type districtMember struct {
	IDNo     string `json:"id_no"`
	Name     string `json:"name"`
	Relation string `json:"relation"`
}

type districtHomestead struct {
	AreaM2     float64 `json:"area_m2"`
	HouseGrade string  `json:"house_grade"`
	RealEstate string  `json:"real_estate_cert"`
}

type districtHousehold struct {
	HouseholdNo string             `json:"household_no"`
	VillageCode string             `json:"village_code"`
	VillageName string             `json:"village_name"`
	TownCode    string             `json:"town_code"`
	HukouType   string             `json:"hukou_type"`
	Members     []districtMember   `json:"members"`
	Dibao       string             `json:"dibao"`
	LandMu      float64            `json:"land_mu"`
	Homestead   *districtHomestead `json:"homestead"`
	UpdatedAt   string             `json:"updated_at"`
}

// round2 rounds to two decimals so that float32 values print cleanly.
func round2(f float32) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(float64(f), 'f', 2, 32), 64)
	return v
}

func (d *district) household(w http.ResponseWriter, r *http.Request) {
	d.s.stats.ids(1)
	h, ok := d.data.HouseholdByNo(r.PathValue("household_no"))
	if !ok {
		d.error(w, http.StatusNotFound, "household not found")
		return
	}
	v := d.data.VillageAt(h.Village)
	out := districtHousehold{
		HouseholdNo: h.No,
		VillageCode: v.Code,
		VillageName: v.Name,
		TownCode:    v.Town,
		HukouType:   "non_agricultural",
		Members:     make([]districtMember, 0, len(h.Members)),
		Dibao:       yn(h.Dibao),
		LandMu:      round2(h.LandMu),
		UpdatedAt:   d.updatedAt,
	}
	for k, i := range h.Members {
		m := &d.data.Persons[i]
		if k == 0 && m.Agricultural {
			out.HukouType = "agricultural"
		}
		out.Members = append(out.Members, districtMember{IDNo: m.ID, Name: m.Name, Relation: m.Relation.Chinese()})
	}
	if h.HomesteadM2 > 0 {
		grade := string(rune(h.HouseGrade))
		if h.HouseGrade == 0 {
			grade = ""
		}
		out.Homestead = &districtHomestead{AreaM2: round2(h.HomesteadM2), HouseGrade: grade, RealEstate: yn(h.RealEstate)}
	}
	writeJSON(w, http.StatusOK, out)
}

type districtChange struct {
	Seq       uint64            `json:"seq"`
	Op        string            `json:"op"`
	IDNo      string            `json:"id_no"`
	ChangedAt string            `json:"changed_at"`
	Resident  *districtResident `json:"resident"`
}

// encodeCursor and decodeCursor make the opaque change-feed cursor: base64url("v1:<seq>").
func encodeCursor(seq uint64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(districtCursorPrefix + strconv.FormatUint(seq, 10)))
}

func decodeCursor(c string) (uint64, bool) {
	if c == "" {
		return 0, true
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, false
	}
	rest, ok := strings.CutPrefix(string(b), districtCursorPrefix)
	if !ok {
		return 0, false
	}
	seq, err := strconv.ParseUint(rest, 10, 64)
	return seq, err == nil
}

func (d *district) changes(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := districtDefaultLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > districtMaxLimit {
			d.error(w, http.StatusBadRequest, "limit must be an integer from 1 to 5000")
			return
		}
		limit = n
	}
	after, ok := decodeCursor(q.Get("cursor"))
	if !ok || after > d.data.LastSeq() {
		d.error(w, http.StatusBadRequest, "invalid cursor")
		return
	}
	chs := d.data.Changes(after, limit+1)
	hasMore := len(chs) > limit
	if hasMore {
		chs = chs[:limit]
	}
	resp := struct {
		Changes    []districtChange `json:"changes"`
		NextCursor string           `json:"next_cursor"`
		HasMore    bool             `json:"has_more"`
	}{Changes: make([]districtChange, 0, len(chs)), HasMore: hasMore}
	last := after
	for _, c := range chs {
		p := &d.data.Persons[c.Person]
		rec := d.feedRecord(c.Person)
		resp.Changes = append(resp.Changes, districtChange{Seq: c.Seq, Op: c.Op, IDNo: p.ID, ChangedAt: d.updatedAt, Resident: &rec})
		last = c.Seq
	}
	resp.NextCursor = encodeCursor(last)
	writeJSON(w, http.StatusOK, resp)
}

// feedRecord is the resident record as the change feed carries it: the resident endpoint's
// fields plus hukou type, land (mu), the household's homestead, if any, and the other
// villages' roll entries naming the person, if any.
func (d *district) feedRecord(i int32) districtResident {
	p := &d.data.Persons[i]
	rec := d.record(p)
	hukou := "non_agricultural"
	if p.Agricultural {
		hukou = "agricultural"
	}
	rec.HukouType = &hukou
	land := 0.0
	if p.Household >= 0 && int(p.Household) < len(d.data.Households) {
		h := &d.data.Households[p.Household]
		land = round2(h.LandMu)
		if h.HomesteadM2 > 0 {
			grade := ""
			if h.HouseGrade != 0 {
				grade = string(rune(h.HouseGrade))
			}
			rec.Homestead = &districtHomestead{AreaM2: round2(h.HomesteadM2), HouseGrade: grade, RealEstate: yn(h.RealEstate)}
		}
	}
	rec.LandMu = &land
	for _, o := range d.data.OtherRolls(i) {
		rec.OtherRolls = append(rec.OtherRolls, districtRollEntry{VillageCode: d.data.VillageAt(o.Village).Code, Program: synth.Programs[o.Program].Name})
	}
	return rec
}

// recordChange is the admin endpoint POST /_sim/changes {"id_no": "...", "op": "upsert"|"delete"}.
func (d *district) recordChange(w http.ResponseWriter, r *http.Request) {
	var req struct {
		IDNo string `json:"id_no"`
		Op   string `json:"op"`
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4<<10))
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	if err != nil {
		http.Error(w, "body must be {\"id_no\": \"...\", \"op\": \"upsert\"|\"delete\"}", http.StatusBadRequest)
		return
	}
	seq, err := d.roll.record(req.IDNo, req.Op)
	switch {
	case errors.Is(err, ErrUnknownPerson):
		http.Error(w, "unknown person", http.StatusNotFound)
	case err != nil:
		http.Error(w, "op must be upsert or delete", http.StatusBadRequest)
	default:
		writeJSON(w, http.StatusCreated, map[string]uint64{"seq": seq})
	}
}
