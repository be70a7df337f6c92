package policy

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/metrics"
	"github.com/open-policy-agent/opa/v1/rego"
	"go.opentelemetry.io/otel/attribute"

	"sanmian/hub/evidence"
	"sanmian/hub/policy/irvm"
)

// Decision is the eligibility decision for one application. Eligible is nil when the verdict
// is undetermined (evidence missing, conflicting, blank or unacceptably stale on a field the
// rule needs). See policies/README.md for every field.
type Decision struct {
	Item         string          `json:"item"`
	Eligible     *bool           `json:"eligible"`
	Reasons      []Reason        `json:"reasons"`
	Missing      []string        `json:"missing"`
	Conflicts    []string        `json:"conflicts"`
	Autofill     []string        `json:"autofill"`
	Unmasked     map[string]bool `json:"unmasked"`
	Instant      bool            `json:"instant"`
	Proactive    bool            `json:"proactive"`
	Amount       map[string]any  `json:"amount"`
	ReviewLevels []string        `json:"review_levels"`
	Facts        map[string]any  `json:"facts"`

	DecisionID  string `json:"decision_id"`
	Revision    string `json:"revision"`
	InputDigest string `json:"input_digest"`
	// Record is the decision-log record of this decision (also given to the Recorder).
	Record *Record `json:"-"`
}

// Reason explains a verdict, citing the rule (the item's legal basis).
type Reason struct {
	Code string `json:"code"`
	Rule string `json:"rule"`
	ZH   string `json:"zh"`
	EN   string `json:"en"`
}

// Caller is the authenticated party asking (from its token).
type Caller struct {
	Sub          string   `json:"sub"`
	Role         string   `json:"role"`                   // counter, reviewer, department, auditor, admin
	Jurisdiction string   `json:"jurisdiction,omitempty"` // division code
	Scope        []string `json:"scope,omitempty"`        // item codes or "*"
}

// Resource is what an action touches. Village (12 digits) or Division locates it; Item names
// the item; Level is the review level awaiting (for application.review).
type Resource struct {
	Village  string `json:"village,omitempty"`
	Division string `json:"division,omitempty"`
	Item     string `json:"item,omitempty"`
	Level    string `json:"level,omitempty"`
}

// AccessDecision is the result of Authorize. Reason is always set, also when allowed.
type AccessDecision struct {
	Allow      bool         `json:"allow"`
	Reason     AccessReason `json:"reason"`
	UnmaskID   bool         `json:"unmask_id"`
	DecisionID string       `json:"decision_id"`
	Revision   string       `json:"revision"`
	Record     *Record      `json:"-"`
}

// AccessReason is the code and bilingual text of an access decision.
type AccessReason struct {
	Code string `json:"code"`
	ZH   string `json:"zh"`
	EN   string `json:"en"`
}

// ScanResult lists the proactive items a resident is likely eligible for, and those that are
// undetermined, by code, sorted.
type ScanResult struct {
	Eligible     []string `json:"eligible"`
	Undetermined []string `json:"undetermined"`
	// Reasons are, for each eligible item, the reason codes its decision gives.
	Reasons  map[string][]string `json:"reasons,omitempty"`
	Revision string              `json:"revision"`
}

// DecideOption adds optional parts to a decision request.
type DecideOption func(*decideReq)

type decideReq struct {
	caller      *Caller
	requestedBy string
}

// AsCaller evaluates the decision for caller: the unmasked map then says which masked fields
// (ID numbers) this caller may see. Without it every masked field is reported masked.
func AsCaller(c Caller) DecideOption { return func(r *decideReq) { r.caller = &c } }

// RequestedBy sets requested_by on the record (e.g. the caller's sub or the client address).
func RequestedBy(who string) DecideOption { return func(r *decideReq) { r.requestedBy = who } }

// Decide evaluates the eligibility of the applicant in ev for item on the decision date of
// now (China Standard Time). The evidence is first minimised to what the item declares; the
// decision is evaluated on exactly that input, which the record keeps.
func (e *Engine) Decide(ctx context.Context, item string, ev *evidence.Bundle, now time.Time, opts ...DecideOption) (d *Decision, err error) {
	ctx, span := startSpan(ctx, "policy.eligibility", attribute.String(AttrItem, item))
	defer func() {
		if d != nil {
			eligible := "undetermined"
			if d.Eligible != nil {
				eligible = strconv.FormatBool(*d.Eligible)
			}
			span.SetAttributes(attribute.String("sanmian.eligible", eligible), attribute.String(AttrRevision, d.Revision))
		}
		endSpan(span, err)
	}()
	if ev == nil {
		return nil, ErrNoEvidence
	}
	if now.IsZero() {
		return nil, ErrNoClock
	}
	st := e.state.Load()
	sel, ok := st.items[item]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownItem, item)
	}
	var req decideReq
	for _, o := range opts {
		o(&req)
	}
	kv := make([][2]*ast.Term, 0, 4)
	kv = append(kv, pair("now", ast.StringTerm(DecisionDate(now))), pair("item", str(item)), pair("evidence", sel.minimise(ev)))
	if req.caller != nil {
		kv = append(kv, pair("caller", req.caller.term()))
	}
	rec, res, err := e.evaluate(ctx, st, PathEligibility, ast.NewObject(kv...), now, req.requestedBy)
	if err != nil {
		return nil, err
	}
	d = decodeDecision(res)
	d.DecisionID, d.Revision, d.InputDigest, d.Record = rec.DecisionID, st.revision, rec.InputDigest, rec
	if err := e.store(ctx, rec); err != nil {
		return nil, err
	}
	return d, nil
}

