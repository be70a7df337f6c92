package sim_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"sanmian/connectors/sim"
)

// districtCall is one authorised district request; faults are easiest to observe on it.
func districtCall(t *testing.T, p *sim.Platforms) *http.Request {
	return districtGet(t, p, p.Credentials.DistrictAPIKey, "/open/v1/residents/"+p.Data.Persons[1].ID)
}

func setFaults(t *testing.T, s *sim.Server, c sim.FaultConfig) {
	t.Helper()
	if err := s.SetFaults(c); err != nil {
		t.Fatalf("SetFaults: %v", err)
	}
}

func TestFaultError(t *testing.T) {
	p := start(t, sim.Config{})
	c := newClient(t, 5*time.Second)
	setFaults(t, p.District, sim.FaultConfig{ErrorRate: 1})
	seen := map[int]bool{}
	for range 40 {
		r := do(t, c, districtCall(t, p))
		if r.status != 500 && r.status != 502 && r.status != 503 {
			t.Fatalf("status %d, want 5xx", r.status)
		}
		if e := decode[map[string]string](t, r); e["error"] == "" {
			t.Fatalf("5xx not in the district's error style: %s", r.body)
		}
		seen[r.status] = true
	}
	if len(seen) < 2 {
		t.Errorf("5xx mix %v, want several statuses", seen)
	}
	if st := p.District.Stats(); st.Faults["error"] != 40 {
		t.Errorf("stats faults %v", st.Faults)
	}
}

func TestFaultRateLimit(t *testing.T) {
	p := start(t, sim.Config{})
	c := newClient(t, 5*time.Second)
	setFaults(t, p.Province, sim.FaultConfig{RateLimitRate: 1, RetryAfter: sim.Duration(2 * time.Second)})
	r := do(t, c, provinceRequest(t, p, "/gateway/api/rkjc/query", map[string]any{"sfzh": ids(p.Data, 0, 1)}, newSigner(p.Credentials)))
	env := decode[provinceEnvelope[json.RawMessage]](t, r)
	if r.status != 429 || r.header.Get("Retry-After") != "2" || env.Code != "4290" {
		t.Fatalf("got %d Retry-After %q code %s", r.status, r.header.Get("Retry-After"), env.Code)
	}
}

func TestFaultsApplyToCityTokenEndpoint(t *testing.T) {
	p := start(t, sim.Config{})
	c := newClient(t, 5*time.Second)
	setFaults(t, p.City, sim.FaultConfig{RateLimitRate: 1})
	r := do(t, c, cityTokenRequest(t, p, p.Credentials.CityClientID, p.Credentials.CityClientSecret, true))
	if r.status != 429 || r.header.Get("Retry-After") != "1" {
		t.Fatalf("token endpoint: %d %q", r.status, r.header.Get("Retry-After"))
	}
}

func TestFaultTimeout(t *testing.T) {
	p := start(t, sim.Config{})

	t.Run("client_gives_up", func(t *testing.T) {
		setFaults(t, p.District, sim.FaultConfig{TimeoutRate: 1, TimeoutMax: sim.Duration(time.Minute)})
		c := newClient(t, 150*time.Millisecond)
		began := time.Now()
		_, err := c.Do(districtCall(t, p))
		var ne interface{ Timeout() bool }
		if err == nil || !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("want a client timeout, got %v", err)
		}
		if time.Since(began) > 10*time.Second {
			t.Fatal("hung far beyond the client's timeout")
		}
	})

	t.Run("server_closes_after_max", func(t *testing.T) {
		setFaults(t, p.District, sim.FaultConfig{TimeoutRate: 1, TimeoutMax: sim.Duration(100 * time.Millisecond)})
		c := newClient(t, 10*time.Second)
		began := time.Now()
		resp, err := c.Do(districtCall(t, p))
		if err == nil {
			resp.Body.Close()
			t.Fatalf("want a closed connection, got %d", resp.StatusCode)
		}
		if d := time.Since(began); d < 80*time.Millisecond {
			t.Errorf("connection closed after %s, before timeout_max", d)
		}
	})
	if st := p.District.Stats(); st.Faults["timeout"] < 2 || st.ByStatus["aborted"] < 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestFaultTruncate(t *testing.T) {
	p := start(t, sim.Config{})
	c := newClient(t, 5*time.Second)
	tok := cityToken(t, c, p) // token first, then the fault
	setFaults(t, p.City, sim.FaultConfig{TruncateRate: 1})
	r := do(t, c, cityBatch(t, p, tok, ids(p.Data, 0, 10)))
	var v any
	err := json.Unmarshal(r.body, &v)
	var se *json.SyntaxError
	if r.status != 200 || err == nil || !(errors.As(err, &se) || strings.Contains(err.Error(), "unexpected end")) {
		t.Fatalf("got %d, decode error %v, body %d bytes", r.status, err, len(r.body))
	}
	if !strings.HasPrefix(string(r.body), `{"items":[`) {
		t.Errorf("truncated body does not start like the real one: %.40q", r.body)
	}
}

