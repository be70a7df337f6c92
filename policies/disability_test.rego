package sanmian.eligibility_test

import data.sanmian.fixtures_test as fx

dibao := {"rolls": {"dibao": true}}

# hardship_disability_subsidy (困难残疾人生活补贴)

test_hardship_disability_eligible if {
	d := fx.decide("hardship_disability_subsidy", fx.evidence(fx.person(object.union(dibao, {"licences": [fx.disability(3, "hearing")]})), []))
	d.eligible == true
	d.amount.monthly_yuan == 120
	d.instant == true
	{"disability_certificate_number", "disability_grade", "dibao_household"} & {f | some f in d.autofill} == {"disability_certificate_number", "disability_grade", "dibao_household"}
}

test_hardship_disability_ineligible_not_dibao if {
	d := fx.decide("hardship_disability_subsidy", fx.evidence(fx.person({"licences": [fx.disability(3, "hearing")]}), []))
	fx.codes(d) == {"not_dibao_household"}
}

test_hardship_disability_ineligible_no_certificate if {
	d := fx.decide("hardship_disability_subsidy", fx.evidence(fx.person(dibao), []))
	fx.codes(d) == {"no_valid_disability_certificate"}
}

test_hardship_disability_ineligible_certificate_expired if {
	l := object.union(fx.disability(3, "hearing"), {"valid_until": "2026-11-25"})
	fx.eligible("hardship_disability_subsidy", fx.person(object.union(dibao, {"licences": [l]}))) == false
}

test_hardship_disability_certificate_valid_on_last_day if {
	l := object.union(fx.disability(3, "hearing"), {"valid_until": "2026-11-26"})
	fx.eligible("hardship_disability_subsidy", fx.person(object.union(dibao, {"licences": [l]}))) == true
}

test_hardship_disability_undetermined_licences_missing if {
	d := fx.decide("hardship_disability_subsidy", fx.with_missing(fx.person(dibao), "province.licences"))
	d.eligible == null
	d.missing == ["province.licences"]
}

test_hardship_disability_undetermined_dibao_conflict if {
	d := fx.decide("hardship_disability_subsidy", fx.with_conflict(fx.person(object.union(dibao, {"licences": [fx.disability(3, "hearing")]})), "applicant.rolls.dibao"))
	d.eligible == null
	d.conflicts == ["applicant.rolls.dibao"]
}

# severe_disability_care_subsidy (重度残疾人护理补贴)

test_severe_disability_eligible_grade_2 if {
	d := fx.decide("severe_disability_care_subsidy", fx.evidence(fx.person({"licences": [fx.disability(2, "physical")]}), []))
	d.eligible == true
	d.amount == {"grade": 2, "monthly_yuan": 100}
}

test_severe_disability_eligible_grade_1_string_grade if {
	d := fx.decide("severe_disability_care_subsidy", fx.evidence(fx.person({"licences": [fx.disability("1", "mental")]}), []))
	d.amount == {"grade": 1, "monthly_yuan": 140}
}

test_severe_disability_ineligible_grade_3 if {
	d := fx.decide("severe_disability_care_subsidy", fx.evidence(fx.person({"licences": [fx.disability(3, "physical")]}), []))
	fx.codes(d) == {"disability_grade_too_low"}
}

test_severe_disability_ineligible_in_tekun if {
	d := fx.decide("severe_disability_care_subsidy", fx.evidence(fx.person({"licences": [fx.disability(1, "physical")], "rolls": {"tekun": true}}), []))
	fx.codes(d) == {"in_tekun"}
}

test_severe_disability_ineligible_no_certificate if {
	fx.eligible("severe_disability_care_subsidy", fx.person({})) == false
}

test_severe_disability_undetermined_rolls_missing if {
	d := fx.decide("severe_disability_care_subsidy", fx.with_missing(fx.person({"licences": [fx.disability(1, "physical")]}), "district.rolls"))
	d.eligible == null
}

test_severe_disability_undetermined_licence_conflict if {
	ev := fx.with_conflict(fx.person({"licences": [fx.disability(1, "physical")]}), "applicant.licences.0.attrs.grade")
	d := fx.decide("severe_disability_care_subsidy", ev)
	d.eligible == null
	d.conflicts == ["applicant.licences.disability"]
}

# disability_certificate_renewal (残疾人证换领)

test_renewal_eligible_expiring_within_window if {
	l := object.union(fx.disability(3, "physical"), {"valid_until": "2027-02-24"})
	d := fx.decide("disability_certificate_renewal", fx.evidence(fx.person({"licences": [l]}), []))
	d.eligible == true
	d.instant == false
}

test_renewal_ineligible_one_day_outside_window if {
	l := object.union(fx.disability(3, "physical"), {"valid_until": "2027-02-25"})
	d := fx.decide("disability_certificate_renewal", fx.evidence(fx.person({"licences": [l]}), []))
	fx.codes(d) == {"certificate_not_due"}
}

test_renewal_eligible_expired_status if {
	l := object.union(fx.disability(3, "physical"), {"status": "expired", "valid_until": "2025-01-01"})
	fx.eligible("disability_certificate_renewal", fx.person({"licences": [l]})) == true
}

test_renewal_ineligible_long_term_certificate if {
	l := object.union(fx.disability(3, "physical"), {"valid_until": ""})
	fx.eligible("disability_certificate_renewal", fx.person({"licences": [l]})) == false
}

test_renewal_ineligible_no_certificate if {
	d := fx.decide("disability_certificate_renewal", fx.evidence(fx.person({}), []))
	fx.codes(d) == {"no_disability_certificate"}
}

test_renewal_undetermined_licences_missing if {
	fx.decide("disability_certificate_renewal", fx.with_missing(fx.person({}), "province.licences")).eligible == null
}

# assistive_device_fitting (残疾人辅助器具适配)

test_assistive_device_eligible_physical if {
	d := fx.decide("assistive_device_fitting", fx.evidence(fx.person({"licences": [fx.disability(4, "physical")]}), []))
	d.eligible == true
	d.instant == false
}

test_assistive_device_ineligible_category if {
	d := fx.decide("assistive_device_fitting", fx.evidence(fx.person({"licences": [fx.disability(4, "mental")]}), []))
	fx.codes(d) == {"category_not_covered"}
}

test_assistive_device_ineligible_no_certificate if {
	fx.eligible("assistive_device_fitting", fx.person({})) == false
}

test_assistive_device_undetermined_licences_missing if {
	fx.decide("assistive_device_fitting", fx.with_missing(fx.person({}), "province.licences")).eligible == null
}
