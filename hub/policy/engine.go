package policy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/bundle"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/version"

	"sanmian/hub/policy/irvm"
	"sanmian/policies"
)

// BundleName is the name the bundle goes by in decision records (bundles.{name}.revision).
const BundleName = "sanmian"

// Query paths, as they appear in Record.Path (OPA decision-log style).
const (
	PathEligibility = "sanmian/eligibility/decision"
	PathScan        = "sanmian/scan/result"
	PathAccess      = "sanmian/access/decision"
)

// DefaultPollInterval is how often Watch polls a bundle service or directory when no
// interval is configured.
const DefaultPollInterval = 30 * time.Second

// maxBundleBytes bounds a downloaded bundle (protection against gzip bombs).
const maxBundleBytes = 64 << 20

// Option configures an Engine.
type Option func(*options)

type options struct {
	fsys     fs.FS
	dir      string
	url      string
	tarball  []byte
	poll     time.Duration
	verify   *bundle.VerificationConfig
	client   *http.Client
	logger   *slog.Logger
	clock    func() time.Time
	recorder Recorder
	divs     map[string]any
	topdown  bool
	onSwap   func(ctx context.Context, previous, revision string)
}

// FromFS loads the bundle from fsys (an OPA bundle directory tree). The default is the
// embedded policies.Bundle. Files named *_test.rego are the bundle's tests: not part of the
// policy, they run before a revision goes live (see vet.go).
func FromFS(fsys fs.FS) Option { return func(o *options) { o.fsys = fsys } }

// FromDir loads the bundle from a directory on disk; Reload and Watch re-read it. Files named
// *_test.rego are the bundle's tests, as for FromFS.
func FromDir(dir string) Option { return func(o *options) { o.dir = dir } }

// FromURL loads the bundle from an OPA bundle service: GET url returns the bundle as a gzipped
// tarball; the engine sends If-None-Match with the last ETag and treats 304 as unchanged.
func FromURL(url string) Option { return func(o *options) { o.url = url } }

// FromTarball loads the bundle from a gzipped tarball held in memory (as `opa build` writes
// it and a bundle service serves it): a candidate bundle a file or an upload holds. Reload
// reads the same bytes again. Signatures are verified as with the other sources.
func FromTarball(b []byte) Option { return func(o *options) { o.tarball = b } }

// WithPollInterval sets how often Watch polls the source (default DefaultPollInterval).
func WithPollInterval(d time.Duration) Option { return func(o *options) { o.poll = d } }

// WithVerification requires bundles to carry a valid .signatures.json checked against vc.
// Without it, signatures are not checked.
func WithVerification(vc *bundle.VerificationConfig) Option {
	return func(o *options) { o.verify = vc }
}

// WithHTTPClient sets the client used for the bundle service (default: a client with a 30 s
// timeout).
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.client = c } }

// WithLogger sets the logger for reloads (default slog.Default()). Decisions are never logged.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithClock sets the wall clock used for record timestamps of access decisions and reload
// times (default time.Now). Eligibility decisions use the decision time given to Decide.
func WithClock(now func() time.Time) Option { return func(o *options) { o.clock = now } }

// WithRecorder stores every eligibility and access decision record (for auditors to list and
// replay). A recorder error fails the decision: a decision that cannot be recorded is not made.
func WithRecorder(r Recorder) Option { return func(o *options) { o.recorder = r } }

// WithDivisionData replaces the division tree injected as data.sanmian.divisions (default:
// generated from package sanmian/hub/division). Shape: {code: {"level": l, "path": [code, ...,
// district]}}. Intended for tests.
func WithDivisionData(d map[string]any) Option { return func(o *options) { o.divs = d } }

// WithTopdown evaluates every query with OPA's tree-walking evaluator (topdown) instead of
// the planned form run by package irvm. Decisions are the same either way (the differential
// tests check it); topdown is the reference, irvm several times faster.
func WithTopdown() Option { return func(o *options) { o.topdown = true } }

// WithActivationHook calls fn after Reload (or Watch) has activated a bundle of another
// revision in place of a loaded one, with both revisions (the first load at New, and a
// directory re-read with the same revision, do not call it). The hub audits activations with
// it.
func WithActivationHook(fn func(ctx context.Context, previous, revision string)) Option {
	return func(o *options) { o.onSwap = fn }
}

// Recorder stores decision records. Implementations must be safe for concurrent use.
type Recorder interface {
	Record(ctx context.Context, rec *Record) error
}

