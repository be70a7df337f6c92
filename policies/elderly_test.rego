package sanmian.eligibility_test

import data.sanmian.fixtures_test as fx

# elderly_allowance (高龄老人补贴)

test_elderly_allowance_eligible_on_80th_birthday if {
	d := fx.decide("elderly_allowance", fx.evidence(fx.person({"birth_date": "1946-11-26"}), []))
	d.eligible == true
	d.amount == {"tier": "80-89", "monthly_yuan": 100}
	d.instant == true
	d.proactive == true
	d.facts.age == 80
	fx.codes(d) == {"age_80_89"}
	d.reasons[0].rule == "《山东省老年人权益保障条例》"
}

test_elderly_allowance_ineligible_day_before_80th_birthday if {
	d := fx.decide("elderly_allowance", fx.evidence(fx.person({"birth_date": "1946-11-27"}), []))
	d.eligible == false
	fx.codes(d) == {"age_below_min"}
	d.amount == null
	d.instant == false
	d.proactive == false
}

test_elderly_allowance_tier_90_on_birthday if {
	fx.decide("elderly_allowance", fx.evidence(fx.person({"birth_date": "1936-11-26"}), [])).amount.tier == "90-99"
	fx.decide("elderly_allowance", fx.evidence(fx.person({"birth_date": "1936-11-27"}), [])).amount.tier == "80-89"
}

test_elderly_allowance_tier_100 if {
	d := fx.decide("elderly_allowance", fx.evidence(fx.person({"birth_date": "1926-11-26"}), []))
	d.amount == {"tier": "100+", "monthly_yuan": 500}
	fx.codes(d) == {"age_100_plus"}
}

test_elderly_allowance_already_enrolled if {
	d := fx.decide("elderly_allowance", fx.evidence(fx.person({"birth_date": "1940-01-01", "rolls": {"enrolled": ["elderly_allowance"]}}), []))
	d.eligible == false
	fx.codes(d) == {"already_enrolled"}
}

test_elderly_allowance_deceased if {
	d := fx.decide("elderly_allowance", fx.evidence(fx.person({"birth_date": "1940-01-01", "deceased": true, "death_date": "2026-10-01"}), []))
	d.eligible == false
	fx.codes(d) == {"deceased"}
}

test_elderly_allowance_undetermined_when_deceased_conflicts if {
	d := fx.decide("elderly_allowance", fx.with_roll_death(fx.person({"birth_date": "1940-01-01"})))
	d.eligible == null
	fx.codes(d) == {"conflicting_evidence"}
	d.conflicts == ["applicant.deceased"]
	d.instant == false
}

test_elderly_allowance_undetermined_when_rolls_missing if {
	d := fx.decide("elderly_allowance", fx.with_missing(fx.person({"birth_date": "1940-01-01"}), "district.rolls"))
	d.eligible == null
	d.missing == ["district.rolls"]
	fx.codes(d) == {"missing_evidence"}
}

test_elderly_allowance_undetermined_when_rolls_absent if {
	p := object.remove(fx.person({"birth_date": "1940-01-01"}), ["rolls"])
	d := fx.decide("elderly_allowance", fx.evidence(p, []))
	d.eligible == null
	d.missing == ["district.rolls"]
}

test_elderly_allowance_ineligible_by_age_even_when_rolls_missing if {
	d := fx.decide("elderly_allowance", fx.with_missing(fx.person({}), "district.rolls"))
	d.eligible == false
	fx.codes(d) == {"age_below_min"}
}

test_elderly_allowance_undetermined_when_rolls_stale if {
	d := fx.decide("elderly_allowance", fx.with_stale(fx.person({"birth_date": "1940-01-01"}), "applicant.rolls.enrolled"))
	d.eligible == null
	fx.codes(d) == {"stale_evidence"}
}

test_elderly_allowance_undetermined_when_birth_date_blank if {
	d := fx.decide("elderly_allowance", fx.evidence(fx.person({"birth_date": ""}), []))
	d.eligible == null
	fx.codes(d) == {"blank_evidence"}
	d.facts == {}
}

test_elderly_allowance_autofill_is_minimal if {
	d := fx.decide("elderly_allowance", fx.evidence(fx.person({}), []))
	d.autofill == ["applicant_name", "id_number", "birth_date", "village"]
	d.unmasked.id_number == false
	d.unmasked.applicant_name == true
	d.review_levels == ["village", "town"]
}

# senior_card (老年人优待证)

test_senior_card_eligible_on_60th_birthday if {
	d := fx.decide("senior_card", fx.evidence(fx.person({"birth_date": "1966-11-26"}), []))
	d.eligible == true
	d.instant == true
	fx.codes(d) == {"criteria_met"}
}

test_senior_card_ineligible_day_before_60th_birthday if {
	fx.eligible("senior_card", fx.person({"birth_date": "1966-11-27"})) == false
}

test_senior_card_already_enrolled if {
	fx.eligible("senior_card", fx.person({"rolls": {"enrolled": ["senior_card"]}})) == false
}

test_senior_card_stale_allowed_but_not_instant if {
	d := fx.decide("senior_card", fx.with_stale(fx.person({}), "applicant.rolls.enrolled"))
	d.eligible == true
	d.instant == false
}

test_senior_card_undetermined_when_person_missing if {
	d := fx.decide("senior_card", fx.with_missing(fx.person({"birth_date": ""}), "province.person"))
	d.eligible == null
	d.missing == ["province.person"]
}

# The province is the authority for deaths: a death it records while the village roll says
# alive is a definite "deceased" (and only that), the conflict still listed.
test_province_death_not_eligible_whatever_the_roll_says if {
	ev := fx.with_province_death(fx.person({"birth_date": "1940-01-01"}))
	every item in ["elderly_allowance", "senior_card", "temporary_assistance", "rural_family_planning_reward", "residence_certificate"] {
		fx.decide(item, ev).eligible == false
	}
}

test_province_death_reason_names_the_province_record if {
	d := fx.decide("elderly_allowance", fx.with_province_death(fx.person({"birth_date": "1940-01-01"})))
	d.eligible == false
	fx.codes(d) == {"deceased"}
	d.conflicts == ["applicant.deceased"]
	some r in d.reasons
	contains(r.zh, "省一体化大数据平台人口基础信息")
	contains(r.en, "province")
}

# Another ground (age) does not replace the death as the reason.
test_province_death_is_the_only_reason if {
	d := fx.decide("elderly_allowance", fx.with_province_death(fx.person({"birth_date": "1980-01-01"})))
	d.eligible == false
	fx.codes(d) == {"deceased"}
}

# The roll recording a death the province does not: undetermined.
test_roll_only_death_undetermined if {
	d := fx.decide("senior_card", fx.with_roll_death(fx.person({})))
	d.eligible == null
	fx.codes(d) == {"conflicting_evidence"}
}

test_province_death_funeral_subsidy_still_decided if {
	d := fx.decide("funeral_subsidy", fx.with_province_death(fx.person({})))
	d.eligible == true
}
