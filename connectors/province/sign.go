package province

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"sanmian/connectors/resilience"
)

// signer returns the middleware that signs every attempt with a fresh timestamp and nonce.
func signer(appKey string, secret []byte, now func() time.Time) resilience.Middleware {
	return func(next http.RoundTripper) http.RoundTripper {
		return resilience.RoundTripperFunc(func(req *http.Request) (*http.Response, error) {
			var body []byte
			if req.GetBody != nil {
				rc, err := req.GetBody()
				if err != nil {
					return nil, err
				}
				body, err = io.ReadAll(rc)
				rc.Close()
				if err != nil {
					return nil, err
				}
			}
			r := req.Clone(req.Context())
			r.Body = io.NopCloser(bytes.NewReader(body))
			ts := strconv.FormatInt(now().UnixMilli(), 10)
			nonce := newNonce()
			r.Header.Set("X-App-Key", appKey)
			r.Header.Set("X-Timestamp", ts)
			r.Header.Set("X-Nonce", nonce)
			r.Header.Set("X-Signature", Signature(secret, r.Method, r.URL.Path, ts, nonce, body))
			if req.Body != nil {
				req.Body.Close()
			}
			return next.RoundTrip(r)
		})
	}
}

// Signature returns the lowercase hex HMAC-SHA256 of
// METHOD "\n" PATH "\n" TIMESTAMP "\n" NONCE "\n" hex(sha256(body)).
func Signature(secret []byte, method, path, timestamp, nonce string, body []byte) string {
	bh := sha256.Sum256(body)
	m := hmac.New(sha256.New, secret)
	io.WriteString(m, strings.ToUpper(method)+"\n"+path+"\n"+timestamp+"\n"+nonce+"\n"+hex.EncodeToString(bh[:]))
	return hex.EncodeToString(m.Sum(nil))
}

// newNonce returns 32 random hex characters.
func newNonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
