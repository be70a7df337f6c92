package synth

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"

	"sanmian/hub/division"
)

// chunkPersons is the number of persons generated from one random stream. Chunks are fixed
// by the resident count alone, so the output does not depend on how many run in parallel.
const chunkPersons = 16384

// maxHousehold is the largest number of living members in one household.
const maxHousehold = 6

// addressCodes are the ID-number address codes in use: the district since 2016, the former
// county-level city, and places spouses married in from.
var addressCodes = []string{
	division.DistrictCode, division.FormerDistrictCode,
	"370112", "370115", "370124", "370126", "371202", "370303", "370321", "371425",
}

const (
	addrDistrict = 0
	addrFormer   = 1
)

// Generate builds the synthetic district for cfg. The same cfg always gives identical data.
// Identifier construction uses the wall clock only to refuse birth dates in the future, so
// cfg.Reference must not lie after today.
func Generate(cfg Config) (*District, error) {
	if cfg.Residents == 0 {
		cfg.Residents = DefaultResidents
	}
	if cfg.Reference.IsZero() {
		cfg.Reference = DefaultReference
	}
	cfg.Reference = cfg.Reference.UTC()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	villages := division.Villages()
	if len(villages) == 0 || len(villages) > 999 {
		return nil, fmt.Errorf("%w: %d villages", ErrConfig, len(villages))
	}
	vt := newVillageTable(cfg.Seed, villages)

	nChunks := (cfg.Residents + chunkPersons - 1) / chunkPersons
	chunks := make([]*gen, nChunks)
	var wg sync.WaitGroup
	next := make(chan int, nChunks)
	for i := range nChunks {
		next <- i
	}
	close(next)
	for range min(runtime.GOMAXPROCS(0), nChunks) {
		wg.Go(func() {
			for i := range next {
				quota := chunkPersons
				if i == nChunks-1 {
					quota = cfg.Residents - i*chunkPersons
				}
				g := newGen(cfg, vt, i, quota)
				g.run()
				chunks[i] = g
			}
		})
	}
	wg.Wait()

	d := merge(cfg, villages, chunks)
	if err := d.assignIdentifiers(); err != nil {
		return nil, err
	}
	if err := initOffices(); err != nil {
		return nil, err
	}
	return d, nil
}

// maxResidents bounds Config.Residents well inside the ID-number sequence space.
const maxResidents = 20_000_000

// Validate reports an unusable Config (wrapping ErrConfig). Zero values are valid: they
// select the defaults.
func (c Config) Validate() error {
	if c.Residents < 0 || c.Residents > maxResidents {
		return fmt.Errorf("%w: residents %d outside 0..%d", ErrConfig, c.Residents, maxResidents)
	}
	if !c.Reference.IsZero() && c.Reference.Year() < 2000 {
		return fmt.Errorf("%w: reference before 2000", ErrConfig)
	}
	return nil
}

// villageTable holds per-village weights and hukou shares, fixed by the seed.
type villageTable struct {
	cum      []float64 // cumulative population weight
	agri     []float64 // share of agricultural hukou
	villages []division.Division
}

func newVillageTable(seed int64, villages []division.Division) *villageTable {
	r := rand.New(rand.NewPCG(uint64(seed), 0x76696c6c61676573))
	vt := &villageTable{cum: make([]float64, len(villages)), agri: make([]float64, len(villages)), villages: villages}
	total := 0.0
	for i, v := range villages {
		w := 0.5 + r.Float64()*1.3 // village populations vary about threefold
		agri := 0.93
		town := ""
		if len(v.Town) >= 9 {
			town = v.Town[6:9]
		}
		switch town {
		case "001", "002": // 明水, 双山: the urban core
			w *= 1.6
			agri = 0.55
		case "":
		default:
			if town[0] == '0' {
				agri = 0.88
			}
		}
		total += w
		vt.cum[i] = total
		vt.agri[i] = agri
	}
	for i := range vt.cum {
		vt.cum[i] /= total
	}
	return vt
}

