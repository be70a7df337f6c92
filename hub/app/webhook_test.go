package app_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"sanmian/connectors/sim"
	"sanmian/hub/app"
	"sanmian/hub/auth"
	"sanmian/hub/division"
	"sanmian/hub/service"
	"sanmian/hub/store"
	"sanmian/hub/store/storetest"
	"sanmian/hub/webhook"
)

// fakeClock is the webhook worker's clock in tests that let hours pass: the real time plus
// the simulated time passed so far.
type fakeClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// received is one webhook a receiver accepted.
type received struct {
	ID   string
	Type string
	Data map[string]any
	Raw  []byte
}

// receiver is a department app's webhook endpoint: one path per subscription. It checks every
// request's signature twice (the Standard Webhooks reference library, and a check written here
// from the specification), answers 500 on a failing path, and records what it accepted and
// any webhook-id that was in flight twice at once on one path.
type receiver struct {
	srv   *httptest.Server
	now   func() time.Time
	delay time.Duration

	mu       sync.Mutex
	secrets  map[string]string // path -> whsec_ secret
	failing  map[string]bool
	got      map[string][]received
	attempts map[string]int
	inflight map[string]int
	replicas map[string]int // requests by X-Test-Replica
	overlaps []string
	bad      []string
}

func startReceiver(t *testing.T, now func() time.Time, delay time.Duration) *receiver {
	r := &receiver{now: now, delay: delay, secrets: map[string]string{}, failing: map[string]bool{},
		got: map[string][]received{}, attempts: map[string]int{}, inflight: map[string]int{}, replicas: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) set(path, secret string) {
	r.mu.Lock()
	r.secrets[path] = secret
	r.mu.Unlock()
}

func (r *receiver) fail(path string, on bool) {
	r.mu.Lock()
	r.failing[path] = on
	r.mu.Unlock()
}

func (r *receiver) received(path string) []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got[path])
}

// verifySpec checks a delivery as the specification describes, independently of the hub's
// code: the key is the base64 after "whsec_"; the signed content is id.timestamp.body; the
// header holds space-separated "v1,<base64>" signatures, one of which must match; the
// timestamp must be within five minutes of the receiver's clock.
func verifySpec(secret string, h http.Header, body []byte, now time.Time) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return fmt.Errorf("missing headers")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return err
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return fmt.Errorf("timestamp %s off by %v", ts, d)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "."))
	m.Write(body)
	want := base64.StdEncoding.EncodeToString(m.Sum(nil))
	for _, s := range strings.Fields(sigs) {
		v, sig, ok := strings.Cut(s, ",")
		if ok && v == "v1" && hmac.Equal([]byte(sig), []byte(want)) {
			return nil
		}
	}
	return fmt.Errorf("no matching signature")
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	path, id := req.URL.Path, req.Header.Get("webhook-id")
	key := path + " " + id
	r.mu.Lock()
	secret, failing := r.secrets[path], r.failing[path]
	r.inflight[key]++
	if r.inflight[key] > 1 {
		r.overlaps = append(r.overlaps, key)
	}
	r.attempts[key]++
	r.replicas[req.Header.Get("X-Test-Replica")]++
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.inflight[key]--
		r.mu.Unlock()
	}()
	if r.delay > 0 {
		time.Sleep(r.delay)
	}
	problem := ""
	if err := verifySpec(secret, req.Header, body, r.now()); err != nil {
		problem = "spec check: " + err.Error()
	} else if ref, err := standardwebhooks.NewWebhook(secret); err != nil {
		problem = "reference library: " + err.Error()
	} else if err := ref.VerifyIgnoringTimestamp(body, req.Header); err != nil { // the timestamp is on the simulated clock
		problem = "reference library: " + err.Error()
	}
	var ev struct {
		ID   string         `json:"id"`
		Type string         `json:"type"`
		Data map[string]any `json:"data"`
	}
	if problem == "" {
		if err := json.Unmarshal(body, &ev); err != nil || ev.ID != id {
			problem = fmt.Sprintf("body %q does not carry webhook-id %s", body, id)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if problem != "" {
		r.bad = append(r.bad, path+" "+problem)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if failing {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	r.got[path] = append(r.got[path], received{ID: ev.ID, Type: ev.Type, Data: ev.Data, Raw: body})
	w.WriteHeader(http.StatusNoContent)
}

func (r *receiver) check(t *testing.T) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.bad) > 0 {
		t.Errorf("%d deliveries failed verification, first: %s", len(r.bad), r.bad[0])
	}
	if len(r.overlaps) > 0 {
		t.Errorf("%d webhooks were in flight twice at once, first: %s", len(r.overlaps), r.overlaps[0])
	}
}

// webhookAdmin calls the webhook administration routes of a hub.
type webhookAdminClient struct {
	t     *testing.T
	hub   string
	token string
}

func (c webhookAdminClient) call(method, path string, body any, out any) int {
	c.t.Helper()
	return postJSON(c.t, method, c.hub+path, c.token, "", body, out)
}

type subscriptionOut struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
}

