package sanmian.eligibility_test

import data.sanmian.fixtures_test as fx

# funeral_subsidy (惠民殡葬补贴)

died(date) := fx.member({"relation": "spouse", "sex": "F", "name": "李秀英", "deceased": true, "death_date": date})

test_funeral_subsidy_eligible_member_died if {
	d := fx.decide("funeral_subsidy", fx.evidence(fx.person({}), [died("2026-10-01")]))
	d.eligible == true
	d.amount.amount_yuan == 1000
	d.autofill == ["applicant_name", "id_number", "village", "deceased_name", "death_date"]
}

test_funeral_subsidy_eligible_for_deceased_applicant if {
	d := fx.decide("funeral_subsidy", fx.evidence(fx.person({"deceased": true, "death_date": "2026-09-01"}), []))
	d.eligible == true
}

test_funeral_subsidy_claim_window_boundary if {
	fx.decide("funeral_subsidy", fx.evidence(fx.person({}), [died("2025-11-26")])).eligible == true
	fx.decide("funeral_subsidy", fx.evidence(fx.person({}), [died("2025-11-25")])).eligible == false
}

test_funeral_subsidy_ineligible_no_death if {
	d := fx.decide("funeral_subsidy", fx.evidence(fx.person({}), [fx.member({})]))
	fx.codes(d) == {"no_recent_death"}
}

test_funeral_subsidy_ineligible_death_already_paid if {
	paid := object.union(died("2026-10-01"), {"rolls": {"enrolled": ["funeral_subsidy"]}})
	d := fx.decide("funeral_subsidy", fx.evidence(fx.person({}), [paid]))
	d.eligible == false
	fx.codes(d) == {"death_already_paid"}
}

test_funeral_subsidy_ineligible_deceased_applicant_already_paid if {
	d := fx.decide("funeral_subsidy", fx.evidence(fx.person({"deceased": true, "death_date": "2026-09-01", "rolls": object.union(fx.base_rolls, {"enrolled": ["funeral_subsidy"]})}), []))
	fx.codes(d) == {"death_already_paid"}
}

# A claimant's own roll entry says nothing about a death: the roll names the deceased.
test_funeral_subsidy_claimant_roll_entry_is_not_a_paid_death if {
	d := fx.decide("funeral_subsidy", fx.evidence(fx.person({"rolls": object.union(fx.base_rolls, {"enrolled": ["funeral_subsidy"]})}), [died("2026-10-01")]))
	d.eligible == true
}

# One of two recent deaths paid: the other may still be claimed.
test_funeral_subsidy_eligible_one_of_two_deaths_unpaid if {
	paid := object.union(died("2026-10-01"), {"rolls": {"enrolled": ["funeral_subsidy"]}})
	other := fx.member({"id_number": "370114193001010031", "relation": "father", "deceased": true, "death_date": "2026-08-01"})
	fx.decide("funeral_subsidy", fx.evidence(fx.person({}), [paid, other])).eligible == true
}

# The request names the deceased (the subject): the evidence is the deceased's, the claimant is
# input.evidence.claimant.
deceased_subject(rolls) := fx.person({
	"id_number": "370114193501010015", "name": "张老汉", "birth_date": "1935-01-01",
	"deceased": true, "death_date": "2026-10-01", "rolls": object.union(fx.base_rolls, rolls),
})

claimant_son := fx.member({"id_number": "370114196501010036", "name": "张大山", "relation": "son", "sex": "M"})

for_subject(applicant, household, children, claimant_id) := object.union(
	fx.family(applicant, household, children),
	{"claimant": {"id_number": claimant_id}},
)

test_funeral_subsidy_subject_claimant_in_household if {
	d := fx.decide("funeral_subsidy", for_subject(deceased_subject({}), [claimant_son], [], claimant_son.id_number))
	d.eligible == true
	d.amount.amount_yuan == 1000
}

test_funeral_subsidy_subject_claimant_child_elsewhere if {
	kid := fx.child({"id_number": "370114196801010047", "links": ["population_base"]})
	d := fx.decide("funeral_subsidy", for_subject(deceased_subject({}), [], [kid], kid.id_number))
	d.eligible == true
}

test_funeral_subsidy_subject_kinship_unverified if {
	d := fx.decide("funeral_subsidy", for_subject(deceased_subject({}), [claimant_son], [], "370114197001010058"))
	d.eligible == null
	fx.codes(d) == {"kinship_unverified"}
}

test_funeral_subsidy_subject_already_paid if {
	d := fx.decide("funeral_subsidy", for_subject(deceased_subject({"enrolled": ["funeral_subsidy"]}), [claimant_son], [], claimant_son.id_number))
	d.eligible == false
	fx.codes(d) == {"death_already_paid"}
	contains(d.reasons[0].zh, "在册：370114********0015")
}

# With a named deceased, other deaths in that household are not this claim.
test_funeral_subsidy_subject_alive_is_no_death if {
	alive := fx.person({"id_number": "370114193501010015"})
	other := fx.member({"relation": "spouse", "deceased": true, "death_date": "2026-10-01"})
	d := fx.decide("funeral_subsidy", for_subject(alive, [other, claimant_son], [], claimant_son.id_number))
	fx.codes(d) == {"no_recent_death"}
}

test_funeral_subsidy_subject_kinship_missing_undetermined if {
	ev := object.union(for_subject(deceased_subject({}), [], [], "370114197001010058"), {"missing": ["province.kinship"]})
	fx.decide("funeral_subsidy", ev).eligible == null
}

test_funeral_subsidy_undetermined_household_missing if {
	fx.decide("funeral_subsidy", fx.with_missing(fx.person({}), "district.household")).eligible == null
}

test_funeral_subsidy_undetermined_member_death_conflict if {
	ev := object.union(fx.evidence(fx.person({}), [died("2026-10-01")]), {"conflicts": [{"field": "household.0.deceased", "authority": "province", "values": []}]})
	d := fx.decide("funeral_subsidy", ev)
	d.eligible == null
	d.conflicts == ["household.deceased"]
}

# residence_certificate (居住证明)

test_residence_certificate_eligible if {
	d := fx.decide("residence_certificate", fx.evidence(fx.person({}), []))
	d.eligible == true
	d.instant == true
	d.proactive == false
}

test_residence_certificate_ineligible_outside_district if {
	d := fx.decide("residence_certificate", fx.evidence(fx.person({"village": "370115001201"}), []))
	fx.codes(d) == {"not_local_village"}
}

test_residence_certificate_ineligible_deceased if {
	fx.eligible("residence_certificate", fx.person({"deceased": true})) == false
}

test_residence_certificate_undetermined_village_blank if {
	fx.decide("residence_certificate", fx.evidence(fx.person({"village": ""}), [])).eligible == null
}

# kinship_certificate (亲属关系证明)

test_kinship_certificate_eligible if {
	fx.decide("kinship_certificate", fx.evidence(fx.person({}), [fx.member({})])).eligible == true
}

test_kinship_certificate_ineligible_no_members if {
	d := fx.decide("kinship_certificate", fx.evidence(fx.person({}), []))
	fx.codes(d) == {"no_household_members"}
}

test_kinship_certificate_undetermined_household_missing if {
	fx.decide("kinship_certificate", fx.with_missing(fx.person({}), "district.household")).eligible == null
}
