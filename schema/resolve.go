package schema

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/location"

	"sanmian/hub/auth"
	"sanmian/hub/division"
	"sanmian/hub/evidence"
	"sanmian/hub/ident"
	"sanmian/hub/service"
)

// Error codes in errors[].extensions.code. They are part of the API contract.
const (
	CodeUnauthenticated       = "UNAUTHENTICATED"               // no verified caller (ErrUnauthenticated)
	CodeForbidden             = "FORBIDDEN"                     // policy refused (ErrForbidden)
	CodeNotFound              = "NOT_FOUND"                     // no such thing (ErrNotFound)
	CodeBadUserInput          = "BAD_USER_INPUT"                // malformed argument (ErrInvalid), empty purpose
	CodeConflict              = "CONFLICT"                      // state changed (ErrConflict)
	CodeUnavailable           = "UNAVAILABLE"                   // upstream platform or store down (ErrUnavailable)
	CodeInternal              = "INTERNAL"                      // anything else; details only in the log
	CodeTimeout               = "TIMEOUT"                       // the request was cancelled or timed out
	CodeDepthLimit            = "DEPTH_LIMIT"                   // Limits.MaxDepth exceeded
	CodeAliasLimit            = "ALIAS_LIMIT"                   // Limits.MaxAliases exceeded
	CodeComplexityLimit       = "COMPLEXITY_LIMIT"              // Limits.MaxComplexity (or the introspection budget) exceeded
	CodeListLimit             = "LIST_LIMIT"                    // first or a list argument above Limits.MaxList
	CodeTokenLimit            = "TOKEN_LIMIT"                   // Limits.MaxTokens exceeded
	CodeFieldLimit            = "FIELD_LIMIT"                   // Limits.MaxFields exceeded (fragments expanded)
	CodeRequestTooLarge       = "REQUEST_TOO_LARGE"             // body or query string above Limits.MaxBodyBytes (HTTP 413)
	CodeParseFailed           = "GRAPHQL_PARSE_FAILED"          // the query is not GraphQL
	CodeValidationFailed      = "GRAPHQL_VALIDATION_FAILED"     // the query does not fit the schema
	CodePersistedNotFound     = "PERSISTED_QUERY_NOT_FOUND"     // unknown sha256Hash: send the full query once
	CodePersistedHashMismatch = "PERSISTED_QUERY_HASH_MISMATCH" // sha256Hash is not the hash of query
	CodeBadRequest            = "BAD_REQUEST"                   // no query, unknown operation, bad persisted-query extension
	CodeMutationOverGET       = "MUTATION_NOT_ALLOWED_OVER_GET" // mutations need POST (HTTP 405)
)

// codedError is an error shown to clients: a fixed message and a stable code.
type codedError struct {
	code, msg string
	extra     map[string]any
}

func (e *codedError) Error() string { return e.msg }

// Extensions implements gqlerrors.ExtendedError.
func (e *codedError) Extensions() map[string]any {
	m := map[string]any{"code": e.code}
	for k, v := range e.extra {
		m[k] = v
	}
	return m
}

func coded(code, msg string) *codedError { return &codedError{code: code, msg: msg} }

// formatted turns an error raised outside execution into a GraphQL error, keeping the code.
func formatted(err error) gqlerrors.FormattedError {
	var ce *codedError
	if errors.As(err, &ce) {
		return gqlerrors.FormattedError{Message: ce.msg, Locations: []location.SourceLocation{}, Extensions: ce.Extensions()}
	}
	return gqlerrors.FormatError(err)
}

// reqState is the per-request state resolvers read from the context: the service, the caller,
// the loaders and the logger. It is created by the handler for each request.
type reqState struct {
	svc       Service
	caller    auth.Caller
	hasCaller bool
	ld        *loaders
	log       *slog.Logger
	rid       string // request id, for log lines
	errCode   func(error) string
	idemKey   string
	now       func() time.Time
	maxList   int
}

type stateKey struct{}

func stateOf(ctx context.Context) *reqState {
	s, _ := ctx.Value(stateKey{}).(*reqState)
	return s
}

