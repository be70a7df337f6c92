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

test_funeral_subsidy_ineligible_already_claimed if {
	d := fx.decide("funeral_subsidy", fx.evidence(fx.person({"rolls": {"enrolled": ["funeral_subsidy"]}}), [died("2026-10-01")]))
	fx.codes(d) == {"already_enrolled"}
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
