package synth

// Sample is a living resident worth trying in a demo, with the codes of the items they are
// likely eligible for and not yet receiving.
type Sample struct {
	Person int32
	Items  []string
}

// showcase is one kind of demo resident.
type showcase struct {
	name string
	want func(d *District, v *view, i int32, open uint32) bool
}

func bit(k int) uint32 { return 1 << k }

var showcases = []showcase{
	{"elderly_allowance_not_enrolled", func(_ *District, _ *view, _ int32, open uint32) bool {
		return open&bit(ProgElderlyAllowance) != 0
	}},
	{"family_planning_parent", func(_ *District, _ *view, _ int32, open uint32) bool {
		return open&bit(ProgRuralFamilyPlanningReward) != 0
	}},
	{"grade1_disabled_not_tekun", func(d *District, _ *view, i int32, open uint32) bool {
		p := &d.Persons[i]
		return p.DisabilityGrade == 1 && !p.Tekun && open&bit(ProgSevereDisabilityCareSubsidy) != 0
	}},
	{"dibao_member_with_disability", func(_ *District, _ *view, _ int32, open uint32) bool {
		return open&bit(ProgHardshipDisabilitySubsidy) != 0
	}},
	{"senior_card_candidate", func(_ *District, _ *view, _ int32, open uint32) bool {
		return open&bit(ProgSeniorCard) != 0
	}},
	{"funeral_subsidy_relative", func(_ *District, _ *view, _ int32, open uint32) bool {
		return open&bit(ProgFuneralSubsidy) != 0
	}},
	{"pension_claim", func(_ *District, _ *view, _ int32, open uint32) bool {
		return open&bit(ProgResidentPensionClaim) != 0
	}},
	{"expired_disability_certificate", func(_ *District, _ *view, _ int32, open uint32) bool {
		return open&bit(ProgDisabilityCertificateRenewal) != 0
	}},
	{"family_planning_special_support", func(_ *District, _ *view, _ int32, open uint32) bool {
		return open&bit(ProgFamilyPlanningSpecialSupport) != 0
	}},
	{"employment_difficulty", func(_ *District, _ *view, _ int32, open uint32) bool {
		return open&bit(ProgEmploymentDifficultyRecognition) != 0
	}},
	{"student_aid", func(_ *District, _ *view, _ int32, open uint32) bool {
		return open&bit(ProgStudentAid) != 0
	}},
	{"entitled_group", func(_ *District, _ *view, _ int32, open uint32) bool {
		return open&(bit(ProgConscriptFamilyAllowance)|bit(ProgEntitledGroupPension)) != 0
	}},
}

// openItems returns the programs living person i is likely eligible for and not enrolled
// in, plus funeral_subsidy when a spouse, parent or child died in the last twelve months and
// no subsidy was paid. medical_insurance_enrolment is left out unless the person is not
// insured, and one-off certificates nobody needs a demo for are never listed.
func (d *District) openItems(v *view, i int32) uint32 {
	p := &d.Persons[i]
	if p.Death != 0 {
		return 0
	}
	open := v.likely(i, v.ref) &^ p.Enrolled
	open &^= bit(ProgBirthRegistration) | bit(ProgHomesteadApplication)
	relatives := []int32{p.Spouse, p.Father, p.Mother}
	relatives = append(relatives, d.Children(i)...)
	for _, r := range relatives {
		if r < 0 {
			continue
		}
		rp := &d.Persons[r]
		if rp.Death != 0 && v.refDay-rp.Death.day() <= 365 && rp.Enrolled&bit(ProgFuneralSubsidy) == 0 {
			open |= bit(ProgFuneralSubsidy)
		}
	}
	return open
}

// Samples returns up to n living residents chosen deterministically to show off a demo:
// first one per showcase (an 80+ not on the elderly allowance, a 60+ agricultural parent of
// an only child or two daughters, a grade-1 disabled person outside 特困, a 低保 member with a
// disability, a senior-card candidate, a relative of someone who died this year, ...), then
// residents with the most open items. Items are the codes of what each is likely eligible
// for by the simple heuristics of this package; the hub's policy bundle makes the real
// decision.
func (d *District) Samples(n int) []Sample {
	if n <= 0 || len(d.Persons) == 0 {
		return nil
	}
	v := d.view()
	N := len(d.Persons)
	// walk the persons in a fixed scattered order so samples come from many villages
	step := 7919
	for gcd(step, N) != 1 {
		step += 2
	}
	at := func(k int) int32 { return int32((k*step + int(uint64(d.Config.Seed)%uint64(N))) % N) }

	chosen := map[int32]bool{}
	var out []Sample
	for _, sc := range showcases {
		if len(out) == n {
			return out
		}
		for k := range N {
			i := at(k)
			if chosen[i] {
				continue
			}
			open := d.openItems(v, i)
			if open != 0 && sc.want(d, v, i, open) {
				chosen[i] = true
				out = append(out, Sample{Person: i, Items: codes(open)})
				break
			}
		}
	}
	for min := 3; min >= 1 && len(out) < n; min-- {
		for k := 0; k < N && len(out) < n; k++ {
			i := at(k)
			if chosen[i] {
				continue
			}
			open := d.openItems(v, i)
			if popcount(open) >= min {
				chosen[i] = true
				out = append(out, Sample{Person: i, Items: codes(open)})
			}
		}
	}
	return out
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

func popcount(x uint32) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}
