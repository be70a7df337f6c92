package api

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"sanmian/hub/auth"
	"sanmian/hub/clients"
)

// Clients is what the routes need of the client registry (*clients.Registry): the admin
// routes over registered department apps and the OAuth2 token endpoint.
type Clients interface {
	Register(ctx context.Context, c auth.Caller, req clients.RegisterRequest) (clients.Registered, error)
	List(ctx context.Context, c auth.Caller) ([]clients.View, error)
	Get(ctx context.Context, c auth.Caller, id string) (clients.View, error)
	Rotate(ctx context.Context, c auth.Caller, id string, req clients.RotateRequest) (clients.IssuedSecret, error)
	RetireSecret(ctx context.Context, c auth.Caller, id, secretID string) error
	Revoke(ctx context.Context, c auth.Caller, id string) (clients.View, error)
	Token(ctx context.Context, clientID, secret, scope string) (clients.Token, error)
}

var _ Clients = (*clients.Registry)(nil)

// TokenPath is the OAuth2 token endpoint (client credentials, RFC 6749 section 4.4). It lies
// outside /v1 because its errors are RFC 6749 section 5.2 JSON objects, not the problem
// documents every /v1 route answers with.
const TokenPath = "/oauth/token"

// maxTokenForm caps the token endpoint's form body.
const maxTokenForm = 8 << 10

type clientRoutes struct {
	reg   Clients
	limit *tokenLimiter
}

