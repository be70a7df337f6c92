package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"sanmian/hub/store"
)

// webhookCases are the conformance cases of store.Webhooks and Writer.EnqueueEvent.
var webhookCases = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"webhook_subscriptions_and_fan_out", testWebhookFanOut},
	{"webhook_claim_lease_finish_redeliver", testWebhookLifecycle},
	{"webhook_claim_concurrent_each_once", func(t *testing.T, s store.Store) { claimRace(t, []store.Store{s, s, s, s}) }},
}

func subscription(id string, types, items []string, active bool) *store.Subscription {
	return &store.Subscription{ID: id, Subscriber: "app-" + id, URL: "https://example.test/" + id,
		Secret: "whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0", EventTypes: types, Items: items, Active: active}
}

func enqueue(t testing.TB, s store.Store, typ, item string, at time.Time) *store.Event {
	t.Helper()
	e := &store.Event{Type: typ, Item: item, ApplicationID: store.NewID(), OccurredAt: at,
		Payload: []byte(fmt.Sprintf(`{"type":%q}`, typ))}
	must(t, s.Tx(t.Context(), func(tx store.Txn) error { return tx.EnqueueEvent(t.Context(), e) }))
	return e
}

func deliveriesOf(t testing.TB, s store.Store, f store.DeliveryFilter) []store.Delivery {
	t.Helper()
	ds, _, err := s.ListDeliveries(t.Context(), f, store.Page{Limit: 1000})
	must(t, err)
	return ds
}

