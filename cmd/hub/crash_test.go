package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"sanmian/connectors/sim"
	"sanmian/hub/auth"
	"sanmian/hub/demo"
	"sanmian/hub/ident"
	"sanmian/hub/seal"
	"sanmian/hub/store/storetest"
)

// envHubChild makes the test binary run as the hub command (see TestMain).
const envHubChild = "SANMIAN_TEST_RUN_HUB"

// TestMain runs the tests or, when started by startHubProcess or runHubProcess, the hub command itself: main() with
// the process's arguments, exactly as the built binary runs it.
func TestMain(m *testing.M) {
	if os.Getenv(envHubChild) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// Sizes of the crash test (-short: a fifth of the flows). SANMIAN_CRASH_FLOWS and
// SANMIAN_CRASH_CLIENTS override them.
const (
	crashFlows     = 1000  // create+confirm flows, one resident each
	crashClients   = 48    // concurrent HTTP clients
	crashResidents = 30000 // synthetic district: enough distinct residents with an instant item
)

// instantItems are catalogue items that allow instant approval (policies/data.yaml) and ask
// nothing of the applicant at confirmation but a signature.
var instantItems = []string{"elderly_allowance", "senior_card"}

// TestCrashSafetySQLite: see crashSafety.
func TestCrashSafetySQLite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hub.db")
	crashSafety(t, dir, path, func() *sql.DB {
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		return db
	})
}