func TestFaultMalformed(t *testing.T) {
	p := start(t, sim.Config{})
	c := newClient(t, 5*time.Second)
	setFaults(t, p.District, sim.FaultConfig{MalformedRate: 1})
	kinds := map[string]int{}
	for range 20 {
		r := do(t, c, districtCall(t, p))
		if r.status != 200 {
			t.Fatalf("status %d", r.status)
		}
		var res districtResident
		err := json.Unmarshal(r.body, &res)
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			kinds["wrong_types"]++
		case err != nil:
			kinds["not_json"]++
		default:
			t.Fatalf("malformed body decoded cleanly: %s", r.body)
		}
	}
	if kinds["wrong_types"] == 0 || kinds["not_json"] == 0 {
		t.Errorf("malformed kinds %v, want both", kinds)
	}
}

func TestFaultLatency(t *testing.T) {
	p := start(t, sim.Config{})
	c := newClient(t, 5*time.Second)
	setFaults(t, p.District, sim.FaultConfig{Latency: sim.Latency{Median: sim.Duration(60 * time.Millisecond), P99: sim.Duration(90 * time.Millisecond)}})
	const n = 5
	began := time.Now()
	for range n {
		start := time.Now()
		r := do(t, c, districtCall(t, p))
		took := time.Since(start)
		if r.status != 200 {
			t.Fatalf("status %d", r.status)
		}
		// The reported delay is the one injected: positive, and never more than the
		// exchange took as the client saw it.
		ms, err := strconv.ParseFloat(r.header.Get(sim.HeaderLatency), 64)
		if err != nil || ms <= 0 || time.Duration(ms*float64(time.Millisecond)) > took {
			t.Errorf("%s = %q (%v), exchange took %s", sim.HeaderLatency, r.header.Get(sim.HeaderLatency), err, took)
		}
	}
	// Loose: the mean of 5 draws with median 60 ms is far above 20 ms.
	if avg := time.Since(began) / n; avg < 20*time.Millisecond {
		t.Errorf("mean latency %s, want tens of milliseconds", avg)
	}
	if st := p.District.Stats(); st.Faults["latency"] != n {
		t.Errorf("latency faults %v", st.Faults)
	}

	// Without a latency fault the header says so; an outage's answer carries none.
	setFaults(t, p.District, sim.FaultConfig{})
	if r := do(t, c, districtCall(t, p)); r.header.Get(sim.HeaderLatency) != "0.000" {
		t.Errorf("no latency: %s = %q", sim.HeaderLatency, r.header.Get(sim.HeaderLatency))
	}
	setFaults(t, p.District, sim.FaultConfig{Outages: []sim.Outage{{}}})
	if r := do(t, c, districtCall(t, p)); r.status != http.StatusServiceUnavailable || r.header.Get(sim.HeaderLatency) != "" {
		t.Errorf("outage: status %d, %s = %q", r.status, sim.HeaderLatency, r.header.Get(sim.HeaderLatency))
	}
}

