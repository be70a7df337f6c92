package sim_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"sanmian/connectors/sim"
	"sanmian/connectors/sim/synth"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const testResidents = 400

var (
	dataOnce sync.Once
	dataVal  *synth.District
	dataErr  error
)

// testData is one small district shared by every test (generation is the slow part).
func testData(t *testing.T) *synth.District {
	t.Helper()
	dataOnce.Do(func() {
		dataVal, dataErr = synth.Generate(synth.Config{Residents: testResidents, Seed: 7})
	})
	if dataErr != nil {
		t.Fatalf("generate: %v", dataErr)
	}
	return dataVal
}

// start runs the three platforms on random ports for the duration of the test.
func start(t *testing.T, cfg sim.Config) *sim.Platforms {
	t.Helper()
	if cfg.District == nil {
		cfg.District = testData(t)
	}
	p, err := sim.Start(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return p
}

// newClient returns an HTTP client with its own transport, closed at the end of the test.
func newClient(t *testing.T, timeout time.Duration) *http.Client {
	t.Helper()
	tr := &http.Transport{DisableKeepAlives: false, MaxIdleConnsPerHost: 4}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: timeout}
}

// result is a finished exchange: status, headers and the whole body.
type result struct {
	status int
	header http.Header
	body   []byte
}

func do(t *testing.T, c *http.Client, req *http.Request) result {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	return result{resp.StatusCode, resp.Header, body}
}

func decode[T any](t *testing.T, r result) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decode %d body %.200q: %v", r.status, r.body, err)
	}
	return v
}

// signer is the test's own province request signer (the real one lives in the connector).
type signer struct {
	key, secret string
	now         func() time.Time
	nonce       func() string
}

func newSigner(c sim.Credentials) *signer {
	return &signer{key: c.ProvinceAppKey, secret: c.ProvinceSecret, now: time.Now, nonce: func() string {
		var b [12]byte
		_, _ = rand.Read(b[:])
		return hex.EncodeToString(b[:])
	}}
}

// sign sets the four auth headers on req for body.
func (s *signer) sign(req *http.Request, body []byte) {
	ts := strconv.FormatInt(s.now().UnixMilli(), 10)
	nonce := s.nonce()
	bh := sha256.Sum256(body)
	m := hmac.New(sha256.New, []byte(s.secret))
	m.Write([]byte(req.Method + "\n" + req.URL.Path + "\n" + ts + "\n" + nonce + "\n" + hex.EncodeToString(bh[:])))
	req.Header.Set("X-App-Key", s.key)
	req.Header.Set("X-Timestamp", ts)
	req.Header.Set("X-Nonce", nonce)
	req.Header.Set("X-Signature", hex.EncodeToString(m.Sum(nil)))
}

func provinceRequest(t *testing.T, p *sim.Platforms, path string, body any, s *signer) *http.Request {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, p.Province.URL()+path, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if s != nil {
		s.sign(req, b)
	}
	return req
}

type provinceEnvelope[T any] struct {
	Code string `json:"code"`
	Msg  string `json:"msg"`
	Data T      `json:"data"`
}

type rkjcPage struct {
	Total int                 `json:"total"`
	Page  int                 `json:"page"`
	Size  int                 `json:"size"`
	List  []map[string]string `json:"list"`
	Wpp   []string            `json:"wpp"`
}

type dzzzLicence struct {
	Zzbs, Zzlxdm, Zzlx, Zzbh, Czzt, Czztdm, Fzjg, Fzjgdm, Fzrq, Yxqz, Zzzt string
	Kzxx                                                                   map[string]string
}

type dzzzPage struct {
	Total int           `json:"total"`
	Page  int           `json:"page"`
	Size  int           `json:"size"`
	List  []dzzzLicence `json:"list"`
	Wpp   []string      `json:"wpp"`
}

// cityToken fetches a token with HTTP Basic client authentication.
func cityToken(t *testing.T, c *http.Client, p *sim.Platforms) string {
	t.Helper()
	r := do(t, c, cityTokenRequest(t, p, p.Credentials.CityClientID, p.Credentials.CityClientSecret, true))
	if r.status != http.StatusOK {
		t.Fatalf("token: %d %s", r.status, r.body)
	}
	tok := decode[struct {
		AccessToken string `json:"access_token"`
	}](t, r)
	return tok.AccessToken
}

func cityTokenRequest(t *testing.T, p *sim.Platforms, id, secret string, basic bool) *http.Request {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}
	if !basic {
		form.Set("client_id", id)
		form.Set("client_secret", secret)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, p.City.URL()+"/oauth2/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basic {
		req.SetBasicAuth(id, secret)
	}
	return req
}

func cityGet(t *testing.T, p *sim.Platforms, token, id string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, p.City.URL()+"/api/v2/insured-persons/"+id, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req
}

func cityBatch(t *testing.T, p *sim.Platforms, token string, ids []string) *http.Request {
	t.Helper()
	b, _ := json.Marshal(map[string][]string{"ids": ids})
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, p.City.URL()+"/api/v2/insured-persons:batchGet", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	return req
}

func districtGet(t *testing.T, p *sim.Platforms, key, pathAndQuery string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, p.District.URL()+pathAndQuery, nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("X-Api-Key", key)
	}
	return req
}

func adminRequest(t *testing.T, method, url, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// ids returns n ID numbers of persons in the data, from index from.
func ids(d *synth.District, from, n int) []string {
	out := make([]string, 0, n)
	for i := from; i < from+n && i < len(d.Persons); i++ {
		out = append(out, d.Persons[i].ID)
	}
	return out
}

// unknownID is a well-formed ID number that the synthetic district does not contain.
const unknownID = "110101190001010000"

func ioNopCloser(b []byte) io.ReadCloser { return io.NopCloser(bytes.NewReader(b)) }

func itoa(n int) string { return strconv.Itoa(n) }

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func contextWithCancel(t *testing.T) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	return ctx, cancel
}

// freshData is a district of its own, for tests that append to its change feed.
func freshData(t *testing.T) *synth.District {
	t.Helper()
	d, err := synth.Generate(synth.Config{Residents: 200, Seed: 11})
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	return d
}
