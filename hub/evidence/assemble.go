package evidence

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"sanmian/connectors"
	"sanmian/connectors/cache"
	"sanmian/hub/ident"
)

// Cache kinds used by the Assembler (platform, kind); TTLs are configured per
// "<platform>.<kind>" in cache.Config.TTL.
const (
	KindPerson    = "person"    // province population base record
	KindLicences  = "licences"  // province e-licences of a holder
	KindInsurance = "insurance" // city insurance record
	KindResident  = "resident"  // district resident record
	KindHousehold = "household" // district household record
	KindKinship   = "kinship"   // province kinship records (children) of a parent
)

// Missing entries (Bundle.Missing).
const (
	MissingProvincePerson    = "province.person"
	MissingProvinceLicences  = "province.licences"
	MissingCityInsurance     = "city.insurance"
	MissingDistrictHousehold = "district.household"
	MissingDistrictRolls     = "district.rolls"
	MissingProvinceKinship   = "province.kinship"
)

// Assembler builds evidence Bundles from the three platforms: it fans out in parallel
// across platforms, batches household members per platform, caches per kind with
// stale-if-error, and reconciles the answers field by field (Authority), keeping
// disagreements as Conflicts. Safe for concurrent use.
type Assembler struct {
	province         ProvinceSource
	city             CitySource
	district         DistrictSource
	cache            *cache.Cache
	index            HouseholdIndex
	districtParallel int
}

// AssemblerOption configures an Assembler.
type AssemblerOption func(*Assembler)

// WithCache caches platform answers in c (default: no cache, every request fetches).
func WithCache(c *cache.Cache) AssemblerOption { return func(a *Assembler) { a.cache = c } }

// WithHouseholdIndex gives the Assembler a local household index (the resident snapshot)
// so that it can ask all platforms for the whole household at once.
func WithHouseholdIndex(ix HouseholdIndex) AssemblerOption {
	return func(a *Assembler) { a.index = ix }
}

// NewAssembler returns an Assembler over the three platform sources (all required).
func NewAssembler(province ProvinceSource, city CitySource, district DistrictSource, opts ...AssemblerOption) *Assembler {
	a := &Assembler{province: province, city: city, district: district, districtParallel: 8}
	for _, o := range opts {
		o(a)
	}
	return a
}

// AssembleOptions are per-request choices, usually derived from the item's policy.
type AssembleOptions struct {
	// AllowStale lets the Assembler serve cached evidence past its TTL, marked stale, when
	// a platform fails.
	AllowStale bool
	// ApplicantOnly skips the other household members (the applicant's household record is
	// still read for household-level rolls).
	ApplicantOnly bool
	// SkipHouseholdRecord, with ApplicantOnly, does not read the household record either:
	// the applicant's resident record still gives the village, relation and rolls, but the
	// household's land and homestead (Rolls.LandMu, Rolls.Homestead) are then absent. When
	// the resident record cannot be read, both district.rolls and district.household are
	// Missing, as without this option.
	SkipHouseholdRecord bool
	// Kinds lists the evidence kinds (the Missing names: province.person, province.licences,
	// city.insurance, district.household, district.rolls) the caller needs; nil or empty means
	// all. Only the optional kinds are ever skipped: province.licences (the dzzz/query call)
	// and city.insurance (the city token and batchGet). The person records of the province
	// and the district and the household record are always read, because they carry the
	// village, the relation and the cross-level conflicts (deceased, village, name) the
	// policies rely on. A skipped kind is neither fetched nor reported Missing; the bundle
	// then carries no licences (empty list, no provenance) or no insurance (nil).
	// province.kinship (the applicant's children wherever they live: the qsgx/query call and
	// the children's own records) is read only when Kinds lists it, never by default.
	Kinds []string
}

// wantsChildren reports whether the options ask for the applicant's children.
func (o AssembleOptions) wantsChildren() bool {
	return slices.Contains(o.Kinds, MissingProvinceKinship)
}

// wants reports whether the options ask for the evidence kind (a Missing name).
func (o AssembleOptions) wants(kind string) bool {
	return len(o.Kinds) == 0 || slices.Contains(o.Kinds, kind)
}

