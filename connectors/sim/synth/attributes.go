package synth

// attributes sets everything that is not family structure, chunk-locally: hukou, ID
// cards, schooling, disability, social insurance, employment, veterans, 低保 and 特困, land
// and housing, deliberate inconsistencies, and finally the subsidy rolls.
func (g *gen) attributes() {
	n := len(g.persons)
	g.hhStart = append(g.hhStart, int32(len(g.members)))
	for h := range g.hh {
		g.hh[h].Members = g.members[g.hhStart[h]:g.hhStart[h+1]:g.hhStart[h+1]]
	}
	kidStart, kidList := childIndex(g.persons)
	v := &view{persons: g.persons, hh: g.hh, kidStart: kidStart, kidList: kidList, ref: g.refDate, refDay: g.ref}

	// household-level hukou, moves
	for h := range g.hh {
		hh := &g.hh[h]
		agri := g.chance(g.vt.agri[hh.Village])
		hukou := hh.Village
		if g.chance(0.004) { // moved between villages: the province still has the old village
			for hukou == hh.Village {
				hukou = g.vt.draw(g.r)
			}
		}
		for _, m := range hh.Members {
			p := &g.persons[m]
			p.Agricultural = agri != g.chance(0.04)
			p.HukouVillage = hukou
		}
	}

	for i := range n {
		g.personAttributes(int32(i), v)
	}

	// only-child honour: parents of exactly one child born 1979 or later
	for i := range n {
		p := &g.persons[i]
		kids := v.kids(int32(i))
		if len(kids) != 1 || g.persons[kids[0]].Birth < 19790101 || p.Sex != 'M' && p.Spouse >= 0 {
			continue
		}
		if g.chance(0.3) {
			p.OnlyChildHonour = true
			if p.Spouse >= 0 {
				g.persons[p.Spouse].OnlyChildHonour = true
			}
		}
	}
	// conscript families: parents of a young man serving
	for i := range n {
		p := &g.persons[i]
		a := ageOn(p.Birth, g.refDate)
		if p.Sex != 'M' || a < 18 || a > 22 || p.Death != 0 || !g.chance(0.04) {
			continue
		}
		for _, par := range []int32{p.Father, p.Mother} {
			if par >= 0 && g.persons[par].Veteran == NoVeteran && g.persons[par].Death == 0 {
				g.persons[par].Veteran = ConscriptFamily
			}
		}
	}

	g.welfare(v)
	g.housing(v)

	for i := range n {
		g.enrol(int32(i), v)
	}
	g.rollErrors()
}

// Shares of the roll errors rollErrors adds: one in conflictEvery 特困 persons, one in
// doubleEvery farmland-subsidy households.
const (
	conflictEvery = 10
	doubleEvery   = 100
)

// rollErrors adds the two roll errors the supervision scan's cross checks look for, on a small
// fixed share of the district and without drawing from the random stream (the rest of the
// district is the same with or without them):
//   - every conflictEvery-th living 特困 person (in generation order) is still on the 低保 roll
//     as well: taken into 特困 support without leaving 低保 (InconsistencyConflictingRolls);
//   - in every doubleEvery-th household whose living head receives the farmland protection
//     subsidy, the head's living spouse is on the roll too: one household paid twice
//     (InconsistencyHouseholdDoubleEnrolment).
func (g *gen) rollErrors() {
	tekun := 0
	for i := range g.persons {
		p := &g.persons[i]
		if p.Death == 0 && p.Enrolled&(1<<ProgExtremePovertySupport) != 0 {
			if tekun++; tekun%conflictEvery == 0 {
				p.Enrolled |= 1 << ProgMinimumLivingAllowance
			}
		}
	}
	farmland := 0
	for h := range g.hh {
		var head, spouse *Person
		for _, m := range g.hh[h].Members {
			switch p := &g.persons[m]; {
			case p.Death != 0:
			case p.Relation == Head:
				head = p
			case p.Relation == Spouse:
				spouse = p
			}
		}
		if head == nil || spouse == nil || head.Enrolled&(1<<ProgFarmlandProtectionSubsidy) == 0 || spouse.Enrolled&(1<<ProgFarmlandProtectionSubsidy) != 0 {
			continue
		}
		if farmland++; farmland%doubleEvery == 0 {
			spouse.Enrolled |= 1 << ProgFarmlandProtectionSubsidy
		}
	}
}

