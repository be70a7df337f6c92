package synth

import (
	"math/rand/v2"
	"slices"
)

// newStream returns a PCG stream for one purpose of one seed.
func newStream(seed int64, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), stream))
}

// Inconsistency kinds: deliberate disagreements between the platforms, each a small known
// fraction of the district.
const (
	// InconsistencyDeathProvinceOnly: the province has a death the village roll has not
	// recorded (Person.DeathOnVillageRoll false).
	InconsistencyDeathProvinceOnly = "death_province_only"
	// InconsistencyExpiredDisabilityLicence: a living resident's disability certificate
	// has expired.
	InconsistencyExpiredDisabilityLicence = "expired_disability_licence"
	// InconsistencyMovedBetweenVillages: the province's household register still shows
	// the village the household moved away from (Person.HukouVillage differs).
	InconsistencyMovedBetweenVillages = "moved_between_villages"
	// InconsistencyExpiredIDCard: a living adult's ID card has expired.
	InconsistencyExpiredIDCard = "expired_id_card"
	// InconsistencyConflictingRolls: a living resident is on the rolls of two items that
	// may not be held together (特困 support and the 低保 allowance).
	InconsistencyConflictingRolls = "conflicting_rolls"
	// InconsistencyHouseholdDoubleEnrolment: a resident is on the farmland protection
	// subsidy roll with another member of the household (the subsidy is paid per household).
	InconsistencyHouseholdDoubleEnrolment = "household_double_enrolment"
	// InconsistencyRollInTwoVillages: a living resident is paid one allowance by two
	// villages: the village their household moved away from still has them on its roll
	// (District.OtherRolls).
	InconsistencyRollInTwoVillages = "roll_in_two_villages"
)

// InconsistencyKinds lists the kinds in a fixed order.
var InconsistencyKinds = []string{InconsistencyDeathProvinceOnly, InconsistencyExpiredDisabilityLicence,
	InconsistencyMovedBetweenVillages, InconsistencyExpiredIDCard, InconsistencyConflictingRolls,
	InconsistencyHouseholdDoubleEnrolment, InconsistencyRollInTwoVillages}

// inconsistent reports whether person i shows the given kind.
func (d *District) inconsistent(i int32, kind string, ref Date) bool {
	p := &d.Persons[i]
	switch kind {
	case InconsistencyDeathProvinceOnly:
		return p.Death != 0 && !p.DeathOnVillageRoll
	case InconsistencyExpiredDisabilityLicence:
		return p.Death == 0 && p.Disability != NoDisability && p.DisabilityValidUntil < ref
	case InconsistencyMovedBetweenVillages:
		return p.HukouVillage != d.Households[p.Household].Village
	case InconsistencyExpiredIDCard:
		return p.Death == 0 && p.IDCardIssued != 0 && p.IDCardValidUntil != LongTerm && p.IDCardValidUntil < ref
	case InconsistencyConflictingRolls:
		both := uint32(1)<<ProgExtremePovertySupport | 1<<ProgMinimumLivingAllowance
		return p.Death == 0 && p.Enrolled&both == both
	case InconsistencyRollInTwoVillages:
		return len(d.OtherRolls(i)) > 0
	case InconsistencyHouseholdDoubleEnrolment:
		if !p.IsEnrolled(ProgFarmlandProtectionSubsidy) {
			return false
		}
		for _, m := range d.Households[p.Household].Members {
			if m != i && d.Persons[m].IsEnrolled(ProgFarmlandProtectionSubsidy) {
				return true
			}
		}
	}
	return false
}

// Inconsistent returns the indexes of the persons showing the given inconsistency kind, in
// index order; nil for an unknown kind.
func (d *District) Inconsistent(kind string) []int32 {
	if !slices.Contains(InconsistencyKinds, kind) {
		return nil
	}
	ref := DateOf(d.Config.Reference)
	var out []int32
	for i := range d.Persons {
		if d.inconsistent(int32(i), kind, ref) {
			out = append(out, int32(i))
		}
	}
	return out
}

// AgeBand counts persons in an age range [From, To] (To -1: no upper bound).
type AgeBand struct {
	From, To int
	Count    int
}