// gathered holds every platform answer of one Assemble call.
type gathered struct {
	mu        sync.Mutex
	persons   map[string]cache.Result[ProvinceRecord]
	licences  map[string]cache.Result[[]LicenceRecord]
	insurance map[string]cache.Result[CityRecord]
	residents map[string]cache.Result[DistrictResident]
	kinship   map[string]cache.Result[[]KinshipRecord]
	household *cache.Result[DistrictHousehold]
	errs      map[string]error // Missing entry -> first error
}

func (g *gathered) fail(missing string, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.errs[missing]; !ok {
		g.errs[missing] = err
	}
}

func mergeInto[V any](g *gathered, dst map[string]cache.Result[V], src map[string]cache.Result[V]) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for k, v := range src {
		dst[k] = v
	}
}

// Assemble gathers and reconciles the evidence about the resident idNumber and their
// household. Platforms are asked in parallel; its cost is about the slowest platform when
// the household is known in advance (HouseholdIndex or cache), and the district's two
// lookups plus the slowest other platform otherwise. A platform that fails (and has no
// allowed stale value) leaves its kinds in Bundle.Missing rather than failing the call;
// Assemble returns an error only for an invalid ID number (ErrInvalidIDNumber), a resident
// no platform knows (ErrUnknownResident), a total failure (ErrNoEvidence) or a canceled
// context.
//
// When ctx carries a recording span, the assembly is traced ("evidence.assemble", with the
// Missing kinds and the stale flag; never the ID number), and so is every platform call under
// it.
func (a *Assembler) Assemble(ctx context.Context, idNumber string, opts AssembleOptions) (Bundle, error) {
	parent := trace.SpanFromContext(ctx)
	if !parent.IsRecording() {
		return a.assemble(ctx, idNumber, opts)
	}
	ctx, span := parent.TracerProvider().Tracer(TracerName).Start(ctx, "evidence.assemble",
		trace.WithAttributes(attribute.Bool("sanmian.applicant_only", opts.ApplicantOnly), attribute.StringSlice("sanmian.kinds", opts.Kinds)))
	defer span.End()
	b, err := a.assemble(ctx, idNumber, opts)
	if err != nil {
		span.SetStatus(codes.Error, "assembly failed")
		return b, err
	}
	span.SetAttributes(attribute.StringSlice("sanmian.missing", b.Missing), attribute.Bool("sanmian.stale", b.Stale))
	return b, nil
}

// TracerName is the instrumentation scope of the evidence assembly span.
const TracerName = "sanmian/hub/evidence"

func (a *Assembler) assemble(ctx context.Context, idNumber string, opts AssembleOptions) (Bundle, error) {
	n, err := ident.ParseIDNumber(idNumber)
	if err != nil {
		return Bundle{}, fmt.Errorf("%w: %w", ErrInvalidIDNumber, errors.Unwrap(err))
	}
	id := n.Number
	g := &gathered{
		persons:   map[string]cache.Result[ProvinceRecord]{},
		licences:  map[string]cache.Result[[]LicenceRecord]{},
		insurance: map[string]cache.Result[CityRecord]{},
		residents: map[string]cache.Result[DistrictResident]{},
		kinship:   map[string]cache.Result[[]KinshipRecord]{},
		errs:      map[string]error{},
	}

	hintHH, hint := a.hint(ctx, id, opts)
	// members is published once by the district goroutine: the household's member IDs
	// (applicant first), or just the applicant when the district could not say.
	members := make(chan []string, 2)
	var wg sync.WaitGroup
	wg.Go(func() { a.gatherDistrict(ctx, g, id, hintHH, hint, opts, members) })
	wg.Go(func() { a.gatherOthers(ctx, g, hint, members, opts) })
	if opts.wantsChildren() {
		wg.Go(func() {
			r, err := cache.GetMany(ctx, a.cache, string(Province), KindKinship, []string{id}, opts.AllowStale, a.province.Children)
			mergeInto(g, g.kinship, r)
			if err != nil {
				g.fail(MissingProvinceKinship, err)
			}
		})
	}
	wg.Wait()
	if opts.wantsChildren() {
		a.gatherChildren(ctx, g, id, opts)
	}
	if err := ctx.Err(); err != nil {
		return Bundle{}, &connectors.Error{Platform: "hub", Endpoint: "assemble", Kind: connectors.ErrCanceled, Err: err}
	}
	return a.reconcile(id, g, opts)
}