func (c webhookAdminClient) subscribe(r *receiver, path string, types, items []string) subscriptionOut {
	c.t.Helper()
	var s subscriptionOut
	if st := c.call("POST", "/v1/webhooks/subscriptions", map[string]any{"subscriber": "dept-app" + path, "url": r.srv.URL + path,
		"event_types": types, "items": items}, &s); st != 201 || !strings.HasPrefix(s.Secret, "whsec_") {
		c.t.Fatalf("create subscription: %d %+v", st, s)
	}
	r.set(path, s.Secret)
	return s
}

type deliveryOut struct {
	ID       string `json:"id"`
	EventID  string `json:"event_id"`
	State    string `json:"state"`
	Attempts int    `json:"attempts"`
	Log      []struct {
		Attempt    int    `json:"attempt"`
		StatusCode int    `json:"status_code"`
		ErrorClass string `json:"error_class"`
	} `json:"log"`
}

func (c webhookAdminClient) deliveries(query string) []deliveryOut {
	c.t.Helper()
	var out struct {
		Deliveries []deliveryOut `json:"deliveries"`
	}
	if st := c.call("GET", "/v1/webhooks/deliveries?"+query, nil, &out); st != 200 {
		c.t.Fatalf("list deliveries: %d", st)
	}
	return out.Deliveries
}

func (c webhookAdminClient) delivery(id string) deliveryOut {
	c.t.Helper()
	var d deliveryOut
	if st := c.call("GET", "/v1/webhooks/deliveries/"+id, nil, &d); st != 200 {
		c.t.Fatalf("get delivery %s: %d", id, st)
	}
	return d
}

// webhookHub is one hub with a manually driven webhook worker on a simulated clock.
type webhookHub struct {
	url    string
	app    *app.App
	clock  *fakeClock
	issuer *auth.Issuer
	p      *sim.Platforms
	flows  []flow
	next   int
}

func startWebhookHub(t *testing.T) *webhookHub {
	p := startPlatforms(t, envOptions{residents: 3000, faults: "none"})
	cfg, issuer := hubConfig(t, t.TempDir(), p, "")
	cfg.PublicURL = "http://127.0.0.1"
	clk := &fakeClock{}
	a, url := startHubWith(t, cfg, app.WithManualWebhooks(), app.WithWebhookOptions(webhook.WithClock(clk.Now)))
	return &webhookHub{url: url, app: a, clock: clk, issuer: issuer, p: p, flows: instantFlows(p, a.Hub.Items(), 60)}
}

