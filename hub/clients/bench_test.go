package clients_test

import (
	"testing"
	"time"

	"sanmian/hub/auth"
	"sanmian/hub/clients"
)

func benchClient(b *testing.B) (*fixture, clients.Registered) {
	b.Helper()
	f := newFixture(b)
	req := request(b)
	req.RateLimit = &clients.RateLimit{RequestsPerSecond: clients.MaxRate, Burst: clients.MaxBurst}
	reg, err := f.reg.Register(b.Context(), admin, req)
	if err != nil {
		b.Fatal(err)
	}
	return f, reg
}

// BenchmarkToken is one client-credentials exchange: the client and its secrets read from
// SQLite, the secret's digest compared, an EdDSA token signed.
func BenchmarkToken(b *testing.B) {
	f, reg := benchClient(b)
	for b.Loop() {
		if _, err := f.reg.Token(b.Context(), reg.ID, reg.ClientSecret, ""); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify compares a token of an external issuer (signature and claims only) with a
// token the hub minted (also the client's status read from SQLite and its rate limiter).
func BenchmarkVerify(b *testing.B) {
	f, reg := benchClient(b)
	hubTok, err := f.reg.Token(b.Context(), reg.ID, reg.ClientSecret, "")
	if err != nil {
		b.Fatal(err)
	}
	extTok, err := f.ext.Mint(auth.Caller{Subject: "dept", Role: auth.RoleDepartment, Scope: []string{"*"}}, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct{ name, tok string }{{"external_issuer", extTok}, {"hub_minted", hubTok.AccessToken}} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				// The stopped clock would drain the bucket: move it on 1 ms per call (1000/s).
				f.clk.advance(time.Millisecond)
				if _, err := f.authn.Verify(b.Context(), bc.tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