// hint returns the household number and members expected for id, from the household index
// or the cache, applicant first; nil when unknown.
func (a *Assembler) hint(ctx context.Context, id string, opts AssembleOptions) (string, []string) {
	if opts.ApplicantOnly && opts.SkipHouseholdRecord {
		return "", []string{id}
	}
	if opts.ApplicantOnly {
		if r, ok := cache.Peek[DistrictResident](a.cache, string(District), KindResident, id); ok {
			return r.HouseholdID, []string{id}
		}
		if a.index != nil {
			if hh, _, ok, err := a.index.HouseholdMembers(ctx, id); err == nil && ok {
				return hh, []string{id}
			}
		}
		return "", []string{id}
	}
	if r, ok := cache.Peek[DistrictResident](a.cache, string(District), KindResident, id); ok {
		if h, ok := cache.Peek[DistrictHousehold](a.cache, string(District), KindHousehold, r.HouseholdID); ok {
			ids := []string{id}
			for _, m := range h.Members {
				if m.IDNumber != id {
					ids = append(ids, m.IDNumber)
				}
			}
			return h.HouseholdID, ids
		}
	}
	if a.index != nil {
		if hh, ms, ok, err := a.index.HouseholdMembers(ctx, id); err == nil && ok {
			ids := []string{id}
			for _, m := range ms {
				if m != id {
					ids = append(ids, m)
				}
			}
			return hh, ids
		}
	}
	return "", nil
}

// gatherDistrict reads the applicant's resident record and household, then the other
// members' resident records, publishing the membership as soon as it is known.
func (a *Assembler) gatherDistrict(ctx context.Context, g *gathered, id, hintHH string, hint []string, opts AssembleOptions, members chan<- []string) {
	published := false
	publish := func(ids []string) {
		if !published {
			members <- ids
			published = true
		}
	}
	defer publish([]string{id})

	if opts.ApplicantOnly && opts.SkipHouseholdRecord {
		res, err := a.residents(ctx, []string{id}, opts.AllowStale)
		mergeInto(g, g.residents, res)
		switch {
		case err != nil:
			g.fail(MissingDistrictRolls, err)
			g.fail(MissingDistrictHousehold, err)
		case !res[id].Found:
			g.fail(MissingDistrictRolls, &connectors.Error{Platform: string(District), Endpoint: KindResident, Kind: connectors.ErrNotFound})
			g.fail(MissingDistrictHousehold, &connectors.Error{Platform: string(District), Endpoint: KindHousehold, Kind: connectors.ErrNotFound})
		}
		return
	}

	var hh cache.Result[DistrictHousehold]
	var hhErr error
	var hhWG sync.WaitGroup
	if hintHH != "" {
		// Household number known in advance: read household and residents at once.
		hhWG.Go(func() { hh, hhErr = a.households(ctx, hintHH, opts.AllowStale) })
	}
	first := hint
	if len(first) == 0 {
		first = []string{id}
	}
	res, err := a.residents(ctx, first, opts.AllowStale)
	mergeInto(g, g.residents, res)
	if err != nil {
		g.fail(MissingDistrictRolls, err)
	}
	hhWG.Wait()
	app, ok := res[id]
	if !ok || !app.Found {
		if err == nil {
			g.fail(MissingDistrictRolls, &connectors.Error{Platform: string(District), Endpoint: KindResident, Kind: connectors.ErrNotFound})
		}
		if hintHH != "" && hhErr == nil && hh.Found {
			// The applicant's own record failed but the hinted household arrived: keep it.
			g.mu.Lock()
			g.household = &hh
			g.mu.Unlock()
			if !opts.ApplicantOnly {
				ids := []string{id}
				for _, m := range hh.Value.Members {
					if m.IDNumber != id {
						ids = append(ids, m.IDNumber)
					}
				}
				publish(ids)
			}
			return
		}
		g.fail(MissingDistrictHousehold, cmp.Or(err, error(&connectors.Error{Platform: string(District), Endpoint: KindHousehold, Kind: connectors.ErrNotFound})))
		return
	}
	if hintHH == "" || hintHH != app.Value.HouseholdID {
		hh, hhErr = a.households(ctx, app.Value.HouseholdID, opts.AllowStale)
	}
	if hhErr != nil {
		g.fail(MissingDistrictHousehold, hhErr)
		if len(hint) > 0 && !opts.ApplicantOnly {
			publish(hint)
		}
		return
	}
	if !hh.Found {
		// The resident roll names a household the platform does not have: the members, land
		// and homestead are unknown, not "none".
		g.fail(MissingDistrictHousehold, &connectors.Error{Platform: string(District), Endpoint: KindHousehold, Kind: connectors.ErrNotFound})
	}
	g.mu.Lock()
	g.household = &hh
	g.mu.Unlock()
	ids := []string{id}
	if !opts.ApplicantOnly && hh.Found {
		for _, m := range hh.Value.Members {
			if m.IDNumber != id {
				ids = append(ids, m.IDNumber)
			}
		}
	}
	publish(ids)
	var rest []string
	for _, m := range ids {
		if _, done := res[m]; !done {
			rest = append(rest, m)
		}
	}
	if len(rest) > 0 {
		more, err := a.residents(ctx, rest, opts.AllowStale)
		mergeInto(g, g.residents, more)
		if err != nil {
			g.fail(MissingDistrictRolls, err)
		}
	}
}