// ProgramStats summarises one program's roll against the likely-eligible population.
type ProgramStats struct {
	Code                string
	Name                string
	Eligible            int // likely eligible on the reference day (heuristic)
	Enrolled            int // currently on the roll
	EligibleNotEnrolled int // what the proactive scan should find
	EnrolledNotEligible int // e.g. deceased still on the roll
}

// Stats describes the shape of a district. Age counts are of living residents.
type Stats struct {
	Residents        int // all persons, including the recently deceased
	Living           int
	Deceased         int // death known to the province
	DeceasedLastYear int
	Households       int
	Male, Female     int // living
	Agricultural     int // living, agricultural hukou
	AgeBands         []AgeBand
	Aged60Plus       int
	Aged80Plus       int
	Aged90Plus       int
	Aged100Plus      int
	HouseholdSizes   [maxHousehold + 1]int // by number of living members (index 0: none left)
	Disabled         int                   // living certificate holders
	DisabledByGrade  [5]int                // index 1..4
	DibaoHouseholds  int
	DibaoPersons     int // living members of 低保 households
	Tekun            int // living
	OnlyChildHonour  int
	Inconsistencies  map[string]int // by kind
	Programs         []ProgramStats // in Programs order
}

// Stats computes the district's statistics in one pass.
func (d *District) Stats() Stats {
	v := d.view()
	s := Stats{
		Residents:       len(d.Persons),
		Households:      len(d.Households),
		Inconsistencies: map[string]int{},
		AgeBands: []AgeBand{{From: 0, To: 15}, {From: 16, To: 59}, {From: 60, To: 69}, {From: 70, To: 79},
			{From: 80, To: 89}, {From: 90, To: 99}, {From: 100, To: -1}},
	}
	for _, k := range InconsistencyKinds {
		s.Inconsistencies[k] = 0
	}
	s.Programs = make([]ProgramStats, len(Programs))
	for k, p := range Programs {
		s.Programs[k].Code, s.Programs[k].Name = p.Code, p.Name
	}
	for i := range d.Persons {
		p := &d.Persons[i]
		for _, k := range InconsistencyKinds {
			if d.inconsistent(int32(i), k, v.ref) {
				s.Inconsistencies[k]++
			}
		}
		el := v.likelyNow(int32(i))
		for k := range Programs {
			bit := uint32(1) << k
			ps := &s.Programs[k]
			switch {
			case el&bit != 0 && p.Enrolled&bit != 0:
				ps.Eligible++
				ps.Enrolled++
			case el&bit != 0:
				ps.Eligible++
				ps.EligibleNotEnrolled++
			case p.Enrolled&bit != 0:
				ps.Enrolled++
				ps.EnrolledNotEligible++
			}
		}
		if p.Death != 0 {
			s.Deceased++
			if v.refDay-p.Death.day() <= 365 {
				s.DeceasedLastYear++
			}
			continue
		}
		s.Living++
		if p.Sex == 'M' {
			s.Male++
		} else {
			s.Female++
		}
		if p.Agricultural {
			s.Agricultural++
		}
		a := ageOn(p.Birth, v.ref)
		for b := range s.AgeBands {
			if a >= s.AgeBands[b].From && (s.AgeBands[b].To < 0 || a <= s.AgeBands[b].To) {
				s.AgeBands[b].Count++
			}
		}
		if a >= 60 {
			s.Aged60Plus++
		}
		if a >= 80 {
			s.Aged80Plus++
		}
		if a >= 90 {
			s.Aged90Plus++
		}
		if a >= 100 {
			s.Aged100Plus++
		}
		if p.Disability != NoDisability {
			s.Disabled++
			s.DisabledByGrade[p.DisabilityGrade]++
		}
		if p.Tekun {
			s.Tekun++
		}
		if p.OnlyChildHonour {
			s.OnlyChildHonour++
		}
		if d.Households[p.Household].Dibao {
			s.DibaoPersons++
		}
	}
	for h := range d.Households {
		hh := &d.Households[h]
		if hh.Dibao {
			s.DibaoHouseholds++
		}
		n := 0
		for _, m := range hh.Members {
			if d.Persons[m].Death == 0 {
				n++
			}
		}
		s.HouseholdSizes[min(n, maxHousehold)]++
	}
	return s
}
