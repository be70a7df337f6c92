package app_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"sanmian/hub/app/apptest"
	"sanmian/hub/config"
	"sanmian/hub/ident"
	"sanmian/sdk/client"
)

// TestWebhooksDisabledReplicaQueuesButDoesNotDeliver: with webhooks.enabled false the hub
// still writes each event's deliveries (another replica would send them) but sends none
// itself; its worker, run by hand, then delivers them with the configured options.
func TestWebhooksDisabledReplicaQueuesButDoesNotDeliver(t *testing.T) {
	off := false
	h := apptest.Start(t, apptest.Options{Configure: func(c *config.Config) {
		c.Webhooks.Enabled = &off
		c.Webhooks.PollInterval = 100 * time.Millisecond
		c.Webhooks.Concurrency = 2
	}})
	ctx := t.Context()
	var posts atomic.Int64
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer recv.Close()

	bearer := func(tok string) client.ClientOption {
		return client.WithRequestEditorFn(func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "Bearer "+tok)
			return nil
		})
	}
	admin, err := client.NewClientWithResponses(h.URL, bearer(h.Token(t, "admin", "")))
	if err != nil {
		t.Fatal(err)
	}
	uscc, err := ident.NewUSCC('1', '1', "370114", "MB0123456")
	if err != nil {
		t.Fatal(err)
	}
	hook := recv.URL + "/hook"
	reg, err := admin.RegisterClientWithResponse(ctx, client.ClientRegistration{Name: "区残联服务系统", Uscc: uscc,
		Items: []string{"*"}, Actions: []client.ClientRegistrationActions{client.ClientRegistrationActionsApplicationRead}, WebhookUrl: &hook})
	if err != nil || reg.JSON201 == nil || reg.JSON201.WebhookSubscriptionId == nil {
		t.Fatalf("register: %v %d %s", err, reg.StatusCode(), reg.Body)
	}
	subID := *reg.JSON201.WebhookSubscriptionId

	id, village := h.Eligible(t, "elderly_allowance")
	counter, err := client.NewClientWithResponses(h.URL, bearer(h.Token(t, "counter", village)))
	if err != nil {
		t.Fatal(err)
	}
	cr, err := counter.CreateApplicationWithResponse(ctx, nil, client.ApplicationCreate{Item: "elderly_allowance",
		Applicant: client.PersonRef{IdNumber: id}, Purpose: "测试：停用本副本的推送"})
	if err != nil || cr.JSON201 == nil {
		t.Fatalf("create: %v %d %s", err, cr.StatusCode(), cr.Body)
	}
	pending := func() int {
		st := client.ListWebhookDeliveriesParamsState("pending")
		ds, err := admin.ListWebhookDeliveriesWithResponse(ctx, &client.ListWebhookDeliveriesParams{Subscription: &subID, State: &st})
		if err != nil || ds.JSON200 == nil || ds.JSON200.Deliveries == nil {
			t.Fatalf("deliveries: %v %d %s", err, ds.StatusCode(), ds.Body)
		}
		return len(*ds.JSON200.Deliveries)
	}
	time.Sleep(time.Second) // ten poll intervals of a worker that would run
	if n := posts.Load(); n != 0 {
		t.Fatalf("a replica with webhooks.enabled false sent %d webhooks", n)
	}
	if n := pending(); n != 1 {
		t.Fatalf("%d pending deliveries of application.created, want 1", n)
	}
	if n, err := h.App.Webhooks.RunOnce(ctx); err != nil || n != 1 {
		t.Fatalf("RunOnce = %d, %v", n, err)
	}
	if posts.Load() != 1 || pending() != 0 {
		t.Fatalf("after a round by hand: %d posts, %d pending", posts.Load(), pending())
	}
}
