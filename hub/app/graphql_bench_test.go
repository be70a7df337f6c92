package app

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"

	"sanmian/hub/api"
	"sanmian/hub/auth"
	"sanmian/hub/ident"
)

// BenchmarkDoors compares the GraphQL door with the REST door over the real hub (simulated
// platforms, SQLite, OPA, the evidence cache warm), both through the hub's own handler in
// process, with the same caller token and the same resident:
//
//   - person/graphql: the person query of schema/bench_test.go (15 fields, village, licences);
//   - person/rest_equivalent: the same lookup as REST would serve it. The REST contract has no
//     person endpoint, so the benchmark mounts one on the real server (api.Authenticate over
//     Hub.People, the village from Hub.Division, masked ID, JSON of the same fields);
//   - application/graphql vs application/rest: GET /v1/applications/{id} against the
//     application query asking for the same fields, both real handlers.
//
// Both person doors write one audit entry and one data-use record per request.
func BenchmarkDoors(b *testing.B) {
	e := newGQLEnv(b)
	d := e.p.Data
	hh := fiveHousehold(b, d, nil)
	p := &d.Persons[hh.Members[0]]
	village := d.VillageAt(hh.Village).Code
	tok := e.token(b, auth.RoleCounter, village)
	h := e.a.Handler()

	e.a.Server.Handle("GET /bench/residents/{id_number}", api.Authenticate(e.a.Auth, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := api.CallerFrom(r.Context())
		res, err := e.a.Hub.People(r.Context(), c, []string{r.PathValue("id_number")}, r.URL.Query().Get("purpose"))
		if err != nil || res[0].Err != nil {
			http.Error(w, "refused", http.StatusForbidden)
			return
		}
		pv := res[0].Person
		rec := pv.Record
		id := rec.IDNumber
		if !pv.Unmasked {
			id = ident.MaskIDNumber(id)
		}
		dv, err := e.a.Hub.Division(r.Context(), rec.Village)
		if err != nil {
			http.Error(w, "division", http.StatusInternalServerError)
			return
		}
		lic := make([]map[string]any, 0, len(rec.Licences))
		for _, l := range rec.Licences {
			lic = append(lic, map[string]any{"id": l.ID, "type": l.Type, "status": l.Status, "valid_until": l.ValidUntil})
		}
		api.WriteJSON(w, http.StatusOK, map[string]any{"id_number": id, "name": rec.Name, "sex": rec.Sex,
			"birth_date": rec.BirthDate, "hukou_type": rec.HukouType, "village": map[string]any{"code": dv.Code, "name": dv.Name},
			"licences": lic})
	})))

	status, body := e.do(b, http.MethodPost, "/v1/applications", tok, map[string]any{
		"item": "residence_certificate", "applicant": map[string]any{"id_number": p.ID}, "purpose": "居住证明"})
	if status != http.StatusCreated {
		b.Fatalf("apply: %d %s", status, body)
	}
	var app struct{ ID string }
	if err := json.Unmarshal(body, &app); err != nil {
		b.Fatal(err)
	}

	gqlBody := func(query string, vars map[string]any) []byte {
		bs, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
		return bs
	}
	personBody := gqlBody(`query Person($id: String!) {
  person(idNumber: $id, purpose: "elderly_allowance") {
    idNumber name sex birthDate age hukouType
    village { code name }
    licences { id type status validUntil }
  }
}`, map[string]any{"id": p.ID})
	appBody := gqlBody(`query App($id: ID!) {
  application(id: $id) {
    id itemCode status applicantIdNumber permitId createdAt updatedAt
    awaiting { level division { code } }
    form { name label value declined source { platform endpoint record fetchedAt stale } }
    decision { id eligible reasons missing autofill instant revision }
  }
}`, map[string]any{"id": app.ID})

	serve := func(b *testing.B, req *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)) {
			b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
		}
	}
	post := func(body []byte) *http.Request {
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		return req
	}
	get := func(path string) *http.Request {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		return req
	}
	cases := []struct {
		name string
		req  func() *http.Request
	}{
		{"person/graphql", func() *http.Request { return post(personBody) }},
		{"person/rest_equivalent", func() *http.Request { return get("/bench/residents/" + p.ID + "?purpose=elderly_allowance") }},
		{"application/graphql", func() *http.Request { return post(appBody) }},
		{"application/rest", func() *http.Request { return get("/v1/applications/" + app.ID) }},
	}
	for _, c := range cases {
		serve(b, c.req()) // warm the evidence cache and the document cache
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := processCPU()
			for b.Loop() {
				serve(b, c.req())
			}
			// CPU time per request of the whole process (hub and simulators): steadier than
			// wall time on a shared, loaded machine.
			b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// processCPU returns the user and system CPU time the process has used, in nanoseconds.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