func (cr clientRoutes) register(w http.ResponseWriter, r *http.Request, c auth.Caller) {
	var req clients.RegisterRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	out, err := cr.reg.Register(r.Context(), c, req)
	if err != nil {
		WriteServiceError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store") // the secret is shown once
	w.Header().Set("Location", "/v1/clients/"+out.ID)
	WriteJSON(w, http.StatusCreated, out)
}

func (cr clientRoutes) list(w http.ResponseWriter, r *http.Request, c auth.Caller) {
	out, err := cr.reg.List(r.Context(), c)
	if err != nil {
		WriteServiceError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, map[string]any{"clients": out})
}

func (cr clientRoutes) get(w http.ResponseWriter, r *http.Request, c auth.Caller) {
	out, err := cr.reg.Get(r.Context(), c, r.PathValue("id"))
	if err != nil {
		WriteServiceError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, out)
}

func (cr clientRoutes) rotate(w http.ResponseWriter, r *http.Request, c auth.Caller) {
	var req clients.RotateRequest
	if r.ContentLength != 0 && !decodeJSON(w, r, &req) {
		return
	}
	out, err := cr.reg.Rotate(r.Context(), c, r.PathValue("id"), req)
	if err != nil {
		WriteServiceError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	WriteJSON(w, http.StatusCreated, out)
}

func (cr clientRoutes) retireSecret(w http.ResponseWriter, r *http.Request, c auth.Caller) {
	if err := cr.reg.RetireSecret(r.Context(), c, r.PathValue("id"), r.PathValue("sid")); err != nil {
		WriteServiceError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (cr clientRoutes) revoke(w http.ResponseWriter, r *http.Request, c auth.Caller) {
	out, err := cr.reg.Revoke(r.Context(), c, r.PathValue("id"))
	if err != nil {
		WriteServiceError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, out)
}

// tokenRequest is a parsed client-credentials token request.
type tokenRequest struct {
	ClientID, Secret, Scope string
	Basic                   bool // the client authenticated with HTTP Basic
}

// oauthError is an RFC 6749 section 5.2 error response.
type oauthError struct {
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
	status      int
}

func oauthErr(status int, code, desc string) *oauthError {
	return &oauthError{Code: code, Description: desc, status: status}
}

// parseTokenRequest reads a token request from its Authorization header, Content-Type, URL
// query and body (at most maxTokenForm bytes): application/x-www-form-urlencoded,
// grant_type=client_credentials, the client authenticated by HTTP Basic (client_secret_basic,
// id and secret form-encoded as RFC 6749 section 2.3.1 says) or by client_id and
// client_secret in the body (client_secret_post), never both; no parameter twice; nothing in
// the query string.
func parseTokenRequest(authz, contentType, rawQuery string, body []byte) (tokenRequest, *oauthError) {
	var tr tokenRequest
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return tr, oauthErr(http.StatusBadRequest, "invalid_request", "Content-Type must be application/x-www-form-urlencoded")
	}
	if rawQuery != "" {
		return tr, oauthErr(http.StatusBadRequest, "invalid_request", "parameters belong in the body, not the URL")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return tr, oauthErr(http.StatusBadRequest, "invalid_request", "malformed form body")
	}
	for k, v := range form {
		if len(v) > 1 {
			return tr, oauthErr(http.StatusBadRequest, "invalid_request", "parameter "+safeParam(k)+" given more than once")
		}
	}
	switch gt := form.Get("grant_type"); gt {
	case "":
		return tr, oauthErr(http.StatusBadRequest, "invalid_request", "grant_type is required")
	case "client_credentials":
	default:
		return tr, oauthErr(http.StatusBadRequest, "unsupported_grant_type", "only client_credentials is supported")
	}
	tr.Scope = form.Get("scope")
	if authz != "" {
		scheme, cred, ok := strings.Cut(authz, " ")
		if !ok || !strings.EqualFold(scheme, "Basic") {
			return tr, oauthErr(http.StatusUnauthorized, "invalid_client", "unsupported authentication scheme")
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
		if err != nil {
			return tr, oauthErr(http.StatusUnauthorized, "invalid_client", "malformed Basic credentials")
		}
		id, secret, ok := strings.Cut(string(raw), ":")
		if !ok {
			return tr, oauthErr(http.StatusUnauthorized, "invalid_client", "malformed Basic credentials")
		}
		if tr.ClientID, err = url.QueryUnescape(id); err == nil {
			tr.Secret, err = url.QueryUnescape(secret)
		}
		if err != nil {
			return tr, oauthErr(http.StatusUnauthorized, "invalid_client", "malformed Basic credentials")
		}
		tr.Basic = true
		if form.Has("client_secret") {
			return tr, oauthErr(http.StatusBadRequest, "invalid_request", "use one client authentication method")
		}
		if form.Has("client_id") && form.Get("client_id") != tr.ClientID {
			return tr, oauthErr(http.StatusBadRequest, "invalid_request", "client_id does not match the credentials")
		}
	} else {
		tr.ClientID, tr.Secret = form.Get("client_id"), form.Get("client_secret")
	}
	if tr.ClientID == "" || tr.Secret == "" {
		return tr, oauthErr(http.StatusUnauthorized, "invalid_client", "client authentication required")
	}
	return tr, nil
}

// safeParam quotes a parameter name for an error description: short, printable ASCII.
func safeParam(k string) string {
	var b strings.Builder
	for i := 0; i < len(k) && b.Len() < 32; i++ {
		if c := k[i]; c > ' ' && c < 0x7f && c != '"' && c != '\\' {
			b.WriteByte(c)
		}
	}
	return `"` + b.String() + `"`
}

func (cr clientRoutes) token(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	if wait, ok := cr.limit.addr(r); !ok {
		writeTokenRateLimited(w, r, wait)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxTokenForm))
	if err != nil {
		writeOAuthError(w, oauthErr(http.StatusBadRequest, "invalid_request", "body unreadable or larger than 8 KiB"))
		return
	}
	tr, oe := parseTokenRequest(r.Header.Get("Authorization"), r.Header.Get("Content-Type"), r.URL.RawQuery, body)
	if oe != nil {
		writeOAuthError(w, oe)
		return
	}
	if wait, ok := cr.limit.client(r, tr.ClientID); !ok {
		writeTokenRateLimited(w, r, wait)
		return
	}
	tok, err := cr.reg.Token(r.Context(), tr.ClientID, tr.Secret, tr.Scope)
	switch {
	case err == nil:
		WriteJSON(w, http.StatusOK, tok)
	case errors.Is(err, clients.ErrInvalidClient):
		Logger(r.Context()).Info("token refused", "reason", "invalid_client")
		writeOAuthError(w, oauthErr(http.StatusUnauthorized, "invalid_client", "client authentication failed"))
	case errors.Is(err, clients.ErrInvalidScope):
		writeOAuthError(w, oauthErr(http.StatusBadRequest, "invalid_scope", "the requested scope exceeds what the client was granted"))
	default:
		WriteServiceError(w, r, err)
	}
}

func writeOAuthError(w http.ResponseWriter, e *oauthError) {
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="sanmian-hub"`)
	}
	WriteJSON(w, e.status, e)
}
