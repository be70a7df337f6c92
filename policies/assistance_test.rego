package sanmian.eligibility_test

import data.sanmian.criteria
import data.sanmian.fixtures_test as fx
import data.sanmian.lib

# minimum_living_allowance (最低生活保障)

test_dibao_eligible_to_apply if {
	d := fx.decide("minimum_living_allowance", fx.evidence(fx.person({}), []))
	d.eligible == true
	fx.codes(d) == {"means_test_at_review"}
	d.instant == false
	d.proactive == false
}

test_dibao_ineligible_already_on_roll if {
	d := fx.decide("minimum_living_allowance", fx.evidence(fx.person({"rolls": {"dibao": true}}), []))
	fx.codes(d) == {"already_enrolled"}
}

test_dibao_undetermined_rolls_missing if {
	fx.decide("minimum_living_allowance", fx.with_missing(fx.person({}), "district.rolls")).eligible == null
}

# extreme_poverty_support (特困人员救助供养)

test_tekun_eligible_elderly_alone if {
	fx.eligible("extreme_poverty_support", fx.person({"birth_date": "1950-05-01"})) == true
}

test_tekun_eligible_severe_disability if {
	fx.eligible("extreme_poverty_support", fx.person({"birth_date": "1986-05-01", "licences": [fx.disability(1, "intellectual")]})) == true
}

test_tekun_eligible_minor if {
	fx.eligible("extreme_poverty_support", fx.person({"birth_date": "2016-05-01", "marital": "single"})) == true
}

test_tekun_ineligible_able_to_work if {
	d := fx.decide("extreme_poverty_support", fx.evidence(fx.person({"birth_date": "1986-05-01"}), []))
	fx.codes(d) == {"able_to_work_no_supporter_check"}
}

test_tekun_ineligible_has_supporter if {
	supporter := fx.member({"relation": "son", "birth_date": "1990-01-01"})
	d := fx.decide("extreme_poverty_support", fx.evidence(fx.person({"birth_date": "1950-05-01"}), [supporter]))
	fx.codes(d) == {"has_supporter"}
}

test_tekun_deceased_member_is_no_supporter if {
	supporter := fx.member({"relation": "son", "birth_date": "1990-01-01", "deceased": true})
	fx.decide("extreme_poverty_support", fx.evidence(fx.person({"birth_date": "1950-05-01"}), [supporter])).eligible == true
}

test_tekun_ineligible_already_supported if {
	d := fx.decide("extreme_poverty_support", fx.evidence(fx.person({"birth_date": "1950-05-01", "rolls": {"tekun": true}}), []))
	fx.codes(d) == {"already_enrolled"}
}

# The supporter criterion the scan compiles (criteria.member.supporter over a member's row,
# counted per household) against the rule's own statement: a living member aged 18 to 59 on
# the decision date (2026-11-26). At each bound, for a deceased member and for a member without
# a birth date, the decision refuses has_supporter exactly when the statement holds, and the
# criteria agree on the count.
test_tekun_supporter_criterion_matches_rule if {
	members := [
		{"birth_date": "2008-11-27"}, # 17, turning 18 tomorrow
		{"birth_date": "2008-11-26"}, # 18 today
		{"birth_date": "1966-11-27"}, # 59, turning 60 tomorrow
		{"birth_date": "1966-11-26"}, # 60 today
		{"birth_date": "1990-01-01", "deceased": true},
		{"birth_date": ""},
	]
	every attrs in members {
		m := fx.member(object.union({"relation": "son"}, attrs))
		d := fx.decide("extreme_poverty_support", fx.evidence(fx.person({"birth_date": "1950-05-01"}), [m]))
		statement := supporter_by_statement(m)
		("has_supporter" in fx.codes(d)) == statement
		count([1 | criteria.member.supporter(member_facts(m))]) == count([1 | statement]) with input.now as fx.now
		no_supporter({"household_members_supporter": count([1 | statement])}) == not_true(statement)
	}
}

supporter_by_statement(m) := true if {
	m.deceased != true
	a := lib.age(m.birth_date, fx.now)
	a >= 18
	a <= 59
} else := false

member_facts(m) := data.sanmian.eligibility.member_facts(m)

not_true(b) := b != true

no_supporter(f) := true if criteria.clears.extreme_poverty_support.has_supporter(f)

else := false

