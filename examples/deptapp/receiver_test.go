package main

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// The receiver takes a correctly signed webhook once, answers its repeat without handing
// it on again, and refuses a wrong signature, a stale timestamp and a body whose id is not
// the webhook-id.
func TestReceiverChecksSignatureAndDeduplicates(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	r, err := newReceiver(secret)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	post := func(id string, at time.Time, body string, tamper bool) int {
		sig, err := signer.Sign(id, at, []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		if tamper {
			body += " "
		}
		req := httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(body))
		req.Header.Set("webhook-id", id)
		req.Header.Set("webhook-timestamp", itoa(at.Unix()))
		req.Header.Set("webhook-signature", sig)
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		return w.Code
	}
	body := `{"id":"evt_1","type":"permit.issued","occurred_at":"2026-11-26T10:00:00Z","data":{"application_id":"a1","item":"elderly_allowance","status":"approved","village":"370114001201","applicant_id_masked":"370114********123X","permit_id":"p1"}}`
	now := time.Now()
	if c := post("evt_1", now, body, false); c != http.StatusNoContent {
		t.Fatalf("signed webhook: %d", c)
	}
	if c := post("evt_1", now, body, false); c != http.StatusNoContent {
		t.Fatalf("repeat: %d", c)
	}
	if n := len(r.events); n != 1 {
		t.Fatalf("%d events handed on, want 1", n)
	}
	ev := <-r.events
	if ev.Id != "evt_1" || ev.Data.PermitId == nil || *ev.Data.PermitId != "p1" {
		t.Fatalf("event %+v", ev)
	}
	if c := post("evt_2", now, strings.Replace(body, "evt_1", "evt_2", 1), true); c != http.StatusUnauthorized {
		t.Fatalf("tampered body: %d, want 401", c)
	}
	if c := post("evt_3", now.Add(-10*time.Minute), strings.Replace(body, "evt_1", "evt_3", 1), false); c != http.StatusUnauthorized {
		t.Fatalf("stale timestamp: %d, want 401", c)
	}
	if c := post("evt_4", now, body, false); c != http.StatusBadRequest {
		t.Fatalf("body id differs from webhook-id: %d, want 400", c)
	}
	if len(r.events) != 0 {
		t.Fatal("a refused webhook was handed on")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
