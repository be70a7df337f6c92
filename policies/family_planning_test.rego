package sanmian.eligibility_test

import data.sanmian.fixtures_test as fx

daughter := fx.child({})

son := fx.child({"sex": "M", "name": "张小军", "id_number": "370114199201010031"})

# a son in another household, known from his birth certificate only
son_elsewhere := fx.child({"sex": "M", "name": "张小兵", "id_number": "370114199401010015", "links": ["birth_certificate"]})

# a daughter married into another household, known from the population base
daughter_married_out := fx.child({"id_number": "370114199601010024", "links": ["population_base"]})

dead(c) := object.union(c, {"deceased": true})

rural(p, kids) := fx.decide("rural_family_planning_reward", fx.family(p, [], kids))

# rural_family_planning_reward (农村部分计划生育家庭奖励扶助)

test_rural_reward_eligible_one_child if {
	d := rural(fx.person({}), [daughter])
	d.eligible == true
	fx.codes(d) == {"one_child"}
	d.amount.monthly_yuan == 80
	d.instant == false
	d.proactive == true
}

test_rural_reward_eligible_two_daughters if {
	d := rural(fx.person({}), [daughter, daughter_married_out])
	d.eligible == true
	fx.codes(d) == {"two_daughters"}
}

test_rural_reward_eligible_children_deceased if {
	d := rural(fx.person({}), [dead(son), dead(son_elsewhere)])
	d.eligible == true
	fx.codes(d) == {"children_deceased"}
}

test_rural_reward_child_death_record_counts_as_deceased if {
	with_record := object.union(son, {"licences": [fx.licence("death", {"death_date": "2020-05-01"})]})
	fx.codes(rural(fx.person({}), [with_record])) == {"one_child"}
	fx.codes(rural(fx.person({}), [with_record, dead(son_elsewhere)])) == {"children_deceased"}
}

test_rural_reward_two_sons_in_two_households_not_one_child if {
	d := rural(fx.person({}), [son, son_elsewhere])
	d.eligible == false
	fx.codes(d) == {"family_not_qualifying"}
}

test_rural_reward_married_out_daughter_counted if {
	d := rural(fx.person({}), [son, daughter_married_out])
	d.eligible == false
	fx.codes(d) == {"family_not_qualifying"}
}

test_rural_reward_honour_certificate_does_not_hide_a_second_child if {
	p := fx.person({"licences": [fx.licence("only_child_honour", {"child_id_number": "370114199001010021"})]})
	fx.codes(rural(p, [object.union(daughter, {"links": ["household", "only_child_honour"]})])) == {"one_child"}
	d := rural(p, [object.union(daughter, {"links": ["household", "only_child_honour"]}), son_elsewhere])
	d.eligible == false
	fx.codes(d) == {"family_not_qualifying"}
}

test_rural_reward_ineligible_no_children if {
	fx.decide("rural_family_planning_reward", fx.evidence(fx.person({"relation": "other"}), [])).eligible == false
}

test_rural_reward_ineligible_non_agricultural if {
	d := rural(fx.person({"hukou_type": "non_agricultural"}), [daughter])
	d.eligible == false
	fx.codes(d) == {"not_agricultural_hukou"}
}

test_rural_reward_born_on_1933_01_01_eligible if {
	rural(fx.person({"birth_date": "1933-01-01"}), [daughter]).eligible == true
}

test_rural_reward_born_1932_12_31_ineligible if {
	d := rural(fx.person({"birth_date": "1932-12-31"}), [daughter])
	d.eligible == false
	fx.codes(d) == {"born_before_1933"}
}

test_rural_reward_eligible_on_60th_birthday if {
	rural(fx.person({"birth_date": "1966-11-26"}), [daughter]).eligible == true
}

test_rural_reward_ineligible_day_before_60th_birthday if {
	d := rural(fx.person({"birth_date": "1966-11-27"}), [daughter])
	fx.codes(d) == {"age_below_min"}
}

test_rural_reward_undetermined_household_missing if {
	d := fx.decide("rural_family_planning_reward", fx.with_missing(fx.person({}), "district.household"))
	d.eligible == null
	d.missing == ["district.household"]
}

test_rural_reward_undetermined_kinship_missing if {
	d := fx.decide("rural_family_planning_reward", fx.object_missing(fx.family(fx.person({}), [], [son, daughter]), "province.kinship"))
	d.eligible == null
	d.missing == ["province.kinship"]
	fx.codes(d) == {"missing_evidence"}
}

