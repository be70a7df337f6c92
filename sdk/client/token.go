package client

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// TokenSource takes caller tokens from the hub's OAuth2 client-credentials endpoint
// (POST /oauth/token, client_secret_basic) for a registered department app and keeps the
// current one until shortly before it expires. Safe for concurrent use; the zero value of
// the unexported fields is ready.
type TokenSource struct {
	HubURL       string // base URL of the hub, e.g. https://hub.example.gov.cn
	ClientID     string
	ClientSecret string
	Scope        string           // optional: space-separated item codes and actions to narrow the token to
	HTTPClient   HttpRequestDoer  // optional; http.DefaultClient when nil
	Now          func() time.Time // optional clock, for tests
	mu           sync.Mutex
	token        string
	renewAt      time.Time
}

// TokenError is the hub's refusal of a token request (RFC 6749 section 5.2).
type TokenError struct {
	Status      int    // HTTP status: 400, 401, or 429 when the endpoint's rate limit is reached
	Code        string // invalid_client, invalid_request, invalid_scope, unsupported_grant_type, ...; rate_limited with 429
	Description string
	RetryAfter  time.Duration // with 429: how long to wait (the Retry-After header)
}

func (e *TokenError) Error() string {
	if e.Description != "" {
		return fmt.Sprintf("token endpoint: %d %s: %s", e.Status, e.Code, e.Description)
	}
	return fmt.Sprintf("token endpoint: %d %s", e.Status, e.Code)
}

// Token returns a current access token, taking a new one when none is held or the held one
// is in the last tenth of its lifetime (at least the last 10 seconds).
func (s *TokenSource) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.token != "" && now.Before(s.renewAt) {
		return s.token, nil
	}
	if s.HubURL == "" || s.ClientID == "" || s.ClientSecret == "" {
		return "", errors.New("token source: HubURL, ClientID and ClientSecret are required")
	}
	opts := []ClientOption{}
	if s.HTTPClient != nil {
		opts = append(opts, WithHTTPClient(s.HTTPClient))
	}
	c, err := NewClientWithResponses(s.HubURL, opts...)
	if err != nil {
		return "", err
	}
	body := TokenRequest{GrantType: ClientCredentials}
	if s.Scope != "" {
		body.Scope = &s.Scope
	}
	basic := base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(s.ClientID) + ":" + url.QueryEscape(s.ClientSecret)))
	resp, err := c.RequestTokenWithFormdataBodyWithResponse(ctx, body, func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Basic "+basic)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("token endpoint: %w", err)
	}
	switch {
	case resp.JSON200 != nil:
		t := resp.JSON200
		if t.AccessToken == "" || !strings.EqualFold(string(t.TokenType), string(Bearer)) {
			return "", errors.New("token endpoint: answer without a bearer token")
		}
		life := time.Duration(t.ExpiresIn) * time.Second
		margin := max(life/10, 10*time.Second)
		s.token, s.renewAt = t.AccessToken, now.Add(life-margin)
		return s.token, nil
	case resp.JSON400 != nil:
		return "", oauthError(resp.StatusCode(), resp.JSON400)
	case resp.JSON401 != nil:
		return "", oauthError(resp.StatusCode(), resp.JSON401)
	case resp.StatusCode() == http.StatusTooManyRequests:
		te := &TokenError{Status: http.StatusTooManyRequests, Code: "rate_limited", RetryAfter: time.Second}
		if n, err := strconv.Atoi(resp.HTTPResponse.Header.Get("Retry-After")); err == nil && n > 0 {
			te.RetryAfter = time.Duration(n) * time.Second
		}
		if p := resp.ApplicationproblemJSON429; p != nil && p.Detail != nil {
			te.Description = *p.Detail
		}
		return "", te
	default:
		return "", fmt.Errorf("token endpoint: status %d", resp.StatusCode())
	}
}

// Authorize is a RequestEditorFn that sets the request's bearer token:
// pass it to NewClientWithResponses with WithRequestEditorFn.
func (s *TokenSource) Authorize(ctx context.Context, req *http.Request) error {
	tok, err := s.Token(ctx)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	return nil
}

// Invalidate drops the held token, so the next request takes a new one (after a 401).
func (s *TokenSource) Invalidate() {
	s.mu.Lock()
	s.token = ""
	s.mu.Unlock()
}

func (s *TokenSource) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func oauthError(status int, e *OAuthError) error {
	te := &TokenError{Status: status, Code: string(e.Error)}
	if e.ErrorDescription != nil {
		te.Description = *e.ErrorDescription
	}
	return te
}
