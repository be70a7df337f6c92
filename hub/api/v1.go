package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"sanmian/hub/api/jsonbody"
	"sanmian/hub/auth"
	"sanmian/hub/service"
)

// Authenticator verifies a bearer token and returns the caller.
type Authenticator interface {
	Verify(ctx context.Context, token string) (auth.Caller, error)
}

// maxBody caps JSON request bodies (a signature image fits; a flood does not).
const maxBody = 512 << 10

// restV1 holds the REST handlers of DESIGN.md section 3 over the hub service; Routes mounts them.
type restV1 struct {
	hub   Hub
	authn Authenticator
}

type authedHandler func(w http.ResponseWriter, r *http.Request, c auth.Caller)

type callerKey struct{}

// CallerFrom returns the authenticated caller of a request handled behind authentication.
func CallerFrom(ctx context.Context) (auth.Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(auth.Caller)
	return c, ok
}

// Authenticate wraps h so that it runs only with a valid bearer token; the caller is in the
// request context (CallerFrom). Refusals are 401 problem documents with WWW-Authenticate.
func Authenticate(authn Authenticator, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok := authenticate(w, r, authn)
		if !ok {
			return
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, c)))
	})
}

func authenticate(w http.ResponseWriter, r *http.Request, authn Authenticator) (auth.Caller, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="sanmian-hub"`)
		WriteProblem(w, r, Problem{Type: "unauthenticated", Status: http.StatusUnauthorized,
			Title: "Authentication required / 需要身份认证", Detail: "Send Authorization: Bearer <token>. 请携带访问令牌。"})
		return auth.Caller{}, false
	}
	c, err := authn.Verify(r.Context(), strings.TrimSpace(token))
	if err != nil {
		if errors.Is(err, auth.ErrKeysUnavailable) {
			WriteProblem(w, r, Problem{Type: "issuer-keys-unavailable", Status: http.StatusServiceUnavailable,
				Title: "Token issuer keys unavailable / 无法获取令牌签发方公钥", Detail: "Try again shortly."})
			return auth.Caller{}, false
		}
		var limited *auth.RateLimitedError
		if errors.As(err, &limited) {
			secs := int64((limited.RetryAfter + time.Second - 1) / time.Second)
			if secs < 1 {
				secs = 1
			}
			w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
			WriteProblem(w, r, Problem{Type: "rate-limited", Status: http.StatusTooManyRequests,
				Title: "Too many requests / 请求过于频繁", Detail: "The client's rate limit is exhausted; retry after the time Retry-After gives. 请稍后重试。"})
			return auth.Caller{}, false
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="sanmian-hub", error="invalid_token"`)
		detail := "The token is not valid for this hub. 令牌无效。"
		if errors.Is(err, auth.ErrTokenExpired) {
			detail = "The token has expired. 令牌已过期，请重新获取。"
		}
		WriteProblem(w, r, Problem{Type: "invalid-token", Status: http.StatusUnauthorized,
			Title: "Invalid token / 令牌无效", Detail: detail})
		return auth.Caller{}, false
	}
	return c, true
}

func (v *restV1) authed(h authedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, ok := authenticate(w, r, v.authn)
		if !ok {
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, c)), c)
	}
}

// decodeJSON reads a JSON request body with the hub's one strict decoder (jsonbody): 415
// without an application/json content type, 413 above maxBody, 400 for anything but exactly
// one JSON value of dst's shape (member names exact, no duplicates, no unknown members).
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any) bool {
	if err := jsonbody.CheckMediaType(r.Header.Get("Content-Type")); err != nil {
		WriteProblem(w, r, Problem{Type: "unsupported-media-type", Status: http.StatusUnsupportedMediaType,
			Title: "Unsupported media type / 不支持的内容类型", Detail: "Send Content-Type: application/json (charset, if given, utf-8). 请使用 application/json。"})
		return false
	}
	err := jsonbody.Decode(r.Body, maxBody, dst, jsonbody.Options{})
	var bad *jsonbody.Error
	switch {
	case err == nil:
		return true
	case errors.Is(err, jsonbody.ErrTooLarge):
		WriteProblem(w, r, Problem{Type: "body-too-large", Status: http.StatusRequestEntityTooLarge,
			Title: "Request body too large / 请求体过大", Detail: fmt.Sprintf("At most %d bytes.", maxBody)})
	case errors.As(err, &bad):
		p := Problem{Type: "malformed-body", Status: http.StatusBadRequest,
			Title: "Malformed request body / 请求格式错误", Detail: bad.Detail}
		if bad.Field != "" {
			p.Errors = []FieldError{{Field: bad.Field, Detail: bad.Detail}}
		}
		WriteProblem(w, r, p)
	default:
		WriteProblem(w, r, Problem{Type: "malformed-body", Status: http.StatusBadRequest,
			Title: "Malformed request body / 请求格式错误", Detail: "The body could not be read."})
	}
	return false
}

// writeOutcome answers a state-changing call with its view: status (201 for a creation,
// 200 otherwise, a replay included) and Idempotent-Replayed on a replay.
func writeOutcome[T any](w http.ResponseWriter, status int, o service.Outcome[T]) {
	if o.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	WriteJSON(w, status, o.View)
}

func (v *restV1) items(w http.ResponseWriter, r *http.Request) {
	WriteJSON(w, http.StatusOK, map[string]any{"items": v.hub.Items()})
}

func (v *restV1) item(w http.ResponseWriter, r *http.Request) {
	it, err := v.hub.Item(r.PathValue("code"))
	if err != nil {
		WriteServiceError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, it)
}