// st returns the request state and the caller, or an UNAUTHENTICATED error.
func st(p graphql.ResolveParams) (*reqState, error) {
	s := stateOf(p.Context)
	if s == nil {
		return nil, coded(CodeInternal, "internal error 内部错误")
	}
	if !s.hasCaller {
		return nil, coded(CodeUnauthenticated, "authentication required 需要身份认证")
	}
	return s, nil
}

// svcErr turns a service error into a client error with a fixed message. Unknown errors are
// logged (their text may carry internal detail) and reported as INTERNAL.
func (s *reqState) svcErr(err error) error {
	if err == nil {
		return nil
	}
	var ce *codedError
	if errors.As(err, &ce) {
		return ce
	}
	code := ""
	if s.errCode != nil {
		code = s.errCode(err)
	}
	if code == "" {
		code = sentinelCode(err)
	}
	switch code {
	case CodeUnauthenticated:
		return coded(code, "authentication required 需要身份认证")
	case CodeForbidden:
		return coded(code, "not permitted 无权访问")
	case CodeNotFound:
		return coded(code, "not found 未找到")
	case CodeBadUserInput:
		return coded(code, "invalid input 输入无效")
	case CodeConflict:
		return coded(code, "conflict with the current state 与当前状态冲突")
	case CodeUnavailable:
		return coded(code, "a data platform is unavailable 数据平台暂不可用")
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return coded(CodeTimeout, "request cancelled or timed out 请求已取消或超时")
	}
	// The hub's errors should carry no personal data; mask ID numbers in case one does.
	s.log.Error("graphql: service error", "request_id", s.rid, "err", ident.RedactText(err.Error()))
	return coded(CodeInternal, "internal error 内部错误")
}

func sentinelCode(err error) string {
	switch {
	case errors.Is(err, ErrUnauthenticated):
		return CodeUnauthenticated
	case errors.Is(err, ErrForbidden):
		return CodeForbidden
	case errors.Is(err, ErrNotFound):
		return CodeNotFound
	case errors.Is(err, ErrInvalid):
		return CodeBadUserInput
	case errors.Is(err, ErrConflict):
		return CodeConflict
	case errors.Is(err, ErrUnavailable):
		return CodeUnavailable
	}
	return ""
}

// fixErrors restores extensions.code on errors graphql-go produced from thunks (v0.8.1 drops
// the original error's extensions when a thunk fails) and replaces messages of errors that did
// not come from this package with a generic one only when they are internal panics.
func fixErrors(errs []gqlerrors.FormattedError, log *slog.Logger, rid string) {
	for i := range errs {
		if errs[i].Extensions != nil {
			continue
		}
		orig := errs[i].OriginalError()
		if ce := findCoded(orig); ce != nil {
			errs[i].Message = ce.msg
			errs[i].Extensions = ce.Extensions()
			continue
		}
		var re runtime.Error
		if errors.As(unwrapGraphQL(orig), &re) {
			log.Error("graphql: resolver panic", "request_id", rid, "err", ident.RedactText(re.Error()))
			errs[i].Message = "internal error 内部错误"
			errs[i].Extensions = map[string]any{"code": CodeInternal}
		}
	}
}

// unwrapGraphQL returns the innermost error below graphql-go's wrappers.
func unwrapGraphQL(err error) error {
	for range 8 {
		switch e := err.(type) {
		case *gqlerrors.Error:
			if e.OriginalError == nil {
				return err
			}
			err = e.OriginalError
		case gqlerrors.FormattedError:
			if e.OriginalError() == nil {
				return err
			}
			err = e.OriginalError()
		default:
			return err
		}
	}
	return err
}

// findCoded walks graphql-go's error wrappers down to a *codedError.
func findCoded(err error) *codedError {
	for range 8 {
		switch e := err.(type) {
		case nil:
			return nil
		case *codedError:
			return e
		case *gqlerrors.Error:
			err = e.OriginalError
		case gqlerrors.Error:
			err = e.OriginalError
		case gqlerrors.FormattedError:
			err = e.OriginalError()
		case *gqlerrors.FormattedError:
			err = e.OriginalError()
		default:
			var ce *codedError
			if errors.As(err, &ce) {
				return ce
			}
			return nil
		}
	}
	return nil
}

