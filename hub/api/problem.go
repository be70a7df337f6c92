package api

import (
	"encoding/json"
	"net/http"

	"sanmian/hub/ident"
)

// ProblemTypeBase is the prefix of every problem type URI the hub emits. Each error kind has
// a stable type URI under it (RFC 9457 section 3.1.1); clients switch on the type, not on the
// title or detail text.
const ProblemTypeBase = "urn:sanmian:problem:"

// Problem is an RFC 9457 problem document, plus the request id every response carries.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail,omitempty"`
	Instance  string `json:"instance,omitempty"`
	RequestID string `json:"request_id,omitempty"`
	// Errors lists per-field validation failures, when there are any.
	Errors []FieldError `json:"errors,omitempty"`
	// ApplicationID and PermitID name the application (and its permit) a refusal refers to,
	// e.g. the one that already holds the item for the resident.
	ApplicationID string `json:"application_id,omitempty"`
	PermitID      string `json:"permit_id,omitempty"`
}

// FieldError names one invalid input field.
type FieldError struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// WriteProblem writes p as application/problem+json. Type is prefixed with ProblemTypeBase
// when it is a bare kind ("not-found"); Instance defaults to the request path and RequestID
// to the request's id.
func WriteProblem(w http.ResponseWriter, r *http.Request, p Problem) {
	if p.Type == "" {
		p.Type = "about:blank"
	} else if !hasScheme(p.Type) {
		p.Type = ProblemTypeBase + p.Type
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	// Details may quote caller input (an id in a path, a filter): never a full ID number.
	p.Detail = ident.RedactText(p.Detail)
	for i := range p.Errors {
		p.Errors[i].Detail = ident.RedactText(p.Errors[i].Detail)
	}
	if p.Instance == "" && r != nil {
		p.Instance = r.URL.Path
	}
	p.Instance = ident.RedactText(p.Instance)
	if p.RequestID == "" && r != nil {
		p.RequestID = RequestID(r.Context())
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

func hasScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ':':
			return i > 0
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '+', c == '-', c == '.':
		default:
			return false
		}
	}
	return false
}

// Common problems.
var (
	problemNotFound = Problem{Type: "not-found", Title: "Not found / 未找到", Status: http.StatusNotFound}
	problemInternal = Problem{Type: "internal", Title: "Internal error / 系统内部错误", Status: http.StatusInternalServerError,
		Detail: "The hub could not complete the request; quote the request id when you report it. 请记录请求编号并联系管理员。"}
)