// personAttributes sets the individual attributes of person i.
func (g *gen) personAttributes(i int32, v *view) {
	p := &g.persons[i]
	a := ageOn(p.Birth, g.refDate)
	by := p.Birth.Year()

	// ID number address code
	switch {
	case by >= 2017:
		g.addr[i] = addrDistrict
	case p.Father < 0 && p.Mother < 0 && p.Spouse >= 0 && g.chance(0.2): // married in
		g.addr[i] = uint8(2 + g.r.IntN(len(addressCodes)-2))
	case g.chance(0.07):
		g.addr[i] = addrDistrict
	default:
		g.addr[i] = addrFormer
	}

	g.idCard(p, a)

	switch {
	case a >= 6 && a <= 11:
		p.School = Primary
	case a >= 12 && a <= 14:
		p.School = Junior
	case a >= 15 && a <= 17:
		x := g.r.Float64()
		if x < 0.58 {
			p.School = Senior
		} else if x < 0.93 {
			p.School = Vocational
		}
	case a >= 18 && a <= 22 && p.Marital == Single:
		if g.chance(0.5) {
			p.School = University
		}
	}
	if p.Death != 0 {
		p.School = NoSchool
	}

	g.disability(p, a)

	// resident pension
	switch {
	case a >= 60:
		x := g.r.Float64()
		switch {
		case x < 0.84:
			p.Pension = PensionReceiving
			start := p.Birth.addYears(60).day() + 31
			if s := daysFromCivil(2009, 10, 1); start < s {
				start = s
			}
			p.PensionSince = dateOfDay(start)
			p.PensionMonthly = int32(200 + g.r.IntN(180) + min(max(a-65, 0), 30)*2)
		case x < 0.94:
			p.Pension = PensionEnrolled // reached 60, not yet claimed
			p.PensionSince = dateOfDay(max(daysFromCivil(2009, 10, 1), p.Birth.addYears(16).day()) + g.r.IntN(3000))
		case x < 0.96:
			p.Pension = PensionSuspended
			p.PensionSince = p.Birth.addYears(60)
			p.PensionMonthly = int32(200 + g.r.IntN(180))
		}
	case a >= 16 && p.School == NoSchool:
		rate := 0.87 // those not in it are mostly in the employees' scheme or not yet registered
		if g.chance(rate) {
			p.Pension = PensionEnrolled
			lo := max(daysFromCivil(2009, 10, 1), p.Birth.addYears(16).day())
			p.PensionSince = dateOfDay(lo + g.r.IntN(max(1, g.ref-lo)))
		}
	}
	if p.Death != 0 && p.DeathOnVillageRoll && p.Pension == PensionReceiving {
		p.Pension = PensionSuspended
	}

	// resident medical insurance
	switch x := g.r.Float64(); {
	case x < 0.97:
		p.Medical, p.MedicalYear = true, int16(g.refDate.Year())
	case x < 0.99:
		p.MedicalYear = int16(g.refDate.Year() - 1)
	}

	// employment
	if a >= 16 && a < 60 && p.School == NoSchool && p.Death == 0 {
		switch x := g.r.Float64(); {
		case x < 0.64:
			p.Employment = Employed
		case x < 0.675:
			p.Employment = UnemployedRegistered
			p.UnemployedSince = dateOfDay(g.ref - 30 - g.r.IntN(900))
		}
	}

	// veterans
	switch {
	case p.Sex == 'M' && a >= 60 && a < 95 && g.chance(0.012):
		p.Veteran = Demobilised
	case p.Sex == 'M' && a >= 35 && g.chance(0.0008):
		p.Veteran = DisabledVeteran
	case a >= 55 && g.chance(0.0003):
		p.Veteran = MartyrFamily
	}
}