// Engine evaluates the policy bundle. Safe for concurrent use; the zero value is not usable,
// use New.
type Engine struct {
	opt    options
	state  atomic.Pointer[state]
	reload sync.Mutex // serialises Reload
}

// state is one loaded bundle revision with its prepared queries. Immutable once built.
type state struct {
	revision string
	etag     string
	loadedAt time.Time
	items    map[string]*selector
	scanSel  *selector // the proactive items' needs together: the evidence a scan evaluation sees
	catalog  []Item
	reasons  map[string]Reason // the catalogue's reason texts by code (Rule empty)
	decide   rego.PreparedEvalQuery
	scan     rego.PreparedEvalQuery
	access   rego.PreparedEvalQuery
	// planned holds the queries run by irvm, by record path; a path missing here (the bundle
	// uses something irvm cannot run, or WithTopdown) is evaluated by topdown.
	planned  map[string]planned
	logger   *slog.Logger
	compiler *ast.Compiler // compiled modules of this revision (read-only)
	store    storage.Store // bundle data, divisions and static_all (read-only)
	base     frozenBase    // the same data as one AST value, for reads during evaluation

	// conflicts are the catalogue's cross-item conflicts (Conflicts).
	conflicts []Conflict

	// compiled caches CompileSQL's results of this revision: sqlKey → string. A scan compiles
	// some ninety queries (a second of partial evaluation on two cores); the next scan of the
	// same day, a delta scan after a sync, reuses them. A SQLCache keeps them across processes.
	compiled *sync.Map
	// digest names what compiled SQL depends on besides the query (contentDigest).
	digest string
}

// sqlFormat is the version of what CompileSQL makes of OPA's output: a change to it changes
// every content digest, so no SQL kept by an older hub is read.
const sqlFormat = "sanmian-sql/1"

