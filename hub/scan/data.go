package scan

import (
	"context"
	"slices"
	"strings"

	"sanmian/hub/evidence"
	"sanmian/hub/store"
)

// row is one synced resident with their enrolments.
type row struct {
	store.ScanResident
	enrolled []string
}

// data is the synced scan data of a division, in memory, with what rebuilding a resident's
// evidence needs: households and parent-child links.
type data struct {
	rows       []row
	n          int              // rows[:n] are evaluated; the rest (a delta scan's context) only feed their evidence
	index      map[string]int   // ID number → row
	households map[string][]int // household ID → rows
	children   map[string][]store.ChildLink
	links      int
	enrolments int
}

func load(ctx context.Context, s store.ScanBulkReader, division string) (*data, error) {
	// Sized for the division up front: a million rows grown by appending were copied some
	// twenty times over, and the index rehashed as often.
	n, err := s.CountScanResidents(ctx, division)
	if err != nil {
		return nil, err
	}
	d := &data{rows: make([]row, 0, n), index: make(map[string]int, n), households: make(map[string][]int, n/2), children: map[string][]store.ChildLink{}}
	// The whole district's links do not depend on the rows: read them meanwhile.
	type linksRead struct {
		links []store.ChildLink
		err   error
	}
	var all chan linksRead
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if division == "" {
		all = make(chan linksRead, 1)
		go func() {
			links, err := s.AllChildLinks(lctx)
			all <- linksRead{links, err}
		}()
	}
	err = s.EachScanResident(ctx, division, func(r *store.ScanResident, enrolled []string) error {
		d.add(row{ScanResident: *r, enrolled: enrolled})
		d.enrolments += len(enrolled)
		return nil
	})
	var links []store.ChildLink
	if all != nil {
		if err != nil {
			cancel() // the rows failed: stop reading the links too
		}
		read := <-all
		if err == nil {
			links, err = read.links, read.err
		}
	}
	if err != nil {
		return nil, err
	}
	if division != "" {
		// A town or a village: only its residents' links (those of other parents are dropped
		// below anyway), not the district's.
		links, err = s.ChildLinksOf(ctx, d.ids())
	}
	if err != nil {
		return nil, err
	}
	for _, l := range links {
		if _, ok := d.index[l.ParentID]; ok {
			d.children[l.ParentID] = append(d.children[l.ParentID], l)
		}
	}
	d.links = len(links)
	d.n = len(d.rows)
	if division != "" {
		if err := d.addContext(ctx, s, division); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// addContext adds, after a division's rows, the rows its residents' evidence holds that live
// outside it: household members and linked children elsewhere, whom a live decision reads
// too (a son who moved to another village is still the applicant's child). They are
// context, not evaluated.
func (d *data) addContext(ctx context.Context, s store.ScanBulkReader, division string) error {
	touched := map[string]bool{}
	err := s.EachScanResidentOf(ctx, division, d.ids(), func(r *store.ScanResident, enrolled []string, named bool) error {
		if _, ok := d.index[r.IDNumber]; ok || named {
			return nil
		}
		d.add(row{ScanResident: *r, enrolled: enrolled})
		if r.HouseholdID != "" {
			touched[r.HouseholdID] = true
		}
		return nil
	})
	for h := range touched {
		d.sortHousehold(h)
	}
	return err
}

// add appends r to the rows, indexed by ID number and household.
func (d *data) add(r row) {
	d.index[r.IDNumber] = len(d.rows)
	if r.HouseholdID != "" {
		d.households[r.HouseholdID] = append(d.households[r.HouseholdID], len(d.rows))
	}
	d.rows = append(d.rows, r)
}

// sortHousehold puts household h's members in ID-number order, as a full load has them.
func (d *data) sortHousehold(h string) {
	slices.SortFunc(d.households[h], func(a, b int) int { return strings.Compare(d.rows[a].IDNumber, d.rows[b].IDNumber) })
}

// loadOf loads what deciding the residents ids in division (in any order, repeats allowed)
// needs: their rows (first, rows[:n]) and the household members and children their evidence
// holds, wherever these live.
func loadOf(ctx context.Context, s store.ScanBulkReader, division string, ids []string) (*data, error) {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	return loadContext(ctx, s, func(fn func(*store.ScanResident, []string, bool) error) error {
		return s.EachScanResidentOf(ctx, division, ids, fn)
	})
}

// loadContext loads the rows walk yields, those it names first (rows[:n]) and the rest as
// their evidence's context, with the child links of all of them.
func loadContext(ctx context.Context, s store.ScanBulkReader, walk func(func(*store.ScanResident, []string, bool) error) error) (*data, error) {
	d := &data{index: map[string]int{}, households: map[string][]int{}, children: map[string][]store.ChildLink{}}
	var extra []row
	err := walk(func(r *store.ScanResident, enrolled []string, named bool) error {
		if named {
			d.rows = append(d.rows, row{ScanResident: *r, enrolled: enrolled})
			d.enrolments += len(enrolled)
		} else {
			extra = append(extra, row{ScanResident: *r, enrolled: enrolled})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	d.n = len(d.rows)
	d.rows = append(d.rows, extra...)
	for i := range d.rows {
		d.index[d.rows[i].IDNumber] = i
		if h := d.rows[i].HouseholdID; h != "" {
			d.households[h] = append(d.households[h], i)
		}
	}
	for h := range d.households {
		d.sortHousehold(h)
	}
	links, err := s.ChildLinksOf(ctx, d.ids())
	if err != nil {
		return nil, err
	}
	for _, l := range links {
		if _, ok := d.index[l.ParentID]; ok {
			d.children[l.ParentID] = append(d.children[l.ParentID], l)
		}
	}
	d.links = len(links)
	return d, nil
}

// ids returns the ID numbers of the rows, in row order.
func (d *data) ids() []string {
	ids := make([]string, len(d.rows))
	for i := range d.rows {
		ids[i] = d.rows[i].IDNumber
	}
	return ids
}

// person is the evidence model of a synced row: the province's facts where it is the
// authority (hukou type, death, licences), the district roll's for village, household and
// rolls, the city's insurance.
func (d *data) person(i int) evidence.Person {
	r := &d.rows[i]
	p := evidence.Person{
		IDNumber: r.IDNumber, Name: r.Name, Sex: r.Sex, BirthDate: r.BirthDate, HukouType: r.HukouType,
		Village: r.Village, HouseholdID: r.HouseholdID, Relation: r.Relation,
		Deceased: r.Province.Deceased, DeathDate: r.Province.DeathDate, Licences: []evidence.Licence{},
	}
	if r.Province.SpouseID != "" {
		p.Marital = "married"
		p.Licences = append(p.Licences, evidence.Licence{Type: "marriage", Status: "valid", Attrs: map[string]any{"spouse_id_number": r.Province.SpouseID}})
	}
	if r.Province.DisabilityNumber != "" {
		p.Licences = append(p.Licences, evidence.Licence{Type: "disability", Number: r.Province.DisabilityNumber,
			ValidUntil: r.Province.DisabilityValidUntil, Status: r.Province.DisabilityStatus,
			Attrs: map[string]any{"category": r.Province.DisabilityCategory, "grade": r.Province.DisabilityGrade}})
	}
	if r.Province.OnlyChildHonour {
		l := evidence.Licence{Type: "only_child_honour", Status: "valid"}
		for _, c := range d.children[r.IDNumber] {
			if c.Source == store.LinkOnlyChildHonour {
				l.Attrs = map[string]any{"child_id_number": c.ChildID}
			}
		}
		p.Licences = append(p.Licences, l)
	}
	if r.Deceased && r.Province.Deceased && r.Province.DeathDate != "" {
		p.Licences = append(p.Licences, evidence.Licence{Type: "death", Status: "valid", Attrs: map[string]any{"death_date": r.Province.DeathDate}})
	}
	if r.CitySynced {
		c := r.City
		p.Insurance = &evidence.Insurance{Pension: c.Pension, PensionSince: c.PensionSince, PensionMonthly: c.PensionMonthly,
			Medical: c.Medical, MedicalYear: c.MedicalYear, Employment: c.Employment, UnemployedSince: c.UnemployedSince,
			EmploymentDifficulty: c.EmploymentDifficulty}
	}
	land := r.LandMu
	rolls := &evidence.Rolls{Dibao: r.Dibao, Tekun: r.Tekun, Enrolled: append([]string{}, r.enrolled...), Veteran: r.Veteran,
		InSchool: r.InSchool, CollectiveMember: r.CollectiveMember, LandMu: &land,
		Deceased: r.DeceasedSource == "district" || r.DeceasedSource == "both"}
	if r.HomesteadM2 > 0 || r.HouseGrade != "" {
		rolls.Homestead = &evidence.Homestead{AreaM2: r.HomesteadM2, HouseGrade: r.HouseGrade}
	}
	p.Rolls = rolls
	return p
}

// bundle rebuilds resident i's evidence from the synced rows: the person, the household, the
// children the links name, the evidence kinds a feed has not synced as missing, and a death
// the two platforms disagree on as a conflict (as the live assembly reports it).
func (d *data) bundle(i int) *evidence.Bundle {
	r := &d.rows[i]
	b := &evidence.Bundle{Applicant: d.person(i), Household: []evidence.Person{}, Children: []evidence.Child{},
		Provenance: map[string]evidence.Provenance{}, Conflicts: []evidence.Conflict{}, Missing: []string{}}
	if r.HouseholdID != "" {
		for _, j := range d.households[r.HouseholdID] {
			if j != i {
				b.Household = append(b.Household, d.person(j))
			}
		}
	}
	byChild := map[string]int{}
	for _, l := range d.children[r.IDNumber] {
		k, ok := byChild[l.ChildID]
		if !ok {
			c := evidence.Child{Person: evidence.Person{IDNumber: l.ChildID, Licences: []evidence.Licence{}}}
			if j, ok := d.index[l.ChildID]; ok {
				c.Person = d.person(j)
			}
			k = len(b.Children)
			byChild[l.ChildID] = k
			b.Children = append(b.Children, c)
		}
		b.Children[k].Links = append(b.Children[k].Links, l.Source)
	}
	if !r.ProvinceSynced {
		b.Missing = append(b.Missing, "province.person", "province.licences", "province.kinship")
	}
	if !r.CitySynced {
		b.Missing = append(b.Missing, "city.insurance")
	}
	if r.DeceasedSource == "province" || r.DeceasedSource == "district" {
		b.Conflicts = append(b.Conflicts, evidence.Conflict{Field: "applicant.deceased", Authority: evidence.Province,
			Values: []evidence.ConflictValue{{Platform: evidence.Province, Value: r.Province.Deceased}, {Platform: evidence.District, Value: !r.Province.Deceased}}})
	}
	return b
}
