# Family-planning items.
# rural_family_planning_reward, family_planning_special_support, only_child_parent_reward and
# birth_registration. Children are the persons the platforms link to the applicant wherever
# they live (input.evidence.children, assembled by the hub: household relations, the
# only-child honour certificate, and the province's kinship records from the population base
# and birth certificates); see policies/README.md.
package sanmian.eligibility

import data.sanmian.catalogue
import data.sanmian.criteria
import data.sanmian.lib
import input.evidence.applicant

# children of the applicant ([] when absent or null).
children := input.evidence.children if is_array(input.evidence.children)

else := []

# The evidence the children rules rely on: who the children are (kinship, household, honour
# certificate) and their sex and death status.
family_fields := ["applicant.licences.only_child_honour", "applicant.relation", "household.relation", "children.id_number", "children.links", "children.sex", "children.deceased"]

# child_deceased: the province records the death, or holds a death record of the child.
child_deceased(c) if c.deceased == true

child_deceased(c) if some l in lib.licences_of(c, "death")

# family_type for the rural reward (《农村部分计划生育家庭奖励扶助制度试点方案》): one child,
# two daughters, or children deceased and none living. Every child the platforms link counts:
# an honour certificate does not make one child of a family the platforms know has two.
family_type := "one_child" if {
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
		child_deceased(c)
	}
}

# 农村部分计划生育家庭奖励扶助: agricultural hukou, 60+, born on/after 1933-01-01, qualifying family.
fail.rural_family_planning_reward contains {"code": "not_agricultural_hukou", "fields": ["applicant.hukou_type"]} if {
	not criteria.clears.rural_family_planning_reward.not_agricultural_hukou(facts)
}

fail.rural_family_planning_reward contains {"code": "age_below_min", "fields": ["applicant.birth_date"]} if {
	not criteria.clears.rural_family_planning_reward.age_below_min(facts)
}

fail.rural_family_planning_reward contains {"code": "born_before_1933", "fields": ["applicant.birth_date"]} if {
	not criteria.clears.rural_family_planning_reward.born_before_1933(facts)
}

fail.rural_family_planning_reward contains {"code": "family_not_qualifying", "fields": family_fields} if {
	not family_type
	not child_unrecorded
}

# child_unrecorded: a child is linked (e.g. by the honour certificate) but the province holds
# no population record of it, so its sex and death are unknown: never a refusal.
child_unrecorded if {
	some c in children
	object.get(c, "sex", "") == ""
}

unknown.rural_family_planning_reward contains "child_record_missing" if {
	not family_type
	child_unrecorded
}

pass.rural_family_planning_reward contains family_type

amount.rural_family_planning_reward := {"monthly_yuan": catalogue.items.rural_family_planning_reward.params.monthly_yuan}

# 计划生育特别扶助 (《全国独生子女伤残死亡家庭扶助制度试点方案》): the couple's only child is
# deceased or disabled (grade 1-3), no other child, and the mother (女方) aged 49 or more.
special_fields := ["applicant.relation", "household.relation", "children.id_number", "children.links"]

special_state_fields := ["children.deceased", "children.licences.disability", "children.licences.death"]

only_child := children[0] if count(children) == 1

only_child_state := "only_child_deceased" if {
	child_deceased(only_child)
} else := "only_child_disabled" if {
	some l in lib.valid_licences_of(only_child, "disability", input.now)
	lib.grade(l) <= catalogue.items.family_planning_special_support.params.max_child_disability_grade
}

# mother_id: the ID number of the mother of the applicant's child: the applicant herself, else
# the mother the kinship record names for the only child, else the wife the applicant's
# marriage certificate names.
mother_birth_date := applicant.birth_date if {
	applicant.sex == "F"
} else := lib.id_birth_date(only_child.mother_id_number) if {
	applicant.sex == "M"
} else := lib.id_birth_date(l.attrs.spouse_id_number) if {
	applicant.sex == "M"
	some l in lib.valid_licences_of(applicant, "marriage", input.now)
}

mother_fields := ["applicant.sex", "applicant.birth_date", "children.mother_id_number", "applicant.licences.marriage"]

fail.family_planning_special_support contains {"code": "mother_below_49", "fields": mother_fields} if {
	lib.age(mother_birth_date, input.now) < catalogue.items.family_planning_special_support.params.min_mother_age
}

# A father whose child's mother no platform names: the age rule cannot be checked.
unknown.family_planning_special_support contains "mother_age_unknown" if {
	applicant.sex == "M"
	not mother_birth_date
}

fail.family_planning_special_support contains {"code": "not_only_child_family", "fields": special_fields} if {
	count(children) != 1
}

# child_facts: the facts about the applicant's children the item's criterion reads (named as
# the scan data's derived columns): whether a child is deceased, and the most severe grade of
# the children's valid disability certificates (0 when none). With one child, the criterion
# on them holds exactly when only_child_state is defined.
child_facts := {"child_deceased": child_any_deceased, "child_disability_grade": child_grade}

child_any_deceased if {
	some c in children
	child_deceased(c)
}

default child_any_deceased := false

child_grade := min(grades) if {
	grades := {lib.grade(l) | some c in children; some l in lib.valid_licences_of(c, "disability", input.now)}
	count(grades) > 0
} else := 0

fail.family_planning_special_support contains {"code": "only_child_not_deceased_or_disabled", "fields": array.concat(special_fields, special_state_fields)} if {
	count(children) == 1
	not criteria.clears.family_planning_special_support.only_child_not_deceased_or_disabled(child_facts)
	not child_unrecorded
}

unknown.family_planning_special_support contains "child_record_missing" if {
	count(children) == 1
	not criteria.clears.family_planning_special_support.only_child_not_deceased_or_disabled(child_facts)
	child_unrecorded
}

pass.family_planning_special_support contains only_child_state

amount.family_planning_special_support := {"monthly_yuan": catalogue.items.family_planning_special_support.params.monthly_yuan[kind]} if {
	kind := trim_prefix(only_child_state, "only_child_")
}

# 独生子女父母奖励: a valid only-child honour certificate and the child under 18.
honour_licences := lib.valid_licences_of(applicant, "only_child_honour", input.now)

fail.only_child_parent_reward contains {"code": "no_only_child_honour", "fields": ["applicant.licences.only_child_honour"]} if {
	not criteria.clears.only_child_parent_reward.no_only_child_honour(facts)
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