// gatherOthers asks the province (persons and licences) and the city (insurance) for the
// hinted household at once, or waits for the district's membership; members the hint
// missed are asked for afterwards.
func (a *Assembler) gatherOthers(ctx context.Context, g *gathered, hint []string, members <-chan []string, opts AssembleOptions) {
	var asked []string
	batch := func(ids []string) {
		var wg sync.WaitGroup
		wg.Go(func() {
			r, err := cache.GetMany(ctx, a.cache, string(Province), KindPerson, ids, opts.AllowStale, a.province.Persons)
			mergeInto(g, g.persons, r)
			if err != nil {
				g.fail(MissingProvincePerson, err)
			}
		})
		if opts.wants(MissingProvinceLicences) {
			wg.Go(func() {
				r, err := cache.GetMany(ctx, a.cache, string(Province), KindLicences, ids, opts.AllowStale, a.province.Licences)
				mergeInto(g, g.licences, r)
				if err != nil {
					g.fail(MissingProvinceLicences, err)
				}
			})
		}
		if opts.wants(MissingCityInsurance) {
			wg.Go(func() {
				r, err := cache.GetMany(ctx, a.cache, string(City), KindInsurance, ids, opts.AllowStale, a.city.Insurance)
				mergeInto(g, g.insurance, r)
				if err != nil {
					g.fail(MissingCityInsurance, err)
				}
			})
		}
		wg.Wait()
		asked = append(asked, ids...)
	}
	if len(hint) > 0 {
		batch(hint)
	}
	final := <-members
	var extra []string
	for _, m := range final {
		if !slices.Contains(asked, m) {
			extra = append(extra, m)
		}
	}
	if len(extra) > 0 {
		batch(extra)
	}
}

// gatherChildren reads the province records (and licences, when wanted) of the applicant's
// children that the first round did not read: those living in other households.
func (a *Assembler) gatherChildren(ctx context.Context, g *gathered, id string, opts AssembleOptions) {
	var rest []string
	for _, c := range childLinks(id, g) {
		if _, done := g.persons[c.id]; !done {
			rest = append(rest, c.id)
		}
	}
	if len(rest) == 0 {
		return
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		r, err := cache.GetMany(ctx, a.cache, string(Province), KindPerson, rest, opts.AllowStale, a.province.Persons)
		mergeInto(g, g.persons, r)
		if err != nil {
			g.fail(MissingProvincePerson, err)
		}
	})
	if opts.wants(MissingProvinceLicences) {
		wg.Go(func() {
			r, err := cache.GetMany(ctx, a.cache, string(Province), KindLicences, rest, opts.AllowStale, a.province.Licences)
			mergeInto(g, g.licences, r)
			if err != nil {
				g.fail(MissingProvinceLicences, err)
			}
		})
	}
	wg.Wait()
}

