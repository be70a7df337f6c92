package assembly

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"sanmian/connectors"
	"sanmian/connectors/cache"
	"sanmian/hub/evidence"
	"sanmian/hub/ident"
)

// Cache kinds used by the Assembler (platform, kind); lifetimes are configured per
// "<platform>.<kind>" in cache.Config.TTL and cache.Config.MaxStale (CacheKinds).
const (
	KindPerson    = "person"    // province population base record
	KindLicences  = "licences"  // province e-licences of a holder
	KindInsurance = "insurance" // city insurance record
	KindResident  = "resident"  // district resident record
	KindHousehold = "household" // district household record
	KindKinship   = "kinship"   // province kinship records (children) of a parent
)

// CacheKinds returns every "<platform>.<kind>" the Assembler caches, sorted: the kinds
// hub.yaml's evidence section may configure.
func CacheKinds() []string {
	return []string{
		string(evidence.City) + "." + KindInsurance,
		string(evidence.District) + "." + KindHousehold,
		string(evidence.District) + "." + KindResident,
		string(evidence.Province) + "." + KindKinship,
		string(evidence.Province) + "." + KindLicences,
		string(evidence.Province) + "." + KindPerson,
	}
}

// Assembler builds evidence Bundles from the three platforms: it fans out in parallel
// across platforms, batches household members per platform, caches per kind with
// stale-if-error, and reconciles the answers field by field (Authority), keeping
// disagreements as Conflicts. Safe for concurrent use.
type Assembler struct {
	province         evidence.ProvinceSource
	city             evidence.CitySource
	district         evidence.DistrictSource
	cache            *cache.Cache
	index            evidence.HouseholdIndex
	districtParallel int
}

// AssemblerOption configures an Assembler.
type AssemblerOption func(*Assembler)

// WithCache caches platform answers in c (default: no cache, every request fetches).
func WithCache(c *cache.Cache) AssemblerOption { return func(a *Assembler) { a.cache = c } }

// WithHouseholdIndex gives the Assembler a local household index (the resident snapshot)
// so that it can ask all platforms for the whole household at once.
func WithHouseholdIndex(ix evidence.HouseholdIndex) AssemblerOption {
	return func(a *Assembler) { a.index = ix }
}

// New returns an Assembler over the three platform sources (all required).
func New(province evidence.ProvinceSource, city evidence.CitySource, district evidence.DistrictSource, opts ...AssemblerOption) *Assembler {
	a := &Assembler{province: province, city: city, district: district, districtParallel: 8}
	for _, o := range opts {
		o(a)
	}
	return a
}

