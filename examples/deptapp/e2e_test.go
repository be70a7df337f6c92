package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"sanmian/hub/app/apptest"
	"sanmian/hub/division"
	"sanmian/hub/ident"
	"sanmian/sdk/client"
	"sanmian/sdk/permitverify"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func bearer(tok string) client.ClientOption {
	return client.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+tok)
		return nil
	})
}

// TestDepartmentAppEndToEnd runs the example app against a real hub (the simulated
// platforms, SQLite, the real policies and webhook worker): an administrator registers the
// app and subscribes its webhook URL (with the SDK); the app takes a token by client
// credentials and creates an application; the applicant confirms it at the counter and it
// is approved at once; the app receives the signed webhooks (checked with the Standard
// Webhooks reference library), fetches the permit and verifies it offline from the
// snapshot it saved.
func TestDepartmentAppEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a hub")
	}
	h := apptest.Start(t, apptest.Options{})
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	hookURL := "http://" + ln.Addr().String() + "/sanmian/webhooks"

	// The administrator registers the app and subscribes its endpoint.
	admin, err := client.NewClientWithResponses(h.URL, bearer(h.Token(t, "admin", "")))
	if err != nil {
		t.Fatal(err)
	}
	uscc, err := ident.NewUSCC('1', '1', "370114", "MB0123456")
	if err != nil {
		t.Fatal(err)
	}
	reg, err := admin.RegisterClientWithResponse(ctx, client.ClientRegistration{
		Name: "区民政局养老服务系统", Uscc: uscc, Items: []string{"elderly_allowance"},
		Actions: []client.ClientRegistrationActions{client.ClientRegistrationActionsApplicationCreate,
			client.ClientRegistrationActionsApplicationRead, client.ClientRegistrationActionsPermitRead},
		WebhookUrl: &hookURL,
	})
	if err != nil || reg.JSON201 == nil {
		t.Fatalf("register: %v %d %s", err, reg.StatusCode(), reg.Body)
	}
	// The webhook URL of the registration is the app's subscription; its secret comes with
	// the client secret.
	clientID, clientSecret := reg.JSON201.ClientId, reg.JSON201.ClientSecret
	if reg.JSON201.WebhookSecret == nil || reg.JSON201.WebhookSubscriptionId == nil {
		t.Fatalf("registration with a webhook URL but no subscription: %s", reg.Body)
	}
	webhookSecret, subID := *reg.JSON201.WebhookSecret, *reg.JSON201.WebhookSubscriptionId

	idNumber, village := h.Eligible(t, "elderly_allowance")
	snapshot := filepath.Join(t.TempDir(), "snapshot.json")
	env := map[string]string{"DEPTAPP_CLIENT_SECRET": clientSecret, "DEPTAPP_WEBHOOK_SECRET": webhookSecret}
	var out, errOut lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"-hub", h.URL, "-client-id", clientID, "-item", "elderly_allowance",
			"-id-number", idNumber, "-snapshot", snapshot, "-wait", "90s"},
			func(k string) string { return env[k] }, &out, &errOut, ln)
	}()

	created := regexp.MustCompile(`application created: (\S+) \(elderly_allowance, status draft, eligible true\)`)
	var appID string
	for appID == "" {
		if m := created.FindStringSubmatch(out.String()); m != nil {
			appID = m[1]
			break
		}
		select {
		case code := <-done:
			t.Fatalf("the app exited with %d before creating the application:\n%s\n%s", code, out.String(), errOut.String())
		case <-ctx.Done():
			t.Fatalf("no application created:\n%s\n%s", out.String(), errOut.String())
		case <-time.After(50 * time.Millisecond):
		}
	}

	// The applicant confirms at the counter; elderly_allowance is approved at once.
	counter, err := client.NewClientWithResponses(h.URL, bearer(h.Token(t, "counter", village)))
	if err != nil {
		t.Fatal(err)
	}
	conf, err := counter.ConfirmApplicationWithResponse(ctx, appID, nil, client.ApplicationConfirm{Signature: "data:image/png;base64,iVBORw0KGgo="})
	if err != nil || conf.JSON200 == nil {
		t.Fatalf("confirm: %v %d %s", err, conf.StatusCode(), conf.Body)
	}
	if conf.JSON200.Status != client.Approved || conf.JSON200.PermitId == nil {
		t.Fatalf("confirmed application: status %s, permit %v", conf.JSON200.Status, conf.JSON200.PermitId)
	}
	permitID := *conf.JSON200.PermitId

	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("the app exited with %d:\n%s\n%s", code, out.String(), errOut.String())
		}
	case <-ctx.Done():
		t.Fatalf("the app did not finish:\n%s\n%s", out.String(), errOut.String())
	}
	got := out.String()
	for _, want := range []string{
		"token taken for " + clientID,
		": permit.issued (status approved)",
		"permit " + permitID + " verified offline: active, item elderly_allowance, holder " + idNumber[:6] + "********",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, idNumber) {
		t.Errorf("the app printed the full ID number:\n%s", got)
	}

	// The hub logged the permit.issued webhook as delivered: the app answered 204 only
	// after the signature checked.
	m := regexp.MustCompile(`webhook (\S+): permit.issued`).FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("no permit.issued webhook in the output:\n%s", got)
	}
	// The worker records the answer after the app has acted on the event: wait for it.
	var last []byte
	for delivered := false; !delivered; {
		ds, err := admin.ListWebhookDeliveriesWithResponse(ctx, &client.ListWebhookDeliveriesParams{Subscription: &subID})
		if err != nil || ds.JSON200 == nil || ds.JSON200.Deliveries == nil {
			t.Fatalf("deliveries: %v %d %s", err, ds.StatusCode(), ds.Body)
		}
		last = ds.Body
		for _, d := range *ds.JSON200.Deliveries {
			if d.EventId != nil && *d.EventId == m[1] && d.State != nil && *d.State == "delivered" {
				if d.LastStatus == nil || *d.LastStatus != http.StatusNoContent {
					t.Fatalf("the permit.issued delivery: %s", ds.Body)
				}
				delivered = true
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the permit.issued event %s is not logged as delivered: %s", m[1], last)
		case <-time.After(100 * time.Millisecond):
		}
	}

	// The saved snapshot verifies the permit on its own, and shows its revocation only
	// once a newer snapshot is taken.
	saved, err := permitverify.ReadSnapshotFile(snapshot)
	if err != nil {
		t.Fatal(err)
	}
	offline, err := permitverify.NewOffline(saved, permitverify.OfflineConfig{})
	if err != nil {
		t.Fatal(err)
	}
	permit, err := counter.GetPermitWithResponse(ctx, permitID)
	if err != nil || permit.JSON200 == nil {
		t.Fatalf("get permit: %v %d", err, permit.StatusCode())
	}
	if res, err := offline.Verify(ctx, permit.JSON200.Token); err != nil || !res.Valid || res.Claims.PermitID != permitID {
		t.Fatalf("offline verification in the test: %+v, %v", res, err)
	}
	// Revoking the app refuses its credentials and ends its webhooks: the permit's
	// revocation below queues nothing for it, and nothing of it stays pending.
	if rc, err := admin.RevokeClientWithResponse(ctx, clientID); err != nil || rc.JSON200 == nil {
		t.Fatalf("revoke the client: %v %d %s", err, rc.StatusCode(), rc.Body)
	}
	_, err = (&client.TokenSource{HubURL: h.URL, ClientID: clientID, ClientSecret: clientSecret}).Token(ctx)
	var te *client.TokenError
	if !errors.As(err, &te) || te.Status != http.StatusUnauthorized || te.Code != "invalid_client" {
		t.Fatalf("token for a revoked client: %v, want 401 invalid_client", err)
	}
	deliveries := func() []client.WebhookDelivery {
		ds, err := admin.ListWebhookDeliveriesWithResponse(ctx, &client.ListWebhookDeliveriesParams{Subscription: &subID})
		if err != nil || ds.JSON200 == nil || ds.JSON200.Deliveries == nil {
			t.Fatalf("deliveries: %v %d %s", err, ds.StatusCode(), ds.Body)
		}
		return *ds.JSON200.Deliveries
	}
	before := deliveries()
	v, ok := division.Lookup(village)
	if !ok {
		t.Fatalf("village %s unknown", village)
	}
	reviewer, err := client.NewClientWithResponses(h.URL, bearer(h.Token(t, "reviewer", v.Town)))
	if err != nil {
		t.Fatal(err)
	}
	rv, err := reviewer.RevokePermitWithResponse(ctx, permitID, nil, client.PermitRevocation{Reason: "测试撤销"})
	if err != nil || rv.JSON200 == nil {
		t.Fatalf("revoke: %v %d %s", err, rv.StatusCode(), rv.Body)
	}
	after := deliveries()
	if len(after) != len(before) {
		t.Fatalf("%d deliveries to the revoked app after the permit's revocation, %d before", len(after), len(before))
	}
	for _, d := range after {
		if d.State == nil || *d.State == "pending" || (*d.State == "dead" && (d.LastError == nil || *d.LastError != "client_revoked")) {
			t.Fatalf("a delivery to the revoked app: %+v", d)
		}
	}
	online, err := permitverify.New(permitverify.Config{HubURL: h.URL})
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := online.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	offline, err = permitverify.NewOffline(fresh, permitverify.OfflineConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := offline.Verify(ctx, permit.JSON200.Token); err != nil || res.Valid || res.Status != permitverify.StatusRevoked {
		t.Fatalf("revoked permit with a fresh snapshot: %+v, %v", res, err)
	}
	if _, err := os.Stat(snapshot); err != nil {
		t.Fatal(err)
	}
}