// childLink is one child of the applicant and how the platforms link them.
type childLink struct {
	id     string
	links  []string
	record *KinshipRecord // the province's kinship record, when it has one
}

// childLinks returns the applicant's children from every link, in a stable order (kinship
// records eldest first, then the honour certificate's child, then household children):
// household relations (a son or daughter of a head or spouse applicant; the head for an
// applicant who is the head's parent), the applicant's only-child honour certificates, and
// the province's kinship records (register and birth certificates). Called after the
// gathering goroutines are done.
func childLinks(id string, g *gathered) []childLink {
	var out []childLink
	at := map[string]int{}
	add := func(cid, link string, rec *KinshipRecord) {
		if cid == "" || cid == id {
			return
		}
		i, ok := at[cid]
		if !ok {
			i = len(out)
			at[cid] = i
			out = append(out, childLink{id: cid})
		}
		if !slices.Contains(out[i].links, link) {
			out[i].links = append(out[i].links, link)
			slices.Sort(out[i].links)
		}
		if rec != nil && out[i].record == nil {
			out[i].record = rec
		}
	}
	if k, ok := g.kinship[id]; ok && k.Found {
		for i := range k.Value {
			r := &k.Value[i]
			link := LinkPopulationBase
			if r.Certificate != "" {
				link = LinkBirthCertificate
			}
			add(r.Child, link, r)
		}
	}
	if l, ok := g.licences[id]; ok && l.Found {
		for _, r := range l.Value {
			if r.Licence.Type == "only_child_honour" {
				c, _ := r.Licence.Attrs["child_id_number"].(string)
				add(c, LinkOnlyChildHonour, nil)
			}
		}
	}
	if app, ok := g.residents[id]; ok && app.Found && g.household != nil && g.household.Found {
		var want func(rel string) bool
		switch app.Value.Relation {
		case "head", "spouse":
			want = func(rel string) bool { return rel == "son" || rel == "daughter" }
		case "parent", "father", "mother":
			want = func(rel string) bool { return rel == "head" }
		}
		if want != nil {
			for _, m := range g.household.Value.Members {
				if want(m.Relation) {
					add(m.IDNumber, LinkHousehold, nil)
				}
			}
		}
	}
	return out
}

func (a *Assembler) residents(ctx context.Context, ids []string, allowStale bool) (map[string]cache.Result[DistrictResident], error) {
	return cache.GetMany(ctx, a.cache, string(District), KindResident, ids, allowStale,
		func(ctx context.Context, ids []string) (map[string]DistrictResident, error) {
			out := make(map[string]DistrictResident, len(ids))
			var mu sync.Mutex
			var firstErr error
			var wg sync.WaitGroup
			sem := make(chan struct{}, a.districtParallel)
			for _, id := range ids {
				wg.Go(func() {
					sem <- struct{}{}
					defer func() { <-sem }()
					r, err := a.district.Resident(ctx, id)
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						out[id] = r
					case errors.Is(err, connectors.ErrNotFound):
					default:
						if firstErr == nil {
							firstErr = err
						}
					}
				})
			}
			wg.Wait()
			if firstErr != nil {
				return nil, firstErr
			}
			return out, nil
		})
}

func (a *Assembler) households(ctx context.Context, no string, allowStale bool) (cache.Result[DistrictHousehold], error) {
	r, err := cache.GetMany(ctx, a.cache, string(District), KindHousehold, []string{no}, allowStale,
		func(ctx context.Context, nos []string) (map[string]DistrictHousehold, error) {
			h, err := a.district.Household(ctx, nos[0])
			if errors.Is(err, connectors.ErrNotFound) {
				return map[string]DistrictHousehold{}, nil
			}
			if err != nil {
				return nil, err
			}
			return map[string]DistrictHousehold{nos[0]: h}, nil
		})
	if err != nil {
		return cache.Result[DistrictHousehold]{}, err
	}
	return r[no], nil
}

