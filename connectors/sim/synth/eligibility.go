package synth

// view is what the eligibility heuristics read: persons, households and the children
// index, either one chunk's (during generation) or the whole district's.
type view struct {
	persons  []Person
	hh       []Household
	kidStart []int32 // children of person i: kidList[kidStart[i]:kidStart[i+1]]
	kidList  []int32
	ref      Date
	refDay   int
}

// childIndex builds the children index of persons from their Father and Mother links.
func childIndex(persons []Person) (start, list []int32) {
	start = make([]int32, len(persons)+1)
	for i := range persons {
		if f := persons[i].Father; f >= 0 {
			start[f+1]++
		}
		if m := persons[i].Mother; m >= 0 {
			start[m+1]++
		}
	}
	for i := 1; i < len(start); i++ {
		start[i] += start[i-1]
	}
	list = make([]int32, start[len(persons)])
	fill := make([]int32, len(persons))
	for i := range persons {
		for _, par := range [2]int32{persons[i].Father, persons[i].Mother} {
			if par >= 0 {
				list[start[par]+fill[par]] = int32(i)
				fill[par]++
			}
		}
	}
	return start, list
}

// kids returns the children of person i (eldest first), including deceased ones.
func (v *view) kids(i int32) []int32 { return v.kidList[v.kidStart[i]:v.kidStart[i+1]] }

// mirrored returns the Enrolled bits that restate another platform's record: 低保 and 特困
// status, pension and medical insurance, collective membership, employment difficulty.
func (v *view) mirrored(i int32) uint32 {
	p := &v.persons[i]
	var e uint32
	if v.hh[p.Household].Dibao {
		e |= 1 << ProgMinimumLivingAllowance
	}
	if p.Tekun {
		e |= 1 << ProgExtremePovertySupport
	}
	switch p.Pension {
	case PensionReceiving:
		e |= 1 << ProgResidentPensionClaim
	case PensionEnrolled:
		e |= 1 << ProgPensionInsuranceEnrolment
	}
	if p.Medical && int(p.MedicalYear) == v.ref.Year() {
		e |= 1 << ProgMedicalInsuranceEnrolment
	}
	if p.CollectiveMember {
		e |= 1 << ProgCollectiveMembership
	}
	if p.EmploymentDifficulty {
		e |= 1 << ProgEmploymentDifficultyRecognition
		if p.Employment == Employed {
			e |= 1 << ProgPublicWelfareJob
		}
	}
	return e
}

// familyPlanning summarises the children of person i for the family-planning items.
type familyPlanning struct {
	children, daughters, dead int
	severe                    bool // the only child holds a grade 1-3 disability certificate
}

func (v *view) familyPlanning(i int32) familyPlanning {
	var f familyPlanning
	for _, c := range v.kids(i) {
		cp := &v.persons[c]
		f.children++
		if cp.Sex == 'F' {
			f.daughters++
		}
		if cp.Death != 0 {
			f.dead++
		}
		if cp.Disability != NoDisability && cp.DisabilityGrade <= 3 {
			f.severe = true
		}
	}
	return f
}

// likelyNow returns the programs person i is likely eligible for on the reference day: for
// the deceased only funeral_subsidy, within twelve months of the death.
func (v *view) likelyNow(i int32) uint32 {
	p := &v.persons[i]
	if p.Death != 0 {
		if v.refDay-p.Death.day() <= 365 {
			return 1 << ProgFuneralSubsidy
		}
		return 0
	}
	return v.likely(i, v.ref)
}

