package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

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

// V1 holds the REST handlers of DESIGN.md section 3 over the hub service.
type V1 struct {
	hub   *service.Hub
	authn Authenticator
}

// RegisterV1 mounts the /v1 REST API on s.
func RegisterV1(s *Server, hub *service.Hub, authn Authenticator) *V1 {
	v := &V1{hub: hub, authn: authn}
	s.HandleFunc("GET /v1/items", v.items)
	s.HandleFunc("GET /v1/items/{code}", v.item)
	s.HandleFunc("POST /v1/applications", v.authed(v.createApplication))
	s.HandleFunc("GET /v1/applications", v.authed(v.listApplications))
	s.HandleFunc("GET /v1/applications/{id}", v.authed(v.getApplication))
	s.HandleFunc("POST /v1/applications/{id}/confirm", v.authed(v.confirm))
	s.HandleFunc("POST /v1/applications/{id}/review", v.authed(v.review))
	s.HandleFunc("GET /v1/permits/{id}", v.authed(v.getPermit))
	s.HandleFunc("POST /v1/permits/{id}/revoke", v.authed(v.revoke))
	s.HandleFunc("POST /v1/permits/verify", v.verify)
	s.HandleFunc("GET /v1/audit/entries", v.authed(v.auditEntries))
	s.HandleFunc("GET /v1/audit/checkpoint", v.authed(v.checkpoint))
	s.HandleFunc("GET /v1/residents/{id_number}/data-use", v.authed(v.dataUse))
	return v
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

func (v *V1) authed(h authedHandler) http.HandlerFunc {
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

// WriteServiceError maps service errors to problem documents. Internal errors are logged
// with the request id and never shown.
func WriteServiceError(w http.ResponseWriter, r *http.Request, err error) {
	var inv *service.InvalidError
	var den *service.DeniedError
	var held *service.HeldError
	switch {
	case errors.As(err, &inv):
		WriteProblem(w, r, Problem{Type: "invalid-request", Status: http.StatusBadRequest,
			Title: "Invalid request / 请求参数有误", Detail: inv.Field + ": " + inv.Detail,
			Errors: []FieldError{{Field: inv.Field, Detail: inv.Detail}}})
	case errors.As(err, &den):
		WriteProblem(w, r, Problem{Type: "forbidden", Status: http.StatusForbidden,
			Title: "Not permitted / 无权操作", Detail: den.Reason.ZH + " (" + den.Reason.EN + ")"})
	case errors.As(err, &held):
		reason := held.Reason()
		WriteProblem(w, r, Problem{Type: "already-held", Status: http.StatusConflict,
			Title: "Already applied for or held / 已申请或已享受该事项", Detail: reason.ZH + " (" + reason.EN + ")",
			ApplicationID: held.ApplicationID, PermitID: held.PermitID})
	case errors.Is(err, service.ErrNotFound):
		WriteProblem(w, r, Problem{Type: "not-found", Status: http.StatusNotFound, Title: "Not found / 未找到", Detail: err.Error()})
	case errors.Is(err, service.ErrState):
		WriteProblem(w, r, Problem{Type: "invalid-state", Status: http.StatusConflict,
			Title: "Not possible in the current state / 当前状态下不能执行该操作", Detail: strings.TrimPrefix(err.Error(), "service: ")})
	case errors.Is(err, service.ErrConcurrent):
		WriteProblem(w, r, Problem{Type: "concurrent-update", Status: http.StatusConflict,
			Title: "Changed by someone else / 该申请已被他人处理", Detail: "Reload the application and try again. 请刷新后重试。"})
	case errors.Is(err, service.ErrIdempotencyMismatch):
		WriteProblem(w, r, Problem{Type: "idempotency-key-reuse", Status: http.StatusUnprocessableEntity,
			Title: "Idempotency key reused / 幂等键重复使用", Detail: "This Idempotency-Key was used for a different request."})
	case errors.Is(err, service.ErrEvidenceUnavailable):
		Logger(r.Context()).Warn("evidence unavailable", "error", logText(err))
		WriteProblem(w, r, Problem{Type: "evidence-unavailable", Status: http.StatusServiceUnavailable,
			Title: "Data platform unavailable / 数据平台暂不可用", Detail: upstreamDetail(err)})
	case errors.Is(err, context.Canceled):
		WriteProblem(w, r, Problem{Type: "cancelled", Status: 499, Title: "Request cancelled"})
	default:
		Logger(r.Context()).Error("request failed", "error", logText(err))
		WriteProblem(w, r, problemInternal)
	}
}

// upstreamDetail names the platform that failed, when the error says which.
func upstreamDetail(err error) string {
	msg := err.Error()
	for _, p := range []struct{ key, zh string }{{"province", "省一体化大数据平台"}, {"city", "市大数据平台"}, {"district", "区数据要素融合赋能平台"}} {
		if strings.Contains(msg, p.key) {
			return fmt.Sprintf("The %s platform (%s) did not answer; try again later. 请稍后重试。", p.key, p.zh)
		}
	}
	return "A data platform did not answer; try again later. 请稍后重试。"
}

// writeOutcome answers a state-changing call with its view: status (201 for a creation,
// 200 otherwise, a replay included) and Idempotent-Replayed on a replay.
func writeOutcome[T any](w http.ResponseWriter, status int, o service.Outcome[T]) {
	if o.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	WriteJSON(w, status, o.View)
}

func (v *V1) items(w http.ResponseWriter, r *http.Request) {
	WriteJSON(w, http.StatusOK, map[string]any{"items": v.hub.Items()})
}

func (v *V1) item(w http.ResponseWriter, r *http.Request) {
	it, err := v.hub.Item(r.PathValue("code"))
	if err != nil {
		WriteServiceError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, it)
}

func (v *V1) createApplication(w http.ResponseWriter, r *http.Request, c auth.Caller) {
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

func (v *V1) getApplication(w http.ResponseWriter, r *http.Request, c auth.Caller) {
	app, err := v.hub.GetApplication(r.Context(), c, r.PathValue("id"))
	if err != nil {
		WriteServiceError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, app)
}

func (v *V1) listApplications(w http.ResponseWriter, r *http.Request, c auth.Caller) {
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

func (v *V1) confirm(w http.ResponseWriter, r *http.Request, c auth.Caller) {
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

func (v *V1) review(w http.ResponseWriter, r *http.Request, c auth.Caller) {
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

func (v *V1) getPermit(w http.ResponseWriter, r *http.Request, c auth.Caller) {
	p, err := v.hub.GetPermit(r.Context(), c, r.PathValue("id"))
	if err != nil {
		WriteServiceError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, p)
}

func (v *V1) revoke(w http.ResponseWriter, r *http.Request, c auth.Caller) {
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

func (v *V1) verify(w http.ResponseWriter, r *http.Request) {
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

func (v *V1) auditEntries(w http.ResponseWriter, r *http.Request, c auth.Caller) {
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

func (v *V1) checkpoint(w http.ResponseWriter, r *http.Request, c auth.Caller) {
	cp, err := v.hub.LatestCheckpoint(r.Context(), c)
	if err != nil {
		WriteServiceError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, map[string]any{"seq": cp.Seq, "head_hash": cp.HeadHash, "at": cp.At, "kid": cp.KID, "signature": cp.Signature})
}

func (v *V1) dataUse(w http.ResponseWriter, r *http.Request, c auth.Caller) {
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