// reconcile merges the gathered answers into a Bundle.
func (a *Assembler) reconcile(id string, g *gathered, opts AssembleOptions) (Bundle, error) {
	b := Bundle{Provenance: map[string]Provenance{}, Conflicts: []Conflict{}, Missing: []string{}, Household: []Person{}}
	for m, err := range g.errs {
		b.Missing = append(b.Missing, m)
		if b.Failures == nil {
			b.Failures = map[string]error{}
		}
		b.Failures[m] = err
	}
	slices.Sort(b.Missing)

	// Did anybody know the applicant?
	known := g.persons[id].Found || g.residents[id].Found || g.insurance[id].Found
	if !known {
		onlyNotFound := true
		for _, err := range g.errs {
			if !errors.Is(err, connectors.ErrNotFound) {
				onlyNotFound = false
			}
		}
		if onlyNotFound {
			return b, ErrUnknownResident
		}
		if len(g.errs) >= 5 || (g.errs[MissingProvincePerson] != nil && g.errs[MissingDistrictRolls] != nil &&
			(g.errs[MissingCityInsurance] != nil || !opts.wants(MissingCityInsurance))) {
			errs := []error{ErrNoEvidence}
			for _, k := range b.Missing {
				errs = append(errs, g.errs[k])
			}
			b.Applicant = Person{IDNumber: id, Licences: []Licence{}}
			return b, errors.Join(errs...)
		}
	}
	if !g.persons[id].Found && g.errs[MissingProvincePerson] == nil {
		// The province answered but does not know the applicant.
		b.Missing = append(b.Missing, MissingProvincePerson)
		slices.Sort(b.Missing)
	}

	var hh *DistrictHousehold
	var hhRes cache.Result[DistrictHousehold]
	if g.household != nil && g.household.Found {
		hhRes = *g.household
		hh = &hhRes.Value
	}
	b.Applicant = a.person(&b, "applicant", id, g, hh, hhRes)
	if !opts.ApplicantOnly {
		var others []string
		relation := map[string]string{}
		if hh != nil {
			for _, m := range hh.Members {
				if m.IDNumber != id {
					others = append(others, m.IDNumber)
					relation[m.IDNumber] = m.Relation
				}
			}
		} else {
			// No household record: members the province or city answered for (from the
			// hint) are still reported.
			for m := range g.persons {
				if m != id {
					others = append(others, m)
				}
			}
			slices.Sort(others)
		}
		for i, m := range others {
			p := a.person(&b, "household."+strconv.Itoa(i), m, g, hh, hhRes)
			if p.Relation == "" && relation[m] != "" {
				p.Relation = refineRelation(relation[m], p.Sex)
			}
			b.Household = append(b.Household, p)
		}
	}
	b.Children = []Child{}
	if opts.wantsChildren() {
		for i, c := range childLinks(id, g) {
			prefix := "children." + strconv.Itoa(i)
			n := len(b.Conflicts)
			ch := Child{Person: a.person(&b, prefix, c.id, g, nil, cache.Result[DistrictHousehold]{}), Links: c.links}
			// Of a child's cross-level disagreements only the death matters to the applicant's
			// items; the others (village, household) are the child's own business.
			b.Conflicts = append(b.Conflicts[:n], slices.DeleteFunc(b.Conflicts[n:], func(x Conflict) bool {
				return x.Field != prefix+".deceased"
			})...)
			if r := c.record; r != nil {
				ch.MotherIDNumber, ch.FatherIDNumber = r.MotherIDNumber, r.FatherIDNumber
				if ch.Name == "" && ch.Sex == "" { // the province has no population record of the child
					ch.Name, ch.Sex = r.Name, r.Sex
				}
				b.Provenance[prefix+".links"] = r.Provenance
				b.Provenance[prefix+".mother_id_number"] = r.Provenance
			}
			for _, l := range ch.Licences {
				if l.Type == "birth" && ch.MotherIDNumber == "" {
					ch.MotherIDNumber, _ = l.Attrs["mother_id_number"].(string)
					ch.FatherIDNumber, _ = l.Attrs["father_id_number"].(string)
				}
			}
			ch.Rolls = nil // the child's village roll is not evidence about the applicant
			b.Children = append(b.Children, ch)
		}
	}
	return b, nil
}

