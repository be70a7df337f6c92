package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"sanmian/hub/clients"
	"sanmian/hub/service"
	"sanmian/schema"
)

// serviceError is how a client sees one kind of hub service error, on both front doors: the
// REST problem document and the GraphQL error code. Errors are recognised by type (errors.Is
// and errors.As) only; what a client reads comes from the typed error's fields, never from
// an error's text.
type serviceError struct {
	name    string                                   // the kind, for searching
	match   func(error) bool                         // whether err is of this kind
	problem func(r *http.Request, err error) Problem // the REST problem; r for the request's logger
	code    string                                   // the GraphQL extensions.code; "" leaves it to schema
}

// serviceErrors is the one table from hub service errors to what clients see. The first row
// whose match holds wins; an error no row matches is an internal error (logged, never shown).
// To add a kind of error, add a row.
var serviceErrors = []serviceError{
	{name: "invalid", match: isA[*service.InvalidError], code: schema.CodeBadUserInput,
		problem: func(_ *http.Request, err error) Problem {
			inv := asA[*service.InvalidError](err)
			return Problem{Type: "invalid-request", Status: http.StatusBadRequest,
				Title: "Invalid request / 请求参数有误", Detail: inv.Field + ": " + inv.Detail,
				Errors: []FieldError{{Field: inv.Field, Detail: inv.Detail}}}
		}},
	{name: "denied", match: isA[*service.DeniedError], code: schema.CodeForbidden,
		problem: func(_ *http.Request, err error) Problem {
			den := asA[*service.DeniedError](err)
			return Problem{Type: "forbidden", Status: http.StatusForbidden,
				Title: "Not permitted / 无权操作", Detail: den.Reason.ZH + " (" + den.Reason.EN + ")"}
		}},
	{name: "already_held", match: is(service.ErrAlreadyHeld), code: schema.CodeConflict,
		problem: func(_ *http.Request, err error) Problem {
			p := Problem{Type: "already-held", Status: http.StatusConflict,
				Title:  "Already applied for or held / 已申请或已享受该事项",
				Detail: "The resident already applies for or holds this item. 该居民已申请或已享受该事项。"}
			if held, ok := as[*service.HeldError](err); ok {
				reason := held.Reason()
				p.Detail = reason.ZH + " (" + reason.EN + ")"
				p.ApplicationID, p.PermitID = held.ApplicationID, held.PermitID
			}
			return p
		}},
	{name: "resident_not_found", match: is(service.ErrResidentNotFound), code: schema.CodeNotFound,
		problem: func(*http.Request, error) Problem {
			return Problem{Type: "resident-not-found", Status: http.StatusNotFound, Title: "Not on the resident roll / 查无此人",
				Detail: "No resident with this ID number is on the district's resident roll. 区人口登记中查无此身份证号的居民。"}
		}},
	{name: "not_found", match: is(service.ErrNotFound), code: schema.CodeNotFound,
		problem: func(_ *http.Request, err error) Problem {
			p := problemNotFound
			p.Detail = "Not found. 未找到。"
			if nf, ok := as[*service.NotFoundError](err); ok {
				p.Detail = fmt.Sprintf("No such %s. 未找到。", nf.What)
				if nf.ID != "" {
					p.Detail = fmt.Sprintf("No such %s: %q. 未找到。", nf.What, nf.ID)
				}
			}
			return p
		}},
	{name: "invalid_state", match: is(service.ErrState), code: schema.CodeConflict,
		problem: func(_ *http.Request, err error) Problem {
			p := Problem{Type: "invalid-state", Status: http.StatusConflict,
				Title:  "Not possible in the current state / 当前状态下不能执行该操作",
				Detail: "The action does not fit the current state. 当前状态下不能执行该操作。"}
			if st, ok := as[*service.StateError](err); ok {
				p.Detail = "Not possible now: " + st.Detail + "."
			}
			return p
		}},
	{name: "concurrent_update", match: is(service.ErrConcurrent), code: schema.CodeConflict,
		problem: func(*http.Request, error) Problem {
			return Problem{Type: "concurrent-update", Status: http.StatusConflict,
				Title: "Changed by someone else / 该申请已被他人处理", Detail: "Reload the application and try again. 请刷新后重试。"}
		}},
	{name: "idempotency_key_reuse", match: is(service.ErrIdempotencyMismatch), code: schema.CodeConflict,
		problem: func(*http.Request, error) Problem {
			return Problem{Type: "idempotency-key-reuse", Status: http.StatusUnprocessableEntity,
				Title: "Idempotency key reused / 幂等键重复使用", Detail: "This Idempotency-Key was used for a different request."}
		}},
	{name: "evidence_unavailable", match: is(service.ErrEvidenceUnavailable), code: schema.CodeUnavailable,
		problem: func(r *http.Request, err error) Problem {
			Logger(r.Context()).Warn("evidence unavailable", "error", logText(err))
			platform := ""
			if ev, ok := as[*service.EvidenceError](err); ok {
				platform = ev.Platform
			}
			return Problem{Type: "evidence-unavailable", Status: http.StatusServiceUnavailable,
				Title: "Data platform unavailable / 数据平台暂不可用", Detail: platformDetail(platform)}
		}},
	{name: "client_invalid", match: isA[*clients.InvalidError], code: schema.CodeBadUserInput,
		problem: func(_ *http.Request, err error) Problem {
			inv := asA[*clients.InvalidError](err)
			return Problem{Type: "invalid-request", Status: http.StatusBadRequest,
				Title: "Invalid request / 请求参数有误", Detail: inv.Field + ": " + inv.Detail,
				Errors: []FieldError{{Field: inv.Field, Detail: inv.Detail}}}
		}},
	{name: "client_forbidden", match: is(clients.ErrForbidden), code: schema.CodeForbidden,
		problem: func(*http.Request, error) Problem {
			return Problem{Type: "forbidden", Status: http.StatusForbidden,
				Title: "Not permitted / 无权操作", Detail: "Only an administrator manages department apps. 仅管理员可管理部门应用。"}
		}},
	{name: "client_not_found", match: is(clients.ErrNotFound), code: schema.CodeNotFound,
		problem: func(_ *http.Request, err error) Problem {
			p := problemNotFound
			p.Detail = "No such client. 未找到。"
			if nf, ok := as[*clients.NotFoundError](err); ok {
				p.Detail = fmt.Sprintf("No such %s: %q. 未找到。", nf.What, nf.ID)
			}
			return p
		}},
	{name: "client_revoked", match: is(clients.ErrRevoked), code: schema.CodeConflict,
		problem: func(*http.Request, error) Problem {
			return Problem{Type: "client-revoked", Status: http.StatusConflict,
				Title: "Client revoked / 该应用已被吊销", Detail: "A revoked client takes no new secret. 已吊销的应用不能再签发密钥。"}
		}},
	{name: "cancelled", match: is(context.Canceled),
		problem: func(*http.Request, error) Problem {
			return Problem{Type: "cancelled", Status: 499, Title: "Request cancelled"}
		}},
}