// --- masking ---------------------------------------------------------------------------

// maskIDs masks every ID-number-shaped run (17 digits and a digit or X, not inside a longer
// alphanumeric run) in s, so that a record id, licence number or identifier, attribute or form
// value never carries a full ID number the caller may not see.
func maskIDs(s string) string {
	if len(s) < 18 {
		return s
	}
	var b []byte
	for i := 0; i+18 <= len(s); {
		if (i > 0 && isAlnum(s[i-1])) || !isDigit(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && j-i < 17 && isDigit(s[j]) {
			j++
		}
		if j-i < 17 || j >= len(s) || !(isDigit(s[j]) || s[j] == 'X' || s[j] == 'x') || (j+1 < len(s) && isAlnum(s[j+1])) {
			i = max(j, i+1)
			continue
		}
		if b == nil {
			b = []byte(s)
		}
		copy(b[i:i+18], ident.MaskIDNumber(s[i:i+18]))
		i += 18
	}
	if b == nil {
		return s
	}
	return string(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlnum(c byte) bool {
	return isDigit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
}

// --- source nodes ------------------------------------------------------------------------

// personNode is a Person as released for one purpose.
type personNode struct {
	p        *service.PersonView
	purpose  string
	withheld map[string]bool
}

func newPersonNode(p *service.PersonView, purpose string) *personNode {
	n := &personNode{p: p, purpose: purpose}
	if len(p.Withheld) > 0 {
		n.withheld = make(map[string]bool, len(p.Withheld))
		for _, f := range p.Withheld {
			n.withheld[f] = true
		}
	}
	return n
}

// hidden reports whether field (a JSON name of evidence.Person, or a dotted path under it) is
// withheld.
func (n *personNode) hidden(field string) bool {
	if n.withheld == nil {
		return false
	}
	field = strings.TrimPrefix(field, "applicant.")
	if i := strings.IndexByte(field, '.'); i >= 0 {
		field = field[:i]
	}
	return n.withheld[field]
}

// text masks ID numbers in s unless the caller may see them unmasked.
func (n *personNode) text(s string) string {
	if n.p.Unmasked {
		return s
	}
	return maskIDs(s)
}

type householdNode struct {
	h       *service.HouseholdView
	purpose string
}

type memberNode struct {
	m       service.HouseholdMember
	purpose string
}

type licenceNode struct {
	l   *evidence.Licence
	idx int
	n   *personNode
}

type provenanceNode struct {
	field     string
	p         evidence.Provenance
	conflicts []evidence.Conflict
	unmasked  bool
}

type conflictNode struct {
	c        evidence.Conflict
	unmasked bool
}

type attrNode struct{ name, value string }

type edgeNode struct {
	cursor string
	node   any
}

type connNode struct {
	edges   []edgeNode
	hasNext bool
	hasPrev bool
}

// --- small helpers ---------------------------------------------------------------------------

// nz returns nil for "", so empty means null.
func nz(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func tm(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func tmp(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return *t
}

// reasonText is a decision's reasons as one line each: "中文 (English)", or whichever text
// the reason has, or its code.
func reasonText(rs []service.Reason) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		switch {
		case r.ZH != "" && r.EN != "":
			out = append(out, r.ZH+" ("+r.EN+")")
		case r.ZH != "":
			out = append(out, r.ZH)
		default:
			out = append(out, cmp.Or(r.EN, r.Code))
		}
	}
	return out
}

// reasons is never nil: the list is non-null in the schema.
func reasons(rs []service.Reason) []service.Reason {
	if rs == nil {
		return []service.Reason{}
	}
	return rs
}

func strs(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// get builds a resolver reading from a source of type S.
func get[S any](f func(S) any) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) {
		s, ok := p.Source.(S)
		if !ok {
			return nil, nil
		}
		return f(s), nil
	}
}

// pget is get for person fields that policy may withhold as a whole field.
func pget(field string, f func(*personNode) any) graphql.FieldResolveFn {
	return func(p graphql.ResolveParams) (any, error) {
		n, ok := p.Source.(*personNode)
		if !ok || n.hidden(field) {
			return nil, nil
		}
		return f(n), nil
	}
}

// age returns the resident's age in full years today (China Standard Time), or at death.
func age(r *evidence.Person, now time.Time) any {
	b, err := time.Parse(time.DateOnly, r.BirthDate)
	if err != nil {
		return nil
	}
	on := now.In(division.Zone)
	on = time.Date(on.Year(), on.Month(), on.Day(), 0, 0, 0, 0, time.UTC)
	if r.Deceased && r.DeathDate != "" {
		if d, err := time.Parse(time.DateOnly, r.DeathDate); err == nil {
			on = d
		}
	}
	return ident.AgeOn(b, on)
}

// personProvenance lists the provenance entries of the fields the caller may see, sorted by
// field path, each with the conflicts about that field.
func personProvenance(n *personNode) []provenanceNode {
	keys := make([]string, 0, len(n.p.Provenance))
	for k := range n.p.Provenance {
		if !n.hidden(k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := make([]provenanceNode, 0, len(keys))
	for _, k := range keys {
		out = append(out, provenanceNode{field: k, p: n.p.Provenance[k], conflicts: conflictsFor(n, k), unmasked: n.p.Unmasked})
	}
	return out
}

func conflictsFor(n *personNode, field string) []evidence.Conflict {
	var out []evidence.Conflict
	for _, c := range n.p.Conflicts {
		f := strings.TrimPrefix(c.Field, "applicant.")
		if f == field && !n.hidden(f) {
			out = append(out, c)
		}
	}
	return out
}

func licenceProvenance(ln licenceNode) any {
	prov := ln.n.p.Provenance
	for _, k := range []string{"licences." + itoa(ln.idx), "licences"} {
		if pv, ok := prov[k]; ok {
			return provenanceNode{field: k, p: pv, conflicts: conflictsFor(ln.n, k), unmasked: ln.n.p.Unmasked}
		}
	}
	return nil
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	return string(b[n:])
}

// conflictValue renders a platform's value as JSON text, ID numbers masked.
func conflictValue(v any, unmasked bool) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	if unmasked {
		return string(b)
	}
	return maskIDs(string(b))
}

// licenceAttrs lists a licence's type-specific attributes sorted by name. Attributes naming
// another person's ID number are always masked; other values are masked unless unmasked.
func licenceAttrs(l *evidence.Licence, unmasked bool) []attrNode {
	names := make([]string, 0, len(l.Attrs))
	for k := range l.Attrs {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make([]attrNode, 0, len(names))
	for _, k := range names {
		v := l.Attrs[k]
		var s string
		if str, ok := v.(string); ok {
			s = str
		} else if b, err := json.Marshal(v); err == nil {
			s = string(b)
		}
		if strings.HasSuffix(k, "id_number") || !unmasked {
			s = maskIDs(s)
		}
		out = append(out, attrNode{name: k, value: s})
	}
	return out
}

// page arguments ---------------------------------------------------------------------------

// pageArgs reads first/after, enforcing 1 <= first <= max (the pre-execution check already
// refused larger literals and variables; this is the second line).
func pageArgs(p graphql.ResolveParams, maxList int) (first int, after string, err error) {
	first = defaultFirst
	if v, ok := p.Args["first"].(int); ok {
		first = v
	}
	if first < 0 || first > maxList {
		return 0, "", &codedError{code: CodeListLimit, msg: "first must be between 0 and " + itoa(maxList) + " first 须在 0 到 " + itoa(maxList) + " 之间"}
	}
	after, _ = p.Args["after"].(string)
	return first, after, nil
}

const defaultFirst = 20

func pageConn[T any](pg *Page[T], after string, wrap func(*T) any) connNode {
	c := connNode{hasPrev: after != ""}
	if pg == nil {
		return c
	}
	c.hasNext = pg.HasNextPage
	c.edges = make([]edgeNode, len(pg.Edges))
	for i := range pg.Edges {
		c.edges[i] = edgeNode{cursor: pg.Edges[i].Cursor, node: wrap(&pg.Edges[i].Node)}
	}
	return c
}

// contextWithState attaches the request state resolvers read.
func contextWithState(ctx context.Context, s *reqState) context.Context {
	return context.WithValue(ctx, stateKey{}, s)
}
