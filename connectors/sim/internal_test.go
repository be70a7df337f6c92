package sim

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"sanmian/connectors/sim/synth"
)

func TestNonceStore(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	n := newNonceStore(3)
	if !n.use("a", now.Add(time.Minute), now) || n.use("a", now.Add(time.Minute), now) {
		t.Fatal("replay within the window not refused")
	}
	if !n.use("a", now.Add(3*time.Minute), now.Add(2*time.Minute)) {
		t.Fatal("expired nonce still refused")
	}
	for _, k := range []string{"b", "c", "d", "e"} {
		n.use(k, now.Add(time.Hour), now)
	}
	if len(n.seen) > 3 {
		t.Fatalf("store holds %d nonces, bound 3", len(n.seen))
	}
}

func TestSampleLatencyQuantiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	l := Latency{Median: Duration(40 * time.Millisecond), P99: Duration(320 * time.Millisecond)}
	var ds []time.Duration
	for range 20000 {
		ds = append(ds, sampleLatency(rng, l))
	}
	slices.Sort(ds)
	med, p99 := ds[len(ds)/2], ds[len(ds)*99/100]
	if med < 35*time.Millisecond || med > 45*time.Millisecond || p99 < 250*time.Millisecond || p99 > 400*time.Millisecond {
		t.Fatalf("median %s p99 %s", med, p99)
	}
}

func TestWrongTypes(t *testing.T) {
	out := wrongTypes([]byte(`{"n":1.5,"s":"12","y":"Y","b":true,"a":[2,"x"],"z":null}`))
	var v map[string]any
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatal(err)
	}
	if v["n"] != "1.5" || v["s"] != 12.0 || v["y"] != true || v["b"] != "true" || v["z"] != 0.0 {
		t.Fatalf("got %s", out)
	}
	if got := wrongTypes([]byte("not json")); !bytes.Equal(got, []byte("not json")) {
		t.Fatalf("non-JSON changed: %s", got)
	}
}

func TestCursorRoundTrip(t *testing.T) {
	for _, seq := range []uint64{0, 1, 4999, 1 << 40} {
		got, ok := decodeCursor(encodeCursor(seq))
		if !ok || got != seq {
			t.Fatalf("seq %d → %d %v", seq, got, ok)
		}
	}
}

func FuzzDecodeCursor(f *testing.F) {
	f.Add("")
	f.Add(encodeCursor(42))
	f.Add("djE6")
	f.Add("%%%")
	f.Fuzz(func(t *testing.T, c string) {
		seq, ok := decodeCursor(c)
		if ok && c != "" && encodeCursor(seq) != c {
			// Accepting a cursor we would never have issued is fine only if it means the same seq.
			if again, ok2 := decodeCursor(encodeCursor(seq)); !ok2 || again != seq {
				t.Fatalf("cursor %q → %d does not round-trip", c, seq)
			}
		}
	})
}

func FuzzParseFaultConfig(f *testing.F) {
	f.Add([]byte(`{"error_rate":0.2,"rate_limit_rate":0.05,"retry_after":"1s"}`))
	f.Add([]byte("latency: {median: 40ms, p99: 300ms}\noutages: [{after: 1s, for: 2s, mode: reset}]\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseFaultConfig(b)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted an invalid config: %v", err)
		}
		in := newInjector(1, c)
		_ = in.decide(time.Now()) // must not panic
	})
}

var fuzzData = sync.OnceValues(func() (*synth.District, error) {
	return synth.Generate(synth.Config{Residents: 60, Seed: 3})
})

// FuzzProvinceQueries feeds arbitrary bodies to both province queries (behind auth): they must
// answer with a well-formed envelope and a 200, 400 or 404, never panic.
func FuzzProvinceQueries(f *testing.F) {
	f.Add([]byte(`{"sfzh":["110101190001010000"],"page":1,"size":50}`))
	f.Add([]byte(`{"czztdm":["110101190001010000"],"zzlx":["结婚证"],"page":2,"size":1}`))
	f.Add([]byte(`{"sfzh":[],"page":-1}`))
	f.Add([]byte(`[1,2,3]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := fuzzData()
		if err != nil {
			t.Fatal(err)
		}
		pv := &province{data: d, s: &Server{}}
		pv.s.stats.reset()
		for _, h := range []func(http.ResponseWriter, []byte){pv.rkjc, pv.dzzz} {
			rec := httptest.NewRecorder()
			h(rec, body)
			var env provinceEnvelope
			if err := json.Unmarshal(rec.Body.Bytes(), &env); err != nil || env.Code == "" {
				t.Fatalf("bad envelope %q: %v", rec.Body.Bytes(), err)
			}
			if rec.Code != 200 && rec.Code != 400 && rec.Code != 404 {
				t.Fatalf("status %d", rec.Code)
			}
		}
	})
}

// TestProvinceSignatureWorkedExample pins the worked example of API.md section 1.
func TestProvinceSignatureWorkedExample(t *testing.T) {
	got := provinceSignature([]byte("province-demo-secret-0001"), "POST", "/gateway/api/rkjc/query",
		"1793491200000", "0123456789abcdef0123456789abcdef", []byte(`{"sfzh":["37018119740317761X"],"page":1,"size":50}`))
	if want := "38202109df0ba9083ed5d17c5c77d727299b33ac715c98a54b0a8146da258cf0"; got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
}