// person merges one person's answers; prefix is "applicant" or "household.N".
func (a *Assembler) person(b *Bundle, prefix, id string, g *gathered, hh *DistrictHousehold, hhRes cache.Result[DistrictHousehold]) Person {
	p := Person{IDNumber: id, Licences: []Licence{}}
	mark := func(pv Provenance, stale bool) Provenance {
		if stale {
			pv.Stale = true
			b.Stale = true
		}
		return pv
	}
	set := func(field string, pv Provenance) { b.Provenance[prefix+"."+field] = pv }

	pr, hasProv := g.persons[id]
	if hasProv && pr.Found {
		r := pr.Value
		pv := mark(r.Provenance, pr.Stale)
		p.Name, p.Sex, p.BirthDate, p.Ethnicity = r.Person.Name, r.Person.Sex, r.Person.BirthDate, r.Person.Ethnicity
		p.HukouType, p.Marital, p.Deceased, p.DeathDate = r.Person.HukouType, r.Person.Marital, r.Person.Deceased, r.Person.DeathDate
		for _, f := range []string{"id_number", "name", "sex", "birth_date", "ethnicity", "hukou_type", "marital", "deceased", "death_date"} {
			set(f, pv)
		}
	}
	if lr, ok := g.licences[id]; ok && lr.Found {
		lics := slices.Clone(lr.Value)
		slices.SortStableFunc(lics, func(x, y LicenceRecord) int {
			return cmp.Or(cmp.Compare(x.Licence.Type, y.Licence.Type), cmp.Compare(x.Licence.IssuedOn, y.Licence.IssuedOn), cmp.Compare(x.Licence.ID, y.Licence.ID))
		})
		for i, l := range lics {
			p.Licences = append(p.Licences, l.Licence)
			set("licences."+strconv.Itoa(i), mark(l.Provenance, lr.Stale))
		}
		set("licences", mark(Provenance{Platform: Province, Endpoint: lics[0].Provenance.Endpoint, FetchedAt: lr.Fetched}, lr.Stale))
	} else if ok {
		set("licences", mark(Provenance{Platform: Province, Endpoint: "dzzz/query", FetchedAt: lr.Fetched}, lr.Stale))
	}
	dr, hasRes := g.residents[id]
	if hasRes && dr.Found {
		r := dr.Value
		pv := mark(r.Provenance, dr.Stale)
		p.Village, p.HouseholdID = r.Village, r.HouseholdID
		p.Relation = refineRelation(r.Relation, p.Sex)
		rolls := r.Rolls
		rolls.Enrolled = slices.Clone(rolls.Enrolled)
		for _, f := range []string{"village", "household_id", "relation", "rolls"} {
			set(f, pv)
		}
		if hh != nil && hh.HouseholdID == r.HouseholdID {
			land := hh.LandMu
			rolls.LandMu = &land
			if hh.Homestead != nil {
				hs := *hh.Homestead
				rolls.Homestead = &hs
			}
			hpv := mark(hh.Provenance, hhRes.Stale)
			set("rolls.land_mu", hpv)
			set("rolls.homestead", hpv)
		}
		p.Rolls = &rolls
	}
	if cr, ok := g.insurance[id]; ok && cr.Found {
		in := cr.Value.Insurance
		p.Insurance = &in
		set("insurance", mark(cr.Value.Provenance, cr.Stale))
	}

	// Conflicts between platforms; the authoritative value stays in the record.
	if hasProv && pr.Found && hasRes && dr.Found {
		prov, dist := pr.Value, dr.Value
		if prov.Person.Deceased != dist.Rolls.Deceased {
			b.Conflicts = append(b.Conflicts, Conflict{Field: prefix + ".deceased", Authority: Authority["deceased"], Values: []ConflictValue{
				{Platform: Province, Value: prov.Person.Deceased, Record: prov.Provenance.Record},
				{Platform: District, Value: dist.Rolls.Deceased, Record: dist.Provenance.Record},
			}})
		}
		if prov.HukouVillage != "" && prov.HukouVillage != dist.Village {
			b.Conflicts = append(b.Conflicts, Conflict{Field: prefix + ".village", Authority: Authority["village"], Values: []ConflictValue{
				{Platform: District, Value: dist.Village, Record: dist.Provenance.Record},
				{Platform: Province, Value: prov.HukouVillage, Record: prov.Provenance.Record},
			}})
		}
		if prov.HouseholdID != "" && prov.HouseholdID != dist.HouseholdID {
			b.Conflicts = append(b.Conflicts, Conflict{Field: prefix + ".household_id", Authority: Authority["household_id"], Values: []ConflictValue{
				{Platform: District, Value: dist.HouseholdID, Record: dist.Provenance.Record},
				{Platform: Province, Value: prov.HouseholdID, Record: prov.Provenance.Record},
			}})
		}
		if prov.Person.Name != dist.Name {
			b.Conflicts = append(b.Conflicts, Conflict{Field: prefix + ".name", Authority: Authority["name"], Values: []ConflictValue{
				{Platform: Province, Value: prov.Person.Name, Record: prov.Provenance.Record},
				{Platform: District, Value: dist.Name, Record: dist.Provenance.Record},
			}})
		}
	}
	if hasProv && pr.Found {
		if cr, ok := g.insurance[id]; ok && cr.Found && cr.Value.Name != pr.Value.Person.Name {
			b.Conflicts = append(b.Conflicts, Conflict{Field: prefix + ".name", Authority: Authority["name"], Values: []ConflictValue{
				{Platform: Province, Value: pr.Value.Person.Name, Record: pr.Value.Provenance.Record},
				{Platform: City, Value: cr.Value.Name, Record: cr.Value.Provenance.Record},
			}})
		}
	}
	return p
}