func (h *webhookHub) token(t *testing.T, role, jurisdiction string) string {
	tok, err := h.issuer.Mint(auth.Caller{Subject: role + "-" + jurisdiction, Role: role, Jurisdiction: jurisdiction}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// approveOne creates and confirms applications until one is approved at once; it returns
// that flow and its application.
func (h *webhookHub) approveOne(t *testing.T) (flow, appView) {
	t.Helper()
	for ; h.next < len(h.flows); h.next++ {
		f := h.flows[h.next]
		c := newFlowClient(map[string]string{f.Village: h.token(t, auth.RoleCounter, f.Village)}, 1, 30*time.Second)
		var r flowResult
		if c.create(t.Context(), h.url, f, &r); r.err != nil {
			t.Fatalf("create: %v", r.err)
		}
		if !r.instantApproved() {
			continue
		}
		if c.confirm(t.Context(), h.url, f, &r); r.err != nil || r.app.Status != "approved" {
			t.Fatalf("confirm: %d %s %v", r.confirm, r.app.Status, r.err)
		}
		h.next++
		return f, r.app
	}
	t.Fatal("no flow is approved at once")
	return flow{}, appView{}
}

// drain runs the worker until nothing is due at the simulated time.
func (h *webhookHub) drain(t *testing.T) {
	t.Helper()
	for range 100 {
		n, err := h.app.Webhooks.RunOnce(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
	t.Fatal("the worker keeps finding due deliveries")
}

// pass lets d of simulated time pass in steps, running the worker after each.
func (h *webhookHub) pass(t *testing.T, d, step time.Duration) {
	t.Helper()
	for end := h.clock.Now().Add(d); h.clock.Now().Before(end); {
		h.clock.Advance(step)
		h.drain(t)
	}
}

func types(rs []received) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Type)
	}
	slices.Sort(out)
	return out
}

// TestWebhooksSignedOnInstantApproval: an application created and approved at once, then its
// permit revoked, reaches each subscribed department app as signed webhooks (checked with the
// reference library and from the specification), filtered by the subscription, with no
// personal data beyond the masked ID number. Only an administrator manages subscriptions.
func TestWebhooksSignedOnInstantApproval(t *testing.T) {
	h := startWebhookHub(t)
	recv := startReceiver(t, h.clock.Now, 0)
	admin := webhookAdminClient{t: t, hub: h.url, token: h.token(t, auth.RoleAdmin, "")}

	for _, tc := range []struct {
		name, role, method, path string
		want                     int
	}{
		{"counter_may_not_subscribe", auth.RoleCounter, "POST", "/v1/webhooks/subscriptions", 403},
		{"auditor_may_not_subscribe", auth.RoleAuditor, "POST", "/v1/webhooks/subscriptions", 403},
		{"auditor_may_list", auth.RoleAuditor, "GET", "/v1/webhooks/subscriptions", 200},
		{"department_may_not_list_deliveries", auth.RoleDepartment, "GET", "/v1/webhooks/deliveries", 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body any
			if tc.method == "POST" {
				body = map[string]any{"subscriber": "x", "url": recv.srv.URL + "/x"}
			}
			if st := postJSON(t, tc.method, h.url+tc.path, h.token(t, tc.role, "370114"), "", body, nil); st != tc.want {
				t.Fatalf("%s %s as %s: %d, want %d", tc.method, tc.path, tc.role, st, tc.want)
			}
		})
	}
	if st := admin.call("POST", "/v1/webhooks/subscriptions", map[string]any{"subscriber": "x", "url": "ftp://x"}, nil); st != 400 {
		t.Fatalf("a subscription to an ftp URL: %d, want 400", st)
	}
	if st := admin.call("POST", "/v1/webhooks/subscriptions", map[string]any{"subscriber": "x", "url": recv.srv.URL, "event_types": []string{"permit.eaten"}}, nil); st != 400 {
		t.Fatalf("a subscription to an unknown event type: %d, want 400", st)
	}

	all := admin.subscribe(recv, "/all", nil, nil)
	admin.subscribe(recv, "/permits", []string{"permit.issued", "permit.revoked"}, nil)
	var other string
	for _, it := range h.app.Hub.Items() {
		if it.Code != "birth_registration" && it.Code != "elderly_allowance" {
			other = it.Code
			break
		}
	}
	admin.subscribe(recv, "/other-item", nil, []string{other})
	var list struct {
		Subscriptions []map[string]any `json:"subscriptions"`
	}
	if st := admin.call("GET", "/v1/webhooks/subscriptions", nil, &list); st != 200 || len(list.Subscriptions) != 3 {
		t.Fatalf("list subscriptions: %d %v", st, list)
	}
	for _, s := range list.Subscriptions {
		if s["secret"] != nil {
			t.Fatalf("the list shows a secret: %v", s)
		}
	}

	f, a := h.approveOne(t)
	h.drain(t)
	var got []received // the approved application's events (approveOne may have created others)
	for _, r := range recv.received("/all") {
		if r.Data["application_id"] == a.ID {
			got = append(got, r)
		}
	}
	if want := []string{"application.approved", "application.confirmed", "application.created", "permit.issued"}; !slices.Equal(types(got), want) {
		t.Fatalf("/all received %v, want %v", types(got), want)
	}
	if got := types(recv.received("/permits")); !slices.Equal(got, []string{"permit.issued"}) {
		t.Fatalf("/permits received %v", got)
	}
	if got := recv.received("/other-item"); len(got) != 0 {
		t.Fatalf("/other-item received %v", types(got))
	}
	for _, r := range got {
		if strings.Contains(string(r.Raw), f.ID) {
			t.Fatalf("%s carries the full ID number: %s", r.Type, r.Raw)
		}
		masked, _ := r.Data["applicant_id_masked"].(string)
		if r.Data["application_id"] != a.ID || r.Data["item"] != f.Item || !strings.Contains(masked, "*") || r.Data["village"] != f.Village {
			t.Fatalf("%s data: %v", r.Type, r.Data)
		}
		if r.Type == "permit.issued" && (r.Data["permit_id"] != a.PermitID || r.Data["permit_status"] != "active") {
			t.Fatalf("permit.issued data: %v", r.Data)
		}
	}

	v, _ := division.Lookup(f.Village)
	if st := postJSON(t, "POST", h.url+"/v1/permits/"+a.PermitID+"/revoke", h.token(t, auth.RoleReviewer, v.Town), "", map[string]any{"reason": "测试撤销"}, nil); st != 200 {
		t.Fatalf("revoke: %d", st)
	}
	h.drain(t)
	if got := types(recv.received("/permits")); !slices.Equal(got, []string{"permit.issued", "permit.revoked"}) {
		t.Fatalf("/permits received %v after the revocation", got)
	}

	ds := admin.deliveries("subscription=" + all.ID + "&state=delivered")
	if n := len(recv.received("/all")); len(ds) != n || n < 5 {
		t.Fatalf("%d deliveries to /all delivered, %d received (want 5 or more)", len(ds), n)
	}
	d := admin.delivery(ds[0].ID)
	if len(d.Log) != 1 || d.Log[0].StatusCode != 204 || d.Log[0].ErrorClass != "" {
		t.Fatalf("delivery log: %+v", d)
	}
	var audit struct {
		Entries []struct {
			Action  string         `json:"action"`
			Details map[string]any `json:"details"`
		} `json:"entries"`
	}
	if st := admin.call("GET", "/v1/audit/entries?limit=1000", nil, &audit); st != 200 {
		t.Fatalf("audit entries: %d", st)
	}
	subscribed := 0
	for _, e := range audit.Entries {
		if e.Action == "webhook" && e.Details["op"] == "subscribe" {
			subscribed++
		}
	}
	if subscribed != 3 {
		t.Fatalf("%d subscriptions in the audit log, want 3", subscribed)
	}
	recv.check(t)
}