func TestOutageThroughAdminEndpoint(t *testing.T) {
	p := start(t, sim.Config{})
	c := newClient(t, 5*time.Second)
	s := newSigner(p.Credentials)
	query := func() result {
		return do(t, c, provinceRequest(t, p, "/gateway/api/rkjc/query", map[string]any{"sfzh": ids(p.Data, 0, 1)}, s))
	}
	if r := query(); r.status != 200 {
		t.Fatalf("before outage: %d", r.status)
	}
	put := func(body string) {
		if r := do(t, c, adminRequest(t, http.MethodPut, p.Province.URL()+"/_sim/faults", body)); r.status != 204 {
			t.Fatalf("PUT faults %q: %d %s", body, r.status, r.body)
		}
	}
	put("outages:\n  - mode: status\n") // YAML
	r := query()
	if env := decode[provinceEnvelope[json.RawMessage]](t, r); r.status != 503 || env.Code != "5030" {
		t.Fatalf("during outage: %d %s", r.status, env.Code)
	}
	got := decode[sim.FaultConfig](t, do(t, c, adminRequest(t, http.MethodGet, p.Province.URL()+"/_sim/faults", "")))
	if len(got.Outages) != 1 || got.Outages[0].Mode != "status" {
		t.Fatalf("GET faults: %+v", got)
	}
	if st := do(t, c, adminRequest(t, http.MethodGet, p.Province.URL()+"/_sim/stats", "")); st.status != 200 {
		t.Fatalf("admin endpoint faulted: %d", st.status)
	}
	put(`{}`) // JSON
	if r := query(); r.status != 200 {
		t.Fatalf("after outage: %d", r.status)
	}
	if r := do(t, c, adminRequest(t, http.MethodPut, p.Province.URL()+"/_sim/faults", `{"error_rate": 2}`)); r.status != 400 {
		t.Fatalf("invalid config accepted: %d", r.status)
	}
	if st := p.Province.Stats(); st.Faults["outage"] != 1 || st.ByStatus["503"] != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestOutageWindowAndReset(t *testing.T) {
	p := start(t, sim.Config{})
	c := newClient(t, 5*time.Second)

	t.Run("window_ends", func(t *testing.T) {
		setFaults(t, p.District, sim.FaultConfig{Outages: []sim.Outage{{For: sim.Duration(300 * time.Millisecond)}}})
		if r := do(t, c, districtCall(t, p)); r.status != 503 {
			t.Fatalf("in window: %d", r.status)
		}
		time.Sleep(400 * time.Millisecond)
		if r := do(t, c, districtCall(t, p)); r.status != 200 {
			t.Fatalf("after window: %d", r.status)
		}
	})

	t.Run("window_starts_later", func(t *testing.T) {
		setFaults(t, p.District, sim.FaultConfig{Outages: []sim.Outage{{After: sim.Duration(time.Hour)}}})
		if r := do(t, c, districtCall(t, p)); r.status != 200 {
			t.Fatalf("before window: %d", r.status)
		}
	})

	t.Run("connection_reset", func(t *testing.T) {
		setFaults(t, p.District, sim.FaultConfig{Outages: []sim.Outage{{Mode: sim.OutageReset}}})
		resp, err := c.Do(districtCall(t, p))
		if err == nil {
			resp.Body.Close()
			t.Fatalf("want a reset, got %d", resp.StatusCode)
		}
	})
}

func TestProfiles(t *testing.T) {
	t.Run("outage_province", func(t *testing.T) {
		p := start(t, sim.Config{Faults: sim.ProfileOutageProvince})
		c := newClient(t, 5*time.Second)
		r := do(t, c, provinceRequest(t, p, "/gateway/api/rkjc/query", map[string]any{"sfzh": ids(p.Data, 0, 1)}, newSigner(p.Credentials)))
		if r.status != 503 {
			t.Fatalf("province: %d", r.status)
		}
		if r := do(t, c, districtCall(t, p)); r.status != 200 {
			t.Fatalf("district during province outage: %d", r.status)
		}
	})

	t.Run("flaky", func(t *testing.T) {
		p := start(t, sim.Config{Faults: sim.ProfileFlaky, Seed: 1})
		c := newClient(t, 5*time.Second)
		counts := map[int]int{}
		const n = 200
		for range n {
			r := do(t, c, districtCall(t, p))
			counts[r.status]++
			if r.status == 429 && r.header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
		}
		fivexx := counts[500] + counts[502] + counts[503]
		// 20% and 5% of 200: loose bounds, the generator is seeded but the test need not know how.
		if fivexx < 20 || fivexx > 70 || counts[429] < 2 || counts[429] > 25 || counts[200] < 110 {
			t.Fatalf("status counts %v", counts)
		}
	})

	t.Run("realistic", func(t *testing.T) {
		pr, err := sim.ParseFaults(sim.ProfileRealistic)
		if err != nil {
			t.Fatal(err)
		}
		if pr.Province.Latency.Median.D() != 40*time.Millisecond || pr.City.Latency.Median.D() != 30*time.Millisecond ||
			pr.District.Latency.Median.D() != 15*time.Millisecond || pr.Province.Latency.P99 <= pr.Province.Latency.Median {
			t.Fatalf("realistic %+v", pr)
		}
	})
}

func TestParseFaults(t *testing.T) {
	for _, name := range sim.ProfileNames() {
		if _, err := sim.ParseFaults(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	p, err := sim.ParseFaults(filepath.Join("testdata", "faults.yaml"))
	if err != nil {
		t.Fatalf("example file: %v", err)
	}
	if p.Seed != 42 || p.Province.RetryAfter.D() != 2*time.Second || p.Province.Latency.P99.D() != 400*time.Millisecond ||
		len(p.Province.Outages) != 1 || p.Province.Outages[0].For.D() != 30*time.Second ||
		p.City.RateLimitRate != 0.1 || p.District.ErrorRate != 0.02 || p.District.Latency.Median.D() != 20*time.Millisecond {
		t.Fatalf("parsed %+v", p)
	}

	bad := map[string]string{
		"unknown_key":       "province:\n  eror_rate: 0.1\n",
		"rate_above_one":    "city:\n  error_rate: 1.5\n",
		"rates_sum_above_1": "all:\n  error_rate: 0.6\n  rate_limit_rate: 0.6\n",
		"bad_mode":          "district:\n  outages: [{mode: explode}]\n",
		"bad_duration":      "district:\n  latency: {median: soon}\n",
		"p99_below_median":  "district:\n  latency: {median: 50ms, p99: 10ms}\n",
	}
	dir := t.TempDir()
	for name, body := range bad {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name+".yaml")
			if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := sim.ParseFaults(path); !errors.Is(err, sim.ErrFaultConfig) {
				t.Fatalf("got %v, want ErrFaultConfig", err)
			}
		})
	}
	if _, err := sim.ParseFaults("no-such-profile"); !errors.Is(err, sim.ErrFaultConfig) {
		t.Fatalf("unknown profile: %v", err)
	}
}