// platformNames are the platforms' Chinese names, by the name connector errors carry.
var platformNames = map[string]string{"province": "省一体化大数据平台", "city": "市大数据平台", "district": "区数据要素融合赋能平台"}

// platformDetail says which platform did not answer, when it is known.
func platformDetail(platform string) string {
	if zh, ok := platformNames[platform]; ok {
		return fmt.Sprintf("The %s platform (%s) did not answer; try again later. 请稍后重试。", platform, zh)
	}
	return "A data platform did not answer; try again later. 请稍后重试。"
}

// WriteServiceError writes err, an error of the hub service, as a problem document by the
// serviceErrors table. Internal errors are logged with the request id and never shown.
func WriteServiceError(w http.ResponseWriter, r *http.Request, err error) {
	for _, e := range serviceErrors {
		if err != nil && e.match(err) {
			WriteProblem(w, r, e.problem(r, err))
			return
		}
	}
	if err == nil {
		err = errors.New("api: no error to report") // a handler bug; still an internal error
	}
	Logger(r.Context()).Error("request failed", "error", logText(err))
	WriteProblem(w, r, problemInternal)
}

// GraphQLErrorCode maps a hub service error to its GraphQL error code by the serviceErrors
// table (for schema.WithErrorCode); "" when no row sets one.
func GraphQLErrorCode(err error) string {
	for _, e := range serviceErrors {
		if e.match(err) {
			return e.code
		}
	}
	return ""
}

func is(target error) func(error) bool {
	return func(err error) bool { return errors.Is(err, target) }
}

func isA[T error](err error) bool { _, ok := as[T](err); return ok }

func as[T error](err error) (T, bool) {
	var t T
	ok := errors.As(err, &t)
	return t, ok
}

// asA is as for a match that already held.
func asA[T error](err error) T { t, _ := as[T](err); return t }