// TestCrashSafetyPostgres: see crashSafety, on a fresh PostgreSQL schema.
func TestCrashSafetyPostgres(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	schema := storetest.FreshSchema(t, dsn)
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(t.Context(), "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize())
	conn.Close(context.WithoutCancel(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	crashSafety(t, t.TempDir(), u.String(), func() *sql.DB {
		db, err := sql.Open("pgx", u.String())
		if err != nil {
			t.Fatal(err)
		}
		return db
	})
}

// flow is one resident's create+confirm and what the hub answered.
type flow struct {
	n                  int
	item, id, village  string
	create, confirm    []byte // request bodies
	createKey, confKey string // Idempotency-Keys
	// ackCreate and ackConfirm are the first successful answers (nil: none yet); every later
	// answer to the same key must be a replay of exactly these bytes.
	ackCreate, ackConfirm []byte
	// ackedBeforeKill counts the answers acknowledged before a kill (0-2).
	ackedBeforeKill  int
	permitBeforeKill bool
	instant          bool // the decision allows instant approval (known at the end)
	last             attempt
}

// attempt is one pass over a flow: the answers (status 0: no answer).
type attempt struct {
	createStatus, confirmStatus int
	createBody, confirmBody     []byte
	createReplayed, confReplay  bool
	err                         error
}

// record checks a's answers against what the flow was acknowledged before and keeps the
// first acknowledgements. Transport errors are the crash's; an error status never is.
func (f *flow) record(a attempt) error {
	f.last = a
	if s := a.createStatus; s != 0 && s != http.StatusCreated {
		return fmt.Errorf("create answered %d: %.300s", s, a.createBody)
	}
	if s := a.confirmStatus; s != 0 && s != http.StatusOK {
		return fmt.Errorf("confirm answered %d: %.300s", s, a.confirmBody)
	}
	check := func(what string, ack *[]byte, body []byte, replayed bool) error {
		switch {
		case body == nil:
		case *ack == nil:
			*ack = body
		case !replayed || !bytes.Equal(*ack, body):
			return fmt.Errorf("%s answered again: replayed %v, identical %v\nfirst %s\nagain %s", what, replayed, bytes.Equal(*ack, body), *ack, body)
		}
		return nil
	}
	var created, confirmed []byte
	if a.createStatus == http.StatusCreated {
		created = a.createBody
	}
	if a.confirmStatus == http.StatusOK {
		confirmed = a.confirmBody
	}
	return errors.Join(check("create", &f.ackCreate, created, a.createReplayed), check("confirm", &f.ackConfirm, confirmed, a.confReplay))
}

// crashKills are the points, as fractions of the flows confirmed, at which the hub is killed:
// early (while the first permits create the offices' sealing keys) and midway.
var crashKills = []float64{0.02, 0.4}

// crashSafety runs the hub command (`hub serve --config`, this test binary re-executed) on
// storeDSN over real simulated platforms and runs concurrent create+confirm flows of
// instant-approval items, each request with its own Idempotency-Key. It kills the hub with
// SIGKILL at each of crashKills, checks that `hub audit verify` passes on the data as left,
// restarts the hub on it and goes on with the flows not yet confirmed. After the last restart
// every flow is retried twice with the same keys and bodies. Every answer after a first
// success must replay that success byte for byte (a stored answer: nothing in it may differ,
// not the application's timestamps, the decision id or the permit id); every flow ends
// approved with a permit the hub serves and that verifies offline with the JWKS alone (and
// with `hub verify`), unless its decision ruled out instant approval; the database holds
// one application per resident and item and one permit per approved application, and the
// audit chain verifies after a clean stop.
func crashSafety(t *testing.T, dir, storeDSN string, openDB func() *sql.DB) {
	def := crashFlows
	if testing.Short() {
		def = crashFlows / 5
	}
	nFlows := envInt(t, "SANMIAN_CRASH_FLOWS", def)
	clients := envInt(t, "SANMIAN_CRASH_CLIENTS", crashClients)
	start := time.Now()
	ctx := t.Context()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	p, err := sim.Start(context.WithoutCancel(ctx), sim.Config{Residents: crashResidents, Seed: 1, Faults: "none", Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	cfgPath, hubURL, issuer := writeCrashConfig(t, dir, p, storeDSN)
	flows := crashFlowsOf(t, p, nFlows)
	tokens := map[string]string{}
	for _, f := range flows {
		if tokens[f.village] == "" {
			tok, err := issuer.Mint(auth.Caller{Subject: "counter-" + f.village, Role: auth.RoleCounter, Jurisdiction: f.village}, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			tokens[f.village] = tok
		}
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	var mu sync.Mutex // guards broken
	var broken int    // broken promises; the first 10 are reported
	recordAll := func(phase string, f *flow, a attempt) {
		err := f.record(a)
		if err != nil {
			mu.Lock()
			broken++
			if broken <= 10 {
				t.Errorf("%s: flow %d (%s): %v", phase, f.n, f.item, err)
			}
			mu.Unlock()
		}
	}

	var acked atomic.Int64 // flows confirmed so far
	var hub *hubChild
	for k, frac := range crashKills {
		phase := fmt.Sprintf("run %d", k+1)
		hub = startHubProcess(t, dir, cfgPath, hubURL, strconv.Itoa(k+1))
		killAt := max(1, int64(frac*float64(nFlows)))
		killed := make(chan struct{})
		var killOnce sync.Once
		kill := func() {
			killOnce.Do(func() {
				if err := hub.cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Errorf("kill: %v", err)
				}
				close(killed)
			})
		}
		var started, created, confirmed, permits, cut atomic.Int64
		var firstErr atomic.Value
		phaseStart := time.Now()
		phaseCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
		runFlows(phaseCtx, clients, flows, func(f *flow) {
			if f.ackConfirm != nil {
				return
			}
			select {
			case <-killed:
				return // not started before the kill
			default:
			}
			started.Add(1)
			hadCreate := f.ackCreate != nil
			a := f.run(phaseCtx, client, hubURL, tokens[f.village])
			recordAll(phase, f, a)
			if a.err != nil {
				cut.Add(1)
				firstErr.CompareAndSwap(nil, a.err.Error())
			}
			if !hadCreate && a.createStatus == http.StatusCreated {
				created.Add(1)
				f.ackedBeforeKill++
			}
			if a.confirmStatus == http.StatusOK {
				confirmed.Add(1)
				f.ackedBeforeKill++
				if f.permitBeforeKill = permitOf(a.confirmBody) != ""; f.permitBeforeKill {
					permits.Add(1)
				}
				if acked.Add(1) == killAt {
					kill()
				}
			}
		})
		stalled := phaseCtx.Err() != nil
		cancel()
		kill()
		<-hub.done
		if stalled {
			t.Fatalf("%s: only %d of %d flows confirmed within 60 s, the kill was due at %d: the hub stalled (first client error: %v)\nhub log: %s",
				phase, acked.Load(), nFlows, killAt, firstErr.Load(), hub.tail())
		}
		t.Logf("%s, killed after %.1f s: %d flows started, %d created, %d confirmed (%d with a permit), %d cut off by the kill",
			phase, time.Since(phaseStart).Seconds(), started.Load(), created.Load(), confirmed.Load(), permits.Load(), cut.Load())
		if t.Failed() {
			t.FailNow()
		}
		// The data as the crash left it: the audit chain verifies.
		if code, out, errOut := runHubProcess(t, "audit", "verify", "--config", cfgPath); code != 0 {
			t.Fatalf("hub audit verify after the kill of %s: exit %d: %s %s", phase, code, out, errOut)
		}
	}

	// The last restart: every flow, twice, with the same keys and bodies.
	hub = startHubProcess(t, dir, cfgPath, hubURL, "last")
	phaseCtx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	var replayed [2]atomic.Int64 // answers replayed, per pass
	for i, pass := range []string{"retry", "second retry"} {
		runFlows(phaseCtx, clients, flows, func(f *flow) {
			a := f.run(phaseCtx, client, hubURL, tokens[f.village])
			recordAll(pass, f, a)
			if a.createReplayed {
				replayed[i].Add(1)
			}
			if a.confReplay {
				replayed[i].Add(1)
			}
		})
	}
	if phaseCtx.Err() != nil {
		t.Fatalf("retries not done within 90 s: the hub stalled\nhub log: %s", hub.tail())
	}
	var comparedAcks, reviewed int
	for _, f := range flows {
		if err := f.checkEnd(); err != nil {
			t.Errorf("flow %d (%s): %v", f.n, f.item, err)
			continue
		}
		comparedAcks += f.ackedBeforeKill
		if !f.instant {
			reviewed++
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("retries: %d answers acknowledged before a kill answered again byte for byte; replayed: %d of %d answers to the retry, %d of %d to the second retry",
		comparedAcks, replayed[0].Load(), 2*len(flows), replayed[1].Load(), 2*len(flows))
	// A few residents' evidence conflicts between platforms or is stale (the synthetic
	// district's deliberate inconsistencies): the policy sends them to review, no permit.
	if reviewed > len(flows)/20 {
		t.Fatalf("%d of %d flows went to review instead of instant approval: the test no longer exercises permits", reviewed, len(flows))
	}
	permits := len(flows) - reviewed

	// Every flow's permit: served, active, the flow's own, and valid with the JWKS alone.
	jwks := getBody(t, client, hubURL+"/.well-known/jwks.json", "")
	jwksFile := filepath.Join(dir, "hub.jwks.json")
	if err := os.WriteFile(jwksFile, jwks, 0o644); err != nil {
		t.Fatal(err)
	}
	var checked, checkedBefore int
	for _, f := range flows {
		if !f.instant {
			continue
		}
		if err := f.checkPermit(ctx, client, hubURL, tokens[f.village], jwks); err != nil {
			t.Errorf("flow %d (%s): %v", f.n, f.item, err)
			continue
		}
		checked++
		if f.permitBeforeKill {
			checkedBefore++
		}
	}
	// The command-line verifier agrees, for the first permits acknowledged before a kill.
	var cli int
	for _, f := range flows {
		if !f.permitBeforeKill || cli == 3 {
			continue
		}
		cli++
		tok := permitToken(t, client, hubURL+"/v1/permits/"+permitOf(f.ackConfirm), tokens[f.village])
		if code, out, errOut := runHubProcess(t, "verify", "--jwks", jwksFile, tok); code != 0 {
			t.Errorf("hub verify, flow %d: exit %d: %s %s", f.n, code, out, errOut)
		}
	}
	t.Logf("permits: %d checked (served, active, offline-valid), %d of them acknowledged before a kill; %d also by `hub verify`; %d flows sent to review by the policy",
		checked, checkedBefore, cli, reviewed)

	// The database: one application and one active permit per resident and item, no more.
	db := openDB()
	defer db.Close()
	for _, c := range []struct {
		name, query string
		want        int
	}{
		{"applications", `SELECT count(*) FROM applications`, len(flows)},
		{"permits", `SELECT count(*) FROM permits`, permits},
		{"active_permits", `SELECT count(*) FROM permits WHERE status = 'active'`, permits},
		{"approved_applications", `SELECT count(*) FROM applications WHERE status = 'approved'`, permits},
		{"applications_twice_for_a_resident_and_item",
			`SELECT count(*) FROM (SELECT applicant_id, item FROM applications GROUP BY applicant_id, item HAVING count(*) > 1) d`, 0},
		{"permits_twice_for_an_application",
			`SELECT count(*) FROM (SELECT application_id FROM permits GROUP BY application_id HAVING count(*) > 1) d`, 0},
		{"active_permits_twice_for_a_resident_and_item",
			`SELECT count(*) FROM (SELECT a.applicant_id, p.item FROM permits p JOIN applications a ON a.id = p.application_id
			  WHERE p.status = 'active' GROUP BY a.applicant_id, p.item HAVING count(*) > 1) d`, 0},
		{"offices_with_two_active_sealing_keys",
			`SELECT count(*) FROM (SELECT office FROM office_keys WHERE status = 'active' GROUP BY office HAVING count(*) > 1) d`, 0},
		{"approved_applications_without_their_permit",
			`SELECT count(*) FROM applications a WHERE a.status = 'approved' AND NOT EXISTS
			  (SELECT 1 FROM permits p WHERE p.id = a.permit_id AND p.application_id = a.id)`, 0},
	} {
		var got int
		if err := db.QueryRowContext(ctx, c.query).Scan(&got); err != nil {
			t.Errorf("%s: %v", c.name, err)
		} else if got != c.want {
			t.Errorf("%s: %d, want %d", c.name, got, c.want)
		}
	}

	// A clean stop signs a checkpoint; the whole chain verifies.
	hub.stop(t)
	code, out, errOut := runHubProcess(t, "audit", "verify", "--config", cfgPath)
	if code != 0 || !strings.Contains(out, "intact") {
		t.Fatalf("hub audit verify after the restart: exit %d: %s %s", code, out, errOut)
	}
	t.Logf("%d flows, %d clients, %s in %.1f s; %s", len(flows), clients, map[bool]string{true: "PostgreSQL", false: "SQLite"}[strings.Contains(storeDSN, "://")],
		time.Since(start).Seconds(), strings.TrimSpace(out))
}

// run sends the flow's create and, once created, its confirm; a transport error ends it.
func (f *flow) run(ctx context.Context, c *http.Client, hubURL, token string) attempt {
	var a attempt
	var h http.Header
	a.createStatus, a.createBody, h, a.err = post(ctx, c, hubURL+"/v1/applications", token, f.createKey, f.create)
	a.createReplayed = h.Get("Idempotent-Replayed") == "true"
	if a.err != nil || a.createStatus != http.StatusCreated {
		return a
	}
	var app struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(a.createBody, &app); err != nil || app.ID == "" {
		a.err = fmt.Errorf("create answered %s", a.createBody)
		return a
	}
	a.confirmStatus, a.confirmBody, h, a.err = post(ctx, c, hubURL+"/v1/applications/"+app.ID+"/confirm", token, f.confKey, f.confirm)
	a.confReplay = h.Get("Idempotent-Replayed") == "true"
	return a
}

// checkEnd: after the retries every flow is created and confirmed; confirmed with a permit
// when its decision allows instant approval, sent to review otherwise; the second retry was
// a replay (record compared its bytes).
func (f *flow) checkEnd() error {
	r := f.last
	if r.err != nil || !r.createReplayed || !r.confReplay || f.ackCreate == nil || f.ackConfirm == nil {
		return fmt.Errorf("second retry: create %d replayed %v, confirm %d replayed %v, %v",
			r.createStatus, r.createReplayed, r.confirmStatus, r.confReplay, r.err)
	}
	var d struct {
		Decision struct {
			Eligible  *bool `json:"eligible"`
			Instant   bool  `json:"instant"`
			Conflicts []any `json:"conflicts"`
			Stale     bool  `json:"stale"`
		} `json:"decision"`
	}
	if err := json.Unmarshal(f.ackCreate, &d); err != nil {
		return err
	}
	f.instant = d.Decision.Eligible != nil && *d.Decision.Eligible && d.Decision.Instant && len(d.Decision.Conflicts) == 0 && !d.Decision.Stale
	var v struct {
		Status   string `json:"status"`
		PermitID string `json:"permit_id"`
	}
	if err := json.Unmarshal(f.ackConfirm, &v); err != nil {
		return err
	}
	if f.instant && (v.Status != "approved" || v.PermitID == "") {
		return fmt.Errorf("instant-approval decision, but the confirm is not an approval with a permit: %.300s", f.ackConfirm)
	}
	if !f.instant && (v.Status != "in_review" || v.PermitID != "") {
		return fmt.Errorf("no instant approval by the decision, but the confirm is not in review: %.300s", f.ackConfirm)
	}
	return nil
}

// checkPermit: the flow's permit is served as active, belongs to the flow's application and
// item, and verifies offline against jwks with its claims naming it and the masked holder.
func (f *flow) checkPermit(ctx context.Context, c *http.Client, hubURL, token string, jwks []byte) error {
	id := permitOf(f.ackConfirm)
	var appID struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(f.ackCreate, &appID)
	st, b, _, err := do(ctx, c, http.MethodGet, hubURL+"/v1/permits/"+id, token, "", nil)
	if err != nil || st != http.StatusOK {
		return fmt.Errorf("GET permit %s: %d %v %s", id, st, err, b)
	}
	var pm struct {
		ID, Token, Status, Item string
	}
	if err := json.Unmarshal(b, &pm); err != nil || pm.ID != id || pm.Status != "active" || pm.Item != f.item || pm.Token == "" {
		return fmt.Errorf("permit %s: %s", id, b)
	}
	res, err := seal.VerifyJWKS(pm.Token, jwks, time.Now())
	if err != nil || !res.Valid || res.Claims == nil {
		return fmt.Errorf("permit %s does not verify offline: %+v %v", id, res, err)
	}
	if cl := res.Claims; cl.PermitID != id || cl.Item != f.item || cl.Holder != ident.MaskIDNumber(f.id) {
		return fmt.Errorf("permit %s claims jti %s item %s holder %s", id, cl.PermitID, cl.Item, cl.Holder)
	}
	st, b, _, err = do(ctx, c, http.MethodGet, hubURL+"/v1/applications/"+appID.ID, token, "", nil)
	var av struct {
		Status   string `json:"status"`
		PermitID string `json:"permit_id"`
	}
	if err != nil || st != http.StatusOK || json.Unmarshal(b, &av) != nil || av.Status != "approved" || av.PermitID != id {
		return fmt.Errorf("application %s: %d %v %.300s", appID.ID, st, err, b)
	}
	return nil
}

func permitOf(confirmBody []byte) string {
	var v struct {
		PermitID string `json:"permit_id"`
	}
	_ = json.Unmarshal(confirmBody, &v)
	return v.PermitID
}

func permitToken(t *testing.T, c *http.Client, u, token string) string {
	t.Helper()
	var pm struct{ Token string }
	if err := json.Unmarshal(getBody(t, c, u, token), &pm); err != nil || pm.Token == "" {
		t.Fatalf("%s: no token", u)
	}
	return pm.Token
}

func getBody(t *testing.T, c *http.Client, u, token string) []byte {
	t.Helper()
	st, b, _, err := do(t.Context(), c, http.MethodGet, u, token, "", nil)
	if err != nil || st != http.StatusOK {
		t.Fatalf("GET %s: %d %v %s", u, st, err, b)
	}
	return b
}

// runFlows calls fn for every flow from n goroutines, until all are done or ctx ends.
func runFlows(ctx context.Context, n int, flows []*flow, fn func(*flow)) {
	ch := make(chan *flow)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for f := range ch {
				fn(f)
			}
		})
	}
	for _, f := range flows {
		select {
		case ch <- f:
		case <-ctx.Done():
		}
	}
	close(ch)
	wg.Wait()
}

func post(ctx context.Context, c *http.Client, u, token, key string, body []byte) (int, []byte, http.Header, error) {
	return do(ctx, c, http.MethodPost, u, token, key, body)
}

func do(ctx context.Context, c *http.Client, method, u, token, key string, body []byte) (int, []byte, http.Header, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, http.Header{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, http.Header{}, err // cut off mid-answer: not acknowledged
	}
	return resp.StatusCode, b, resp.Header, nil
}

// crashFlowsOf picks n residents of the synthetic district with an open instant-approval
// item (the demo's samples: residents likely eligible and not enrolled), one flow each.
func crashFlowsOf(t *testing.T, p *sim.Platforms, n int) []*flow {
	t.Helper()
	d := p.Data
	var out []*flow
	for _, s := range d.Samples(len(d.Persons)) {
		if len(out) == n {
			break
		}
		var item string
		for _, it := range instantItems {
			if slices.Contains(s.Items, it) {
				item = it
				break
			}
		}
		if item == "" {
			continue
		}
		per := &d.Persons[s.Person]
		k := len(out)
		create, _ := json.Marshal(map[string]any{"item": item, "applicant": map[string]string{"id_number": per.ID}, "purpose": "crash test " + strconv.Itoa(k)})
		out = append(out, &flow{n: k, item: item, id: per.ID, village: d.Village(per).Code, create: create,
			confirm:   []byte(`{"signature":"data:image/png;base64,iVBORw0KGgo="}`),
			createKey: fmt.Sprintf("crash-%d-create", k), confKey: fmt.Sprintf("crash-%d-confirm", k)})
	}
	if len(out) < n {
		t.Fatalf("only %d residents with an open instant-approval item among %d in the district, want %d", len(out), len(d.Persons), n)
	}
	return out
}

// writeCrashConfig writes the hub's configuration (the demo's, on storeDSN, on a free port)
// to dir/hub.yaml, with the demo issuer and master key under dir.
func writeCrashConfig(t *testing.T, dir string, p *sim.Platforms, storeDSN string) (path, hubURL string, issuer *auth.Issuer) {
	t.Helper()
	issuer, err := auth.OpenDemoIssuer(dir)
	if err != nil {
		t.Fatal(err)
	}
	jwks, err := issuer.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	jwksFile := filepath.Join(dir, "issuer.jwks.json")
	if err := os.WriteFile(jwksFile, jwks, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := seal.DemoMasterKey(dir); err != nil {
		t.Fatal(err)
	}
	cfg := demo.Config(dir, p, auth.TrustedIssuer{Name: issuer.Name(), Algorithms: []string{"EdDSA"}, JWKSFile: jwksFile})
	cfg.Store = storeDSN
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr = ln.Addr().String()
	cfg.PublicURL = "http://" + cfg.Addr
	ln.Close()
	path = filepath.Join(dir, "hub.yaml")
	if err := cfg.Write(path); err != nil {
		t.Fatal(err)
	}
	return path, cfg.PublicURL, issuer
}

// hubChild is a running hub command (this test binary re-executed, see TestMain).
type hubChild struct {
	cmd  *exec.Cmd
	done chan struct{}
	log  string
}

// tail is the end of the child's log without the access log lines, for failure messages.
func (h *hubChild) tail() string {
	b, _ := os.ReadFile(h.log)
	var keep []string
	var requests int
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.Contains(line, `"msg":"http"`) {
			requests++
			continue
		}
		keep = append(keep, line)
	}
	if len(keep) > 20 {
		keep = keep[len(keep)-20:]
	}
	return fmt.Sprintf("%d requests logged; other lines, last 20:\n%s", requests, strings.Join(keep, "\n"))
}

// stop ends the hub with SIGTERM (a clean shutdown) and waits.
func (h *hubChild) stop(t *testing.T) {
	t.Helper()
	_ = h.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-h.done:
	case <-time.After(20 * time.Second):
		_ = h.cmd.Process.Kill()
		<-h.done
		t.Fatalf("the hub did not stop within 20 s of SIGTERM: %s", h.tail())
	}
	if !h.cmd.ProcessState.Success() {
		t.Fatalf("the hub stopped with %v: %s", h.cmd.ProcessState, h.tail())
	}
}

// startHubProcess runs `hub serve --config cfgPath` and waits until hubURL/readyz answers 200.
// Cleanup kills it if it still runs.
func startHubProcess(t *testing.T, dir, cfgPath, hubURL, name string) *hubChild {
	t.Helper()
	logPath := filepath.Join(dir, "hub-"+name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "serve", "--config", cfgPath)
	cmd.Env = append(os.Environ(), envHubChild+"=1")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &hubChild{cmd: cmd, done: make(chan struct{}), log: logPath}
	go func() { _ = cmd.Wait(); logf.Close(); close(h.done) }()
	t.Cleanup(func() {
		select {
		case <-h.done:
		default:
			_ = cmd.Process.Kill()
			<-h.done
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(hubURL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return h
			}
		}
		select {
		case <-h.done:
			t.Fatalf("hub (%s) exited before it was ready: %s", name, h.tail())
		case <-time.After(25 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("hub (%s) not ready within 60 s: %s", name, h.tail())
		}
	}
}

// runHubProcess runs the hub command with args to completion and returns its exit code and
// output.
func runHubProcess(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), envHubChild+"=1")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String(), errOut.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), out.String(), errOut.String()
	default:
		t.Fatalf("hub %v: %v", args, err)
		return -1, "", ""
	}
}

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive number", name, s)
	}
	return n
}