// Authorize decides whether caller may perform action on res. It denies by default: on any
// evaluation error it returns a denial together with the error. Every decision, allowed or
// denied, carries a record for the audit log.
func (e *Engine) Authorize(ctx context.Context, caller Caller, action string, res Resource) (ad *AccessDecision, err error) {
	ctx, span := startSpan(ctx, "policy.access", attribute.String("sanmian.action", action))
	defer func() {
		if ad != nil {
			span.SetAttributes(attribute.Bool("sanmian.allowed", ad.Allow), attribute.String("sanmian.reason", ad.Reason.Code), attribute.String(AttrRevision, ad.Revision))
		}
		endSpan(span, err)
	}()
	st := e.state.Load()
	deny := &AccessDecision{Reason: AccessReason{Code: "denied", ZH: "拒绝访问", EN: "Denied"}, Revision: st.revision}
	in := ast.NewObject(pair("caller", caller.term()), pair("action", str(action)), pair("resource", res.term()))
	rec, out, err := e.evaluate(ctx, st, PathAccess, in, e.opt.clock(), caller.Sub)
	if err != nil {
		return deny, err
	}
	d := decodeAccess(out)
	d.DecisionID, d.Revision, d.Record = rec.DecisionID, st.revision, rec
	if err := e.store(ctx, rec); err != nil {
		return deny, err
	}
	return d, nil
}

// Scan evaluates every proactive item for one resident in a single evaluation. It keeps no
// record: a scan hit becomes a decision only when an application is made.
func (e *Engine) Scan(ctx context.Context, ev *evidence.Bundle, now time.Time) (*ScanResult, error) {
	return e.ScanItems(ctx, ev, now, nil)
}

// ScanItems is Scan restricted to the proactive items in items (every proactive item when
// items is nil).
func (e *Engine) ScanItems(ctx context.Context, ev *evidence.Bundle, now time.Time, items []string) (*ScanResult, error) {
	if ev == nil {
		return nil, ErrNoEvidence
	}
	if now.IsZero() {
		return nil, ErrNoClock
	}
	st := e.state.Load()
	// The input is built as an AST value, as a decision's is (selector.minimise): encoding
	// the bundle to JSON and parsing it back was half of a scan evaluation's cost.
	kv := make([][2]*ast.Term, 0, 3)
	kv = append(kv, pair("now", ast.StringTerm(DecisionDate(now))), pair("evidence", st.scanSel.minimise(ev)))
	if items != nil {
		codes := make([]*ast.Term, len(items))
		for i, c := range items {
			codes[i] = str(c)
		}
		kv = append(kv, pair("items", ast.ArrayTerm(codes...)))
	}
	res, err := evalValue(ctx, st, PathScan, ast.NewObject(kv...), now)
	if err != nil {
		return nil, err
	}
	obj, ok := res.(ast.Object)
	if !ok {
		return nil, fmt.Errorf("%w: %s is not an object", ErrEvaluation, PathScan)
	}
	out := &ScanResult{Eligible: astStrings(obj, "eligible"), Undetermined: astStrings(obj, "undetermined"), Revision: st.revision}
	if t := obj.Get(ast.InternedTerm("reasons")); t != nil {
		if o, ok := t.Value.(ast.Object); ok {
			out.Reasons = make(map[string][]string, o.Len())
			o.Foreach(func(k, v *ast.Term) {
				if code, ok := k.Value.(ast.String); ok {
					out.Reasons[string(code)] = termStrings(v)
				}
			})
		}
	}
	return out, nil
}