// draw picks a village index by population weight.
func (vt *villageTable) draw(r *rand.Rand) int16 {
	x := r.Float64()
	lo, hi := 0, len(vt.cum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if vt.cum[mid] < x {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return int16(lo)
}

// unit is a couple (or a widowed, divorced or single person) with their children, the
// building block of a lineage before it is arranged into households.
type unit struct {
	h, w    int32   // husband, wife; -1 when absent (dead long ago, divorced, never married)
	kids    []int32 // children, eldest first, including those who died
	kidUnit []int32 // each married child's own unit, -1 otherwise
}

// gen generates one chunk.
type gen struct {
	r       *rand.Rand
	vt      *villageTable
	ref     int // reference day number
	refDate Date
	quota   int

	persons []Person
	addr    []uint8 // address-code index for the ID number
	hh      []Household
	members []int32 // backing store of Household.Members (local indexes)
	hhStart []int32 // offset of each household's members in members
	units   []unit
	village int16
}

func newGen(cfg Config, vt *villageTable, chunk, quota int) *gen {
	refDate := DateOf(cfg.Reference)
	return &gen{
		r:       newStream(cfg.Seed, 0x6368756e6b000000^uint64(chunk)*0x9e3779b97f4a7c15),
		vt:      vt,
		ref:     refDate.day(),
		refDate: refDate,
		quota:   quota,
		persons: make([]Person, 0, quota),
		addr:    make([]uint8, 0, quota),
		hh:      make([]Household, 0, quota/2),
		members: make([]int32, 0, quota),
	}
}

const year = 365.2425

// ageOf returns the age in whole years on the reference day of someone born on day b.
func (g *gen) ageOf(i int32) int { return ageOn(g.persons[i].Birth, g.refDate) }

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

// run fills the chunk with lineages until the quota is met, then sets every attribute.
func (g *gen) run() {
	for len(g.persons) < g.quota {
		g.lineage()
	}
	g.attributes()
}

// rootBands are the age bands of lineage roots (the oldest generation's husband, or the
// single root person) and their weights, tuned so that the district as a whole has the
// census-like age structure of rural Zhangqiu.
var rootBands = []struct {
	lo, hi int
	w      float64
}{
	{22, 29, 0.04}, {30, 39, 0.05}, {40, 49, 0.07}, {50, 59, 0.12}, {60, 69, 0.27},
	{70, 79, 0.26}, {80, 89, 0.125}, {90, 99, 0.026}, {100, 104, 0.0006},
}

func (g *gen) drawRootAge() int {
	total := 0.0
	for _, b := range rootBands {
		total += b.w
	}
	x := g.r.Float64() * total
	for _, b := range rootBands {
		if x < b.w {
			// within the band, fewer survivors at higher ages
			span := b.hi - b.lo + 1
			a := b.lo + int(float64(span)*g.r.Float64()*g.r.Float64()*0.5+float64(span)*g.r.Float64()*0.5)
			return min(a, b.hi)
		}
		x -= b.w
	}
	return 40
}

// lineage generates one family tree in one village and arranges it into households. A
// lineage that would overflow the quota is discarded and redrawn; near the end of the quota
// the rest is filled with one- and two-person households.
func (g *gen) lineage() {
	left := g.quota - len(g.persons)
	mark, markAddr, markUnits := len(g.persons), len(g.addr), len(g.units)
	for attempt := 0; attempt < 4 && left > 2; attempt++ {
		g.village = g.vt.draw(g.r)
		root := g.root(g.drawRootAge())
		if len(g.persons)-mark <= left {
			g.place(root)
			g.units = g.units[:markUnits]
			return
		}
		g.persons, g.addr, g.units = g.persons[:mark], g.addr[:markAddr], g.units[:markUnits]
	}
	// fill: an elderly person or couple
	g.village = g.vt.draw(g.r)
	a := 62 + g.r.IntN(25)
	if left >= 2 {
		h := g.newPerson('M', g.birthForAge(a), drawSurname(g.r), Han)
		w := g.newPerson('F', g.birthForAge(a-g.r.IntN(4)), drawSurname(g.r), Han)
		g.marry(h, w)
		g.place(g.newUnit(h, w))
	} else {
		p := g.newPerson(byte("MF"[g.r.IntN(2)]), g.birthForAge(a), drawSurname(g.r), Han)
		g.persons[p].Marital = Widowed
		g.place(g.newUnit(p, -1))
	}
	g.units = g.units[:markUnits]
}

// birthForAge returns a birth day number for someone aged a on the reference day.
func (g *gen) birthForAge(a int) int {
	return g.ref - int(float64(a)*year) - 1 - g.r.IntN(365)
}

func (g *gen) drawEthnicity() Ethnicity {
	x := g.r.IntN(1000)
	switch {
	case x < 10:
		return Hui
	case x < 12:
		return Manchu
	}
	return Han
}

// newPerson appends a person born on day birth and decides a recent death.
func (g *gen) newPerson(sex byte, birth int, surname string, eth Ethnicity) int32 {
	if birth >= g.ref {
		birth = g.ref - 1
	}
	b := dateOfDay(birth)
	i := int32(len(g.persons))
	g.persons = append(g.persons, Person{
		Name:               surname + givenName(g.r, sex, b.Year()),
		Sex:                sex,
		Ethnicity:          eth,
		Birth:              b,
		Household:          -1,
		Spouse:             -1,
		Father:             -1,
		Mother:             -1,
		DeathOnVillageRoll: true,
	})
	g.addr = append(g.addr, 0)
	// deaths in the last twelve months, about 0.7% a year overall
	a := float64(g.ref-birth) / year
	if g.chance(mortality(a)) {
		dd := g.ref - 1 - g.r.IntN(365)
		if dd > birth {
			p := &g.persons[i]
			p.Death = dateOfDay(dd)
			// the province learns of deaths first; the village roll follows within weeks
			if g.ref-dd <= 75 && g.chance(0.5) {
				p.DeathOnVillageRoll = false
			}
		}
	}
	return i
}

// mortality is the yearly probability of death at age a.
func mortality(a float64) float64 {
	switch {
	case a < 1:
		return 0.003
	case a < 40:
		return 0.0006
	case a < 60:
		return 0.003
	case a < 70:
		return 0.008
	case a < 80:
		return 0.019
	case a < 90:
		return 0.06
	case a < 100:
		return 0.16
	}
	return 0.3
}

func (g *gen) newUnit(h, w int32) int32 {
	g.units = append(g.units, unit{h: h, w: w})
	return int32(len(g.units) - 1)
}

func (g *gen) marry(h, w int32) {
	g.persons[h].Spouse, g.persons[w].Spouse = w, h
	g.persons[h].Marital, g.persons[w].Marital = Married, Married
}

// spouseGap draws the husband's age minus the wife's, in days.
func (g *gen) spouseGap() int {
	y := 2 + g.r.NormFloat64()*2.5
	y = max(-4, min(10, y))
	return int(y * year)
}

// widowhood is the probability that one of a couple whose husband is a years old has died
// before the last twelve months.
func widowhood(a int) float64 {
	switch {
	case a < 40:
		return 0.005
	case a < 60:
		return 0.03
	case a < 70:
		return 0.08
	case a < 80:
		return 0.22
	case a < 90:
		return 0.45
	}
	return 0.7
}

// root creates the oldest generation of a lineage, aged a, and their descendants.
func (g *gen) root(a int) int32 {
	eth := g.drawEthnicity()
	sur := drawSurname(g.r)
	hb := g.birthForAge(a)
	if a >= 35 && g.chance(0.05) { // never married, mostly men: the classic 五保 elderly
		sex := byte('M')
		if g.chance(0.2) {
			sex = 'F'
		}
		p := g.newPerson(sex, hb, sur, eth)
		return g.newUnit(p, -1)
	}
	wb := hb + g.spouseGap()
	h, w := int32(-1), int32(-1)
	if g.chance(widowhood(a)) {
		if g.chance(0.7) {
			w = g.newPerson('F', wb, drawSurname(g.r), eth)
			g.persons[w].Marital = Widowed
		} else {
			h = g.newPerson('M', hb, sur, eth)
			g.persons[h].Marital = Widowed
		}
	} else {
		h = g.newPerson('M', hb, sur, eth)
		w = g.newPerson('F', wb, drawSurname(g.r), eth)
		g.marry(h, w)
	}
	u := g.newUnit(h, w)
	if !g.chance(0.03) { // 3% childless
		g.children(u, hb, wb, sur, eth)
	}
	return u
}

// children generates the children of unit u (father born hb, mother born wb) following the
// fertility of the mother's cohort, including rural family planning (a second child mostly
// after a first daughter), and recursively their marriages and children.
func (g *gen) children(u int32, hb, wb int, sur string, eth Ethnicity) {
	my := dateOfDay(wb).Year()
	var firstAge float64
	switch {
	case my < 1950:
		firstAge = 20 + g.r.Float64()*4
	case my < 1980:
		firstAge = 22 + g.r.Float64()*4
	default:
		firstAge = 24 + g.r.Float64()*6
	}
	at := firstAge
	var sexes []byte
	for k := 0; ; k++ {
		if !g.wantChild(my, sexes) || at > 44 {
			break
		}
		birth := wb + int(at*year) + g.r.IntN(200)
		if birth >= g.ref-1 {
			break
		}
		bornYear := dateOfDay(birth).Year()
		sex := byte('F')
		boy := 0.51
		if bornYear >= 1985 && bornYear < 2012 {
			boy = 0.54
		}
		if g.chance(boy) {
			sex = 'M'
		}
		sexes = append(sexes, sex)
		at += 1.5 + g.r.Float64()*4
		// young adults who moved their hukou to the city are not part of the district
		if age := float64(g.ref-birth) / year; age >= 21 && g.chance(outMigration(bornYear)) {
			continue
		}
		csur := sur
		if g.chance(0.04) {
			csur = drawSurname(g.r)
		}
		c := g.newPerson(sex, birth, csur, eth)
		un := &g.units[u]
		g.persons[c].Father, g.persons[c].Mother = un.h, un.w
		un.kids = append(un.kids, c)
		un.kidUnit = append(un.kidUnit, -1)

		// a few children died long ago
		cp := &g.persons[c]
		age := float64(g.ref-birth) / year
		pLost := 0.006
		if bornYear < 1975 {
			pLost = 0.02
		}
		if cp.Death == 0 && g.ref-birth > 400 && g.chance(pLost) {
			cp.Death = dateOfDay(birth + 1 + g.r.IntN(g.ref-birth-366))
			continue
		}
		if cp.Death != 0 {
			continue
		}
		if !g.chance(married(age)) {
			continue
		}
		// marriage: the spouse comes from outside the lineage
		var h, w int32
		ku := int32(-1)
		switch {
		case g.chance(0.03): // divorced, spouse gone
			cp.Marital = Divorced
			if sex == 'M' {
				ku = g.newUnit(c, -1)
				g.children(ku, birth, birth+g.spouseGap(), csur, eth)
			} else {
				ku = g.newUnit(-1, c)
				g.children(ku, birth-g.spouseGap(), birth, drawSurname(g.r), eth)
			}
		case sex == 'M':
			h = c
			sb := birth + g.spouseGap()
			if age > 45 && g.chance(widowhood(int(age))*0.5) {
				g.persons[c].Marital = Widowed
				ku = g.newUnit(h, -1)
			} else {
				w = g.newPerson('F', sb, drawSurname(g.r), g.spouseEthnicity(eth))
				g.marry(h, w)
				ku = g.newUnit(h, w)
			}
			g.children(ku, birth, sb, csur, eth)
		default:
			w = c
			sb := birth - g.spouseGap()
			hsur := drawSurname(g.r)
			if age > 45 && g.chance(widowhood(int(age))*0.5) {
				g.persons[c].Marital = Widowed
				ku = g.newUnit(-1, w)
			} else {
				h = g.newPerson('M', sb, hsur, g.spouseEthnicity(eth))
				g.marry(h, w)
				ku = g.newUnit(h, w)
			}
			g.children(ku, sb, birth, hsur, eth)
		}
		g.units[u].kidUnit[len(g.units[u].kidUnit)-1] = ku
	}
}

func (g *gen) spouseEthnicity(eth Ethnicity) Ethnicity {
	if g.chance(0.8) {
		return eth
	}
	return g.drawEthnicity()
}

// outMigration is the probability that a child born in year y has moved away from the
// district as an adult (university, work in Jinan and beyond, marriage elsewhere).
func outMigration(y int) float64 {
	switch {
	case y < 1960:
		return 0.1
	case y < 1970:
		return 0.2
	case y < 2005:
		return 0.42
	}
	return 0.3
}

// married is the probability that someone aged a has married.
func married(a float64) float64 {
	switch {
	case a < 21:
		return 0
	case a < 25:
		return 0.3
	case a < 30:
		return 0.65
	case a < 35:
		return 0.87
	}
	return 0.94
}

// wantChild decides whether a mother born in year my has another child after sexes.
func (g *gen) wantChild(my int, sexes []byte) bool {
	n := len(sexes)
	girls := 0
	for _, s := range sexes {
		if s == 'F' {
			girls++
		}
	}
	switch {
	case my < 1940:
		return n < 2 || g.chance([]float64{0.8, 0.6, 0.4, 0.1, 0}[min(n-2, 4)])
	case my < 1950:
		if n == 0 {
			return g.chance(0.99)
		}
		return g.chance([]float64{0.95, 0.7, 0.4, 0.15, 0}[min(n-1, 4)])
	case my < 1976: // the rural family-planning cohort
		switch n {
		case 0:
			return g.chance(0.985)
		case 1:
			if girls == 1 {
				return g.chance(0.88)
			}
			return g.chance(0.55)
		case 2:
			if girls == 2 {
				return g.chance(0.22)
			}
			return g.chance(0.04)
		}
		return false
	case my < 1990:
		switch n {
		case 0:
			return g.chance(0.97)
		case 1:
			if girls == 1 {
				return g.chance(0.7)
			}
			return g.chance(0.4)
		}
		return n == 2 && g.chance(0.03)
	}
	switch n {
	case 0:
		return g.chance(0.85)
	case 1:
		return g.chance(0.35)
	}
	return n == 2 && g.chance(0.04)
}

// living reports whether person i is alive on the reference day.
func (g *gen) living(i int32) bool { return i >= 0 && g.persons[i].Death == 0 }

// place arranges unit u (and, recursively, its married children) into households: the
// couple with their unmarried children, and possibly one married child's family living with
// them (a stem family), headed by the parent or, for old parents, by the child.
func (g *gen) place(u int32) {
	un := g.units[u]
	hw := []int32{}
	for _, p := range []int32{un.h, un.w} {
		if p >= 0 {
			hw = append(hw, p)
		}
	}
	oldest := 0
	for _, p := range hw {
		oldest = max(oldest, g.ageOf(p))
	}
	livingOf := func(ps ...int32) int {
		n := 0
		for _, p := range ps {
			if g.living(p) {
				n++
			}
		}
		return n
	}
	var single []int32 // unmarried children
	for k, c := range un.kids {
		if un.kidUnit[k] < 0 {
			single = append(single, c)
		}
	}
	base := livingOf(hw...) + livingOf(single...)

	// choose a married child's family to live with
	co, coKid := int32(-1), int32(-1)
	pCo := 0.10
	switch {
	case oldest >= 75:
		pCo = 0.55
	case oldest >= 60:
		pCo = 0.35
	}
	if base > 0 && g.chance(pCo) {
		for _, wantSex := range []byte{'M', 'F'} {
			if co >= 0 || (wantSex == 'F' && !g.chance(0.1)) {
				break
			}
			for k, c := range un.kids {
				ku := un.kidUnit[k]
				if ku < 0 || g.persons[c].Sex != wantSex || !g.living(c) {
					continue
				}
				cu := g.units[ku]
				n := base + livingOf(cu.h, cu.w)
				for j, gc := range cu.kids {
					if cu.kidUnit[j] < 0 {
						n += livingOf(gc)
					}
				}
				if n <= maxHousehold {
					co, coKid = ku, c
					break
				}
			}
		}
	}

	hh := g.startHousehold()
	add := func(p int32, r Relation) {
		if p < 0 {
			return
		}
		g.persons[p].Relation = r
		g.persons[p].Household = hh
		g.members = append(g.members, p)
	}
	childRel := func(p int32) Relation {
		if g.persons[p].Sex == 'M' {
			return Son
		}
		return Daughter
	}
	parentRel := func(p int32) Relation {
		if g.persons[p].Sex == 'M' {
			return Father
		}
		return Mother
	}
	grandRel := func(p int32) Relation {
		if g.persons[p].Sex == 'M' {
			return Grandson
		}
		return Granddaughter
	}
	headOf := func(a, b int32) (int32, int32) { // prefer a living head
		if a < 0 || (!g.living(a) && g.living(b)) {
			return b, a
		}
		return a, b
	}

	childHead := co >= 0 && (oldest >= 72 || (len(hw) == 1 && oldest >= 65)) && g.chance(0.75)
	if co >= 0 && childHead {
		cu := g.units[co]
		other := cu.h
		if other == coKid {
			other = cu.w
		}
		head, sp := headOf(coKid, other)
		add(head, Head)
		add(sp, Spouse)
		for _, p := range hw {
			if head == coKid {
				add(p, parentRel(p))
			} else {
				add(p, OtherRelation)
			}
		}
		for j, gc := range cu.kids {
			if cu.kidUnit[j] < 0 {
				add(gc, childRel(gc))
			}
		}
		for _, s := range single {
			add(s, OtherRelation)
		}
	} else {
		var head, sp int32 = -1, -1
		if len(hw) == 2 {
			head, sp = headOf(hw[0], hw[1])
		} else {
			head = hw[0]
		}
		add(head, Head)
		add(sp, Spouse)
		for _, s := range single {
			add(s, childRel(s))
		}
		if co >= 0 {
			cu := g.units[co]
			add(coKid, childRel(coKid))
			other := cu.h
			if other == coKid {
				other = cu.w
			}
			if other >= 0 {
				if g.persons[other].Sex == 'F' {
					add(other, DaughterInLaw)
				} else {
					add(other, SonInLaw)
				}
			}
			for j, gc := range cu.kids {
				if cu.kidUnit[j] < 0 {
					add(gc, grandRel(gc))
				}
			}
		}
	}

	for k := range un.kids {
		if ku := un.kidUnit[k]; ku >= 0 {
			if ku == co {
				cu := g.units[co]
				for j := range cu.kids {
					if gku := cu.kidUnit[j]; gku >= 0 {
						g.place(gku)
					}
				}
				continue
			}
			g.place(ku)
		}
	}
}

// startHousehold opens a household in the current village. place adds a household's
// members contiguously to g.members before recursing, so hhStart is all it takes to slice
// them out later.
func (g *gen) startHousehold() int32 {
	g.hh = append(g.hh, Household{Village: g.village})
	g.hhStart = append(g.hhStart, int32(len(g.members)))
	return int32(len(g.hh) - 1)
}

// formatHouseholdNo renders a 户号: district code, village index, serial in the village.
func formatHouseholdNo(village int, serial int) string {
	b := make([]byte, 0, 15)
	b = append(b, division.DistrictCode...)
	b = appendPadded(b, village, 3)
	b = appendPadded(b, serial, 6)
	return string(b)
}

func appendPadded(b []byte, v, width int) []byte {
	s := strconv.Itoa(v)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}