// contentDigest is the SHA-256 of the bundle's policy modules (tests aside) and of its data as
// the engine reads it (the divisions included), with OPA's version and sqlFormat: what SQL
// compiled from the bundle depends on, the query, dialect and date aside.
func contentDigest(b *bundle.Bundle, data map[string]any) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", sqlFormat, version.Version)
	mods := slices.Clone(b.Modules)
	slices.SortFunc(mods, func(x, y bundle.ModuleFile) int { return strings.Compare(x.Path, y.Path) })
	for _, m := range mods {
		if !strings.HasSuffix(m.Path, "_test.rego") {
			fmt.Fprintf(h, "%s\x00%d\x00", m.Path, len(m.Raw))
			h.Write(m.Raw)
		}
	}
	if err := json.NewEncoder(h).Encode(data); err != nil { // maps in key order
		return "", fmt.Errorf("%w: data: %v", ErrBundle, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// New loads the bundle from the configured source (default: the embedded bundle), compiles
// it and prepares the queries. It fails if the first load fails.
func New(ctx context.Context, opts ...Option) (*Engine, error) {
	e := &Engine{}
	for _, o := range opts {
		o(&e.opt)
	}
	n := 0
	for _, set := range []bool{e.opt.fsys != nil, e.opt.dir != "", e.opt.url != "", e.opt.tarball != nil} {
		if set {
			n++
		}
	}
	if n > 1 {
		return nil, fmt.Errorf("%w: choose one bundle source (FS, directory, URL or tarball)", ErrConfig)
	}
	if n == 0 {
		e.opt.fsys = policies.Bundle
	}
	if e.opt.poll <= 0 {
		e.opt.poll = DefaultPollInterval
	}
	if e.opt.client == nil {
		e.opt.client = &http.Client{Timeout: 30 * time.Second}
	}
	if e.opt.logger == nil {
		e.opt.logger = slog.Default()
	}
	if e.opt.clock == nil {
		e.opt.clock = time.Now
	}
	if e.opt.divs == nil {
		e.opt.divs = DivisionData()
	}
	if _, err := e.Reload(ctx); err != nil {
		return nil, err
	}
	return e, nil
}

// Revision is the revision of the bundle in use (from its .manifest).
func (e *Engine) Revision() string { return e.state.Load().revision }

// ReasonText returns the catalogue's texts for a reason code (Rule is empty: the rule a
// reason cites depends on the item), as decisions carry them.
func (e *Engine) ReasonText(code string) (Reason, bool) {
	r, ok := e.state.Load().reasons[code]
	return r, ok
}

// Items returns the catalogue of the bundle in use, sorted by code. The slice is shared:
// callers must not modify it.
func (e *Engine) Items() []Item { return e.state.Load().catalog }

// Reload reads the bundle from the source again and, if it is valid, swaps it in atomically.
// A bundle that compiles but fails its own Rego tests on irvm, or on which irvm and topdown
// decide the differential corpus differently, is refused (ErrBundleRefused, logged with the
// reason). Evaluations already running finish on the old revision. It reports whether a new
// bundle was activated (false when the bundle service answered 304 Not Modified). On error
// the engine keeps the revision it had.
func (e *Engine) Reload(ctx context.Context) (bool, error) {
	e.reload.Lock()
	defer e.reload.Unlock()
	var (
		b   bundle.Bundle
		err error
	)
	switch {
	case e.opt.url != "":
		var modified bool
		b, modified, err = e.fetch(ctx)
		if err != nil || !modified {
			return false, err
		}
	case e.opt.dir != "":
		b, err = e.read(bundle.NewDirectoryLoader(e.opt.dir))
	case e.opt.tarball != nil:
		if len(e.opt.tarball) > maxBundleBytes {
			return false, fmt.Errorf("%w: bundle larger than %d bytes", ErrBundle, maxBundleBytes)
		}
		b, err = e.read(bundle.NewTarballLoaderWithBaseURL(bytes.NewReader(e.opt.tarball), ""))
	default:
		var l bundle.DirectoryLoader
		l, err = bundle.NewFSLoader(e.opt.fsys)
		if err == nil {
			b, err = e.read(l)
		}
	}
	if err != nil {
		return false, err
	}
	st, err := e.build(ctx, &b)
	if err != nil {
		if errors.Is(err, ErrBundleRefused) {
			prev := ""
			if p := e.state.Load(); p != nil {
				prev = p.revision
			}
			e.opt.logger.WarnContext(ctx, "policy bundle refused", "revision", b.Manifest.Revision, "serving", prev, "reason", err.Error())
		}
		return false, err
	}
	prev := e.state.Swap(st)
	if prev != nil {
		e.opt.logger.InfoContext(ctx, "policy bundle activated", "revision", st.revision, "previous", prev.revision)
		if e.opt.onSwap != nil && prev.revision != st.revision {
			e.opt.onSwap(ctx, prev.revision, st.revision)
		}
	}
	return true, nil
}

// Watch polls the source every poll interval and activates new revisions until ctx is done.
// Errors are logged and the previous revision stays active. It returns ctx.Err().
func (e *Engine) Watch(ctx context.Context) error {
	t := time.NewTicker(e.opt.poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			if _, err := e.Reload(ctx); err != nil && ctx.Err() == nil {
				e.opt.logger.WarnContext(ctx, "policy bundle reload failed", "err", err)
			}
		}
	}
}

func (e *Engine) fetch(ctx context.Context) (bundle.Bundle, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.opt.url, nil)
	if err != nil {
		return bundle.Bundle{}, false, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	req.Header.Set("Accept", "application/gzip")
	if st := e.state.Load(); st != nil && st.etag != "" {
		req.Header.Set("If-None-Match", st.etag)
	}
	resp, err := e.opt.client.Do(req)
	if err != nil {
		return bundle.Bundle{}, false, fmt.Errorf("%w: %v", ErrFetch, err)
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		_ = resp.Body.Close()
	}()
	switch resp.StatusCode {
	case http.StatusNotModified:
		return bundle.Bundle{}, false, nil
	case http.StatusOK:
	default:
		return bundle.Bundle{}, false, fmt.Errorf("%w: status %d", ErrFetch, resp.StatusCode)
	}
	l := bundle.NewTarballLoaderWithBaseURL(resp.Body, e.opt.url)
	b, err := e.read(l)
	if err != nil {
		return bundle.Bundle{}, false, err
	}
	b.Etag = resp.Header.Get("ETag")
	return b, true, nil
}

// read reads and (when configured) verifies a bundle, its test files included.
func (e *Engine) read(l bundle.DirectoryLoader) (bundle.Bundle, error) {
	r := bundle.NewCustomReader(l).
		WithRegoVersion(ast.RegoV1).
		WithSizeLimitBytes(maxBundleBytes)
	if e.opt.verify != nil {
		r = r.WithBundleVerificationConfig(e.opt.verify)
	} else {
		r = r.WithSkipBundleVerification(true)
	}
	b, err := r.Read()
	if err != nil {
		return bundle.Bundle{}, fmt.Errorf("%w: %v", ErrBundle, err)
	}
	return b, nil
}

// build compiles the bundle with the division data and prepares the three queries.
func (e *Engine) build(ctx context.Context, b *bundle.Bundle) (*state, error) {
	if b.Manifest.Revision == "" {
		return nil, fmt.Errorf("%w: manifest has no revision", ErrBundle)
	}
	root, ok := b.Data["sanmian"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: no data.sanmian", ErrBundle)
	}
	cat, ok := root["catalogue"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: no data.sanmian.catalogue", ErrBundle)
	}
	items, catalog, err := parseCatalogue(cat)
	if err != nil {
		return nil, err
	}
	scanSel, err := proactiveSelector(catalog)
	if err != nil {
		return nil, err
	}
	conflicts, err := parseConflicts(cat, catalog)
	if err != nil {
		return nil, err
	}
	data := make(map[string]any, len(b.Data))
	for k, v := range b.Data {
		data[k] = v
	}
	sanmian := make(map[string]any, len(root)+1)
	for k, v := range root {
		sanmian[k] = v
	}
	sanmian["divisions"] = e.opt.divs
	data["sanmian"] = sanmian

	// The bundle's tests (*_test.rego) are not part of the policy; vet runs them.
	policy, tests := map[string]*ast.Module{}, map[string]*ast.Module{}
	for name, m := range b.ParsedModules(BundleName) {
		if strings.HasSuffix(name, "_test.rego") {
			tests[name] = m
		} else {
			policy[name] = m
		}
	}
	compiler := ast.NewCompiler().WithDefaultRegoVersion(ast.RegoV1)
	compiler.Compile(policy)
	if compiler.Failed() {
		return nil, fmt.Errorf("%w: %v", ErrBundle, compiler.Errors)
	}
	digest, err := contentDigest(b, data)
	if err != nil {
		return nil, err
	}
	store := inmem.NewFromObjectWithOpts(data, inmem.OptRoundTripOnWrite(false), inmem.OptReturnASTValuesOnRead(true))
	if err := checkPathConflicts(ctx, compiler, store); err != nil {
		return nil, err
	}
	// The per-item static part of decisions depends on the catalogue alone: evaluate it once
	// per revision and keep it as data.sanmian.static (see static_all in eligibility.rego).
	rs, err := rego.New(rego.Query("data.sanmian.eligibility.static_all"), rego.Compiler(compiler), rego.Store(store)).Eval(ctx)
	if err != nil || len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return nil, fmt.Errorf("%w: static_all: %v", ErrBundle, err)
	}
	if err := storage.WriteOne(ctx, store, storage.AddOp, storage.Path{"sanmian", "static"}, rs[0].Expressions[0].Value); err != nil {
		return nil, fmt.Errorf("%w: store static_all: %v", ErrBundle, err)
	}
	base, err := newFrozenBase(ctx, store)
	if err != nil {
		return nil, err
	}
	prep := func(path string) (rego.PreparedEvalQuery, error) {
		q := queryOf(path)
		pq, err := rego.New(rego.Query(q), rego.Compiler(compiler), rego.Store(store)).PrepareForEval(ctx)
		if err != nil {
			return pq, fmt.Errorf("%w: prepare %s: %v", ErrBundle, q, err)
		}
		return pq, nil
	}
	st := &state{revision: b.Manifest.Revision, etag: b.Etag, loadedAt: e.opt.clock(), items: items, scanSel: scanSel, catalog: catalog, conflicts: conflicts, compiler: compiler, store: store, base: base, compiled: &sync.Map{}, digest: digest,
		reasons: reasonTexts(cat)}
	if st.decide, err = prep(PathEligibility); err != nil {
		return nil, err
	}
	if st.scan, err = prep(PathScan); err != nil {
		return nil, err
	}
	if st.access, err = prep(PathAccess); err != nil {
		return nil, err
	}
	st.planned, st.logger = map[string]planned{}, e.opt.logger
	if !e.opt.topdown {
		for _, path := range []string{PathEligibility, PathScan, PathAccess} {
			p, err := irvm.Compile(ctx, compiler, store, queryOf(path))
			if err != nil {
				e.opt.logger.Warn("policy query evaluated by topdown", "path", path, "revision", st.revision, "reason", err.Error())
				continue
			}
			st.planned[path] = p
		}
	}
	if err := e.vet(ctx, st, policy, tests); err != nil {
		return nil, err
	}
	return st, nil
}

