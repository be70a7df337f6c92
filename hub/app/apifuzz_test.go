package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sanmian/hub/app/apptest"
	"sanmian/hub/division"
	"sanmian/hub/ident"
	"sanmian/schema"
)

// envAPIFuzzRequests sets how many requests TestAPIFuzzFromOpenAPI sends (default
// defaultAPIFuzzRequests, bounded for CI); envAPIFuzzSeed its random seed (default: the time).
const (
	envAPIFuzzRequests     = "SANMIAN_API_FUZZ_REQUESTS"
	envAPIFuzzSeed         = "SANMIAN_API_FUZZ_SEED"
	defaultAPIFuzzRequests = 5000
)

// logSink collects everything a hub logs. Safe for concurrent use.
type logSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *logSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *logSink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// newLoggedHubEnv starts a hub whose every log line (at debug level, through its logger and
// through slog's default logger, which the test redirects) lands in the returned sink.
func newLoggedHubEnv(t *testing.T) (*hubEnv, *logSink) {
	t.Helper()
	sink := &logSink{}
	l := slog.New(slog.NewJSONHandler(sink, &slog.HandlerOptions{Level: slog.LevelDebug}))
	old := slog.Default()
	slog.SetDefault(l)
	t.Cleanup(func() { slog.SetDefault(old) })
	h := apptest.Start(t, apptest.Options{Logger: l})
	return &hubEnv{t: t, url: h.URL, sim: h.Sim, app: h.App, iss: h.Issuer, key: h.Key, hub: h}, sink
}

// idShaped finds 18-character runs of 17 digits and a check character.
var idShaped = regexp.MustCompile(`[0-9]{17}[0-9Xx]`)

// fullIDNumbers returns the valid ID numbers (check character verified) written out in s.
func fullIDNumbers(s string) []string {
	var out []string
	for i := 0; i+18 <= len(s); i++ {
		loc := idShaped.FindStringIndex(s[i:])
		if loc == nil {
			break
		}
		if cand := s[i+loc[0] : i+loc[1]]; ident.ValidIDNumber(strings.ToUpper(cand)) {
			out = append(out, cand)
		}
		i += loc[0] // the next window starts one character later
	}
	return out
}

// residentNamesIn returns the names of the synthetic district's residents that occur in s.
func residentNamesIn(e *hubEnv, s string) []string {
	var out []string
	for i := range e.sim.Data.Persons {
		if n := e.sim.Data.Persons[i].Name; n != "" && strings.Contains(s, n) {
			out = append(out, n)
		}
	}
	return out
}

// --- the OpenAPI document as a request generator ------------------------------------------

type apiParam struct {
	name, in string
	schema   map[string]any
}

type apiOp struct {
	method, path string
	params       []apiParam
	body         map[string]any // the application/json request body schema, or nil
}

// loadOps reads every operation of the served OpenAPI document.
func loadOps(t *testing.T) []apiOp {
	t.Helper()
	raw, err := schema.OpenAPIJSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var resolve func(v any) map[string]any
	resolve = func(v any) map[string]any {
		m, _ := v.(map[string]any)
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		var cur any = doc
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			cur = cur.(map[string]any)[part]
		}
		return resolve(cur)
	}
	// deref resolves $ref everywhere inside a schema.
	var deref func(v any, depth int) any
	deref = func(v any, depth int) any {
		switch x := v.(type) {
		case map[string]any:
			if depth > 8 {
				return map[string]any{}
			}
			x = resolve(x)
			out := map[string]any{}
			for k, vv := range x {
				out[k] = deref(vv, depth+1)
			}
			return out
		case []any:
			out := make([]any, len(x))
			for i, vv := range x {
				out[i] = deref(vv, depth+1)
			}
			return out
		}
		return v
	}
	var ops []apiOp
	for path, item := range doc["paths"].(map[string]any) {
		for method, o := range item.(map[string]any) {
			op := apiOp{method: strings.ToUpper(method), path: path}
			om := o.(map[string]any)
			ps, _ := om["parameters"].([]any)
			for _, p := range ps {
				pm := resolve(p)
				sch, _ := deref(pm["schema"], 0).(map[string]any)
				op.params = append(op.params, apiParam{name: pm["name"].(string), in: pm["in"].(string), schema: sch})
			}
			if rb := resolve(om["requestBody"]); rb != nil {
				if c, ok := rb["content"].(map[string]any)["application/json"].(map[string]any); ok {
					op.body, _ = deref(c["schema"], 0).(map[string]any)
				}
			}
			ops = append(ops, op)
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].path+ops[i].method < ops[j].path+ops[j].method })
	return ops
}