// TestWebhooksBackoffUntilReceiverRecovers: a receiver answering 500 for an hour of
// simulated time gets the retries of the schedule (5 s, 5 min, 30 min: four attempts in the
// hour) and the events once it recovers; a receiver down for good has its deliveries
// dead-lettered after about a day, and an administrator's redelivery then succeeds.
func TestWebhooksBackoffUntilReceiverRecovers(t *testing.T) {
	h := startWebhookHub(t)
	recv := startReceiver(t, h.clock.Now, 0)
	admin := webhookAdminClient{t: t, hub: h.url, token: h.token(t, auth.RoleAdmin, "")}
	flaky := admin.subscribe(recv, "/flaky", nil, nil)
	down := admin.subscribe(recv, "/down", nil, nil)
	recv.fail("/flaky", true)
	recv.fail("/down", true)

	h.approveOne(t)
	h.drain(t)
	h.pass(t, time.Hour, time.Minute)
	pending := admin.deliveries("subscription=" + flaky.ID + "&state=pending")
	if len(pending) != 4 {
		t.Fatalf("%d pending deliveries to /flaky after an hour, want 4", len(pending))
	}
	for _, p := range pending {
		d := admin.delivery(p.ID)
		if len(d.Log) != 4 {
			t.Fatalf("delivery %s: %d attempts in the first hour, want 4 (%+v)", d.ID, len(d.Log), d.Log)
		}
		for _, a := range d.Log {
			if a.StatusCode != 500 || a.ErrorClass != webhook.ClassServer {
				t.Fatalf("attempt %+v: want 500 status_5xx", a)
			}
		}
	}
	if got := recv.received("/flaky"); len(got) != 0 {
		t.Fatalf("/flaky accepted %d while failing", len(got))
	}

	recv.fail("/flaky", false)
	h.pass(t, 3*time.Hour, 10*time.Minute)
	if got := recv.received("/flaky"); len(got) != 4 {
		t.Fatalf("/flaky received %d after recovering, want 4", len(got))
	}
	for _, p := range pending {
		d := admin.delivery(p.ID)
		if d.State != "delivered" || len(d.Log) != 5 || d.Log[4].StatusCode != 204 {
			t.Fatalf("delivery %s after recovery: %+v", d.ID, d)
		}
	}

	// Eight attempts over about 28 hours (±10 % jitter), then the dead-letter list.
	h.pass(t, 31*time.Hour, 10*time.Minute)
	dead := admin.deliveries("state=dead")
	if len(dead) != 4 {
		t.Fatalf("%d dead letters, want the 4 deliveries to /down", len(dead))
	}
	d := admin.delivery(dead[0].ID)
	if len(d.Log) != len(webhook.DefaultSchedule)+1 {
		t.Fatalf("dead letter after %d attempts, want %d", len(d.Log), len(webhook.DefaultSchedule)+1)
	}
	if got := admin.deliveries("subscription=" + down.ID + "&state=pending"); len(got) != 0 {
		t.Fatalf("%d deliveries to /down still pending", len(got))
	}

	recv.fail("/down", false)
	var re deliveryOut
	if st := admin.call("POST", "/v1/webhooks/deliveries/"+d.ID+"/redeliver", nil, &re); st != 202 || re.State != "pending" {
		t.Fatalf("redeliver: %d %+v", st, re)
	}
	if st := postJSON(t, "POST", h.url+"/v1/webhooks/deliveries/"+d.ID+"/redeliver", h.token(t, auth.RoleAuditor, ""), "", nil, nil); st != 403 {
		t.Fatalf("redeliver as auditor: %d, want 403", st)
	}
	h.drain(t)
	if d := admin.delivery(d.ID); d.State != "delivered" {
		t.Fatalf("after redelivery: %+v", d)
	}
	if got := recv.received("/down"); len(got) != 1 || got[0].ID != d.EventID {
		t.Fatalf("/down received %v", got)
	}
	recv.check(t)
}