func testWebhookFanOut(t *testing.T, s store.Store) {
	ctx := t.Context()
	for _, sub := range []*store.Subscription{
		subscription("all", nil, nil, true),
		subscription("permits", []string{"permit.issued", "permit.revoked"}, nil, true),
		subscription("elderly", nil, []string{"elderly_allowance"}, true),
		subscription("underscore", nil, []string{"elderly_allowance_x"}, true), // "_" is no wildcard
		subscription("off", nil, nil, false),
	} {
		must(t, s.CreateSubscription(ctx, sub))
	}
	wantErr(t, s.CreateSubscription(ctx, subscription("all", nil, nil, true)), store.ErrConflict)
	subs, err := s.ListSubscriptions(ctx)
	must(t, err)
	if len(subs) != 5 {
		t.Fatalf("%d subscriptions, want 5", len(subs))
	}
	got, err := s.GetSubscription(ctx, "permits")
	must(t, err)
	if len(got.EventTypes) != 2 || got.EventTypes[1] != "permit.revoked" || got.Items != nil || !got.Active {
		t.Fatalf("subscription read back as %+v", got)
	}

	now := store.Now()
	e1 := enqueue(t, s, "permit.issued", "elderly_allowance", now)
	e2 := enqueue(t, s, "application.created", "birth_registration", now)
	read, err := s.GetEvent(ctx, e1.ID)
	must(t, err)
	jsonEqual(t, read.Payload, e1.Payload)
	for _, tc := range []struct {
		event string
		want  map[string]bool
	}{
		{e1.ID, map[string]bool{"all": true, "permits": true, "elderly": true}},
		{e2.ID, map[string]bool{"all": true}},
	} {
		ds := deliveriesOf(t, s, store.DeliveryFilter{EventID: tc.event})
		got := map[string]bool{}
		for _, d := range ds {
			got[d.SubscriptionID] = true
			if d.State != store.DeliveryPending || d.Attempts != 0 {
				t.Errorf("new delivery %+v, want pending with no attempts", d)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("event %s delivered to %v, want %v", tc.event, got, tc.want)
		}
	}

	// A rolled-back transaction leaves neither the event nor its deliveries.
	boom := errors.New("boom")
	e3 := &store.Event{Type: "permit.revoked", Item: "x", Payload: []byte(`{}`)}
	err = s.Tx(ctx, func(tx store.Txn) error {
		must(t, tx.EnqueueEvent(ctx, e3))
		return boom
	})
	wantErr(t, err, boom)
	_, err = s.GetEvent(ctx, e3.ID)
	wantErr(t, err, store.ErrNotFound)
	if ds := deliveriesOf(t, s, store.DeliveryFilter{EventID: e3.ID}); len(ds) != 0 {
		t.Fatalf("rolled-back event has %d deliveries", len(ds))
	}

	// Deleting a subscription deletes its deliveries.
	must(t, s.DeleteSubscription(ctx, "all"))
	wantErr(t, s.DeleteSubscription(ctx, "all"), store.ErrNotFound)
	if ds := deliveriesOf(t, s, store.DeliveryFilter{SubscriptionID: "all"}); len(ds) != 0 {
		t.Fatalf("deleted subscription keeps %d deliveries", len(ds))
	}
}

func testWebhookLifecycle(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.CreateSubscription(ctx, subscription("s", nil, nil, true)))
	t0 := store.Now()
	e := enqueue(t, s, "application.approved", "elderly_allowance", t0)
	lease := time.Minute

	if c, err := s.ClaimDeliveries(ctx, t0.Add(-time.Second), lease, 10); err != nil || len(c) != 0 {
		t.Fatalf("claim before due = %d, %v; want none", len(c), err)
	}
	c1, err := s.ClaimDeliveries(ctx, t0, lease, 10)
	must(t, err)
	if len(c1) != 1 || c1[0].EventID != e.ID || c1[0].URL != "https://example.test/s" || c1[0].EventType != e.Type || c1[0].ClaimToken == "" {
		t.Fatalf("claimed %+v", c1)
	}
	jsonEqual(t, c1[0].Payload, e.Payload)
	if c, _ := s.ClaimDeliveries(ctx, t0.Add(lease-time.Second), lease, 10); len(c) != 0 {
		t.Fatalf("claimed again while the lease holds")
	}
	// The lease expires (the worker died): another worker claims it; the first lost it.
	c2, err := s.ClaimDeliveries(ctx, t0.Add(lease+time.Second), lease, 10)
	must(t, err)
	if len(c2) != 1 || c2[0].ClaimToken == c1[0].ClaimToken {
		t.Fatalf("reclaim after the lease = %+v", c2)
	}
	wantErr(t, s.FinishDelivery(ctx, store.DeliveryOutcome{ID: c1[0].ID, ClaimToken: c1[0].ClaimToken, State: store.DeliveryDelivered,
		Attempt: store.DeliveryAttempt{Attempt: 1, StatusCode: 200}}), store.ErrLeaseLost)

	retryAt := t0.Add(5 * time.Minute)
	must(t, s.FinishDelivery(ctx, store.DeliveryOutcome{ID: c2[0].ID, ClaimToken: c2[0].ClaimToken, State: store.DeliveryPending, NextAt: retryAt,
		Attempt: store.DeliveryAttempt{Attempt: 1, StatusCode: 500, Duration: 12 * time.Millisecond, ErrorClass: "status_5xx"}}))
	d, err := s.GetDelivery(ctx, c2[0].ID)
	must(t, err)
	if d.State != store.DeliveryPending || d.Attempts != 1 || d.LastStatus != 500 || d.LastError != "status_5xx" || !d.NextAt.Equal(retryAt.Truncate(time.Millisecond)) {
		t.Fatalf("after a failed attempt: %+v", d)
	}
	if c, _ := s.ClaimDeliveries(ctx, retryAt.Add(-time.Second), lease, 10); len(c) != 0 {
		t.Fatalf("claimed before the retry is due")
	}
	c3, err := s.ClaimDeliveries(ctx, retryAt, lease, 10)
	must(t, err)
	if len(c3) != 1 || c3[0].Attempts != 1 {
		t.Fatalf("retry claim = %+v", c3)
	}
	must(t, s.FinishDelivery(ctx, store.DeliveryOutcome{ID: c3[0].ID, ClaimToken: c3[0].ClaimToken, State: store.DeliveryDead,
		Attempt: store.DeliveryAttempt{Attempt: 2, ErrorClass: "timeout"}}))
	dead := deliveriesOf(t, s, store.DeliveryFilter{State: store.DeliveryDead})
	if len(dead) != 1 || dead[0].ID != d.ID {
		t.Fatalf("dead letters = %+v", dead)
	}
	if c, _ := s.ClaimDeliveries(ctx, retryAt.Add(48*time.Hour), lease, 10); len(c) != 0 {
		t.Fatalf("a dead delivery was claimed")
	}
	log, err := s.ListDeliveryAttempts(ctx, d.ID)
	must(t, err)
	if len(log) != 3 || log[0].ErrorClass != "" || log[1].StatusCode != 500 || log[1].Duration != 12*time.Millisecond || log[2].ErrorClass != "timeout" {
		t.Fatalf("delivery log = %+v", log)
	}

	redo := retryAt.Add(time.Hour)
	must(t, s.RedeliverDelivery(ctx, d.ID, redo))
	wantErr(t, s.RedeliverDelivery(ctx, d.ID+1000, redo), store.ErrNotFound)
	c4, err := s.ClaimDeliveries(ctx, redo, lease, 10)
	must(t, err)
	if len(c4) != 1 || c4[0].Attempts != 0 {
		t.Fatalf("redelivered claim = %+v", c4)
	}
	must(t, s.FinishDelivery(ctx, store.DeliveryOutcome{ID: c4[0].ID, ClaimToken: c4[0].ClaimToken, State: store.DeliveryDelivered,
		Attempt: store.DeliveryAttempt{Attempt: 1, StatusCode: 204}}))
	if d, _ := s.GetDelivery(ctx, d.ID); d.State != store.DeliveryDelivered {
		t.Fatalf("after success: %+v", d)
	}
}

// claimRace has workers on ss claim due deliveries concurrently, a few at a time, and checks
// that while the leases hold no delivery is handed out twice and every one is handed out.
func claimRace(t *testing.T, ss []store.Store) {
	ctx := t.Context()
	s := ss[0]
	must(t, s.CreateSubscription(ctx, subscription("a", nil, nil, true)))
	must(t, s.CreateSubscription(ctx, subscription("b", nil, nil, true)))
	now := store.Now()
	const events = 60
	for i := 0; i < events; i++ {
		enqueue(t, s, "permit.issued", "elderly_allowance", now)
	}
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	errs := make(chan error, len(ss))
	for _, st := range ss {
		wg.Add(1)
		go func(st store.Store) {
			defer wg.Done()
			for {
				c, err := st.ClaimDeliveries(context.WithoutCancel(ctx), now, time.Hour, 3)
				if err != nil {
					errs <- err
					return
				}
				if len(c) == 0 {
					return
				}
				mu.Lock()
				for _, d := range c {
					seen[d.ID]++
				}
				mu.Unlock()
			}
		}(st)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(seen) != 2*events {
		t.Fatalf("%d deliveries claimed, want %d", len(seen), 2*events)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("delivery %d handed out %d times while its lease held", id, n)
		}
	}
}
