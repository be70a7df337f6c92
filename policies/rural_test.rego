package sanmian.eligibility_test

import data.sanmian.criteria
import data.sanmian.fixtures_test as fx

# conscript_family_allowance (义务兵家庭优待金)

test_conscript_family_eligible if {
	d := fx.decide("conscript_family_allowance", fx.evidence(fx.person({"rolls": {"veteran": "conscript_family"}}), []))
	d.eligible == true
	d.amount.annual_yuan == 12000
}

test_conscript_family_ineligible if {
	d := fx.decide("conscript_family_allowance", fx.evidence(fx.person({}), []))
	fx.codes(d) == {"not_conscript_family"}
}

test_conscript_family_already_enrolled if {
	fx.eligible("conscript_family_allowance", fx.person({"rolls": {"veteran": "conscript_family", "enrolled": ["conscript_family_allowance"]}})) == false
}

test_conscript_family_undetermined_rolls_missing if {
	fx.decide("conscript_family_allowance", fx.with_missing(fx.person({}), "district.rolls")).eligible == null
}

# entitled_group_pension (重点优抚对象定期抚恤补助)

test_entitled_group_eligible if {
	fx.eligible("entitled_group_pension", fx.person({"rolls": {"veteran": "martyr_family"}})) == true
}

test_entitled_group_ineligible if {
	d := fx.decide("entitled_group_pension", fx.evidence(fx.person({"rolls": {"veteran": "conscript_family"}}), []))
	fx.codes(d) == {"not_entitled_group"}
}

test_entitled_group_undetermined_rolls_missing if {
	fx.decide("entitled_group_pension", fx.with_missing(fx.person({}), "district.rolls")).eligible == null
}

# homestead_application (农村宅基地申请)

test_homestead_eligible if {
	d := fx.decide("homestead_application", fx.evidence(fx.person({}), []))
	d.eligible == true
	d.review_levels == ["village", "work_area", "town"]
}

test_homestead_boundary_18th_birthday if {
	fx.eligible("homestead_application", fx.person({"birth_date": "2008-11-26"})) == true
	d := fx.decide("homestead_application", fx.evidence(fx.person({"birth_date": "2008-11-27"}), []))
	fx.codes(d) == {"age_below_min"}
}

test_homestead_ineligible_has_homestead if {
	d := fx.decide("homestead_application", fx.evidence(fx.person({"rolls": {"homestead": {"area_m2": 166, "house_grade": "A"}}}), []))
	fx.codes(d) == {"has_homestead"}
}

test_homestead_ineligible_non_agricultural_not_member if {
	d := fx.decide("homestead_application", fx.evidence(fx.person({"hukou_type": "non_agricultural", "rolls": {"collective_member": false}}), []))
	fx.codes(d) == {"not_agricultural_hukou", "not_collective_member"}
}

test_homestead_undetermined_rolls_missing if {
	fx.decide("homestead_application", fx.with_missing(fx.person({}), "district.rolls")).eligible == null
}

# The homestead comes from the district household record only: when it could not be read, the
# household may have a homestead or not, so the verdict is undetermined, not eligible.
test_homestead_undetermined_household_missing if {
	d := fx.decide("homestead_application", fx.with_missing(fx.person({}), "district.household"))
	d.eligible == null
	fx.codes(d) == {"missing_evidence"}
}

# dilapidated_house_renovation (农村危房改造)

house(grade) := {"homestead": {"area_m2": 120, "house_grade": grade}}

# Without the household record the house grade is unknown: undetermined, not "house_safe".
test_dilapidated_house_undetermined_household_missing if {
	p := fx.person({"rolls": {"dibao": true}})
	d := fx.decide("dilapidated_house_renovation", fx.with_missing(p, "district.household"))
	d.eligible == null
	fx.codes(d) == {"missing_evidence"}
}

test_dilapidated_house_eligible_dibao if {
	fx.eligible("dilapidated_house_renovation", fx.person({"rolls": object.union(house("D"), {"dibao": true})})) == true
}

test_dilapidated_house_eligible_disability if {
	fx.eligible("dilapidated_house_renovation", fx.person({"rolls": house("C"), "licences": [fx.disability(4, "visual")]})) == true
}

test_dilapidated_house_ineligible_safe if {
	d := fx.decide("dilapidated_house_renovation", fx.evidence(fx.person({"rolls": object.union(house("A"), {"dibao": true})}), []))
	fx.codes(d) == {"house_safe"}
}

test_dilapidated_house_ineligible_not_hardship if {
	d := fx.decide("dilapidated_house_renovation", fx.evidence(fx.person({"rolls": house("D")}), []))
	fx.codes(d) == {"not_hardship_household"}
}

