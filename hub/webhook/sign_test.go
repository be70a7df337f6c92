package webhook_test

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"sanmian/hub/webhook"
)

// TestSignMatchesReferenceLibrary signs with Sign and verifies with the Standard Webhooks
// reference library (and the reverse), for several secrets, ids and bodies.
func TestSignMatchesReferenceLibrary(t *testing.T) {
	for _, tc := range []struct {
		name string
		id   string
		body string
	}{
		{"json_event", "01HZX4Y3", `{"id":"01HZX4Y3","type":"permit.issued","data":{"item":"elderly_allowance"}}`},
		{"empty_body", "evt", ``},
		{"unicode_body", "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W", `{"note":"高龄补贴"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			secret := webhook.NewSecret()
			key, err := webhook.SecretKey(secret)
			if err != nil {
				t.Fatal(err)
			}
			ts := time.Now().Unix()
			sig := webhook.Sign(key, tc.id, ts, []byte(tc.body))
			ref, err := standardwebhooks.NewWebhook(secret)
			if err != nil {
				t.Fatal(err)
			}
			h := http.Header{}
			h.Set("webhook-id", tc.id)
			h.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
			h.Set("webhook-signature", sig)
			if err := ref.Verify([]byte(tc.body), h); err != nil {
				t.Fatalf("reference library refuses our signature: %v", err)
			}
			want, err := ref.Sign(tc.id, time.Unix(ts, 0), []byte(tc.body))
			if err != nil || want != sig {
				t.Fatalf("reference signature %q (%v), ours %q", want, err, sig)
			}
			h.Set("webhook-signature", webhook.Sign(key, tc.id, ts, []byte(tc.body+" ")))
			if err := ref.Verify([]byte(tc.body), h); err == nil {
				t.Fatal("a signature of another body verified")
			}
		})
	}
}

func TestSecretFormat(t *testing.T) {
	s := webhook.NewSecret()
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_"))
	if !strings.HasPrefix(s, "whsec_") || err != nil || len(raw) < 24 {
		t.Fatalf("secret %q: want whsec_ and base64 of 24+ bytes (%v)", s, err)
	}
	if webhook.NewSecret() == s {
		t.Fatal("two secrets are equal")
	}
	for _, bad := range []string{"", "whsec_", "c2VjcmV0", "whsec_c2hvcnQ=", "whsec_!!!"} {
		if _, err := webhook.SecretKey(bad); !errors.Is(err, webhook.ErrBadSecret) {
			t.Errorf("SecretKey(%q) = %v, want ErrBadSecret", bad, err)
		}
	}
}

// FuzzSecretKey: any string either yields a key of 24+ bytes whose secret re-encodes to
// itself, or ErrBadSecret; signatures with an accepted key match the reference library.
func FuzzSecretKey(f *testing.F) {
	f.Add("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_1", []byte(`{"a":1}`))
	f.Add("whsec_", "", []byte{})
	f.Add("whsec_!!", "x", []byte("y"))
	f.Fuzz(func(t *testing.T, secret, id string, body []byte) {
		key, err := webhook.SecretKey(secret)
		if err != nil {
			if !errors.Is(err, webhook.ErrBadSecret) {
				t.Fatalf("SecretKey(%q) = %v", secret, err)
			}
			return
		}
		if len(key) < 24 || webhook.SecretPrefix+base64.StdEncoding.EncodeToString(key) != secret {
			t.Fatalf("SecretKey(%q) = %x", secret, key)
		}
		ref, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			t.Fatalf("reference library refuses %q: %v", secret, err)
		}
		want, err := ref.Sign(id, time.Unix(1700000000, 0), body)
		if err != nil || want != webhook.Sign(key, id, 1700000000, body) {
			t.Fatalf("signature differs from the reference library's (%v)", err)
		}
	})
}