test_tekun_undetermined_household_missing if {
	fx.decide("extreme_poverty_support", fx.with_missing(fx.person({"birth_date": "1950-05-01"}), "district.household")).eligible == null
}

# temporary_assistance (临时救助)

test_temporary_assistance_eligible if {
	fx.eligible("temporary_assistance", fx.person({})) == true
}

test_temporary_assistance_ineligible_deceased if {
	fx.eligible("temporary_assistance", fx.person({"deceased": true})) == false
}

test_temporary_assistance_undetermined_deceased_conflict if {
	fx.decide("temporary_assistance", fx.with_roll_death(fx.person({}))).eligible == null
}

# medical_assistance (医疗救助)

insured := {"insurance": {"medical": "enrolled", "medical_year": 2026}}

test_medical_assistance_eligible if {
	fx.eligible("medical_assistance", fx.person(object.union(insured, {"rolls": {"tekun": true}}))) == true
}

test_medical_assistance_ineligible_not_poor if {
	d := fx.decide("medical_assistance", fx.evidence(fx.person(insured), []))
	fx.codes(d) == {"not_dibao_or_tekun"}
}

test_medical_assistance_ineligible_uninsured if {
	d := fx.decide("medical_assistance", fx.evidence(fx.person({"rolls": {"dibao": true}}), []))
	fx.codes(d) == {"no_medical_insurance"}
}

test_medical_assistance_undetermined_insurance_missing if {
	p := object.remove(fx.person({"rolls": {"dibao": true}}), ["insurance"])
	d := fx.decide("medical_assistance", fx.evidence(p, []))
	d.eligible == null
	d.missing == ["city.insurance"]
}

# student_aid (困难家庭学生资助)

student := {"birth_date": "2012-09-01", "marital": "single", "relation": "son", "rolls": {"in_school": "junior", "dibao": true}}

test_student_aid_eligible if {
	d := fx.decide("student_aid", fx.evidence(fx.person(student), []))
	d.eligible == true
	d.amount == {"level": "junior", "annual_yuan": 1250}
}

test_student_aid_ineligible_not_in_school if {
	d := fx.decide("student_aid", fx.evidence(fx.person({"rolls": {"dibao": true}}), []))
	fx.codes(d) == {"not_in_school"}
}

test_student_aid_ineligible_not_poor if {
	d := fx.decide("student_aid", fx.evidence(fx.person({"rolls": {"in_school": "senior"}}), []))
	fx.codes(d) == {"not_dibao_or_tekun"}
}

test_student_aid_undetermined_rolls_missing if {
	fx.decide("student_aid", fx.with_missing(fx.person(student), "district.rolls")).eligible == null
}

# winter_heating_subsidy (困难群众冬季取暖补贴)

test_winter_heating_eligible if {
	d := fx.decide("winter_heating_subsidy", fx.evidence(fx.person({"rolls": {"dibao": true}}), []))
	d.eligible == true
	d.amount.annual_yuan == 300
	d.instant == true
}

test_winter_heating_ineligible if {
	fx.eligible("winter_heating_subsidy", fx.person({})) == false
}

test_winter_heating_stale_allowed_not_instant if {
	d := fx.decide("winter_heating_subsidy", fx.with_stale(fx.person({"rolls": {"dibao": true}}), "applicant.rolls.dibao"))
	d.eligible == true
	d.instant == false
}

# Money items accept stale district data but never a stale death record (stale_kinds).
test_winter_heating_stale_death_record_undetermined if {
	d := fx.decide("winter_heating_subsidy", fx.with_stale(fx.person({"rolls": {"dibao": true}}), "applicant.deceased"))
	d.eligible == null
	d.instant == false
	fx.codes(d) == {"stale_evidence"}
}

test_temporary_assistance_stale_village_accepted if {
	d := fx.decide("temporary_assistance", fx.with_stale(fx.person({}), "applicant.village"))
	d.eligible == true
	d.instant == false
}

test_temporary_assistance_stale_death_record_undetermined if {
	d := fx.decide("temporary_assistance", fx.with_stale(fx.person({}), "applicant.deceased"))
	d.eligible == null
	fx.codes(d) == {"stale_evidence"}
}

test_winter_heating_undetermined_rolls_missing if {
	fx.decide("winter_heating_subsidy", fx.with_missing(fx.person({}), "district.rolls")).eligible == null
}