# 贫困残疾人家庭: another member's valid disability certificate makes the household one in
# hardship; a deceased member's, or an expired one, does not.
test_dilapidated_house_eligible_member_disability if {
	spouse := fx.person({"id_number": "370114196203040027", "sex": "F", "relation": "spouse", "licences": [fx.disability(2, "physical")]})
	fx.decide("dilapidated_house_renovation", fx.evidence(fx.person({"rolls": house("C")}), [spouse])).eligible == true
}

test_dilapidated_house_eligible_member_tekun if {
	father := fx.person({"id_number": "370114193503040011", "relation": "father", "rolls": {"tekun": true}})
	fx.decide("dilapidated_house_renovation", fx.evidence(fx.person({"rolls": house("D")}), [father])).eligible == true
}

test_dilapidated_house_ineligible_deceased_member_disability if {
	spouse := fx.person({"id_number": "370114196203040027", "sex": "F", "relation": "spouse", "deceased": true, "licences": [fx.disability(2, "physical")]})
	d := fx.decide("dilapidated_house_renovation", fx.evidence(fx.person({"rolls": house("C")}), [spouse]))
	fx.codes(d) == {"not_hardship_household"}
}

# The hardship criterion the scan compiles (criteria.member.in_hardship over a member's row,
# counted per household) against the rule's own statement: a living member on the 特困 roll or
# holding a disability certificate that is valid on the decision date (2026-11-26). For each
# member state (the 特困 roll or a certificate, living or deceased, a certificate valid to the
# day, expired the day before, revoked, without an end date, two certificates of which one is
# valid), the decision refuses not_hardship_household exactly when no member holds it, and
# the criteria agree on the count.
test_dilapidated_house_hardship_criterion_matches_rule if {
	cert := fx.disability(2, "physical")
	members := [
		{"rolls": {"tekun": true}},
		{"rolls": {"tekun": true}, "deceased": true},
		{"rolls": {"tekun": false}},
		{"licences": [cert]},
		{"licences": [cert], "deceased": true},
		{"licences": [object.union(cert, {"valid_until": "2026-11-26"})]},
		{"licences": [object.union(cert, {"valid_until": "2026-11-25"})]},
		{"licences": [object.union(cert, {"status": "revoked"})]},
		{"licences": [object.union(cert, {"valid_until": ""})]},
		{"licences": [object.union(cert, {"status": "expired"}), fx.disability(4, "visual")]},
		{"licences": [fx.licence("only_child_honour", {})]},
		{},
	]
	every attrs in members {
		m := fx.member(attrs)
		d := fx.decide("dilapidated_house_renovation", fx.evidence(fx.person({"rolls": house("D")}), [m]))
		statement := hardship_by_statement(m)
		("not_hardship_household" in fx.codes(d)) == not_true(statement)
		n := count([1 | criteria.member.in_hardship(member_facts(m))]) with input.now as fx.now
		n == count([1 | statement])
		hardship_clears({"household_members_in_hardship": n, "dibao": false, "tekun": false, "disability_status": ""}) == statement
	}
}

hardship_by_statement(m) := true if {
	m.deceased != true
	some l in object.get(m, "licences", [])
	l.type == "disability"
	l.status == "valid"
	not ended_before(l, fx.now)
} else := true if {
	m.deceased != true
	object.get(m, "rolls", {}).tekun == true
} else := false

ended_before(l, day) if {
	object.get(l, "valid_until", "") != ""
	l.valid_until < day
}

hardship_clears(f) := true if criteria.clears.dilapidated_house_renovation.not_hardship_household(f)

else := false

# A dilapidated house (from the household record) but the 低保/特困 rolls missing: undetermined.
test_dilapidated_house_undetermined_rolls_missing if {
	fx.decide("dilapidated_house_renovation", fx.with_missing(fx.person({"rolls": house("D")}), "district.rolls")).eligible == null
}

# collective_membership (集体经济组织成员确认)

test_collective_membership_eligible if {
	fx.eligible("collective_membership", fx.person({"rolls": {"collective_member": false}})) == true
}

test_collective_membership_ineligible_already if {
	d := fx.decide("collective_membership", fx.evidence(fx.person({}), []))
	fx.codes(d) == {"already_collective_member"}
}

test_collective_membership_ineligible_non_agricultural if {
	fx.eligible("collective_membership", fx.person({"hukou_type": "non_agricultural", "rolls": {"collective_member": false}})) == false
}

test_collective_membership_undetermined_hukou_blank if {
	fx.decide("collective_membership", fx.evidence(fx.person({"hukou_type": "", "rolls": {"collective_member": false}}), [])).eligible == null
}

# farmland_protection_subsidy (耕地地力保护补贴)

test_farmland_subsidy_eligible if {
	d := fx.decide("farmland_protection_subsidy", fx.evidence(fx.person({"rolls": {"land_mu": 3.5}}), []))
	d.eligible == true
	d.amount == {"land_mu": 3.5, "annual_yuan": 420}
}