// fuzzer makes hostile requests. Not safe for concurrent use: one per worker.
type fuzzer struct {
	r       *rand.Rand
	ids     []string // valid ID numbers of the district
	names   []string // resident names
	apps    []string // application ids
	permits []string
	items   []string
	tokens  []string // bearer tokens of every role ("" = none)
	// counters holds, per resident of ids, a counter token of the resident's village.
	counters map[string]string
	// appTokens holds, per application of apps, its counter's token and its reviewers'
	// (village, work area, town); permitTokens the town reviewer's per permit.
	appTokens    map[string][]string
	permitTokens map[string]string
}

func (f *fuzzer) pick(xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	return xs[f.r.IntN(len(xs))]
}

func (f *fuzzer) id() string { return f.pick(f.ids) }

// text is free text with personal data typed into it.
func (f *fuzzer) text() string {
	id := f.id()
	switch f.r.IntN(5) {
	case 0:
		return "为" + f.pick(f.names) + "（身份证" + id + "）办理，电话13812345678"
	case 1:
		return "ID " + strings.ToLower(id) + " / " + id[:6] + " " + id[6:14] + " " + id[14:]
	case 2:
		return f.pick(f.names) + "申请"
	case 3:
		return "核对" + id + "\n第二行"
	}
	return "高龄补贴年审"
}

// str is a hostile string.
func (f *fuzzer) str() string {
	switch f.r.IntN(24) {
	case 0:
		return ""
	case 1:
		return " "
	case 2:
		return "abc"
	case 3, 4:
		return f.id()
	case 5:
		return strings.ToLower(f.id())
	case 6:
		return "370181400229001"
	case 7:
		return "' OR '1'='1"
	case 8:
		return "../../../etc/passwd"
	case 9:
		return "\x00\x01\x1b[2J"
	case 10:
		return "\u202e\u200b\ufeff"
	case 11:
		return strings.Repeat("长", 1+f.r.IntN(5000))
	case 12:
		return "NaN"
	case 13:
		return "1e400"
	case 14:
		return "-1"
	case 15, 16, 17:
		return f.text()
	case 18:
		return `{"a":1}`
	case 19:
		return "%00%zz"
	case 20:
		return "😀\U0010FFFF"
	case 21:
		return f.pick(f.apps)
	case 22:
		return f.pick(f.items)
	}
	return strconv.Itoa(f.r.IntN(1 << 20))
}

// number is a hostile JSON number (or not quite one).
func (f *fuzzer) number() string {
	return f.pick([]string{"-1", "0", "1", "50", "200", "201", "1001", "1e400", "-1e400", "9223372036854775808", "3.5", "NaN", "Infinity", `"10"`, "0x10", "1_000", "00"})
}

// paramValue is a query or path parameter value (unescaped).
func (f *fuzzer) paramValue(p apiParam) string {
	if f.r.IntN(3) == 0 {
		return f.str()
	}
	switch p.name {
	case "limit":
		return f.pick([]string{"-1", "0", "1", "10", "200", "201", "1000", "1001", "NaN", "1e400", "99999999999999999999", "+5", " 5", "0x10", ""})
	case "after":
		return f.pick([]string{"abc", "-1", "0", "1", "99999999999999999999", strings.Repeat("f", 32), f.pick(f.apps), f.id(), ""})
	case "id_number":
		return f.id()
	case "id":
		if f.r.IntN(2) == 0 {
			return f.pick(f.permits)
		}
		return f.pick(f.apps)
	case "code", "item":
		return f.pick(f.items)
	case "division":
		return f.pick([]string{"370114", division.Villages()[0].Code, "999999", f.id()})
	case "status":
		return f.pick([]string{"draft", "in_review", "approved", "DRAFT", "nope"})
	}
	if enum, ok := p.schema["enum"].([]any); ok && len(enum) > 0 {
		return fmt.Sprint(enum[f.r.IntN(len(enum))])
	}
	return f.str()
}