// evaluate encodes the input canonically for the record, evaluates the prepared query for
// path on the same value (in holds only JSON-model values, so the record decodes to an
// identical input on replay), and builds the record. It returns the result as an AST object.
func (e *Engine) evaluate(ctx context.Context, st *state, path string, in ast.Object, at time.Time, requestedBy string) (*Record, ast.Object, error) {
	raw, err := appendASTJSON(make([]byte, 0, 2048), in)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: encode input: %v", ErrEvaluation, err)
	}
	res, err := evalValue(ctx, st, path, in, at)
	if err != nil {
		return nil, nil, err
	}
	resJSON, err := resultJSON(res)
	if err != nil {
		return nil, nil, err
	}
	obj, ok := res.(ast.Object)
	if !ok {
		return nil, nil, fmt.Errorf("%w: %s is not an object", ErrEvaluation, path)
	}
	rec := &Record{
		Labels:      recordLabels,
		DecisionID:  newDecisionID(),
		Bundles:     map[string]BundleRevision{BundleName: {Revision: st.revision}},
		Path:        path,
		Input:       raw,
		InputDigest: digest(raw),
		Result:      resJSON,
		RequestedBy: requestedBy,
		Timestamp:   at.UTC(),
	}
	return rec, obj, nil
}

// evalRaw evaluates the query for path on the JSON input raw at time at with topdown, OPA's
// reference evaluator (replays use it, so each replay also checks irvm's recorded result),
// and returns the result's canonical JSON encoding (object keys sorted).
func evalRaw(ctx context.Context, st *state, path string, raw []byte, at time.Time) ([]byte, error) {
	val, err := ast.ValueFromReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: parse input: %v", ErrEvaluation, err)
	}
	res, err := evalTopdown(ctx, st, path, val, at)
	if err != nil {
		return nil, err
	}
	return resultJSON(res)
}

// resultJSON is the canonical JSON encoding of a query result, as records keep it.
func resultJSON(v ast.Value) ([]byte, error) {
	b, err := appendASTJSON(make([]byte, 0, 2048), v)
	if err != nil {
		return nil, fmt.Errorf("%w: encode result: %v", ErrEvaluation, err)
	}
	return b, nil
}

// evalValue evaluates the query for path on the input value and returns the result as an AST
// value (no conversion to Go values). The query runs on irvm when the revision has it
// planned, else on topdown.
func evalValue(ctx context.Context, st *state, path string, val ast.Value, at time.Time) (ast.Value, error) {
	prog := st.planned[path]
	if prog == nil {
		return evalTopdown(ctx, st, path, val, at)
	}
	v, err := prog.Eval(ctx, val, st.base.root, irvm.Options{Time: at.UnixNano()})
	switch {
	case errors.Is(err, irvm.ErrInternal):
		// Not the policy's fault: answer from the reference evaluator and say so.
		st.logger.ErrorContext(ctx, "policy: irvm failed, evaluated by topdown", "path", path, "revision", st.revision, "error", err.Error())
		return evalTopdown(ctx, st, path, val, at)
	case err != nil:
		// %w twice: a cancelled evaluation stays recognisable (context.Canceled).
		return nil, fmt.Errorf("%w: %w", ErrEvaluation, err)
	case v == nil:
		return nil, fmt.Errorf("%w: %s", ErrUndefined, path)
	}
	return v, nil
}

// evalTopdown is evalValue with OPA's topdown evaluator.
func evalTopdown(ctx context.Context, st *state, path string, val ast.Value, at time.Time) (ast.Value, error) {
	pq, err := st.query(path)
	if err != nil {
		return nil, err
	}
	vc := getFlatCache()
	defer vc.release()
	rs, err := pq.Eval(ctx, rego.EvalParsedInput(val), rego.EvalTime(at), rego.EvalGenerateJSON(keepAST),
		rego.EvalMetrics(noMetrics), rego.EvalBaseCache(st.base), rego.EvalVirtualCache(vc))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrEvaluation, err)
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrUndefined, path)
	}
	t, ok := rs[0].Expressions[0].Value.(*ast.Term)
	if !ok {
		return nil, fmt.Errorf("%w: unexpected result %T", ErrEvaluation, rs[0].Expressions[0].Value)
	}
	return t.Value, nil
}

// noMetrics discards OPA's per-evaluation timers, which would otherwise be allocated for every
// decision and never read.
var noMetrics = metrics.NoOp()

// keepAST hands query results back as AST terms (rego.EvalGenerateJSON).
func keepAST(t *ast.Term, _ *rego.EvalContext) (any, error) { return t, nil }

func (e *Engine) store(ctx context.Context, rec *Record) error {
	if e.opt.recorder == nil {
		return nil
	}
	if err := e.opt.recorder.Record(ctx, rec); err != nil {
		return fmt.Errorf("policy: record decision: %w", err)
	}
	return nil
}

