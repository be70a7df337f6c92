package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"sanmian/hub/store"
)

func newClient(id string) (*store.Client, *store.ClientSecret) {
	return &store.Client{ID: id, Name: "Civil affairs app", USCC: "11370114MB1234567X", Items: []string{"elderly_allowance"},
			Actions: []string{"application.read"}, RateLimit: 5, Burst: 10, WebhookURL: "https://dept.example/hook", CreatedBy: "admin-1"},
		&store.ClientSecret{ID: id + "-s1", Hash: "sha256:aa"}
}

func testClients(t *testing.T, s store.Store) {
	ctx := t.Context()
	c, sec := newClient("cl-1")
	must(t, s.CreateClient(ctx, c, sec))
	if c.Status != store.ClientActive || c.CreatedAt.IsZero() || sec.ClientID != "cl-1" {
		t.Fatalf("create did not fill status, time, client id: %+v %+v", c, sec)
	}
	got, err := s.GetClient(ctx, "cl-1")
	must(t, err)
	if got.Name != c.Name || got.USCC != c.USCC || !slices.Equal(got.Items, c.Items) || !slices.Equal(got.Actions, c.Actions) ||
		got.RateLimit != 5 || got.Burst != 10 || got.WebhookURL != c.WebhookURL || got.Status != store.ClientActive ||
		!got.CreatedAt.Equal(c.CreatedAt) || !got.RevokedAt.IsZero() || got.CreatedBy != "admin-1" {
		t.Fatalf("client read back %+v, stored %+v", got, c)
	}
	c2, sec2 := newClient("cl-1")
	wantErr(t, s.CreateClient(ctx, c2, sec2), store.ErrConflict)
	_, err = s.GetClient(ctx, "cl-missing")
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.AddClientSecret(ctx, &store.ClientSecret{ID: "x", ClientID: "cl-missing", Hash: "h"}), store.ErrNotFound)

	// Rotation: a second secret, the first ends after an overlap.
	now := time.Now().UTC()
	must(t, s.AddClientSecret(ctx, &store.ClientSecret{ID: "cl-1-s2", ClientID: "cl-1", Hash: "sha256:bb"}))
	n, err := s.ExpireClientSecrets(ctx, "cl-1", "cl-1-s2", now.Add(time.Hour))
	must(t, err)
	if n != 1 {
		t.Fatalf("expired %d secrets, want 1", n)
	}
	secrets, err := s.ListClientSecrets(ctx, "cl-1")
	must(t, err)
	if len(secrets) != 2 || secrets[0].ID != "cl-1-s1" || secrets[1].ID != "cl-1-s2" {
		t.Fatalf("secrets %+v", secrets)
	}
	if !secrets[0].Usable(now) || secrets[0].Usable(now.Add(2*time.Hour)) || !secrets[1].ExpiresAt.IsZero() {
		t.Fatalf("overlap not kept: %+v", secrets)
	}
	// Retiring ends a secret at once; an earlier end is kept; an unknown secret is not found.
	must(t, s.RetireClientSecret(ctx, "cl-1", "cl-1-s1", now))
	must(t, s.RetireClientSecret(ctx, "cl-1", "cl-1-s1", now.Add(time.Hour)))
	secrets, err = s.ListClientSecrets(ctx, "cl-1")
	must(t, err)
	if secrets[0].Usable(now) || !secrets[0].ExpiresAt.Equal(store.NormTime(now)) {
		t.Fatalf("retired secret still usable or end moved: %+v", secrets[0])
	}
	wantErr(t, s.RetireClientSecret(ctx, "cl-1", "nope", now), store.ErrNotFound)
	wantErr(t, s.RetireClientSecret(ctx, "cl-other", "cl-1-s2", now), store.ErrNotFound)

	// Revocation is immediate and idempotent.
	must(t, s.RevokeClient(ctx, "cl-1", now))
	must(t, s.RevokeClient(ctx, "cl-1", now.Add(time.Minute)))
	got, err = s.GetClient(ctx, "cl-1")
	must(t, err)
	if got.Status != store.ClientRevoked || !got.RevokedAt.Equal(store.NormTime(now)) {
		t.Fatalf("revoked client %+v", got)
	}
	wantErr(t, s.RevokeClient(ctx, "cl-missing", now), store.ErrNotFound)

	c3, sec3 := newClient("cl-2")
	must(t, s.CreateClient(ctx, c3, sec3))
	list, err := s.ListClients(ctx)
	must(t, err)
	if len(list) != 2 || list[0].ID != "cl-1" || list[1].ID != "cl-2" {
		t.Fatalf("list %+v", list)
	}
}