// jsonString encodes s, or now and then writes it raw (invalid JSON, invalid UTF-8).
func (f *fuzzer) jsonString(s string) string {
	if f.r.IntN(40) == 0 {
		return `"` + s + `"`
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// value is JSON text for a schema, sometimes of the wrong type.
func (f *fuzzer) value(s map[string]any, name string, depth int) string {
	if f.r.IntN(10) == 0 || depth > 4 {
		return f.pick([]string{"null", "true", "0", "-1", "1e400", `""`, "[]", "{}", `[1,"a",null]`, f.jsonString(f.str())})
	}
	switch typ, _ := s["type"].(string); typ {
	case "object":
		return f.object(s, depth)
	case "array":
		items, _ := s["items"].(map[string]any)
		n := f.r.IntN(4)
		parts := make([]string, n)
		for i := range parts {
			parts[i] = f.value(items, name, depth+1)
		}
		return "[" + strings.Join(parts, ",") + "]"
	case "integer", "number":
		return f.number()
	case "boolean":
		return f.pick([]string{"true", "false"})
	case "string":
		if enum, ok := s["enum"].([]any); ok && f.r.IntN(3) > 0 {
			return f.jsonString(fmt.Sprint(enum[f.r.IntN(len(enum))]))
		}
		switch name {
		case "purpose", "comment", "reason", "note":
			if f.r.IntN(2) == 0 {
				return f.jsonString(f.text())
			}
		case "id_number":
			if f.r.IntN(2) == 0 {
				return f.jsonString(f.id())
			}
		case "item":
			if f.r.IntN(2) == 0 {
				return f.jsonString(f.pick(f.items))
			}
		case "signature":
			return f.jsonString("data:image/png;base64,AAAA")
		}
		return f.jsonString(f.str())
	}
	return f.jsonString(f.str())
}

// object is a JSON object for s with hostile members now and then: unknown, case-changed or
// duplicate names.
func (f *fuzzer) object(s map[string]any, depth int) string {
	props, _ := s["properties"].(map[string]any)
	var members []string
	names := make([]string, 0, len(props))
	for n := range props {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if f.r.IntN(5) == 0 {
			continue
		}
		ps, _ := props[n].(map[string]any)
		members = append(members, f.jsonString(n)+":"+f.value(ps, n, depth+1))
	}
	if ap, ok := s["additionalProperties"].(map[string]any); ok {
		for range f.r.IntN(4) {
			key := f.pick([]string{"name", "hukou_type", "phone", "bank_account", f.str()})
			members = append(members, f.jsonString(key)+":"+f.value(ap, "note", depth+1))
		}
	}
	switch f.r.IntN(12) {
	case 0:
		members = append(members, `"extra":1`)
	case 1:
		if len(members) > 0 {
			members[0] = strings.ToUpper(members[0][:3]) + members[0][3:]
		}
	case 2:
		if len(members) > 0 {
			members = append(members, members[0])
		}
	case 3:
		members = append(members, "\"\xff\":1")
	}
	f.r.Shuffle(len(members), func(i, j int) { members[i], members[j] = members[j], members[i] })
	return "{" + strings.Join(members, ",") + "}"
}

// graphQLBody is a GraphQL request with hostile variables.
func (f *fuzzer) graphQLBody() string {
	vars := map[string]any{"id": f.id(), "after": f.str(), "first": f.pick([]string{"-1", "0", "5", "101", "1000000"}),
		"item": f.str(), "purpose": f.text(), "app": f.pick(f.apps), "permit": f.pick(f.permits), "comment": f.text()}
	q := f.pick([]string{
		`query($id:String!,$after:String,$first:Int){dataUse(idNumber:$id,after:$after,first:$first){edges{node{purpose actor}}}}`,
		`query($item:String,$after:String,$first:Int){applications(item:$item,after:$after,first:$first){edges{node{id reviews{comment}}}}}`,
		`mutation($id:String!,$item:String!,$purpose:String!){apply(input:{applicantIdNumber:$id,item:$item,purpose:$purpose}){id}}`,
		`mutation($app:ID!,$comment:String){review(input:{applicationId:$app,action:RETURN,comment:$comment}){id}}`,
		`mutation($permit:ID!,$comment:String!){revoke(input:{permitId:$permit,reason:$comment}){id revocationReason}}`,
		`query($app:ID!){application(id:$app){id reviews{comment} form{name value}}}`,
		`{ __typename }`, `query { dataUse(idNumber: "` + f.id() + `", first: 5) { edges { node { purpose } } } }`,
		`{`, `query($id:String!){ person(idNumber:$id, purpose:"x"){ id } }`,
	})
	first, _ := strconv.Atoi(vars["first"].(string))
	vars["first"] = first
	b, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	return string(b)
}

// wellFormed is a body of the right shape with hostile free text (personal data typed into
// it), and for a new application the token of a counter that may create it.
func (f *fuzzer) wellFormed(op apiOp, path string) (body, token string) {
	var v any
	target := ""
	if parts := strings.Split(path, "/"); len(parts) > 3 {
		target = parts[3]
	}
	switch tokens := f.appTokens[target]; {
	case len(tokens) == 4 && strings.HasSuffix(op.path, "/confirm"):
		token = tokens[0]
	case len(tokens) == 4 && strings.HasSuffix(op.path, "/review"):
		token = f.pick(tokens[1:])
	case strings.HasSuffix(op.path, "/revoke"):
		token = f.permitTokens[target]
	}
	switch {
	case strings.HasSuffix(op.path, "/confirm"):
		declined := []string{}
		if f.r.IntN(2) == 0 {
			declined = append(declined, f.pick([]string{"hukou_type", "name", "age", "phone"}))
		}
		v = map[string]any{"signature": "sig", "declined": declined,
			"notes": map[string]string{"hukou_type": f.text(), "name": f.text(), "age": f.text(), "phone": f.text()}}
	case strings.HasSuffix(op.path, "/review"):
		v = map[string]any{"action": f.pick([]string{"approve", "reject", "return"}), "comment": f.text()}
	case strings.HasSuffix(op.path, "/revoke"):
		v = map[string]any{"reason": f.text()}
	case strings.HasSuffix(op.path, "/verify"):
		v = map[string]any{"token": f.str()}
	default:
		id := f.id()
		token = f.counters[id]
		v = map[string]any{"item": f.pick(f.items), "applicant": map[string]string{"id_number": id}, "purpose": f.text()}
	}
	b, _ := json.Marshal(v)
	return string(b), token
}

// request makes one hostile request from an operation of the document.
func (f *fuzzer) request(base string, ops []apiOp) (*http.Request, string) {
	op := ops[f.r.IntN(len(ops))]
	method := op.method
	if f.r.IntN(20) == 0 {
		method = f.pick([]string{"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "FOO"})
	}
	path := op.path
	q := url.Values{}
	for _, p := range op.params {
		switch p.in {
		case "path":
			v := f.paramValue(p)
			if p.name == "id" && f.r.IntN(3) > 0 {
				if strings.HasPrefix(op.path, "/v1/permits/") {
					v = f.pick(f.permits)
				} else {
					v = f.pick(f.apps)
				}
			}
			if v == "" {
				v = "x"
			}
			path = strings.ReplaceAll(path, "{"+p.name+"}", url.PathEscape(v))
		case "query":
			if f.r.IntN(5) < 3 {
				q.Add(p.name, f.paramValue(p))
			}
		}
	}
	switch f.r.IntN(10) {
	case 0:
		q.Add("limit", f.paramValue(apiParam{name: "limit"}))
	case 1:
		q.Add("after", f.paramValue(apiParam{name: "after"}))
	case 2:
		q.Add("item", f.id())
	}
	rawQuery := q.Encode()
	if f.r.IntN(30) == 0 {
		rawQuery += "&a=%zz;b=1&limit=%"
	}
	target := base + path
	if rawQuery != "" {
		target += "?" + rawQuery
	}
	var body, token string
	switch {
	case op.body != nil && f.r.IntN(3) == 0:
		body, token = f.wellFormed(op, path)
	case op.path == "/graphql":
		body = f.graphQLBody()
	case op.body != nil || f.r.IntN(20) == 0:
		body = f.value(op.body, "", 0)
		if op.body != nil && f.r.IntN(4) > 0 {
			body = f.object(op.body, 0) // mostly the right shape
		}
	}
	switch f.r.IntN(40) {
	case 0:
		body = ""
	case 1:
		body = "null"
	case 2:
		body += " {}"
	case 3:
		body = strings.Repeat(" ", 600<<10) + "{}" // over the body limit
	case 4:
		body = strings.Repeat("[", 100000)
	}
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	if err != nil {
		// A hostile target the client refuses to send; send a plain one instead.
		req, _ = http.NewRequest(method, base+op.path, strings.NewReader(body))
	}
	if body != "" || f.r.IntN(10) == 0 {
		req.Header.Set("Content-Type", f.pick([]string{"application/json", "application/json", "application/json",
			"application/json; charset=utf-8", "Application/JSON; charset=UTF-8", "application/json; charset=latin1",
			"text/plain", "", "application/x-www-form-urlencoded", "application/json; x=y"}))
		if req.Header.Get("Content-Type") == "" {
			req.Header.Del("Content-Type")
		}
	}
	if token == "" {
		token = f.pick(f.tokens)
	}
	switch tok := token; {
	case tok == "" && f.r.IntN(3) == 0:
		req.Header.Set("Authorization", f.pick([]string{"Bearer abc", "Basic Zm9vOmJhcg==", "Bearer ", "Bearer " + strings.Repeat("a", 5000), "bearer x.y.z"}))
	case tok != "":
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if f.r.IntN(5) == 0 {
		req.Header.Set("Idempotency-Key", f.pick([]string{"k1", "k2", strings.Repeat("k", 201), f.id()}))
	}
	return req, method + " " + op.path
}

// fuzzSetup creates the applications and a permit the fuzzer aims at, and the tokens of every
// role, and returns a fuzzer seeded with seed.
func fuzzSetup(t *testing.T, e *hubEnv) func(seed uint64) *fuzzer {
	t.Helper()
	d := e.sim.Data
	f := &fuzzer{counters: map[string]string{}, appTokens: map[string][]string{}, permitTokens: map[string]string{}}
	for _, it := range e.app.Hub.Items() {
		f.items = append(f.items, it.Code)
	}
	// A permit (instant approval) and a few applications, by counters of their villages.
	id, village := e.resident("elderly_allowance")
	counter := e.token("counter", village)
	r := e.do("POST", "/v1/applications", counter, map[string]any{"item": "elderly_allowance",
		"applicant": map[string]string{"id_number": id}, "purpose": "模糊测试准备"})
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	f.apps = append(f.apps, r.body["id"].(string))
	r = e.do("POST", "/v1/applications/"+f.apps[0]+"/confirm", counter, map[string]any{"signature": "sig"})
	if pid, ok := r.body["permit_id"].(string); ok {
		f.permits = append(f.permits, pid)
		vd, _ := division.Lookup(village)
		f.permitTokens[pid] = e.token("reviewer", vd.Town)
	}
	f.ids = append(f.ids, id)
	f.counters[id] = counter
	villages := []string{village}
	for i := 0; i < len(d.Persons) && len(f.ids) < 12; i += len(d.Persons) / 11 {
		p := &d.Persons[i]
		f.ids, f.names = append(f.ids, p.ID), append(f.names, p.Name)
		villages = append(villages, d.Village(p).Code)
		f.counters[p.ID] = e.token("counter", d.Village(p).Code)
	}
	// Drafts to confirm and review, each with the tokens that may act on it.
	for _, rid := range f.ids[1:] {
		for _, item := range []string{"temporary_assistance", "senior_card"} {
			r := e.do("POST", "/v1/applications", f.counters[rid], map[string]any{"item": item,
				"applicant": map[string]string{"id_number": rid}, "purpose": "模糊测试准备"})
			if r.status != 201 {
				continue
			}
			app := r.body["id"].(string)
			v, _ := r.body["village"].(string)
			vd, _ := division.Lookup(v)
			wa, _ := division.WorkAreaOf(v)
			f.apps = append(f.apps, app)
			f.appTokens[app] = []string{f.counters[rid], e.token("reviewer", v), e.token("reviewer", wa.Code), e.token("reviewer", vd.Town)}
		}
	}
	for _, v := range villages {
		vd, _ := division.Lookup(v)
		wa, _ := division.WorkAreaOf(v)
		f.tokens = append(f.tokens, e.token("counter", v), e.token("reviewer", v), e.token("reviewer", wa.Code), e.token("reviewer", vd.Town))
	}
	f.tokens = append(f.tokens, e.token("auditor", division.DistrictCode), e.token("admin", division.DistrictCode),
		e.token("department", division.DistrictCode, "elderly_allowance", "senior_card"), "", "")
	f.permits = append(f.permits, strings.Repeat("0", 32))
	f.apps = append(f.apps, strings.Repeat("f", 32))
	return func(seed uint64) *fuzzer {
		g := *f
		g.r = rand.New(rand.NewPCG(seed, seed^0x5eed))
		return &g
	}
}

// TestAPIFuzzFromOpenAPI sends hostile requests made from the served OpenAPI document (every
// operation, with and without tokens of every role: hostile path and query values, bodies of
// the wrong shape and type, duplicate and case-changed member names, bad content types, huge
// and truncated bodies, wrong methods) to a real hub over real simulated platforms, and
// requires: no 5xx answer, every /v1 error a problem document, and nothing in the hub's log
// that is a full ID number or a resident's name.
// SANMIAN_API_FUZZ_REQUESTS=100000 runs a long campaign.
func TestAPIFuzzFromOpenAPI(t *testing.T) {
	e, sink := newLoggedHubEnv(t)
	ops := loadOps(t)
	if len(ops) < 20 {
		t.Fatalf("only %d operations in the OpenAPI document", len(ops))
	}
	n := defaultAPIFuzzRequests
	if s := os.Getenv(envAPIFuzzRequests); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			t.Fatalf("%s=%q: want a positive number", envAPIFuzzRequests, s)
		}
		n = v
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(envAPIFuzzSeed); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", envAPIFuzzSeed, s, err)
		}
		seed = v
	}
	t.Logf("%d requests, seed %d (%s=%d repeats this run)", n, seed, envAPIFuzzSeed, seed)
	newFuzzer := fuzzSetup(t, e)

	const workers = 4
	client := &http.Client{Timeout: 30 * time.Second}
	var (
		next     atomic.Int64
		mu       sync.Mutex
		statuses = map[int]int{}
		ok2xx    = map[string]int{} // successes per operation
		failures []string
		wg       sync.WaitGroup
	)
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := newFuzzer(seed + uint64(w))
			for next.Add(1) <= int64(n) {
				req, what := f.request(e.url, ops)
				req = req.WithContext(t.Context())
				resp, err := client.Do(req)
				if err != nil {
					if t.Context().Err() != nil {
						return
					}
					mu.Lock()
					failures = append(failures, fmt.Sprintf("%s: transport error %v", what, err))
					mu.Unlock()
					continue
				}
				body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
				resp.Body.Close()
				var fail string
				ct := resp.Header.Get("Content-Type")
				switch {
				case resp.StatusCode >= 500:
					fail = fmt.Sprintf("%s -> %d %.300s", what, resp.StatusCode, body)
				case resp.StatusCode >= 400 && strings.HasPrefix(req.URL.Path, "/v1/") && req.Method != http.MethodHead &&
					ct != "application/problem+json":
					fail = fmt.Sprintf("%s -> %d with %q, not a problem document", what, resp.StatusCode, ct)
				case resp.Header.Get("X-Request-Id") == "":
					fail = fmt.Sprintf("%s -> %d without a request id", what, resp.StatusCode)
				}
				mu.Lock()
				statuses[resp.StatusCode]++
				if resp.StatusCode < 300 && !strings.Contains(string(body), `"errors"`) {
					ok2xx[what]++
				}
				if fail != "" && len(failures) < 50 {
					failures = append(failures, fail)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	codes := make([]int, 0, len(statuses))
	for c := range statuses {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	var summary []string
	total, fivexx := 0, 0
	for _, c := range codes {
		summary = append(summary, fmt.Sprintf("%d:%d", c, statuses[c]))
		total += statuses[c]
		if c >= 500 {
			fivexx += statuses[c]
		}
	}
	t.Logf("%d responses in %s (%.0f/s), 5xx: %d; by status %s", total, elapsed.Round(time.Millisecond),
		float64(total)/elapsed.Seconds(), fivexx, strings.Join(summary, " "))
	var okOps []string
	for op, c := range ok2xx {
		okOps = append(okOps, fmt.Sprintf("%s:%d", op, c))
	}
	slices.Sort(okOps)
	t.Logf("successes by operation: %s", strings.Join(okOps, " "))
	for _, f := range failures {
		t.Error(f)
	}
	if statuses[200]+statuses[201] == 0 {
		t.Error("no request succeeded: the fuzzer only exercised refusals")
	}

	logs := sink.String()
	if len(logs) == 0 {
		t.Fatal("the hub logged nothing: the log capture is broken")
	}
	if ids := fullIDNumbers(logs); len(ids) > 0 {
		t.Errorf("the hub's log holds %d full ID numbers, e.g. %s", len(ids), ident.MaskIDNumber(ids[0]))
	}
	if names := residentNamesIn(e, logs); len(names) > 0 {
		t.Errorf("the hub's log holds %d resident names, e.g. %s", len(names), ident.RedactText(names[0], names[0]))
	}
}

// gqlPost sends a GraphQL request and returns the raw response.
func (e *hubEnv) gqlPost(token, query string, vars map[string]any) response {
	e.t.Helper()
	return e.do("POST", "/graphql", token, map[string]any{"query": query, "variables": vars})
}

// TestAuditorViewHasNoTypedIDNumbers types full ID numbers, a phone number and the
// applicant's name into every free-text field of an application's life (purpose, the note on
// a declined field, review comments, the revocation reason, a refused list filter, a paging
// cursor) and requires that what an auditor reads back (data-use records, audit entries, the
// application with its reviews, the permit, the decision, over REST and GraphQL) and what
// the hub logged hold none of them, while the rest of the text is kept.
func TestAuditorViewHasNoTypedIDNumbers(t *testing.T) {
	e, sink := newLoggedHubEnv(t)
	d := e.sim.Data
	id, village := e.resident("rural_family_planning_reward")
	var other string
	for i := range d.Persons {
		if d.Persons[i].ID != id {
			other = d.Persons[i].ID
			break
		}
	}
	v, _ := division.Lookup(village)
	wa, _ := division.WorkAreaOf(village)
	counter := e.token("counter", village)
	auditor := e.token("auditor", division.DistrictCode)

	r := e.do("POST", "/v1/applications", counter, map[string]any{"item": "rural_family_planning_reward",
		"applicant": map[string]string{"id_number": id}, "purpose": "核对身份证 " + id + "（代办人 " + strings.ToLower(other) + "）"})
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	appID := r.body["id"].(string)
	name, _ := field(r.body, "applicant.name").(string)
	if name == "" {
		t.Fatalf("no applicant name in %s", r.raw)
	}
	typed := func(what string) string {
		return what + "：" + name + " 身份证" + id + "，另一人 " + other[:6] + "-" + other[6:14] + "-" + other[14:] + "，电话13812345678"
	}
	r = e.do("POST", "/v1/applications/"+appID+"/confirm", counter, map[string]any{
		"signature": "sig", "declined": []string{"hukou_type"}, "notes": map[string]string{"hukou_type": typed("户口簿已核验")}})
	if r.status != 200 {
		t.Fatalf("confirm: %d %s", r.status, r.raw)
	}
	for _, j := range []string{village, wa.Code, v.Town} {
		r = e.do("POST", "/v1/applications/"+appID+"/review", e.token("reviewer", j), map[string]any{"action": "approve", "comment": typed("同意")})
		if r.status != 200 {
			t.Fatalf("review by %s: %d %s", j, r.status, r.raw)
		}
	}
	permitID, _ := r.body["permit_id"].(string)
	decisionID, _ := field(r.body, "decision.decision_id").(string)
	if permitID == "" || decisionID == "" {
		t.Fatalf("no permit or decision after the last review: %s", r.raw)
	}
	r = e.do("POST", "/v1/permits/"+permitID+"/revoke", e.token("reviewer", v.Town), map[string]any{"reason": typed("撤销")})
	if r.status != 200 {
		t.Fatalf("revoke: %d %s", r.status, r.raw)
	}
	// Typed into a query: a refused filter is not an item code, a cursor is not a cursor.
	dept := e.token("department", division.DistrictCode, "senior_card")
	for _, path := range []string{"/v1/applications?item=" + id, "/v1/applications?division=" + id,
		"/v1/residents/" + id + "/data-use?after=" + other + "X", "/v1/residents/" + id + "/data-use?limit=1e400",
		"/v1/applications?after=" + id} {
		if r := e.do("GET", path, dept, nil); r.status != 400 {
			t.Errorf("GET %s: %d %s, want 400", ident.RedactText(path), r.status, r.raw)
		}
	}
	// A refusal with a valid filter is audited (with codes only).
	if r := e.do("GET", "/v1/applications?item=elderly_allowance", dept, nil); r.status != 403 {
		t.Errorf("department outside its scope: %d %s", r.status, r.raw)
	}

	masked := ident.MaskIDNumber(id)
	views := map[string]response{
		"REST data-use":      e.do("GET", "/v1/residents/"+id+"/data-use", auditor, nil),
		"REST audit entries": e.do("GET", "/v1/audit/entries?limit=1000", auditor, nil),
		"REST application":   e.do("GET", "/v1/applications/"+appID, auditor, nil),
		"REST permit":        e.do("GET", "/v1/permits/"+permitID, auditor, nil),
		"GraphQL data-use": e.gqlPost(auditor, `query($id:String!){dataUse(idNumber:$id,first:100){edges{node{purpose actor action}}}}`,
			map[string]any{"id": id}),
		"GraphQL application": e.gqlPost(auditor, `query($id:ID!){application(id:$id){purpose reviews{comment} permit{revocationReason}}}`,
			map[string]any{"id": appID}),
		"GraphQL permit":   e.gqlPost(auditor, `query($id:ID!){permit(id:$id){revocationReason}}`, map[string]any{"id": permitID}),
		"GraphQL decision": e.gqlPost(auditor, `query($id:ID!){decision(id:$id){id eligible reasons}}`, map[string]any{"id": decisionID}),
	}
	// Where the typed text is shown, it is shown redacted.
	wantMasked := map[string]bool{"REST data-use": true, "REST audit entries": true, "REST application": true,
		"REST permit": true, "GraphQL data-use": true, "GraphQL application": true, "GraphQL permit": true}
	for what, r := range views {
		if r.status != 200 || strings.Contains(string(r.raw), `"errors"`) {
			t.Errorf("%s: %d %s", what, r.status, ident.RedactText(string(r.raw)))
			continue
		}
		raw := string(r.raw)
		if ids := fullIDNumbers(raw); len(ids) > 0 {
			t.Errorf("%s shows %d full ID numbers, e.g. %s", what, len(ids), ident.MaskIDNumber(ids[0]))
		}
		if strings.Contains(raw, "13812345678") {
			t.Errorf("%s shows the typed phone number", what)
		}
		if wantMasked[what] && !strings.Contains(raw, masked) {
			t.Errorf("%s does not show the typed text redacted (%s): %.400s", what, masked, ident.RedactText(raw))
		}
		if what != "REST application" && strings.Contains(raw, name) {
			t.Errorf("%s shows the applicant's name typed into free text", what)
		}
	}
	logs := sink.String()
	if ids := fullIDNumbers(logs); len(ids) > 0 {
		t.Errorf("the hub's log holds %d full ID numbers, e.g. %s", len(ids), ident.MaskIDNumber(ids[0]))
	}
	if names := residentNamesIn(e, logs); len(names) > 0 {
		t.Errorf("the hub's log holds %d resident names", len(names))
	}
}

// TestStrictBodiesAndPaging: request bodies are decoded strictly on every JSON route and bad
// paging parameters are 400 problems on every paged route, without echoing the value.
func TestStrictBodiesAndPaging(t *testing.T) {
	e, sink := newLoggedHubEnv(t)
	village := division.Villages()[0].Code
	counter := e.token("counter", village)
	auditor := e.token("auditor", division.DistrictCode)
	const id = "11010519491231002X"
	valid := `{"item":"senior_card","applicant":{"id_number":"` + id + `"},"purpose":"p"}`
	bodies := []struct {
		name, path, ctype, body string
		want                    int
	}{
		{"no_content_type", "/v1/applications", "", valid, 415},
		{"text_plain", "/v1/applications", "text/plain", valid, 415},
		{"latin1_charset", "/v1/applications", "application/json; charset=latin1", valid, 415},
		{"upper_case_key", "/v1/applications", "application/json", `{"ITEM":"senior_card","applicant":{"id_number":"` + id + `"},"purpose":"p"}`, 400},
		{"duplicate_key", "/v1/applications", "application/json", `{"item":"senior_card","item":"senior_card","applicant":{"id_number":"` + id + `"},"purpose":"p"}`, 400},
		{"trailing_data", "/v1/applications", "application/json", valid + `{}`, 400},
		{"purpose_control_character", "/v1/applications", "application/json", `{"item":"senior_card","applicant":{"id_number":"` + id + `"},"purpose":"a\u0007b"}`, 400},
		{"purpose_bidi_override", "/v1/applications", "application/json", `{"item":"senior_card","applicant":{"id_number":"` + id + `"},"purpose":"a\u202eb"}`, 400},
		{"purpose_too_long", "/v1/applications", "application/json", `{"item":"senior_card","applicant":{"id_number":"` + id + `"},"purpose":"` + strings.Repeat("长", 501) + `"}`, 400},
		{"review_duplicate_action", "/v1/applications/" + strings.Repeat("0", 32) + "/review", "application/json", `{"action":"reject","action":"approve"}`, 400},
		{"verify_case_folded", "/v1/permits/verify", "application/json", `{"Token":"x"}`, 400},
		{"verify_no_content_type", "/v1/permits/verify", "", `{"token":"x"}`, 415},
		{"graphql_duplicate_query", "/graphql", "application/json", `{"query":"{__typename}","query":"{__typename}"}`, 400},
		// Accepted: a charset parameter in any case (the token is no permit: valid false).
		{"charset_utf8_accepted", "/v1/permits/verify", "Application/JSON; Charset=UTF-8", `{"token":"x"}`, 200},
	}
	for _, tc := range bodies {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), "POST", e.url+tc.path, strings.NewReader(tc.body))
			req.Header.Set("Authorization", "Bearer "+counter)
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.want {
				t.Fatalf("%d %s, want %d", resp.StatusCode, raw, tc.want)
			}
			if tc.want >= 400 && tc.path != "/graphql" && resp.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("%d with %q, not a problem document", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
		})
	}
	resident := e.sim.Data.Persons[0].ID
	paged := []string{"/v1/applications", "/v1/audit/entries", "/v1/residents/" + resident + "/data-use"}
	params := []struct{ name, query string }{
		{"limit_negative", "limit=-1"}, {"limit_zero", "limit=0"}, {"limit_nan", "limit=NaN"}, {"limit_1e400", "limit=1e400"},
		{"limit_huge", "limit=99999999999999999999"}, {"limit_over_max", "limit=1001"}, {"limit_plus_sign", "limit=%2B5"},
		{"limit_twice", "limit=1&limit=2"}, {"after_letters", "after=abc"}, {"after_negative", "after=-1"},
		{"after_id_number_with_x", "after=" + id}, {"bad_escape", "after=%zz"},
	}
	for _, path := range paged {
		for _, p := range params {
			t.Run(strings.ReplaceAll(strings.TrimPrefix(path, "/v1/"), resident, "id")+"/"+p.name, func(t *testing.T) {
				r := e.do("GET", path+"?"+p.query, auditor, nil)
				if r.status != 400 || r.header.Get("Content-Type") != "application/problem+json" {
					t.Fatalf("%d %s, want a 400 problem", r.status, r.raw)
				}
				if strings.Contains(string(r.raw), id) {
					t.Fatalf("the problem echoes the value: %s", r.raw)
				}
			})
		}
	}
	if r := e.do("GET", "/v1/applications?limit=201", auditor, nil); r.status != 400 {
		t.Errorf("applications limit 201: %d, want 400 (the maximum is 200)", r.status)
	}
	if r := e.do("GET", "/v1/residents/"+resident+"/data-use?limit=1000", auditor, nil); r.status != 200 {
		t.Errorf("data-use limit 1000: %d %s", r.status, r.raw)
	}
	if ids := fullIDNumbers(sink.String()); len(ids) > 0 {
		t.Errorf("the hub's log holds %d full ID numbers", len(ids))
	}
}