// checkPathConflicts refuses a bundle with a rule at a path its data also defines (as OPA
// does when it activates a bundle): which of the two a query sees differs between
// evaluators (topdown keeps the data, OPA's wasm runtime neither).
func checkPathConflicts(ctx context.Context, compiler *ast.Compiler, store storage.Store) error {
	txn, err := store.NewTransaction(ctx)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBundle, err)
	}
	defer store.Abort(ctx, txn)
	if errs := ast.CheckPathConflicts(compiler, storage.NonEmpty(ctx, store, txn)); len(errs) > 0 {
		return fmt.Errorf("%w: %v", ErrBundle, errs)
	}
	return nil
}

// queryOf is the query for a record path: sanmian/eligibility/decision is
// data.sanmian.eligibility.decision.
func queryOf(path string) string { return "data." + strings.ReplaceAll(path, "/", ".") }

// planned is a query ready for irvm (*irvm.Program).
type planned interface {
	Eval(ctx context.Context, input, data ast.Value, opt irvm.Options) (ast.Value, error)
}

var _ planned = (*irvm.Program)(nil)

// query returns the prepared query for a record path.
func (st *state) query(path string) (rego.PreparedEvalQuery, error) {
	switch path {
	case PathEligibility:
		return st.decide, nil
	case PathScan:
		return st.scan, nil
	case PathAccess:
		return st.access, nil
	}
	return rego.PreparedEvalQuery{}, fmt.Errorf("%w: %q", ErrUnknownPath, path)
}

