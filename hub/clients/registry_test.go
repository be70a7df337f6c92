package clients_test

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"sanmian/hub/auth"
	"sanmian/hub/clients"
	"sanmian/hub/ident"
	"sanmian/hub/store"
	_ "sanmian/hub/store/sqlite"
)

// clock is a settable clock, safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type fixture struct {
	st    store.Store
	reg   *clients.Registry
	authn *clients.Authenticator
	clk   *clock
	ext   *auth.Issuer // an external issuer the verifier also trusts
}

var admin = auth.Caller{Subject: "admin-1", Issuer: "ext", Role: auth.RoleAdmin}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	hubIss, err := auth.NewEphemeralIssuer(clients.DefaultIssuer)
	if err != nil {
		t.Fatal(err)
	}
	ext, err := auth.NewEphemeralIssuer("ext")
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.Config{Issuers: []auth.TrustedIssuer{hubIss.Trusted(), ext.Trusted()}})
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now()}
	reg := clients.New(st, hubIss, clients.Config{}, clients.WithClock(clk.now),
		clients.WithItems(func(code string) bool { return code == "elderly_allowance" || code == "senior_card" }))
	return &fixture{st: st, reg: reg, authn: reg.Authenticator(v), clk: clk, ext: ext}
}

func uscc(t testing.TB) string {
	t.Helper()
	u, err := ident.NewUSCC('1', '1', "370114", "MB0123456")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func request(t testing.TB) clients.RegisterRequest {
	return clients.RegisterRequest{Name: "民政局应用", USCC: uscc(t), Items: []string{"elderly_allowance"},
		Actions: []string{"application.read"}, RateLimit: &clients.RateLimit{RequestsPerSecond: 1, Burst: 2}}
}

func TestRegisterValidation(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name   string
		change func(r *clients.RegisterRequest)
		field  string
	}{
		{"empty_name", func(r *clients.RegisterRequest) { r.Name = "  " }, "name"},
		{"control_in_name", func(r *clients.RegisterRequest) { r.Name = "a\x00b" }, "name"},
		{"uscc_too_short", func(r *clients.RegisterRequest) { r.USCC = "91370114" }, "uscc"},
		{"uscc_bad_check", func(r *clients.RegisterRequest) { r.USCC = r.USCC[:17] + "0" }, "uscc"},
		{"no_items", func(r *clients.RegisterRequest) { r.Items = nil }, "items"},
		{"unknown_item", func(r *clients.RegisterRequest) { r.Items = []string{"moon_landing"} }, "items"},
		{"star_with_items", func(r *clients.RegisterRequest) { r.Items = []string{"*", "senior_card"} }, "items"},
		{"no_actions", func(r *clients.RegisterRequest) { r.Actions = nil }, "actions"},
		{"review_action", func(r *clients.RegisterRequest) { r.Actions = []string{"application.review"} }, "actions"},
		{"rate_too_high", func(r *clients.RegisterRequest) { r.RateLimit = &clients.RateLimit{RequestsPerSecond: 5000, Burst: 1} }, "rate_limit.requests_per_second"},
		{"burst_zero", func(r *clients.RegisterRequest) { r.RateLimit = &clients.RateLimit{RequestsPerSecond: 1} }, "rate_limit.burst"},
		{"webhook_ftp", func(r *clients.RegisterRequest) { r.WebhookURL = "ftp://x.example/hook" }, "webhook_url"},
		{"webhook_userinfo", func(r *clients.RegisterRequest) { r.WebhookURL = "https://u:p@x.example/hook" }, "webhook_url"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := request(t)
			tc.change(&req)
			_, err := f.reg.Register(t.Context(), admin, req)
			var inv *clients.InvalidError
			if !errors.As(err, &inv) || inv.Field != tc.field {
				t.Fatalf("err %v, want invalid %s", err, tc.field)
			}
		})
	}
	t.Run("defaults_and_loopback_webhook", func(t *testing.T) {
		req := request(t)
		req.RateLimit, req.WebhookURL = nil, "http://127.0.0.1:9000/hook"
		out, err := f.reg.Register(t.Context(), admin, req)
		if err != nil {
			t.Fatal(err)
		}
		if out.RateLimit != (clients.RateLimit{RequestsPerSecond: clients.DefaultRate, Burst: clients.DefaultBurst}) || out.WebhookURL != req.WebhookURL {
			t.Fatalf("registered %+v", out.View)
		}
		// The webhook URL is the app's subscription, for its items; revoking the app ends it.
		sub, err := f.st.GetSubscription(t.Context(), out.WebhookSubscriptionID)
		if err != nil {
			t.Fatalf("subscription %q of the registration: %v", out.WebhookSubscriptionID, err)
		}
		if sub.Subscriber != out.ID || sub.URL != req.WebhookURL || !sub.Active || sub.Secret != out.WebhookSecret ||
			!strings.HasPrefix(out.WebhookSecret, "whsec_") || !slices.Equal(sub.Items, req.Items) || len(sub.EventTypes) != 0 {
			t.Fatalf("subscription %+v for registration %+v", sub, out)
		}
		if _, err := f.reg.Revoke(t.Context(), admin, out.ID); err != nil {
			t.Fatal(err)
		}
		if sub, err := f.st.GetSubscription(t.Context(), out.WebhookSubscriptionID); err != nil || sub.Active {
			t.Fatalf("after the revocation: %+v, %v", sub, err)
		}
		noHook := request(t)
		noHook.WebhookURL = ""
		if out, err := f.reg.Register(t.Context(), admin, noHook); err != nil || out.WebhookSubscriptionID != "" || out.WebhookSecret != "" {
			t.Fatalf("registration without a webhook URL: %+v, %v", out, err)
		}
	})
	t.Run("not_admin", func(t *testing.T) {
		_, err := f.reg.Register(t.Context(), auth.Caller{Subject: "c", Role: auth.RoleCounter}, request(t))
		if !errors.Is(err, clients.ErrForbidden) {
			t.Fatalf("err %v", err)
		}
	})
}