test_farmland_subsidy_ineligible_no_land if {
	d := fx.decide("farmland_protection_subsidy", fx.evidence(fx.person({}), []))
	fx.codes(d) == {"no_farmland"}
}

test_farmland_subsidy_undetermined_rolls_missing if {
	fx.decide("farmland_protection_subsidy", fx.with_missing(fx.person({"rolls": {"land_mu": 3.5}}), "district.rolls")).eligible == null
}

# The land comes from the district household record only: when it could not be read the
# land is absent (not 0) and the verdict is undetermined, not "no_farmland".
test_farmland_subsidy_undetermined_household_missing if {
	p := json.remove(fx.person({}), ["rolls/land_mu"])
	d := fx.decide("farmland_protection_subsidy", fx.with_missing(p, "district.household"))
	d.eligible == null
	d.missing == ["district.household"]
	fx.codes(d) == {"missing_evidence"}
}

# A household record that says 0 mu is a fact: ineligible.
test_farmland_subsidy_ineligible_zero_land_on_record if {
	d := fx.decide("farmland_protection_subsidy", fx.evidence(fx.person({"rolls": {"land_mu": 0}}), []))
	fx.codes(d) == {"no_farmland"}
}

# public_welfare_job (公益性岗位申请)

difficulty := {"insurance": {"employment": "unemployed_registered", "employment_difficulty": true}}

test_public_welfare_job_eligible if {
	fx.eligible("public_welfare_job", fx.person(object.union(difficulty, {"birth_date": "1981-03-01"}))) == true
}

# One placement at a time: a resident the roll names as holding a public-welfare job is not
# eligible for another.
test_public_welfare_job_already_enrolled if {
	p := fx.person(object.union(difficulty, {"birth_date": "1981-03-01", "rolls": {"enrolled": ["public_welfare_job"]}}))
	d := fx.decide("public_welfare_job", fx.evidence(p, []))
	d.eligible == false
	fx.codes(d) == {"already_enrolled"}
}

test_public_welfare_job_ineligible_not_recognised if {
	d := fx.decide("public_welfare_job", fx.evidence(fx.person({"birth_date": "1981-03-01"}), []))
	fx.codes(d) == {"no_employment_difficulty"}
}

test_public_welfare_job_labour_age_boundary if {
	fx.eligible("public_welfare_job", fx.person(object.union(difficulty, {"birth_date": "1966-11-27"}))) == true
	d := fx.decide("public_welfare_job", fx.evidence(fx.person(object.union(difficulty, {"birth_date": "1966-11-26"})), []))
	fx.codes(d) == {"above_labour_age"}
}

test_public_welfare_job_ineligible_minor if {
	d := fx.decide("public_welfare_job", fx.evidence(fx.person(object.union(difficulty, {"birth_date": "2012-01-01"})), []))
	fx.codes(d) == {"age_below_min"}
}

test_public_welfare_job_undetermined_insurance_missing if {
	fx.decide("public_welfare_job", fx.with_missing(fx.person({"birth_date": "1981-03-01"}), "city.insurance")).eligible == null
}

# employment_difficulty_recognition (就业困难人员认定)

unemployed := {"insurance": {"employment": "unemployed_registered"}}

test_employment_difficulty_eligible_woman_40 if {
	fx.eligible("employment_difficulty_recognition", fx.person(object.union(unemployed, {"sex": "F", "birth_date": "1986-11-26"}))) == true
	d := fx.decide("employment_difficulty_recognition", fx.evidence(fx.person(object.union(unemployed, {"sex": "F", "birth_date": "1986-11-27"})), []))
	fx.codes(d) == {"no_difficulty_factor"}
}

test_employment_difficulty_eligible_dibao if {
	fx.eligible("employment_difficulty_recognition", fx.person(object.union(unemployed, {"birth_date": "1990-01-01", "rolls": {"dibao": true}}))) == true
}

test_employment_difficulty_eligible_disability if {
	fx.eligible("employment_difficulty_recognition", fx.person(object.union(unemployed, {"birth_date": "1990-01-01", "licences": [fx.disability(4, "hearing")]}))) == true
}

test_employment_difficulty_ineligible_recognised_employed if {
	p := fx.person({"birth_date": "1970-01-01", "insurance": {"employment": "employed", "employment_difficulty": true}})
	d := fx.decide("employment_difficulty_recognition", fx.evidence(p, []))
	fx.codes(d) == {"already_recognised", "not_registered_unemployed"}
}

test_employment_difficulty_ineligible_minor_and_above_age if {
	fx.eligible("employment_difficulty_recognition", fx.person(object.union(unemployed, {"birth_date": "2015-01-01"}))) == false
	fx.eligible("employment_difficulty_recognition", fx.person(object.union(unemployed, {"birth_date": "1950-01-01"}))) == false
}