// likely returns the bitmask of Programs that person i is likely eligible for on the date
// on, by simple heuristics on the synthetic data. These are not the eligibility rules: the
// hub's policy bundle decides; the heuristics only shape the rolls and pick demo samples.
func (v *view) likely(i int32, on Date) uint32 {
	p := &v.persons[i]
	hh := &v.hh[p.Household]
	a := ageOn(p.Birth, on)
	var e uint32
	set := func(k int, ok bool) {
		if ok {
			e |= 1 << k
		}
	}
	disabled := p.Disability != NoDisability
	certValid := disabled && p.DisabilityValidUntil > on
	severe := disabled && p.DisabilityGrade <= 2

	set(ProgElderlyAllowance, a >= 80)
	set(ProgSeniorCard, a >= 60)
	fp := v.familyPlanning(i)
	onlyOrDaughters := fp.children == 1 || fp.children == 2 && fp.daughters == 2 || fp.children > 0 && fp.dead == fp.children
	set(ProgRuralFamilyPlanningReward, p.Agricultural && a >= 60 && p.Birth >= 19330101 && onlyOrDaughters)
	set(ProgFamilyPlanningSpecialSupport, a >= 49 && p.Birth >= 19330101 && fp.children == 1 && (fp.dead == 1 || fp.severe))
	youngest := -1
	if ks := v.kids(i); len(ks) > 0 {
		youngest = ageOn(v.persons[ks[len(ks)-1]].Birth, on)
	}
	set(ProgOnlyChildParentReward, p.OnlyChildHonour && (a >= 60 || youngest >= 0 && youngest < 18))
	set(ProgBirthRegistration, p.Sex == 'F' && p.Marital == Married && a >= 22 && a <= 40 && fp.children-fp.dead <= 1)
	set(ProgHardshipDisabilitySubsidy, certValid && hh.Dibao)
	set(ProgSevereDisabilityCareSubsidy, certValid && severe && !p.Tekun)
	set(ProgDisabilityCertificateRenewal, disabled && p.DisabilityValidUntil.day() < on.day()+90)
	set(ProgAssistiveDeviceFitting, certValid && (p.Disability == Physical || p.Disability == Visual || p.Disability == Hearing) && p.DisabilityGrade <= 3)
	set(ProgMinimumLivingAllowance, hh.Dibao)
	set(ProgExtremePovertySupport, p.Tekun)
	recentDeath := false
	for _, m := range hh.Members {
		if d := v.persons[m].Death; d != 0 && on.day()-d.day() <= 365 && m != i {
			recentDeath = true
		}
	}
	set(ProgTemporaryAssistance, (hh.Dibao || p.Tekun) && (recentDeath || severe))
	set(ProgMedicalAssistance, hh.Dibao || p.Tekun)
	parentSevere := false
	for _, par := range [2]int32{p.Father, p.Mother} {
		if par >= 0 && v.persons[par].Disability != NoDisability && v.persons[par].DisabilityGrade <= 2 {
			parentSevere = true
		}
	}
	set(ProgStudentAid, p.School != NoSchool && (hh.Dibao || p.Tekun || parentSevere))
	set(ProgWinterHeatingSubsidy, hh.Dibao && p.Relation == Head || p.Tekun)
	set(ProgResidentPensionClaim, a >= 60 && (p.Pension == PensionEnrolled || p.Pension == PensionReceiving))
	set(ProgPensionInsuranceEnrolment, a >= 16 && a < 60 && p.School == NoSchool || p.Pension == PensionEnrolled)
	set(ProgMedicalInsuranceEnrolment, true)
	set(ProgFuneralSubsidy, p.Death != 0 && v.refDay-p.Death.day() <= 365)
	set(ProgConscriptFamilyAllowance, p.Veteran == ConscriptFamily)
	set(ProgEntitledGroupPension, p.Veteran == DisabledVeteran || p.Veteran == MartyrFamily || p.Veteran == Demobilised && a >= 60)
	set(ProgHomesteadApplication, p.Agricultural && p.Sex == 'M' && p.Marital == Married && p.Relation == Son && a >= 22 && a <= 50)
	if p.Relation == Head && hh.HouseGrade >= 'C' {
		needy := hh.Dibao || p.Tekun
		alone := true
		for _, m := range hh.Members {
			mp := &v.persons[m]
			if mp.Death == 0 && mp.Disability != NoDisability && mp.DisabilityGrade <= 2 {
				needy = true
			}
			if mp.Death == 0 && ageOn(mp.Birth, on) < 65 {
				alone = false
			}
		}
		set(ProgDilapidatedHouseRenovation, needy || alone)
	}
	set(ProgCollectiveMembership, p.Agricultural && p.HukouVillage == hh.Village)
	set(ProgFarmlandProtectionSubsidy, p.Relation == Head && hh.LandMu > 0)
	set(ProgPublicWelfareJob, p.EmploymentDifficulty && a < 60)
	set(ProgEmploymentDifficultyRecognition, a >= 16 && a < 60 && (p.EmploymentDifficulty ||
		p.Employment == UnemployedRegistered && (disabled || hh.Dibao || p.Tekun || p.Sex == 'F' && a >= 40 || p.Sex == 'M' && a >= 50)))
	return e
}