# the province (population base) down: who the children are, their sex and deaths are unknown
test_rural_reward_undetermined_province_person_missing if {
	p := object.remove(fx.person({}), ["sex", "birth_date", "hukou_type", "name"])
	ev := object.union(fx.family(p, [], [object.remove(son, ["sex", "name", "birth_date"])]), {"missing": ["province.person", "province.kinship", "province.licences"]})
	d := fx.decide("rural_family_planning_reward", ev)
	d.eligible == null
}

# a child only the honour certificate names, unknown to the population base
unrecorded := {"id_number": "370114200001010012", "licences": [], "links": ["only_child_honour"], "deceased": false}

test_rural_reward_unrecorded_child_never_refused if {
	d := rural(fx.person({}), [son, unrecorded])
	d.eligible == null
	fx.codes(d) == {"child_record_missing"}
	fx.codes(rural(fx.person({}), [unrecorded])) == {"one_child"}
}

test_special_support_unrecorded_child_undetermined if {
	d := special(mother, [unrecorded])
	d.eligible == null
	fx.codes(d) == {"child_record_missing"}
}

# family_planning_special_support (计划生育特别扶助)

mother := fx.person({"sex": "F", "birth_date": "1962-01-01", "id_number": "370114196201010028", "name": "李秀兰", "relation": "spouse"})

father := fx.person({})

special(p, kids) := fx.decide("family_planning_special_support", fx.family(p, [], kids))

test_special_support_eligible_child_deceased if {
	d := special(mother, [dead(daughter)])
	d.eligible == true
	fx.codes(d) == {"only_child_deceased"}
	d.amount.monthly_yuan == 590
}

test_special_support_eligible_child_death_record if {
	with_record := object.union(daughter, {"licences": [fx.licence("death", {"death_date": "2020-05-01"})]})
	fx.codes(special(mother, [with_record])) == {"only_child_deceased"}
}

test_special_support_eligible_child_disabled if {
	child := object.union(daughter, {"licences": [fx.disability(2, "physical")]})
	d := special(mother, [child])
	d.eligible == true
	fx.codes(d) == {"only_child_disabled"}
	d.amount.monthly_yuan == 470
}

test_special_support_eligible_disabled_only_child_living_elsewhere if {
	child := object.union(daughter_married_out, {"licences": [fx.disability(3, "intellectual")], "links": ["only_child_honour", "population_base"]})
	d := special(father, [child])
	d.eligible == true
	fx.codes(d) == {"only_child_disabled"}
}

test_special_support_ineligible_child_grade_4 if {
	child := object.union(daughter, {"licences": [fx.disability(4, "physical")]})
	d := special(mother, [child])
	d.eligible == false
	fx.codes(d) == {"only_child_not_deceased_or_disabled"}
	[r.zh | some r in d.reasons; r.rule == "《全国独生子女伤残死亡家庭扶助制度试点方案》"] != []
}

test_special_support_ineligible_two_children if {
	d := special(mother, [dead(daughter), son_elsewhere])
	d.eligible == false
	fx.codes(d) == {"not_only_child_family"}
	some r in d.reasons
	r.rule == "《全国独生子女伤残死亡家庭扶助制度试点方案》"
	contains(r.en, "only child")
}

test_special_support_ineligible_no_child if {
	fx.codes(special(mother, [])) == {"not_only_child_family"}
}

# 女方年满49周岁: the mother turns 49 ON her 49th birthday.
test_special_support_mother_on_49th_birthday if {
	special(fx.person({"sex": "F", "birth_date": "1977-11-26"}), [dead(daughter)]).eligible == true
	d := special(fx.person({"sex": "F", "birth_date": "1977-11-27"}), [dead(daughter)])
	d.eligible == false
	fx.codes(d) == {"mother_below_49"}
}

# A father is judged by the age of the child's mother, whatever his own age.
test_special_support_father_by_mothers_age if {
	young_mother := object.union(dead(daughter), {"mother_id_number": "370114198001010026"})
	d := special(fx.person({"birth_date": "1970-01-01"}), [young_mother])
	d.eligible == false
	fx.codes(d) == {"mother_below_49"}
	older_mother := object.union(dead(daughter), {"mother_id_number": "370114197501010029"})
	special(fx.person({"birth_date": "1980-01-01"}), [older_mother]).eligible == true
}

test_special_support_father_mother_from_marriage_certificate if {
	kid := object.remove(dead(daughter), ["mother_id_number"])
	wife := fx.licence("marriage", {"spouse_id_number": "370114198001010026"})
	d := special(fx.person({"licences": [wife]}), [kid])
	fx.codes(d) == {"mother_below_49"}
	older := fx.licence("marriage", {"spouse_id_number": "370114197001010026"})
	special(fx.person({"licences": [older]}), [kid]).eligible == true
}