test_employment_difficulty_undetermined_insurance_missing if {
	fx.decide("employment_difficulty_recognition", fx.with_missing(fx.person({"birth_date": "1980-01-01", "sex": "F"}), "city.insurance")).eligible == null
}

# Household items (benefit_subject: household) are granted once per household: a member on
# the item's roll (the head receiving the farmland subsidy for the household's land) refuses
# every other member.
wife := fx.member({"id_number": "370114196201010028", "name": "王桂兰", "relation": "spouse", "sex": "F", "birth_date": "1962-01-01"})

enrolled_in(m, item) := object.union(m, {"rolls": object.union(fx.base_rolls, {"enrolled": [item]})})

test_farmland_subsidy_ineligible_household_enrolled if {
	spouse := fx.person({"id_number": wife.id_number, "relation": "spouse", "sex": "F", "rolls": {"land_mu": 2.2}})
	head := enrolled_in(fx.member({"id_number": "370114196001010012", "relation": "head", "sex": "M"}), "farmland_protection_subsidy")
	d := fx.decide("farmland_protection_subsidy", fx.evidence(spouse, [head]))
	d.eligible == false
	fx.codes(d) == {"household_enrolled"}
	d.amount == null

	# the reason names the member on the roll, masked
	contains(d.reasons[0].zh, "在册：370114********0012")
	contains(d.reasons[0].en, "(on the roll: 370114********0012)")
	not contains(d.reasons[0].zh, "370114196001010012")
}

test_farmland_subsidy_eligible_member_on_other_roll if {
	other := enrolled_in(wife, "senior_card")
	fx.decide("farmland_protection_subsidy", fx.evidence(fx.person({"rolls": {"land_mu": 2.2}}), [other])).eligible == true
}

# A member's roll unknown (the district rolls missing): undetermined, not eligible.
test_farmland_subsidy_undetermined_household_rolls_missing if {
	ev := fx.object_missing(fx.evidence(fx.person({"rolls": {"land_mu": 2.2}}), [wife]), "district.rolls")
	fx.decide("farmland_protection_subsidy", ev).eligible == null
}

# The criterion the scan compiles (criteria.household_not_enrolled, over the scan data's
# household_enrolled_<item>) is the one the live rule binds to the household's rolls: for each
# household item, it holds exactly when the decision gives no household_enrolled reason, and it
# reads only its own item's column.
test_household_criterion_matches_decision if {
	every code in ["farmland_protection_subsidy", "dilapidated_house_renovation"] {
		col := concat("", ["household_enrolled_", code])
		household_clears(code, {col: false})
		not household_clears(code, {col: true})
		not household_clears(code, {"household_enrolled_senior_card": false})
		every member in [enrolled_in(wife, code), enrolled_in(wife, "senior_card"), wife] {
			d := fx.decide(code, fx.evidence(fx.person({"rolls": object.union(house("D"), {"land_mu": 2.2, "dibao": true})}), [member]))
			on := code in object.get(object.get(member, "rolls", {}), "enrolled", [])
			("household_enrolled" in fx.codes(d)) == on
			cleared(code, {col: on}) != on
		}
	}
}

household_clears(code, f) if {
	code == "farmland_protection_subsidy"
	criteria.clears.farmland_protection_subsidy.household_enrolled(f)
}

household_clears(code, f) if {
	code == "dilapidated_house_renovation"
	criteria.clears.dilapidated_house_renovation.household_enrolled(f)
}

cleared(code, f) := true if household_clears(code, f)

else := false

test_dilapidated_house_ineligible_household_enrolled if {
	d := fx.decide("dilapidated_house_renovation", fx.evidence(
		fx.person({"relation": "son", "rolls": object.union(house("D"), {"dibao": true})}),
		[enrolled_in(wife, "dilapidated_house_renovation")],
	))
	fx.codes(d) == {"household_enrolled"}
}

test_dilapidated_house_ineligible_applicant_enrolled if {
	d := fx.decide("dilapidated_house_renovation", fx.evidence(
		fx.person({"rolls": object.union(house("D"), {"dibao": true, "enrolled": ["dilapidated_house_renovation"]})}),
		[],
	))
	fx.codes(d) == {"already_enrolled"}
}

# The funeral subsidy reads household rolls too, but its subject is the deceased: a member on
# another death's roll entry is not a household enrolment.
test_household_enrolment_only_for_household_items if {
	died := fx.member({"relation": "spouse", "deceased": true, "death_date": "2026-10-01"})
	other := enrolled_in(fx.member({"id_number": "370114193001010031", "relation": "father"}), "funeral_subsidy")
	fx.decide("funeral_subsidy", fx.evidence(fx.person({}), [died, other])).eligible == true
}
