package sanmian.eligibility_test

import data.sanmian.fixtures_test as fx

daughter := fx.member({})

son := fx.member({"relation": "son", "sex": "M", "name": "张小军", "id_number": "370114199201010031"})

# rural_family_planning_reward (农村部分计划生育家庭奖励扶助)

test_rural_reward_eligible_one_child if {
	d := fx.decide("rural_family_planning_reward", fx.evidence(fx.person({}), [daughter]))
	d.eligible == true
	fx.codes(d) == {"one_child"}
	d.amount.monthly_yuan == 80
	d.instant == false
	d.proactive == true
}

test_rural_reward_eligible_two_daughters if {
	d := fx.decide("rural_family_planning_reward", fx.evidence(fx.person({}), [daughter, daughter]))
	d.eligible == true
	fx.codes(d) == {"two_daughters"}
}

test_rural_reward_eligible_children_deceased if {
	dead := object.union(son, {"deceased": true})
	d := fx.decide("rural_family_planning_reward", fx.evidence(fx.person({}), [dead, dead]))
	d.eligible == true
	fx.codes(d) == {"children_deceased"}
}

test_rural_reward_eligible_with_honour_certificate if {
	p := fx.person({"licences": [fx.licence("only_child_honour", {"child_id_number": "370114199001010021"})]})
	fx.decide("rural_family_planning_reward", fx.evidence(p, [son, daughter, son])).eligible == true
}

test_rural_reward_eligible_as_father_of_head if {
	p := fx.person({"relation": "father"})
	head := fx.member({"relation": "head", "sex": "M"})
	fx.decide("rural_family_planning_reward", fx.evidence(p, [head])).eligible == true
}

test_rural_reward_ineligible_son_and_daughter if {
	d := fx.decide("rural_family_planning_reward", fx.evidence(fx.person({}), [son, daughter]))
	d.eligible == false
	fx.codes(d) == {"family_not_qualifying"}
}

test_rural_reward_ineligible_no_children if {
	fx.decide("rural_family_planning_reward", fx.evidence(fx.person({"relation": "other"}), [])).eligible == false
}

test_rural_reward_ineligible_non_agricultural if {
	d := fx.decide("rural_family_planning_reward", fx.evidence(fx.person({"hukou_type": "non_agricultural"}), [daughter]))
	d.eligible == false
	fx.codes(d) == {"not_agricultural_hukou"}
}

test_rural_reward_born_on_1933_01_01_eligible if {
	fx.decide("rural_family_planning_reward", fx.evidence(fx.person({"birth_date": "1933-01-01"}), [daughter])).eligible == true
}

test_rural_reward_born_1932_12_31_ineligible if {
	d := fx.decide("rural_family_planning_reward", fx.evidence(fx.person({"birth_date": "1932-12-31"}), [daughter]))
	d.eligible == false
	fx.codes(d) == {"born_before_1933"}
}

test_rural_reward_eligible_on_60th_birthday if {
	fx.decide("rural_family_planning_reward", fx.evidence(fx.person({"birth_date": "1966-11-26"}), [daughter])).eligible == true
}

test_rural_reward_ineligible_day_before_60th_birthday if {
	d := fx.decide("rural_family_planning_reward", fx.evidence(fx.person({"birth_date": "1966-11-27"}), [daughter]))
	fx.codes(d) == {"age_below_min"}
}

test_rural_reward_undetermined_household_missing if {
	d := fx.decide("rural_family_planning_reward", fx.with_missing(fx.person({}), "district.household"))
	d.eligible == null
	d.missing == ["district.household"]
}

# family_planning_special_support (计划生育特别扶助)

test_special_support_eligible_child_deceased if {
	d := fx.decide("family_planning_special_support", fx.evidence(fx.person({}), [object.union(daughter, {"deceased": true})]))
	d.eligible == true
	fx.codes(d) == {"only_child_deceased"}
	d.amount.monthly_yuan == 590
}

test_special_support_eligible_child_disabled if {
	child := object.union(daughter, {"licences": [fx.disability(2, "physical")]})
	d := fx.decide("family_planning_special_support", fx.evidence(fx.person({}), [child]))
	d.eligible == true
	fx.codes(d) == {"only_child_disabled"}
	d.amount.monthly_yuan == 470
}

test_special_support_ineligible_child_grade_4 if {
	child := object.union(daughter, {"licences": [fx.disability(4, "physical")]})
	d := fx.decide("family_planning_special_support", fx.evidence(fx.person({}), [child]))
	fx.codes(d) == {"only_child_not_deceased_or_disabled"}
}

test_special_support_ineligible_two_children if {
	d := fx.decide("family_planning_special_support", fx.evidence(fx.person({}), [daughter, son]))
	fx.codes(d) == {"family_not_qualifying"}
}

test_special_support_eligible_on_49th_birthday if {
	child := object.union(daughter, {"deceased": true})
	fx.decide("family_planning_special_support", fx.evidence(fx.person({"birth_date": "1977-11-26"}), [child])).eligible == true
	d := fx.decide("family_planning_special_support", fx.evidence(fx.person({"birth_date": "1977-11-27"}), [child]))
	fx.codes(d) == {"age_below_min"}
}

test_special_support_undetermined_licences_missing if {
	d := fx.decide("family_planning_special_support", fx.object_missing(fx.evidence(fx.person({}), [daughter]), "province.licences"))
	d.eligible == null
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