func TestRotationOverlapEnds(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	reg, err := f.reg.Register(ctx, admin, request(t))
	if err != nil {
		t.Fatal(err)
	}
	overlap := int64(60)
	rot, err := f.reg.Rotate(ctx, admin, reg.ID, clients.RotateRequest{OverlapSeconds: &overlap})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{reg.ClientSecret, rot.ClientSecret} {
		if _, err := f.reg.Token(ctx, reg.ID, s, ""); err != nil {
			t.Fatalf("during overlap: %v", err)
		}
	}
	f.clk.advance(61 * time.Second)
	if _, err := f.reg.Token(ctx, reg.ID, reg.ClientSecret, ""); !errors.Is(err, clients.ErrInvalidClient) {
		t.Fatalf("old secret after overlap: %v", err)
	}
	if _, err := f.reg.Token(ctx, reg.ID, rot.ClientSecret, ""); err != nil {
		t.Fatalf("new secret after overlap: %v", err)
	}
}

func TestAuthenticatorStatusAndRateLimit(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	reg, err := f.reg.Register(ctx, admin, request(t))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := f.reg.Token(ctx, reg.ID, reg.ClientSecret, "")
	if err != nil {
		t.Fatal(err)
	}
	if tok.Scope != "elderly_allowance application.read" || tok.ExpiresIn != 600 {
		t.Fatalf("token %+v", tok)
	}
	// Burst 2 at 1/s on a stopped clock: two pass, the third waits about a second.
	for i := range 2 {
		c, err := f.authn.Verify(ctx, tok.AccessToken)
		if err != nil || c.Subject != reg.ID || c.Role != auth.RoleDepartment {
			t.Fatalf("request %d: %+v %v", i, c, err)
		}
	}
	_, err = f.authn.Verify(ctx, tok.AccessToken)
	var limited *auth.RateLimitedError
	if !errors.As(err, &limited) || !errors.Is(err, auth.ErrRateLimited) || errors.Is(err, auth.ErrTokenInvalid) ||
		limited.RetryAfter <= 0 || limited.RetryAfter > time.Second {
		t.Fatalf("over the limit: %v", err)
	}
	f.clk.advance(time.Second)
	if _, err := f.authn.Verify(ctx, tok.AccessToken); err != nil {
		t.Fatalf("after a second: %v", err)
	}
	// External issuers' tokens are not limited by the registry.
	ext, err := f.ext.Mint(auth.Caller{Subject: reg.ID, Role: auth.RoleDepartment, Scope: []string{"*"}}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if _, err := f.authn.Verify(ctx, ext); err != nil {
			t.Fatalf("external token: %v", err)
		}
	}
	// Revoked: refused at once, as an invalid token.
	if _, err := f.reg.Revoke(ctx, admin, reg.ID); err != nil {
		t.Fatal(err)
	}
	f.clk.advance(time.Minute)
	if _, err := f.authn.Verify(ctx, tok.AccessToken); !errors.Is(err, auth.ErrTokenInvalid) || !errors.Is(err, auth.ErrCallerRevoked) {
		t.Fatalf("revoked client's token: %v", err)
	}
}

func TestTokenScopeNarrowing(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	req := request(t)
	req.Items, req.Actions = []string{"*"}, []string{"application.read", "application.list"}
	reg, err := f.reg.Register(ctx, admin, req)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, scope, want string
		err               error
	}{
		{"everything_granted", "", "* application.read application.list", nil},
		{"one_known_item_under_star", "senior_card", "senior_card application.read application.list", nil},
		{"item_and_action", "application.list senior_card senior_card", "senior_card application.list", nil},
		{"unknown_item", "moon_landing", "", clients.ErrInvalidScope},
		{"action_not_granted", "application.create", "", clients.ErrInvalidScope},
		{"malformed_entry", "Senior-Card", "", clients.ErrInvalidScope},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := f.reg.Token(ctx, reg.ID, reg.ClientSecret, tc.scope)
			if !errors.Is(err, tc.err) || tc.err == nil && tok.Scope != tc.want {
				t.Fatalf("scope %q err %v, want %q %v", tok.Scope, err, tc.want, tc.err)
			}
		})
	}
}