// gathered holds every platform answer of one Assemble call.
type gathered struct {
	mu        sync.Mutex
	persons   map[string]cache.Result[evidence.ProvinceRecord]
	licences  map[string]cache.Result[[]evidence.LicenceRecord]
	insurance map[string]cache.Result[evidence.CityRecord]
	residents map[string]cache.Result[evidence.DistrictResident]
	kinship   map[string]cache.Result[[]evidence.KinshipRecord]
	household *cache.Result[evidence.DistrictHousehold]
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
func (a *Assembler) Assemble(ctx context.Context, idNumber string, opts evidence.AssembleOptions) (evidence.Bundle, error) {
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
const TracerName = "sanmian/hub/evidence/assembly"

func (a *Assembler) assemble(ctx context.Context, idNumber string, opts evidence.AssembleOptions) (evidence.Bundle, error) {
	n, err := ident.ParseIDNumber(idNumber)
	if err != nil {
		return evidence.Bundle{}, fmt.Errorf("%w: %w", evidence.ErrInvalidIDNumber, errors.Unwrap(err))
	}
	id := n.Number
	g := &gathered{
		persons:   map[string]cache.Result[evidence.ProvinceRecord]{},
		licences:  map[string]cache.Result[[]evidence.LicenceRecord]{},
		insurance: map[string]cache.Result[evidence.CityRecord]{},
		residents: map[string]cache.Result[evidence.DistrictResident]{},
		kinship:   map[string]cache.Result[[]evidence.KinshipRecord]{},
		errs:      map[string]error{},
	}

	hintHH, hint := a.hint(ctx, id, opts)
	// members is published once by the district goroutine: the household's member IDs
	// (applicant first), or just the applicant when the district could not say.
	members := make(chan []string, 2)
	var wg sync.WaitGroup
	wg.Go(func() { a.gatherDistrict(ctx, g, id, hintHH, hint, opts, members) })
	wg.Go(func() { a.gatherOthers(ctx, g, hint, members, opts) })
	if opts.WantsChildren() {
		wg.Go(func() {
			r, err := cache.GetMany(ctx, a.cache, string(evidence.Province), KindKinship, []string{id}, opts.StaleOK(evidence.MissingProvinceKinship), a.province.Children)
			mergeInto(g, g.kinship, r)
			if err != nil {
				g.fail(evidence.MissingProvinceKinship, err)
			}
		})
	}
	wg.Wait()
	if opts.WantsChildren() {
		a.gatherChildren(ctx, g, id, opts)
	}
	if err := ctx.Err(); err != nil {
		return evidence.Bundle{}, &connectors.Error{Platform: "hub", Endpoint: "assemble", Kind: connectors.ErrCanceled, Err: err}
	}
	return a.reconcile(id, g, opts)
}

// hint returns the household number and members expected for id, from the household index
// or the cache, applicant first; nil when unknown.
func (a *Assembler) hint(ctx context.Context, id string, opts evidence.AssembleOptions) (string, []string) {
	if opts.ApplicantOnly && opts.SkipHouseholdRecord {
		return "", []string{id}
	}
	if opts.ApplicantOnly {
		if r, ok := cache.Peek[evidence.DistrictResident](a.cache, string(evidence.District), KindResident, id); ok {
			return r.HouseholdID, []string{id}
		}
		if a.index != nil {
			if hh, _, ok, err := a.index.HouseholdMembers(ctx, id); err == nil && ok {
				return hh, []string{id}
			}
		}
		return "", []string{id}
	}
	if r, ok := cache.Peek[evidence.DistrictResident](a.cache, string(evidence.District), KindResident, id); ok {
		if h, ok := cache.Peek[evidence.DistrictHousehold](a.cache, string(evidence.District), KindHousehold, r.HouseholdID); ok {
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
func (a *Assembler) gatherDistrict(ctx context.Context, g *gathered, id, hintHH string, hint []string, opts evidence.AssembleOptions, members chan<- []string) {
	published := false
	publish := func(ids []string) {
		if !published {
			members <- ids
			published = true
		}
	}
	defer publish([]string{id})

	if opts.ApplicantOnly && opts.SkipHouseholdRecord {
		res, err := a.residents(ctx, []string{id}, residentStaleOK(opts))
		mergeInto(g, g.residents, res)
		switch {
		case err != nil:
			g.fail(evidence.MissingDistrictRolls, err)
			g.fail(evidence.MissingDistrictHousehold, err)
		case !res[id].Found:
			g.fail(evidence.MissingDistrictRolls, &connectors.Error{Platform: string(evidence.District), Endpoint: KindResident, Kind: connectors.ErrNotFound})
			g.fail(evidence.MissingDistrictHousehold, &connectors.Error{Platform: string(evidence.District), Endpoint: KindHousehold, Kind: connectors.ErrNotFound})
		}
		return
	}

	var hh cache.Result[evidence.DistrictHousehold]
	var hhErr error
	var hhWG sync.WaitGroup
	if hintHH != "" {
		// Household number known in advance: read household and residents at once.
		hhWG.Go(func() { hh, hhErr = a.households(ctx, hintHH, opts.StaleOK(evidence.MissingDistrictHousehold)) })
	}
	first := hint
	if len(first) == 0 {
		first = []string{id}
	}
	res, err := a.residents(ctx, first, residentStaleOK(opts))
	mergeInto(g, g.residents, res)
	if err != nil {
		g.fail(evidence.MissingDistrictRolls, err)
	}
	hhWG.Wait()
	app, ok := res[id]
	if !ok || !app.Found {
		if err == nil {
			g.fail(evidence.MissingDistrictRolls, &connectors.Error{Platform: string(evidence.District), Endpoint: KindResident, Kind: connectors.ErrNotFound})
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
		g.fail(evidence.MissingDistrictHousehold, cmp.Or(err, error(&connectors.Error{Platform: string(evidence.District), Endpoint: KindHousehold, Kind: connectors.ErrNotFound})))
		return
	}
	if hintHH == "" || hintHH != app.Value.HouseholdID {
		hh, hhErr = a.households(ctx, app.Value.HouseholdID, opts.StaleOK(evidence.MissingDistrictHousehold))
	}
	if hhErr != nil {
		g.fail(evidence.MissingDistrictHousehold, hhErr)
		if len(hint) > 0 && !opts.ApplicantOnly {
			publish(hint)
		}
		return
	}
	if !hh.Found {
		// The resident roll names a household the platform does not have: the members, land
		// and homestead are unknown, not "none".
		g.fail(evidence.MissingDistrictHousehold, &connectors.Error{Platform: string(evidence.District), Endpoint: KindHousehold, Kind: connectors.ErrNotFound})
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
		more, err := a.residents(ctx, rest, residentStaleOK(opts))
		mergeInto(g, g.residents, more)
		if err != nil {
			g.fail(evidence.MissingDistrictRolls, err)
		}
	}
}

// gatherOthers asks the province (persons and licences) and the city (insurance) for the
// hinted household at once, or waits for the district's membership; members the hint
// missed are asked for afterwards.
func (a *Assembler) gatherOthers(ctx context.Context, g *gathered, hint []string, members <-chan []string, opts evidence.AssembleOptions) {
	var asked []string
	batch := func(ids []string) {
		var wg sync.WaitGroup
		wg.Go(func() {
			r, err := cache.GetMany(ctx, a.cache, string(evidence.Province), KindPerson, ids, opts.StaleOK(evidence.MissingProvincePerson), a.province.Persons)
			mergeInto(g, g.persons, r)
			if err != nil {
				g.fail(evidence.MissingProvincePerson, err)
			}
		})
		if opts.Wants(evidence.MissingProvinceLicences) {
			wg.Go(func() {
				r, err := cache.GetMany(ctx, a.cache, string(evidence.Province), KindLicences, ids, opts.StaleOK(evidence.MissingProvinceLicences), a.province.Licences)
				mergeInto(g, g.licences, r)
				if err != nil {
					g.fail(evidence.MissingProvinceLicences, err)
				}
			})
		}
		if opts.Wants(evidence.MissingCityInsurance) {
			wg.Go(func() {
				r, err := cache.GetMany(ctx, a.cache, string(evidence.City), KindInsurance, ids, opts.StaleOK(evidence.MissingCityInsurance), a.city.Insurance)
				mergeInto(g, g.insurance, r)
				if err != nil {
					g.fail(evidence.MissingCityInsurance, err)
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
func (a *Assembler) gatherChildren(ctx context.Context, g *gathered, id string, opts evidence.AssembleOptions) {
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
		r, err := cache.GetMany(ctx, a.cache, string(evidence.Province), KindPerson, rest, opts.StaleOK(evidence.MissingProvincePerson), a.province.Persons)
		mergeInto(g, g.persons, r)
		if err != nil {
			g.fail(evidence.MissingProvincePerson, err)
		}
	})
	if opts.Wants(evidence.MissingProvinceLicences) {
		wg.Go(func() {
			r, err := cache.GetMany(ctx, a.cache, string(evidence.Province), KindLicences, rest, opts.StaleOK(evidence.MissingProvinceLicences), a.province.Licences)
			mergeInto(g, g.licences, r)
			if err != nil {
				g.fail(evidence.MissingProvinceLicences, err)
			}
		})
	}
	wg.Wait()
}

// childLink is one child of the applicant and how the platforms link them.
type childLink struct {
	id     string
	links  []string
	record *evidence.KinshipRecord // the province's kinship record, when it has one
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
	add := func(cid, link string, rec *evidence.KinshipRecord) {
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
			link := evidence.LinkPopulationBase
			if r.Certificate != "" {
				link = evidence.LinkBirthCertificate
			}
			add(r.Child, link, r)
		}
	}
	if l, ok := g.licences[id]; ok && l.Found {
		for _, r := range l.Value {
			if r.Licence.Type == "only_child_honour" {
				c, _ := r.Licence.Attrs["child_id_number"].(string)
				add(c, evidence.LinkOnlyChildHonour, nil)
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
					add(m.IDNumber, evidence.LinkHousehold, nil)
				}
			}
		}
	}
	return out
}

// residentStaleOK reports whether a district resident record may be served stale: it
// carries the village (read under district.household) and the rolls (district.rolls), so
// district.household must accept stale evidence, and district.rolls too when it is needed.
func residentStaleOK(opts evidence.AssembleOptions) bool {
	return opts.StaleOK(evidence.MissingDistrictHousehold) &&
		(opts.StaleOK(evidence.MissingDistrictRolls) || !opts.Wants(evidence.MissingDistrictRolls))
}

func (a *Assembler) residents(ctx context.Context, ids []string, allowStale bool) (map[string]cache.Result[evidence.DistrictResident], error) {
	return cache.GetMany(ctx, a.cache, string(evidence.District), KindResident, ids, allowStale,
		func(ctx context.Context, ids []string) (map[string]evidence.DistrictResident, error) {
			out := make(map[string]evidence.DistrictResident, len(ids))
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
					case errors.Is(err, evidence.ErrNotFound):
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

func (a *Assembler) households(ctx context.Context, no string, allowStale bool) (cache.Result[evidence.DistrictHousehold], error) {
	r, err := cache.GetMany(ctx, a.cache, string(evidence.District), KindHousehold, []string{no}, allowStale,
		func(ctx context.Context, nos []string) (map[string]evidence.DistrictHousehold, error) {
			h, err := a.district.Household(ctx, nos[0])
			if errors.Is(err, evidence.ErrNotFound) {
				return map[string]evidence.DistrictHousehold{}, nil
			}
			if err != nil {
				return nil, err
			}
			return map[string]evidence.DistrictHousehold{nos[0]: h}, nil
		})
	if err != nil {
		return cache.Result[evidence.DistrictHousehold]{}, err
	}
	return r[no], nil
}

// reconcile merges the gathered answers into a Bundle.
func (a *Assembler) reconcile(id string, g *gathered, opts evidence.AssembleOptions) (evidence.Bundle, error) {
	b := evidence.Bundle{Provenance: map[string]evidence.Provenance{}, Conflicts: []evidence.Conflict{}, Missing: []string{}, Household: []evidence.Person{}}
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
			if !errors.Is(err, evidence.ErrNotFound) {
				onlyNotFound = false
			}
		}
		if onlyNotFound {
			return b, evidence.ErrUnknownResident
		}
		if len(g.errs) >= 5 || (g.errs[evidence.MissingProvincePerson] != nil && g.errs[evidence.MissingDistrictRolls] != nil &&
			(g.errs[evidence.MissingCityInsurance] != nil || !opts.Wants(evidence.MissingCityInsurance))) {
			errs := []error{evidence.ErrNoEvidence}
			for _, k := range b.Missing {
				errs = append(errs, g.errs[k])
			}
			b.Applicant = evidence.Person{IDNumber: id, Licences: []evidence.Licence{}}
			return b, errors.Join(errs...)
		}
	}
	if !g.persons[id].Found && g.errs[evidence.MissingProvincePerson] == nil {
		// The province answered but does not know the applicant.
		b.Missing = append(b.Missing, evidence.MissingProvincePerson)
		slices.Sort(b.Missing)
	}

	var hh *evidence.DistrictHousehold
	var hhRes cache.Result[evidence.DistrictHousehold]
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
	b.Children = []evidence.Child{}
	if opts.WantsChildren() {
		for i, c := range childLinks(id, g) {
			prefix := "children." + strconv.Itoa(i)
			n := len(b.Conflicts)
			ch := evidence.Child{Person: a.person(&b, prefix, c.id, g, nil, cache.Result[evidence.DistrictHousehold]{}), Links: c.links}
			// Of a child's cross-level disagreements only the death matters to the applicant's
			// items; the others (village, household) are the child's own business.
			b.Conflicts = append(b.Conflicts[:n], slices.DeleteFunc(b.Conflicts[n:], func(x evidence.Conflict) bool {
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
func (a *Assembler) person(b *evidence.Bundle, prefix, id string, g *gathered, hh *evidence.DistrictHousehold, hhRes cache.Result[evidence.DistrictHousehold]) evidence.Person {
	p := evidence.Person{IDNumber: id, Licences: []evidence.Licence{}}
	mark := func(pv evidence.Provenance, stale bool) evidence.Provenance {
		if stale {
			pv.Stale = true
			b.Stale = true
		}
		return pv
	}
	set := func(field string, pv evidence.Provenance) { b.Provenance[prefix+"."+field] = pv }

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
		slices.SortStableFunc(lics, func(x, y evidence.LicenceRecord) int {
			return cmp.Or(cmp.Compare(x.Licence.Type, y.Licence.Type), cmp.Compare(x.Licence.IssuedOn, y.Licence.IssuedOn), cmp.Compare(x.Licence.ID, y.Licence.ID))
		})
		for i, l := range lics {
			p.Licences = append(p.Licences, l.Licence)
			set("licences."+strconv.Itoa(i), mark(l.Provenance, lr.Stale))
		}
		set("licences", mark(evidence.Provenance{Platform: evidence.Province, Endpoint: lics[0].Provenance.Endpoint, FetchedAt: lr.Fetched}, lr.Stale))
	} else if ok {
		set("licences", mark(evidence.Provenance{Platform: evidence.Province, Endpoint: "dzzz/query", FetchedAt: lr.Fetched}, lr.Stale))
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
			b.Conflicts = append(b.Conflicts, evidence.Conflict{Field: prefix + ".deceased", Authority: evidence.Authority["deceased"], Values: []evidence.ConflictValue{
				{Platform: evidence.Province, Value: prov.Person.Deceased, Record: prov.Provenance.Record},
				{Platform: evidence.District, Value: dist.Rolls.Deceased, Record: dist.Provenance.Record},
			}})
		}
		if prov.HukouVillage != "" && prov.HukouVillage != dist.Village {
			b.Conflicts = append(b.Conflicts, evidence.Conflict{Field: prefix + ".village", Authority: evidence.Authority["village"], Values: []evidence.ConflictValue{
				{Platform: evidence.District, Value: dist.Village, Record: dist.Provenance.Record},
				{Platform: evidence.Province, Value: prov.HukouVillage, Record: prov.Provenance.Record},
			}})
		}
		if prov.HouseholdID != "" && prov.HouseholdID != dist.HouseholdID {
			b.Conflicts = append(b.Conflicts, evidence.Conflict{Field: prefix + ".household_id", Authority: evidence.Authority["household_id"], Values: []evidence.ConflictValue{
				{Platform: evidence.District, Value: dist.HouseholdID, Record: dist.Provenance.Record},
				{Platform: evidence.Province, Value: prov.HouseholdID, Record: prov.Provenance.Record},
			}})
		}
		if prov.Person.Name != dist.Name {
			b.Conflicts = append(b.Conflicts, evidence.Conflict{Field: prefix + ".name", Authority: evidence.Authority["name"], Values: []evidence.ConflictValue{
				{Platform: evidence.Province, Value: prov.Person.Name, Record: prov.Provenance.Record},
				{Platform: evidence.District, Value: dist.Name, Record: dist.Provenance.Record},
			}})
		}
	}
	if hasProv && pr.Found {
		if cr, ok := g.insurance[id]; ok && cr.Found && cr.Value.Name != pr.Value.Person.Name {
			b.Conflicts = append(b.Conflicts, evidence.Conflict{Field: prefix + ".name", Authority: evidence.Authority["name"], Values: []evidence.ConflictValue{
				{Platform: evidence.Province, Value: pr.Value.Person.Name, Record: pr.Value.Provenance.Record},
				{Platform: evidence.City, Value: cr.Value.Name, Record: cr.Value.Provenance.Record},
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