// TestWebhooksTwoReplicasPostgres runs two hub replicas on one PostgreSQL schema, each with
// its own delivery worker, while 200 create+confirm flows (SANMIAN_WEBHOOK_FLOWS, e.g. 1000
// for the full run) go through them (created at one, confirmed at the other). Every event in the outbox reaches each of two subscribers exactly
// once, and no webhook is ever in flight twice at once.
func TestWebhooksTwoReplicasPostgres(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	schema := storetest.FreshSchema(t, dsn)
	n, residents := 200, 3000
	if v := os.Getenv("SANMIAN_WEBHOOK_FLOWS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			t.Fatalf("SANMIAN_WEBHOOK_FLOWS=%q: want a positive number", v)
		}
		residents = max(residents, 20*n) // enough residents likely eligible for an instant item
	}
	p := startPlatforms(t, envOptions{residents: residents, faults: "none"})
	cfg, issuer := hubConfig(t, t.TempDir(), p, dsn)
	cfg.PublicURL = "http://127.0.0.1"
	wopts := func(replica string) app.Option {
		return app.WithWebhookOptions(webhook.WithPollInterval(20*time.Millisecond), webhook.WithBatch(8),
			webhook.WithHTTPClient(&http.Client{Transport: replicaTag{replica}}))
	}
	a, hubA := startHubWith(t, cfg, app.WithStoreOptions(store.WithSchema(schema)), wopts("a"))
	_, hubB := startHubWith(t, cfg, app.WithStoreOptions(store.WithSchema(schema)), wopts("b"))
	recv := startReceiver(t, time.Now, 5*time.Millisecond)
	tok, err := issuer.Mint(auth.Caller{Subject: "admin", Role: auth.RoleAdmin}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	admin := webhookAdminClient{t: t, hub: hubA, token: tok}
	admin.subscribe(recv, "/x", nil, nil)
	admin.subscribe(recv, "/y", nil, nil)

	flows := instantFlows(p, a.Hub.Items(), n)
	if len(flows) < n {
		t.Fatalf("the %d-resident district has %d instant flows, want %d", residents, len(flows), n)
	}
	rs := make([]resident, len(flows))
	for i, f := range flows {
		rs[i] = resident{ID: f.ID, Village: f.Village}
	}
	c := newFlowClient(tokens(t, issuer, rs), 16, 30*time.Second)
	results := make([]flowResult, len(flows))
	work := make(chan int)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := range work {
				r := &results[i]
				if c.create(t.Context(), hubA, flows[i], r); r.err == nil {
					c.confirm(t.Context(), hubB, flows[i], r)
				}
			}
		})
	}
	for i := range flows {
		work <- i
	}
	close(work)
	wg.Wait()
	permits := 0
	for _, r := range results {
		if r.err != nil {
			t.Fatalf("flow: %v", r.err)
		}
		if r.app.PermitID != "" {
			permits++
		}
	}

	db := storetest.OpenPostgresIn(t, dsn, schema).SQLDB()
	var events []string
	rows, err := db.QueryContext(t.Context(), `SELECT id FROM webhook_events`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		events = append(events, id)
	}
	rows.Close()
	if len(events) < 3*n {
		t.Fatalf("%d events in the outbox for %d flows", len(events), n)
	}
	flowsDone := time.Now()
	deadline := flowsDone.Add(60 * time.Second)
	for {
		done := true
		for _, path := range []string{"/x", "/y"} {
			if len(recv.received(path)) < len(events) {
				done = false
			}
		}
		if done || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	drained := time.Since(flowsDone)
	slices.Sort(events)
	for _, path := range []string{"/x", "/y"} {
		var ids []string
		for _, r := range recv.received(path) {
			ids = append(ids, r.ID)
		}
		slices.Sort(ids)
		if !slices.Equal(ids, events) {
			t.Errorf("%s received %d webhooks (%d distinct), want each of the %d events once", path, len(ids), len(slices.Compact(slices.Clone(ids))), len(events))
		}
	}
	recv.check(t)
	recv.mu.Lock()
	byReplica := maps.Clone(recv.replicas)
	recv.mu.Unlock()
	if byReplica["a"] == 0 || byReplica["b"] == 0 {
		t.Errorf("deliveries by replica: %v; want both replicas delivering", byReplica)
	}
	t.Logf("%d flows, %d permits, %d events, each delivered to 2 subscribers; deliveries by replica %v; the last delivered %v after the last flow",
		n, permits, len(events), byReplica, drained.Round(time.Millisecond))
}