// idCard simulates the renewals of a resident ID card up to the reference day: 5 years
// under 16, 10 years 16-25, 20 years 26-45, long-term from 46. About 1.2% of holders let
// the card expire (an inconsistency the hub must notice).
func (g *gen) idCard(p *Person, a int) {
	if a < 16 && !g.chance(0.35) {
		return
	}
	bd := p.Birth.day()
	end := g.ref
	if p.Death != 0 {
		end = p.Death.day()
	}
	var t int
	if a < 16 {
		t = max(bd+30, end-fiveYears+1+g.r.IntN(fiveYears-1))
	} else {
		t = max(bd+5844+g.r.IntN(700), daysFromCivil(2004, 1, 1)+g.r.IntN(3300))
	}
	if t >= end {
		t = max(bd+1, end-1-g.r.IntN(180))
	}
	for {
		issued := dateOfDay(t)
		ia := ageOn(p.Birth, issued)
		v := idCardYears(ia)
		if v == 0 {
			p.IDCardIssued, p.IDCardValidUntil = issued, LongTerm
			return
		}
		until := issued.addYears(v)
		if until.day() > end || t >= end {
			p.IDCardIssued, p.IDCardValidUntil = issued, until
			if p.Death == 0 && g.chance(0.012) && ia >= 16 {
				// not renewed: expired between one and fourteen months ago
				exp := dateOfDay(g.ref - 30 - g.r.IntN(400))
				for _, v := range []int{10, 20, 5} {
					if iss := exp.addYears(-v); iss > p.Birth && idCardYears(ageOn(p.Birth, iss)) == v {
						p.IDCardIssued, p.IDCardValidUntil = iss, exp
						break
					}
				}
			}
			return
		}
		t = until.day() - g.r.IntN(90)
	}
}

// idCardYears is the validity in years of an ID card issued at age ia; 0 for long-term.
func idCardYears(ia int) int {
	switch {
	case ia < 16:
		return 5
	case ia < 26:
		return 10
	case ia < 46:
		return 20
	}
	return 0
}

// disability assigns a certificate with an age-dependent prevalence and category mix.
func (g *gen) disability(p *Person, a int) {
	var prev float64
	switch {
	case a < 7:
		prev = 0.005
	case a < 16:
		prev = 0.013
	case a < 45:
		prev = 0.03
	case a < 60:
		prev = 0.06
	case a < 70:
		prev = 0.1
	case a < 80:
		prev = 0.15
	default:
		prev = 0.21
	}
	if !g.chance(prev) {
		return
	}
	var mix []float64 // visual, hearing, speech, physical, intellectual, mental, multiple
	switch {
	case a < 16:
		mix = []float64{5, 10, 10, 20, 40, 0, 15}
	case a < 60:
		mix = []float64{10, 15, 2, 40, 10, 15, 8}
	default:
		mix = []float64{20, 30, 1, 30, 1, 3, 15}
	}
	p.Disability = Disability(1 + pick(g, mix))
	p.DisabilityGrade = uint8(1 + pick(g, []float64{14, 26, 30, 30}))
	bd := p.Birth.day()
	var issued int
	if g.chance(0.05) { // issued over ten years ago and not renewed: expired
		issued = g.ref - tenYears - 1 - g.r.IntN(900)
	} else {
		issued = g.ref - 1 - g.r.IntN(tenYears-1)
	}
	if issued <= bd {
		issued = bd + 1 + g.r.IntN(max(1, g.ref-bd-1))
	}
	p.DisabilityIssued = dateOfDay(issued)
	p.DisabilityValidUntil = p.DisabilityIssued.addYears(10)
}

// pick draws an index with the given weights.
func pick(g *gen, w []float64) int {
	t := 0.0
	for _, x := range w {
		t += x
	}
	x := g.r.Float64() * t
	for i, wi := range w {
		if x < wi {
			return i
		}
		x -= wi
	}
	return len(w) - 1
}

// welfare decides 特困 persons and 低保 households.
func (g *gen) welfare(v *view) {
	for h := range g.hh {
		hh := &g.hh[h]
		livingN, severe, disabled, elderly := 0, false, false, true
		for _, m := range hh.Members {
			p := &g.persons[m]
			if p.Death != 0 {
				continue
			}
			livingN++
			a := ageOn(p.Birth, g.refDate)
			if a < 70 {
				elderly = false
			}
			if p.Disability != NoDisability {
				disabled = true
				if p.DisabilityGrade <= 2 {
					severe = true
				}
			}
		}
		if livingN == 0 {
			continue
		}
		// 特困: no one to support them
		if livingN == 1 {
			m := hh.Members[0]
			for _, x := range hh.Members {
				if g.persons[x].Death == 0 {
					m = x
				}
			}
			p := &g.persons[m]
			a := ageOn(p.Birth, g.refDate)
			supporters := 0
			for _, c := range v.kids(m) {
				if g.persons[c].Death == 0 && ageOn(g.persons[c].Birth, g.refDate) >= 18 {
					supporters++
				}
			}
			if supporters == 0 && (a >= 60 && g.chance(0.35) || p.Disability != NoDisability && p.DisabilityGrade <= 2 && a >= 16 && g.chance(0.5) || a < 16 && g.chance(0.9)) {
				p.Tekun = true
				continue
			}
		}
		pd := 0.012
		if severe {
			pd += 0.09
		} else if disabled {
			pd += 0.03
		}
		if elderly {
			pd += 0.04
		}
		if g.chance(pd) {
			hh.Dibao = true
		}
	}
}