// refineRelation turns the district's unspecified "parent" into father or mother using the
// province's sex; without it the relation stays "other".
func refineRelation(rel, sex string) string {
	if rel != "parent" {
		return rel
	}
	switch sex {
	case "M":
		return "father"
	case "F":
		return "mother"
	}
	return "other"
}

// ProvenanceOf returns the provenance of a dotted field path, falling back to the nearest
// recorded ancestor ("applicant.rolls.dibao" -> "applicant.rolls").
func (b Bundle) ProvenanceOf(path string) (Provenance, bool) {
	for p := path; p != ""; {
		if pv, ok := b.Provenance[p]; ok {
			return pv, true
		}
		i := strings.LastIndexByte(p, '.')
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return Provenance{}, false
}

// NeedsOptions derives the per-request options from an item's declared needs (evidence kind
// → needs paths, as in the policy catalogue) and any further evidence paths the caller reads
// (form fields): Kinds are the declared kinds plus province.licences for a licences path and
// city.insurance for an insurance path; ApplicantOnly is set when no path reads the
// household ("household." prefix), and SkipHouseholdRecord too when no path reads the
// household's land or homestead. With no needs at all everything is fetched.
func NeedsOptions(needs map[string][]string, paths ...string) AssembleOptions {
	if len(needs) == 0 {
		return AssembleOptions{}
	}
	var o AssembleOptions
	household, land := false, false
	add := func(k string) {
		if !slices.Contains(o.Kinds, k) {
			o.Kinds = append(o.Kinds, k)
		}
	}
	see := func(p string) {
		seg := strings.Split(p, ".")
		if len(seg) > 0 && seg[0] == "household" {
			household = true
		}
		if slices.Contains(seg, "land_mu") || slices.Contains(seg, "homestead") {
			land = true
		}
		if slices.Contains(seg, "licences") {
			add(MissingProvinceLicences)
		}
		if slices.Contains(seg, "insurance") {
			add(MissingCityInsurance)
		}
	}
	for k, ps := range needs {
		add(k)
		for _, p := range ps {
			see(p)
		}
	}
	for _, p := range paths {
		if p != "" {
			see(p)
		}
	}
	slices.Sort(o.Kinds)
	o.ApplicantOnly = !household
	o.SkipHouseholdRecord = !household && !land
	return o
}