func TestFaultConfigJSONRoundTrip(t *testing.T) {
	in := sim.FaultConfig{
		Latency:   sim.Latency{Median: sim.Duration(40 * time.Millisecond), P99: sim.Duration(time.Second)},
		ErrorRate: 0.1, RetryAfter: sim.Duration(3 * time.Second),
		Outages: []sim.Outage{{After: sim.Duration(time.Second), For: sim.Duration(time.Minute), Mode: sim.OutageReset}},
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"median":"40ms"`) {
		t.Errorf("durations not written as strings: %s", b)
	}
	out, err := sim.ParseFaultConfig(b)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.Outages, in.Outages) || out.Latency != in.Latency || out.ErrorRate != in.ErrorRate || out.RetryAfter != in.RetryAfter {
		t.Fatalf("round trip %+v", out)
	}
	ms, err := sim.ParseFaultConfig([]byte(`{"latency":{"median":25}}`))
	if err != nil || ms.Latency.Median.D() != 25*time.Millisecond {
		t.Fatalf("milliseconds: %+v %v", ms, err)
	}
}

func TestCloseReleasesHangingRequests(t *testing.T) {
	p, err := sim.Start(t.Context(), sim.Config{District: testData(t)})
	if err != nil {
		t.Fatal(err)
	}
	setFaults(t, p.District, sim.FaultConfig{TimeoutRate: 1, TimeoutMax: sim.Duration(time.Minute)})
	c := newClient(t, 30*time.Second)
	done := make(chan error, 1)
	req := districtCall(t, p)
	go func() {
		resp, err := c.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	began := time.Now()
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if d := time.Since(began); d > 3*time.Second {
		t.Fatalf("Close took %s with a hanging request", d)
	}
	if err := <-done; err == nil {
		t.Fatal("hanging request got an answer")
	}
}

// TestConcurrentClientsUnderFaults drives all three platforms from several goroutines with the
// flaky profile (run it with -race): every answer is a 200 or an injected 5xx/429, and the
// counters add up.
func TestConcurrentClientsUnderFaults(t *testing.T) {
	p := start(t, sim.Config{Faults: sim.ProfileFlaky})
	c := newClient(t, 5*time.Second)
	tok := ""
	for tok == "" { // the token endpoint is flaky too
		r := do(t, c, cityTokenRequest(t, p, p.Credentials.CityClientID, p.Credentials.CityClientSecret, true))
		if r.status == 200 {
			tok = decode[struct {
				AccessToken string `json:"access_token"`
			}](t, r).AccessToken
		}
	}
	p.City.ResetStats()
	const workers, each = 6, 15
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			s := newSigner(p.Credentials)
			for i := range each {
				id := ids(p.Data, w*each+i, 1)
				reqs := []*http.Request{
					provinceRequest(t, p, "/gateway/api/rkjc/query", map[string]any{"sfzh": id}, s),
					cityGet(t, p, tok, id[0]),
					districtGet(t, p, p.Credentials.DistrictAPIKey, "/open/v1/residents/"+id[0]),
				}
				for _, req := range reqs {
					resp, err := c.Do(req)
					if err != nil {
						errs <- err
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if !slices.Contains([]int{200, 429, 500, 502, 503}, resp.StatusCode) {
						errs <- errors.New(req.URL.Path + ": status " + resp.Status)
						return
					}
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range p.Servers() {
		st := s.Stats()
		var sum int64
		for _, n := range st.ByStatus {
			sum += n
		}
		if st.Requests != workers*each || sum != st.Requests {
			t.Errorf("%s: %d requests, %d statuses, want %d", s.Name(), st.Requests, sum, workers*each)
		}
	}
}
