# Family-planning items.
# rural_family_planning_reward, family_planning_special_support, only_child_parent_reward and
# birth_registration. Children are read from the household (district view) relative to the
# applicant's relation to the household head; see policies/README.md for the simplification.
package sanmian.eligibility

import data.sanmian.catalogue
import data.sanmian.lib
import input.evidence.applicant

# children of the applicant as far as the household shows them: the head's and spouse's sons
# and daughters, or the head for the head's father or mother.
children := [m | some m in household; m.relation in {"son", "daughter"}] if {
	applicant.relation in {"head", "spouse"}
} else := [m | some m in household; m.relation == "head"] if {
	applicant.relation in {"father", "mother"}
} else := []

family_fields := ["applicant.licences.only_child_honour", "applicant.relation", "household.relation", "household.sex", "household.deceased"]

# family_type for the rural reward: one child (or the only-child honour certificate), two
# daughters, or children deceased and none living.
family_type := "one_child" if {
	count(honour_licences) > 0
} else := "one_child" if {
	count(children) == 1
} else := "two_daughters" if {
	kids := children # once: each reference to a rule is a cache lookup
	count(kids) == 2
	every c in kids {
		c.sex == "F"
	}
} else := "children_deceased" if {
	kids := children
	count(kids) > 0
	every c in kids {
		c.deceased == true
	}
}

# 农村部分计划生育家庭奖励扶助: agricultural hukou, 60+, born on/after 1933-01-01, qualifying family.
fail.rural_family_planning_reward contains {"code": "not_agricultural_hukou", "fields": ["applicant.hukou_type"]} if {
	applicant.hukou_type != "agricultural"
}

fail.rural_family_planning_reward contains {"code": "age_below_min", "fields": ["applicant.birth_date"]} if {
	age < catalogue.items.rural_family_planning_reward.params.min_age
}

fail.rural_family_planning_reward contains {"code": "born_before_1933", "fields": ["applicant.birth_date"]} if {
	applicant.birth_date < catalogue.items.rural_family_planning_reward.params.born_on_or_after
}

fail.rural_family_planning_reward contains {"code": "family_not_qualifying", "fields": family_fields} if {
	not family_type
}

pass.rural_family_planning_reward contains family_type

amount.rural_family_planning_reward := {"monthly_yuan": catalogue.items.rural_family_planning_reward.params.monthly_yuan}

# 计划生育特别扶助: 49+, exactly one child in the household, who is deceased or disabled (grade 1-3).
special_fields := ["applicant.relation", "household.relation", "household.deceased", "household.licences.disability"]

only_child := children[0] if count(children) == 1

only_child_state := "only_child_deceased" if {
	only_child.deceased == true
} else := "only_child_disabled" if {
	some l in lib.valid_licences_of(only_child, "disability", input.now)
	lib.grade(l) <= catalogue.items.family_planning_special_support.params.max_child_disability_grade
}

fail.family_planning_special_support contains {"code": "age_below_min", "fields": ["applicant.birth_date"]} if {
	age < catalogue.items.family_planning_special_support.params.min_age
}

fail.family_planning_special_support contains {"code": "family_not_qualifying", "fields": special_fields} if {
	count(children) != 1
}

fail.family_planning_special_support contains {"code": "only_child_not_deceased_or_disabled", "fields": special_fields} if {
	count(children) == 1
	not only_child_state
}

pass.family_planning_special_support contains only_child_state

amount.family_planning_special_support := {"monthly_yuan": catalogue.items.family_planning_special_support.params.monthly_yuan[kind]} if {
	kind := trim_prefix(only_child_state, "only_child_")
}

# 独生子女父母奖励: a valid only-child honour certificate and the child under 18.
honour_licences := lib.valid_licences_of(applicant, "only_child_honour", input.now)

fail.only_child_parent_reward contains {"code": "no_only_child_honour", "fields": ["applicant.licences.only_child_honour"]} if {
	count(honour_licences) == 0
}

fail.only_child_parent_reward contains {"code": "child_adult", "fields": ["applicant.licences.only_child_honour"]} if {
	count(honour_licences) > 0
	every l in honour_licences {
		lib.age(lib.id_birth_date(l.attrs.child_id_number), input.now) > catalogue.items.only_child_parent_reward.params.child_max_age
	}
}

amount.only_child_parent_reward := {"monthly_yuan": catalogue.items.only_child_parent_reward.params.monthly_yuan}

# 生育登记: married adults.
fail.birth_registration contains {"code": "not_married", "fields": ["applicant.marital"]} if {
	object.get(applicant, "marital", "") != "married"
}

fail.birth_registration contains {"code": "age_below_min", "fields": ["applicant.birth_date"]} if {
	age < catalogue.items.birth_registration.params.min_age
}
