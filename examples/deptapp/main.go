// Command deptapp is an example department app built on the Sanmian SDK. Given the client
// credentials and the webhook signing secret an administrator received when registering it
// with its webhook URL (POST /v1/clients), it:
//
//  1. takes a caller token from the hub by OAuth2 client credentials (sdk/client.TokenSource);
//  2. receives the hub's webhooks on -listen, checking each Standard Webhooks signature
//     with the reference library and answering duplicates (same webhook-id) without acting
//     twice;
//  3. creates an application for a resident (POST /v1/applications, with an
//     Idempotency-Key);
//  4. waits for the application's events; the applicant confirms at the counter, and when
//     the permit is issued (permit.issued) it fetches the permit, saves a verification
//     snapshot (the hub's key set and status list) and verifies the permit offline from
//     that snapshot alone (sdk/permitverify).
//
// Usage:
//
//	DEPTAPP_CLIENT_SECRET=smcs_... DEPTAPP_WEBHOOK_SECRET=whsec_... \
//	  deptapp -hub https://hub.example.gov.cn -client-id app_... -listen 127.0.0.1:8090 \
//	    -item elderly_allowance -id-number 370114194003150123 -purpose "代办高龄津贴"
//
// It prints one line per step and exits 0 once the permit verified, 1 when the application
// ends without one or something fails, 2 on a usage error.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"sanmian/sdk/client"
	"sanmian/sdk/permitverify"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, nil))
}

// config is what the command line and environment give.
type config struct {
	hub, clientID, clientSecret, webhookSecret string
	listen, snapshot                           string
	item, idNumber, purpose                    string
	wait                                       time.Duration
}