func (v *restV1) createApplication(w http.ResponseWriter, r *http.Request, c auth.Caller) {
	var req service.CreateRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	res, err := v.hub.CreateApplication(r.Context(), c, req, r.Header.Get("Idempotency-Key"))
	if err != nil {
		WriteServiceError(w, r, err)
		return
	}
	writeOutcome(w, http.StatusCreated, res)
}

func (v *restV1) getApplication(w http.ResponseWriter, r *http.Request, c auth.Caller) {
	app, err := v.hub.GetApplication(r.Context(), c, r.PathValue("id"))
	if err != nil {
		WriteServiceError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, app)
}

func (v *restV1) listApplications(w http.ResponseWriter, r *http.Request, c auth.Caller) {
	q, ok := queryParams(w, r, "status", "division", "item", "after", "limit")
	if !ok {
		return
	}
	limit, ok := limitParam(w, r, q["limit"], maxApplicationsPage)
	if !ok {
		return
	}
	apps, next, err := v.hub.ListApplications(r.Context(), c, service.ListFilter{
		Status: q["status"], Division: q["division"], Item: q["item"], After: q["after"], Limit: limit})
	if err != nil {
		WriteServiceError(w, r, err)
		return
	}
	if apps == nil {
		apps = []service.ApplicationView{}
	}
	WriteJSON(w, http.StatusOK, map[string]any{"applications": apps, "next": next})
}

func (v *restV1) confirm(w http.ResponseWriter, r *http.Request, c auth.Caller) {
	var req service.ConfirmRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	res, err := v.hub.Confirm(r.Context(), c, r.PathValue("id"), req, r.Header.Get("Idempotency-Key"))
	if err != nil {
		WriteServiceError(w, r, err)
		return
	}
	writeOutcome(w, http.StatusOK, res)
}

func (v *restV1) review(w http.ResponseWriter, r *http.Request, c auth.Caller) {
	var req service.ReviewRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	res, err := v.hub.Review(r.Context(), c, r.PathValue("id"), req, r.Header.Get("Idempotency-Key"))
	if err != nil {
		WriteServiceError(w, r, err)
		return
	}
	writeOutcome(w, http.StatusOK, res)
}

func (v *restV1) getPermit(w http.ResponseWriter, r *http.Request, c auth.Caller) {
	p, err := v.hub.GetPermit(r.Context(), c, r.PathValue("id"))
	if err != nil {
		WriteServiceError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, p)
}

func (v *restV1) revoke(w http.ResponseWriter, r *http.Request, c auth.Caller) {
	var req service.RevokeRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	res, err := v.hub.Revoke(r.Context(), c, r.PathValue("id"), req, r.Header.Get("Idempotency-Key"))
	if err != nil {
		WriteServiceError(w, r, err)
		return
	}
	writeOutcome(w, http.StatusOK, res)
}

func (v *restV1) verify(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Token string `json:"token"`
	}
	if !decodeJSON(w, r, &req) {
		return
	}
	res, err := v.hub.VerifyPermit(r.Context(), req.Token)
	if err != nil {
		WriteServiceError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, res)
}

func (v *restV1) auditEntries(w http.ResponseWriter, r *http.Request, c auth.Caller) {
	q, ok := queryParams(w, r, "after", "limit")
	if !ok {
		return
	}
	limit, ok := limitParam(w, r, q["limit"], maxAuditPage)
	if !ok {
		return
	}
	var after int64
	if s := q["after"]; s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 || !allDigits(s) {
			writeParamProblem(w, r, "after", "must be a sequence number (a whole number, 0 or more)")
			return
		}
		after = n
	}
	entries, err := v.hub.AuditEntries(r.Context(), c, after, limit)
	if err != nil {
		WriteServiceError(w, r, err)
		return
	}
	out := make([]map[string]any, 0, len(entries))
	var last int64
	for _, e := range entries {
		last = e.Seq
		out = append(out, map[string]any{"seq": e.Seq, "at": e.At, "actor": e.ActorSub, "role": e.ActorRole,
			"action": e.Action, "subject": e.Subject, "item": e.Item, "purpose": e.Purpose,
			"application_id": e.ApplicationID, "details": e.Details, "prev_hash": e.PrevHash, "hash": e.Hash})
	}
	WriteJSON(w, http.StatusOK, map[string]any{"entries": out, "last_seq": last})
}

func (v *restV1) checkpoint(w http.ResponseWriter, r *http.Request, c auth.Caller) {
	cp, err := v.hub.LatestCheckpoint(r.Context(), c)
	if err != nil {
		WriteServiceError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, map[string]any{"seq": cp.Seq, "head_hash": cp.HeadHash, "at": cp.At, "kid": cp.KID, "signature": cp.Signature})
}

func (v *restV1) verifyAudit(w http.ResponseWriter, r *http.Request, c auth.Caller) {
	rep, err := v.hub.VerifyAudit(r.Context(), c)
	if err != nil {
		WriteServiceError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, map[string]any{"intact": rep.Intact, "entries": rep.Entries, "checkpoints": rep.Checkpoints,
		"head_seq": rep.HeadSeq, "head_hash": rep.HeadHash, "first_bad_seq": rep.FirstBadSeq, "problem": rep.Problem})
}

func (v *restV1) dataUse(w http.ResponseWriter, r *http.Request, c auth.Caller) {
	q, ok := queryParams(w, r, "after", "limit")
	if !ok {
		return
	}
	limit, ok := limitParam(w, r, q["limit"], maxDataUsePage)
	if !ok {
		return
	}
	recs, next, err := v.hub.DataUse(r.Context(), c, r.PathValue("id_number"), q["after"], limit)
	if err != nil {
		WriteServiceError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, map[string]any{"records": recs, "next": next})
}