// replicaTag marks the requests of one replica's webhook worker.
type replicaTag struct{ name string }

func (r replicaTag) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("X-Test-Replica", r.name)
	return http.DefaultTransport.RoundTrip(req)
}

// TestWebhooksDeliveredAfterHubKilled: a hub process is killed (SIGKILL) right after an
// application is approved, while the receiver still refuses the webhooks; the events were
// committed with the approval, so a hub started again on the same store delivers all four.
func TestWebhooksDeliveredAfterHubKilled(t *testing.T) {
	p := startPlatforms(t, envOptions{residents: 3000, faults: "none"})
	cfg, issuer := hubConfig(t, t.TempDir(), p, "")
	cfg.PublicURL = "http://127.0.0.1"
	recv := startReceiver(t, time.Now, 0)
	recv.fail("/crash", true)

	first := startHubChild(t, cfg, "hub-first")
	tok, err := issuer.Mint(auth.Caller{Subject: "admin", Role: auth.RoleAdmin}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	webhookAdminClient{t: t, hub: first.URL, token: tok}.subscribe(recv, "/crash", nil, nil)
	h := &webhookHub{url: first.URL, issuer: issuer, p: p,
		flows: instantFlows(p, []service.Item{{Code: "birth_registration", Instant: true}, {Code: "elderly_allowance", Instant: true}}, 60)}
	_, a := h.approveOne(t)
	first.Kill()

	recv.fail("/crash", false)
	startHubChild(t, cfg, "hub-second")
	var got []string
	deadline := time.Now().Add(55 * time.Second) // a delivery in flight at the kill waits for its lease (40 s)
	for time.Now().Before(deadline) {
		got = got[:0]
		for _, r := range recv.received("/crash") {
			if r.Data["application_id"] == a.ID {
				got = append(got, r.Type)
			}
		}
		if len(got) >= 4 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	slices.Sort(got)
	if want := []string{"application.approved", "application.confirmed", "application.created", "permit.issued"}; !slices.Equal(got, want) {
		t.Fatalf("after the restart the receiver has %v, want %v", got, want)
	}
	recv.check(t)
}

// TestWebhooksReviewEvents: an application that goes through review sends confirmed, a
// level passed (level_changed, naming the level now awaited), returned, confirmed again and
// rejected, in the order they happened.
func TestWebhooksReviewEvents(t *testing.T) {
	h := startWebhookHub(t)
	recv := startReceiver(t, h.clock.Now, 0)
	admin := webhookAdminClient{t: t, hub: h.url, token: h.token(t, auth.RoleAdmin, "")}
	admin.subscribe(recv, "/review", nil, []string{"homestead_application"})

	const item = "homestead_application" // levels village, work_area, town; never instant
	r := residentsByHousehold(h.p, 0, 1)[0]
	counter := h.token(t, auth.RoleCounter, r.Village)
	var a appView
	if st := postJSON(t, "POST", h.url+"/v1/applications", counter, "", map[string]any{"item": item,
		"applicant": map[string]any{"id_number": r.ID}, "purpose": "homestead application at the counter"}, &a); st != 201 {
		t.Fatalf("create: %d", st)
	}
	h.drain(t) // the creation's event before the confirmation's
	step := func(path, token string, body any) {
		t.Helper()
		if st := postJSON(t, "POST", h.url+"/v1/applications/"+a.ID+path, token, "", body, &a); st != 200 {
			t.Fatalf("%s: %d", path, st)
		}
		h.drain(t) // one step at a time: the receiver sees them in order
	}
	confirm := map[string]any{"signature": "data:image/png;base64,iVBORw0KGgo="}
	step("/confirm", counter, confirm)
	if a.Awaiting == nil || a.Awaiting.Level != "village" {
		t.Fatalf("after confirmation: %+v", a)
	}
	step("/review", h.token(t, auth.RoleReviewer, a.Awaiting.Division), map[string]any{"action": "approve"})
	next := a.Awaiting.Division
	step("/review", h.token(t, auth.RoleReviewer, next), map[string]any{"action": "return", "comment": "补充材料"})
	step("/confirm", counter, confirm)
	step("/review", h.token(t, auth.RoleReviewer, a.Awaiting.Division), map[string]any{"action": "reject", "comment": "不符合条件"})

	var got []string
	var levels []any
	for _, ev := range recv.received("/review") {
		got = append(got, ev.Type)
		levels = append(levels, ev.Data["awaiting_level"])
	}
	want := []string{"application.created", "application.confirmed", "application.level_changed", "application.returned",
		"application.confirmed", "application.rejected"}
	if !slices.Equal(got, want) {
		t.Fatalf("received %v, want %v", got, want)
	}
	if levels[2] != "work_area" || levels[5] != nil {
		t.Fatalf("awaiting levels %v: want work_area after the village approval, none once rejected", levels)
	}
	recv.check(t)
}