// testClientsTxRollback: a registration and its audit entry commit together or not at all.
func testClientsTxRollback(t *testing.T, s store.Store) {
	ctx := t.Context()
	boom := errors.New("boom")
	err := s.Tx(ctx, func(tx store.Txn) error {
		c, sec := newClient("cl-tx")
		if err := tx.CreateClient(ctx, c, sec); err != nil {
			return err
		}
		if _, err := tx.GetClient(ctx, "cl-tx"); err != nil {
			return err
		}
		if err := tx.AppendAudit(ctx, &store.AuditEntry{ActorSub: "admin-1", ActorRole: "admin", Action: store.AuditClient}); err != nil {
			return err
		}
		return boom
	})
	wantErr(t, err, boom)
	_, err = s.GetClient(ctx, "cl-tx")
	wantErr(t, err, store.ErrNotFound)
	entries, err := s.ListAudit(ctx, 0, 10)
	must(t, err)
	if len(entries) != 0 {
		t.Fatalf("rolled-back audit entry kept: %+v", entries)
	}
	must(t, s.Tx(ctx, func(tx store.Txn) error {
		c, sec := newClient("cl-tx")
		if err := tx.CreateClient(ctx, c, sec); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, &store.AuditEntry{ActorSub: "admin-1", ActorRole: "admin", Action: store.AuditClient})
	}))
	if _, err := s.GetClient(ctx, "cl-tx"); err != nil {
		t.Fatal(err)
	}
	entries, err = s.ListAudit(ctx, 0, 10)
	must(t, err)
	if len(entries) != 1 || entries[0].Action != store.AuditClient {
		t.Fatalf("audit %+v", entries)
	}
}

// testClientRevokeEndsWebhooks: a client's subscription created with it in one transaction
// is delivered to until the client is revoked; then the subscription is inactive, its
// pending deliveries (also one leased by a worker) are dead-lettered as client_revoked, later
// events create no delivery for it, and other subscribers are untouched.
func testClientRevokeEndsWebhooks(t *testing.T, s store.Store) {
	ctx := t.Context()
	c, sec := newClient("cl-hook")
	sub := &store.Subscription{ID: "sub-cl-hook", Subscriber: "cl-hook", URL: "https://example.test/hook",
		Secret: "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0", Active: true}
	must(t, s.Tx(ctx, func(tx store.Txn) error {
		if err := tx.CreateClient(ctx, c, sec); err != nil {
			return err
		}
		return tx.CreateSubscription(ctx, sub)
	}))
	other := subscription("other", nil, nil, true)
	must(t, s.CreateSubscription(ctx, other))
	now := time.Now().UTC()
	enqueue(t, s, "application.created", "elderly_allowance", now.Add(-2*time.Second))
	enqueue(t, s, "permit.issued", "elderly_allowance", now.Add(-time.Second))
	claimed, err := s.ClaimDeliveries(ctx, now, time.Minute, 10)
	must(t, err)
	leased := slices.IndexFunc(claimed, func(d store.ClaimedDelivery) bool { return d.SubscriptionID == sub.ID })
	if len(claimed) != 4 || leased < 0 {
		t.Fatalf("claimed %d deliveries, want 4 with the client's", len(claimed))
	}
	must(t, s.Tx(ctx, func(tx store.Txn) error { return tx.RevokeClient(ctx, "cl-hook", now) }))

	got, err := s.GetSubscription(ctx, sub.ID)
	must(t, err)
	if got.Active {
		t.Fatal("the revoked client's subscription is still active")
	}
	for _, d := range deliveriesOf(t, s, store.DeliveryFilter{SubscriptionID: sub.ID}) {
		if d.State != store.DeliveryDead || d.LastError != store.ClientRevokedError {
			t.Fatalf("delivery %d of the revoked client: %s %q, want dead %q", d.ID, d.State, d.LastError, store.ClientRevokedError)
		}
	}
	if ds := deliveriesOf(t, s, store.DeliveryFilter{SubscriptionID: other.ID, State: store.DeliveryPending}); len(ds) != 2 {
		t.Fatalf("the other subscriber has %d pending deliveries, want 2", len(ds))
	}
	// The worker that held a lease on one finds it lost.
	err = s.FinishDelivery(ctx, store.DeliveryOutcome{ID: claimed[leased].ID, ClaimToken: claimed[leased].ClaimToken,
		Attempt: store.DeliveryAttempt{Attempt: 1, StatusCode: 204}, State: store.DeliveryDelivered})
	wantErr(t, err, store.ErrLeaseLost)
	enqueue(t, s, "permit.revoked", "elderly_allowance", now)
	if n := len(deliveriesOf(t, s, store.DeliveryFilter{SubscriptionID: sub.ID})); n != 2 {
		t.Fatalf("%d deliveries for the revoked client after a later event, want still 2", n)
	}
	if n := len(deliveriesOf(t, s, store.DeliveryFilter{SubscriptionID: other.ID})); n != 3 {
		t.Fatalf("%d deliveries for the other subscriber, want 3", n)
	}
}