// housing sets land, homestead, house safety and real-estate certificates, and collective
// membership.
func (g *gen) housing(v *view) {
	for h := range g.hh {
		hh := &g.hh[h]
		agriN, poor := 0, hh.Dibao
		for _, m := range hh.Members {
			p := &g.persons[m]
			if p.Death != 0 {
				continue
			}
			if p.Agricultural {
				agriN++
			}
			if p.Tekun {
				poor = true
			}
		}
		if agriN > 0 {
			hh.LandMu = float32(int((0.6+g.r.Float64()*0.9)*float64(agriN)*10)) / 10
			hh.HomesteadM2 = float32(120 + g.r.IntN(150))
			hh.RealEstate = g.chance(0.62)
		} else {
			hh.RealEstate = g.chance(0.85)
		}
		w := []float64{70, 21, 6.5, 2.5}
		if poor {
			w = []float64{35, 30, 22, 13}
		}
		hh.HouseGrade = byte('A' + pick(g, w))
		for _, m := range hh.Members {
			p := &g.persons[m]
			if !p.Agricultural || p.HukouVillage != hh.Village {
				continue
			}
			pm := 0.96
			if p.Relation == DaughterInLaw || ageOn(p.Birth, g.refDate) < 1 {
				pm = 0.8
			}
			p.CollectiveMember = g.chance(pm)
		}
	}
}

// rollRate is the share of likely-eligible residents already on a roll; the rest is what
// the proactive scan should find.
const rollRate = 0.87

// enrol sets the programs person i currently receives.
func (g *gen) enrol(i int32, v *view) {
	p := &g.persons[i]
	on := g.refDate
	if p.Death != 0 {
		on = p.Death
	}
	el := v.likely(i, on)
	var e uint32
	for k := range Programs {
		bit := uint32(1) << k
		if el&bit == 0 {
			continue
		}
		rate := rollRate
		switch k {
		case ProgDisabilityCertificateRenewal, ProgHomesteadApplication, ProgTemporaryAssistance,
			ProgFuneralSubsidy, ProgBirthRegistration:
			rate = 0
		case ProgDilapidatedHouseRenovation:
			rate = 0.3
		case ProgFarmlandProtectionSubsidy:
			rate = 0.92
		case ProgMinimumLivingAllowance, ProgExtremePovertySupport, ProgResidentPensionClaim,
			ProgPensionInsuranceEnrolment, ProgMedicalInsuranceEnrolment, ProgCollectiveMembership,
			ProgEmploymentDifficultyRecognition, ProgPublicWelfareJob:
			continue // mirrored from the other platforms' data below
		}
		if g.chance(rate) {
			e |= bit
		}
	}
	// employment difficulty: recognition and public-welfare jobs
	if el&(1<<ProgEmploymentDifficultyRecognition) != 0 && p.Death == 0 && g.chance(rollRate) {
		p.EmploymentDifficulty = true
		if g.chance(0.45) {
			p.Employment = Employed // holds a public-welfare job
			e |= 1 << ProgPublicWelfareJob
		}
	}
	e |= v.mirrored(i)
	if p.Death != 0 {
		ago := g.ref - p.Death.day()
		switch {
		case !p.DeathOnVillageRoll:
			// the rolls still pay: enrolled but no longer eligible
		case ago > 60 || !g.chance(0.5):
			e &= 1 << ProgFuneralSubsidy // taken off every roll
		}
		if p.DeathOnVillageRoll && ago > 30 && ago <= 365 && g.chance(0.75) {
			e |= 1 << ProgFuneralSubsidy
		}
	}
	p.Enrolled = e
}

// Durations in days used by the certificate simulations.
const (
	fiveYears = 1826
	tenYears  = 3652
)