// run is the program; ln, when not nil, is the listener for webhooks (instead of -listen).
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, ln net.Listener) int {
	fs := flag.NewFlagSet("deptapp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	fs.StringVar(&c.hub, "hub", "", "the hub's base URL")
	fs.StringVar(&c.clientID, "client-id", "", "the app's client id")
	fs.StringVar(&c.listen, "listen", "127.0.0.1:8090", "address to receive webhooks on")
	fs.StringVar(&c.snapshot, "snapshot", "deptapp-snapshot.json", "file to save the verification snapshot in")
	fs.StringVar(&c.item, "item", "elderly_allowance", "item to apply for")
	fs.StringVar(&c.idNumber, "id-number", "", "the applicant's resident ID number")
	fs.StringVar(&c.purpose, "purpose", "部门应用代办申请", "why the applicant's data is looked up")
	fs.DurationVar(&c.wait, "wait", 30*time.Minute, "how long to wait for the permit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	c.clientSecret, c.webhookSecret = getenv("DEPTAPP_CLIENT_SECRET"), getenv("DEPTAPP_WEBHOOK_SECRET")
	if c.hub == "" || c.clientID == "" || c.idNumber == "" || c.clientSecret == "" || c.webhookSecret == "" {
		fmt.Fprintln(stderr, "deptapp: -hub, -client-id, -id-number and the environment variables DEPTAPP_CLIENT_SECRET and DEPTAPP_WEBHOOK_SECRET are required")
		return 2
	}
	if err := apply(ctx, c, stdout, ln); err != nil {
		fmt.Fprintln(stderr, "deptapp:", err)
		return 1
	}
	return 0
}

// apply runs the four steps.
func apply(ctx context.Context, c config, out io.Writer, ln net.Listener) error {
	ctx, cancel := context.WithTimeout(ctx, c.wait)
	defer cancel()

	// 1. A token by client credentials; the source renews it before it expires.
	tokens := &client.TokenSource{HubURL: c.hub, ClientID: c.clientID, ClientSecret: c.clientSecret}
	if _, err := tokens.Token(ctx); err != nil {
		return fmt.Errorf("take a token: %w", err)
	}
	fmt.Fprintf(out, "token taken for %s\n", c.clientID)
	hub, err := client.NewClientWithResponses(c.hub, client.WithRequestEditorFn(tokens.Authorize))
	if err != nil {
		return err
	}

	// 2. The webhook receiver.
	recv, err := newReceiver(c.webhookSecret)
	if err != nil {
		return fmt.Errorf("webhook secret: %w", err)
	}
	if ln == nil {
		if ln, err = net.Listen("tcp", c.listen); err != nil {
			return err
		}
	}
	srv := &http.Server{Handler: recv, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	fmt.Fprintf(out, "receiving webhooks at http://%s\n", ln.Addr())

	// 3. The application; the idempotency key makes a retried request safe.
	resp, err := hub.CreateApplicationWithResponse(ctx, &client.CreateApplicationParams{IdempotencyKey: ptr(newKey())},
		client.ApplicationCreate{Item: c.item, Purpose: c.purpose, Applicant: client.PersonRef{IdNumber: c.idNumber}})
	if err != nil {
		return fmt.Errorf("create the application: %w", err)
	}
	if resp.JSON201 == nil {
		return fmt.Errorf("create the application: %s", problem(resp.StatusCode(), resp.Body))
	}
	a := resp.JSON201
	eligible := "undetermined"
	if e := a.Decision.Eligible; e != nil {
		eligible = fmt.Sprint(*e)
	}
	fmt.Fprintf(out, "application created: %s (%s, status %s, eligible %s)\n", a.Id, a.Item, a.Status, eligible)

	// 4. Events until the permit is issued or the application ends without one.
	for {
		var ev client.WebhookEvent
		select {
		case <-ctx.Done():
			return fmt.Errorf("no permit for application %s: %w", a.Id, ctx.Err())
		case ev = <-recv.events:
		}
		if ev.Data.ApplicationId != a.Id {
			continue
		}
		fmt.Fprintf(out, "webhook %s: %s (status %s)\n", ev.Id, ev.Type, ev.Data.Status)
		switch ev.Type {
		case client.ApplicationRejected:
			return fmt.Errorf("application %s rejected", a.Id)
		case client.PermitIssued:
			if ev.Data.PermitId == nil {
				return fmt.Errorf("permit.issued without a permit id")
			}
			return verifyPermit(ctx, c, hub, *ev.Data.PermitId, out)
		}
	}
}

// verifyPermit fetches the permit, saves a verification snapshot and verifies the permit
// from the saved file alone.
func verifyPermit(ctx context.Context, c config, hub *client.ClientWithResponses, permitID string, out io.Writer) error {
	pr, err := hub.GetPermitWithResponse(ctx, permitID)
	if err != nil {
		return fmt.Errorf("get permit: %w", err)
	}
	if pr.JSON200 == nil {
		return fmt.Errorf("get permit: %s", problem(pr.StatusCode(), pr.Body))
	}
	online, err := permitverify.New(permitverify.Config{HubURL: c.hub})
	if err != nil {
		return err
	}
	snap, err := online.Snapshot(ctx)
	if err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	if err := snap.WriteFile(c.snapshot); err != nil {
		return err
	}
	fmt.Fprintf(out, "verification snapshot saved to %s\n", c.snapshot)

	saved, err := permitverify.ReadSnapshotFile(c.snapshot)
	if err != nil {
		return err
	}
	offline, err := permitverify.NewOffline(saved, permitverify.OfflineConfig{})
	if err != nil {
		return err
	}
	res, err := offline.Verify(ctx, pr.JSON200.Token)
	if err != nil {
		return fmt.Errorf("verify offline: %w", err)
	}
	if !res.Valid {
		return fmt.Errorf("permit %s does not verify: %s (%s)", permitID, res.Status, res.Reason)
	}
	fmt.Fprintf(out, "permit %s verified offline: %s, item %s, holder %s, office %s, key %s\n",
		res.Claims.PermitID, res.Status, res.Claims.Item, res.Claims.Holder, res.Claims.Office, res.Kid)
	return nil
}

// receiver checks and deduplicates webhooks and hands the events on.
type receiver struct {
	wh     *standardwebhooks.Webhook
	events chan client.WebhookEvent
	mu     sync.Mutex
	seen   map[string]bool
}

func newReceiver(secret string) (*receiver, error) {
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return nil, err
	}
	return &receiver{wh: wh, events: make(chan client.WebhookEvent, 64), seen: map[string]bool{}}, nil
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	// Signature and timestamp (within five minutes) per the Standard Webhooks specification.
	if err := r.wh.Verify(body, req.Header); err != nil {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var ev client.WebhookEvent
	if err := json.Unmarshal(body, &ev); err != nil || ev.Id != req.Header.Get("webhook-id") {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	dup := r.seen[ev.Id]
	r.seen[ev.Id] = true
	r.mu.Unlock()
	if !dup {
		select {
		case r.events <- ev:
		default:
			// Full: forget it so the hub's retry is taken.
			r.mu.Lock()
			delete(r.seen, ev.Id)
			r.mu.Unlock()
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// problem renders an error answer: the problem document's title and detail when there is
// one.
func problem(status int, body []byte) string {
	var p struct {
		Title  string `json:"title"`
		Detail string `json:"detail"`
		Error  string `json:"error"`
	}
	if json.Unmarshal(body, &p) == nil && (p.Title != "" || p.Error != "") {
		return strings.TrimSpace(fmt.Sprintf("%d %s %s %s", status, p.Title, p.Error, p.Detail))
	}
	return fmt.Sprintf("status %d", status)
}

func newKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "deptapp-" + hex.EncodeToString(b)
}

func ptr[T any](v T) *T { return &v }