test_special_support_father_mother_unknown_undetermined if {
	kid := object.remove(dead(daughter), ["mother_id_number"])
	d := special(father, [kid])
	d.eligible == null
	fx.codes(d) == {"mother_age_unknown"}
	d.instant == false
}

test_special_support_undetermined_licences_missing if {
	d := fx.decide("family_planning_special_support", fx.object_missing(fx.family(mother, [], [daughter]), "province.licences"))
	d.eligible == null
}

test_special_support_undetermined_kinship_missing if {
	d := fx.decide("family_planning_special_support", fx.object_missing(fx.family(mother, [], []), "province.kinship"))
	d.eligible == null
	fx.codes(d) == {"missing_evidence"}
}

# only_child_parent_reward (独生子女父母奖励)

honour(child_id) := fx.licence("only_child_honour", {"child_id_number": child_id})

test_only_child_reward_eligible if {
	d := fx.decide("only_child_parent_reward", fx.evidence(fx.person({"licences": [honour("370114201501010021")]}), []))
	d.eligible == true
	d.amount.monthly_yuan == 10
	"honour_certificate_number" in d.autofill
}

test_only_child_reward_child_18_today_ineligible if {
	d := fx.decide("only_child_parent_reward", fx.evidence(fx.person({"licences": [honour("370114200811260021")]}), []))
	fx.codes(d) == {"child_adult"}
	fx.decide("only_child_parent_reward", fx.evidence(fx.person({"licences": [honour("370114200811270021")]}), [])).eligible == true
}

test_only_child_reward_ineligible_without_certificate if {
	d := fx.decide("only_child_parent_reward", fx.evidence(fx.person({}), []))
	fx.codes(d) == {"no_only_child_honour"}
}

test_only_child_reward_ineligible_certificate_expired if {
	l := object.union(honour("370114201501010021"), {"valid_until": "2026-11-25"})
	fx.eligible("only_child_parent_reward", fx.person({"licences": [l]})) == false
}

test_only_child_reward_undetermined_licences_missing if {
	fx.decide("only_child_parent_reward", fx.with_missing(fx.person({}), "province.licences")).eligible == null
}

# birth_registration (生育登记)

test_birth_registration_eligible_married if {
	d := fx.decide("birth_registration", fx.evidence(fx.person({"birth_date": "1996-03-01"}), []))
	d.eligible == true
	d.instant == true
	d.proactive == false
}

test_birth_registration_ineligible_single if {
	d := fx.decide("birth_registration", fx.evidence(fx.person({"marital": "single"}), []))
	fx.codes(d) == {"not_married"}
}

test_birth_registration_ineligible_under_18 if {
	d := fx.decide("birth_registration", fx.evidence(fx.person({"birth_date": "2008-11-27"}), []))
	fx.codes(d) == {"age_below_min"}
	fx.eligible("birth_registration", fx.person({"birth_date": "2008-11-26"})) == true
}

test_birth_registration_undetermined_marital_unknown if {
	p := object.remove(fx.person({}), ["marital"])
	d := fx.decide("birth_registration", fx.evidence(p, []))
	d.eligible == null
	fx.codes(d) == {"blank_evidence"}
}

# The criterion over the children's facts (child_deceased, child_disability_grade) the scan
# compiles holds exactly when the only child's state is one the item pays, and the decision
# agrees, for one child in each state: deceased, a death record,
# disabled grade 1-4, a certificate expired or revoked, two certificates, none.
test_special_support_criterion_matches_decision if {
	expired := object.union(fx.disability(2, "physical"), {"valid_until": "2026-11-25"})
	revoked := object.union(fx.disability(1, "physical"), {"status": "revoked"})
	states := [
		dead(daughter),
		object.union(daughter, {"licences": [fx.licence("death", {"death_date": "2020-05-01"})]}),
		object.union(daughter, {"licences": [fx.disability(1, "physical")]}),
		object.union(daughter, {"licences": [fx.disability(3, "physical")]}),
		object.union(daughter, {"licences": [fx.disability(4, "physical")]}),
		object.union(daughter, {"licences": [expired]}),
		object.union(daughter, {"licences": [revoked]}),
		object.union(daughter, {"licences": [fx.disability(4, "physical"), fx.disability(2, "mental")]}),
		daughter,
	]
	every kid in states {
		inp := {"now": fx.now, "item": "family_planning_special_support", "evidence": fx.family(mother, [], [kid])}
		f := data.sanmian.eligibility.child_facts with input as inp
		clears := {true | data.sanmian.criteria.clears.family_planning_special_support.only_child_not_deceased_or_disabled(f) with input.now as fx.now}
		state := {true | data.sanmian.eligibility.only_child_state with input as inp}
		clears == state
		{true | special(mother, [kid]).eligible} == state
	}
}