func digest(raw []byte) string {
	sum := sha256.Sum256(raw)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// newDecisionID returns a random UUID (version 4).
func newDecisionID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// term is the caller as an input value (see evaluate).
func (c Caller) term() *ast.Term {
	kv := make([][2]*ast.Term, 0, 4)
	kv = append(kv, pair("sub", str(c.Sub)), pair("role", str(c.Role)))
	if c.Jurisdiction != "" {
		kv = append(kv, pair("jurisdiction", str(c.Jurisdiction)))
	}
	if len(c.Scope) > 0 {
		sc := make([]*ast.Term, len(c.Scope))
		for i, s := range c.Scope {
			sc[i] = str(s)
		}
		kv = append(kv, pair("scope", ast.ArrayTerm(sc...)))
	}
	return ast.ObjectTerm(kv...)
}

// term is the resource as an input value (see evaluate): empty fields are left out.
func (r Resource) term() *ast.Term {
	kv := make([][2]*ast.Term, 0, 4)
	for _, f := range [...]struct{ k, v string }{{"village", r.Village}, {"division", r.Division}, {"item", r.Item}, {"level", r.Level}} {
		if f.v != "" {
			kv = append(kv, pair(f.k, str(f.v)))
		}
	}
	return ast.ObjectTerm(kv...)
}

// decodeDecision reads the policy result into a Decision. The policy's output shape is fixed
// by policies/README.md and its tests.
func decodeDecision(m ast.Object) *Decision {
	d := &Decision{
		Item:         astString(m, "item"),
		Missing:      astStrings(m, "missing"),
		Conflicts:    astStrings(m, "conflicts"),
		Autofill:     astStrings(m, "autofill"),
		Instant:      astBool(m, "instant"),
		Proactive:    astBool(m, "proactive"),
		ReviewLevels: astStrings(m, "review_levels"),
		Unmasked:     map[string]bool{},
		Amount:       astMap(m, "amount"),
		Facts:        astMap(m, "facts"),
	}
	if t := m.Get(ast.InternedTerm("eligible")); t != nil {
		if b, ok := t.Value.(ast.Boolean); ok {
			v := bool(b)
			d.Eligible = &v
		}
	}
	if t := m.Get(ast.InternedTerm("unmasked")); t != nil {
		if u, ok := t.Value.(ast.Object); ok {
			u.Foreach(func(k, v *ast.Term) {
				if ks, ok := k.Value.(ast.String); ok {
					d.Unmasked[string(ks)] = v.Value.Compare(ast.Boolean(true)) == 0
				}
			})
		}
	}
	d.Reasons = []Reason{}
	if t := m.Get(ast.InternedTerm("reasons")); t != nil {
		if arr, ok := t.Value.(*ast.Array); ok {
			arr.Foreach(func(r *ast.Term) {
				if ro, ok := r.Value.(ast.Object); ok {
					d.Reasons = append(d.Reasons, Reason{Code: astString(ro, "code"), Rule: astString(ro, "rule"), ZH: astString(ro, "zh"), EN: astString(ro, "en")})
				}
			})
		}
	}
	return d
}

func decodeAccess(m ast.Object) *AccessDecision {
	d := &AccessDecision{Allow: astBool(m, "allow"), UnmaskID: astBool(m, "unmask_id")}
	if t := m.Get(ast.InternedTerm("reason")); t != nil {
		if r, ok := t.Value.(ast.Object); ok {
			d.Reason = AccessReason{Code: astString(r, "code"), ZH: astString(r, "zh"), EN: astString(r, "en")}
		}
	}
	return d
}

func astString(m ast.Object, key string) string {
	if t := m.Get(ast.InternedTerm(key)); t != nil {
		if s, ok := t.Value.(ast.String); ok {
			return string(s)
		}
	}
	return ""
}

func astBool(m ast.Object, key string) bool {
	if t := m.Get(ast.InternedTerm(key)); t != nil {
		if b, ok := t.Value.(ast.Boolean); ok {
			return bool(b)
		}
	}
	return false
}

func astStrings(m ast.Object, key string) []string {
	return termStrings(m.Get(ast.InternedTerm(key)))
}

// termStrings is the strings of an array term; empty (not nil) for anything else.
func termStrings(t *ast.Term) []string {
	out := []string{}
	if t == nil {
		return out
	}
	if arr, ok := t.Value.(*ast.Array); ok {
		arr.Foreach(func(e *ast.Term) {
			if s, ok := e.Value.(ast.String); ok {
				out = append(out, string(s))
			}
		})
	}
	return out
}

// astMap converts a small nested object (amount, facts) to Go values; nil when absent or null.
func astMap(m ast.Object, key string) map[string]any {
	t := m.Get(ast.InternedTerm(key))
	if t == nil {
		return nil
	}
	o, ok := t.Value.(ast.Object)
	if !ok {
		return nil
	}
	v, err := ast.JSON(o)
	if err != nil {
		return nil
	}
	out, _ := v.(map[string]any)
	return out
}