// frozenBase serves OPA's reads of base documents (data.sanmian.catalogue, .static, ...)
// during evaluation from one immutable AST value of the revision's data. OPA's default base
// cache is built anew for every evaluation: each first read of a path walks the store and
// allocates the cache's trie nodes, a few microseconds per decision. The data of a revision
// never changes, so one value shared by all evaluations is safe; Put is a no-op, and a path
// the data does not have falls through to the store as before.
type frozenBase struct{ root ast.Value }

func newFrozenBase(ctx context.Context, store storage.Store) (frozenBase, error) {
	txn, err := store.NewTransaction(ctx)
	if err != nil {
		return frozenBase{}, fmt.Errorf("%w: read data: %v", ErrBundle, err)
	}
	defer store.Abort(ctx, txn)
	all, err := store.Read(ctx, txn, storage.Path{})
	if err != nil {
		return frozenBase{}, fmt.Errorf("%w: read data: %v", ErrBundle, err)
	}
	v, ok := all.(ast.Value)
	if !ok {
		return frozenBase{}, fmt.Errorf("%w: data is %T, not an AST value", ErrBundle, all)
	}
	return frozenBase{root: v}, nil
}

// Get implements topdown.BaseCache: ref is data.<path>.
func (f frozenBase) Get(ref ast.Ref) ast.Value {
	if len(ref) < 2 || f.root == nil {
		return nil
	}
	v, err := f.root.Find(ref[1:])
	if err != nil {
		return nil
	}
	return v
}

// Put implements topdown.BaseCache; the frozen value already holds everything.
func (frozenBase) Put(ast.Ref, ast.Value) {}

// reasonTexts reads the catalogue's reason texts (catalogue.reasons: code -> {zh, en}).
func reasonTexts(cat map[string]any) map[string]Reason {
	raw, _ := cat["reasons"].(map[string]any)
	out := make(map[string]Reason, len(raw))
	for code, v := range raw {
		m, _ := v.(map[string]any)
		zh, _ := m["zh"].(string)
		en, _ := m["en"].(string)
		out[code] = Reason{Code: code, ZH: zh, EN: en}
	}
	return out
}

// FromPath loads a bundle from a path that is either a bundle directory (FromDir) or a
// gzipped bundle tarball file (FromTarball), as a candidate bundle is handed over. A path
// that does not exist or cannot be read is an error wrapping ErrBundle.
func FromPath(path string) (Option, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBundle, err)
	}
	if fi.IsDir() {
		return FromDir(path), nil
	}
	if fi.Size() > maxBundleBytes {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrBundle, path, maxBundleBytes)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBundle, err)
	}
	return FromTarball(b), nil
}
