# Veterans, rural and employment items.
# conscript_family_allowance, entitled_group_pension, homestead_application,
# dilapidated_house_renovation, collective_membership, farmland_protection_subsidy,
# public_welfare_job and employment_difficulty_recognition.
package sanmian.eligibility

import data.sanmian.catalogue
import data.sanmian.criteria
import input.evidence.applicant
import input.evidence.applicant.rolls

# 义务兵家庭优待金
fail.conscript_family_allowance contains {"code": "not_conscript_family", "fields": ["applicant.rolls.veteran"]} if {
	not criteria.clears.conscript_family_allowance.not_conscript_family(facts)
}

amount.conscript_family_allowance := {"annual_yuan": catalogue.items.conscript_family_allowance.params.annual_yuan}

# 重点优抚对象定期抚恤补助
fail.entitled_group_pension contains {"code": "not_entitled_group", "fields": ["applicant.rolls.veteran"]} if {
	not criteria.clears.entitled_group_pension.not_entitled_group(facts)
}

# 农村宅基地申请: adult, agricultural hukou, collective member, household without a homestead.
fail.homestead_application contains {"code": "not_agricultural_hukou", "fields": ["applicant.hukou_type"]} if {
	applicant.hukou_type != "agricultural"
}

fail.homestead_application contains {"code": "age_below_min", "fields": ["applicant.birth_date"]} if {
	age < catalogue.items.homestead_application.params.min_age
}

fail.homestead_application contains {"code": "not_collective_member", "fields": ["applicant.rolls.collective_member"]} if {
	not rolls.collective_member
}

fail.homestead_application contains {"code": "has_homestead", "fields": ["applicant.rolls.homestead"]} if {
	is_object(object.get(rolls, "homestead", null))
}

# 农村危房改造: house graded C or D in a household in hardship: 低保, 特困 or a 残疾人家庭 (a
# living member, the applicant or another, holds a valid disability certificate).
fail.dilapidated_house_renovation contains {"code": "house_safe", "fields": ["applicant.rolls.homestead"]} if {
	not criteria.clears.dilapidated_house_renovation.house_safe(facts)
}

fail.dilapidated_house_renovation contains {"code": "not_hardship_household", "fields": ["applicant.rolls.dibao", "applicant.rolls.tekun", "applicant.licences.disability", "household.rolls.tekun", "household.licences.disability"]} if {
	not criteria.clears.dilapidated_house_renovation.not_hardship_household(hardship_facts)
}

# hardship_facts: the applicant's facts and the number of household members in hardship, named
# as the scan data's derived column.
hardship_facts := object.union(facts, {"household_members_in_hardship": count([m | some m in household; criteria.member.in_hardship(member_facts(m))])})

# 集体经济组织成员确认: agricultural hukou, not yet recorded as a member.
fail.collective_membership contains {"code": "not_agricultural_hukou", "fields": ["applicant.hukou_type"]} if {
	applicant.hukou_type != "agricultural"
}

fail.collective_membership contains {"code": "already_collective_member", "fields": ["applicant.rolls.collective_member"]} if {
	rolls.collective_member == true
}

# 耕地地力保护补贴: contracted farmland on the district roll.
fail.farmland_protection_subsidy contains {"code": "no_farmland", "fields": ["applicant.rolls.land_mu"]} if {
	not criteria.clears.farmland_protection_subsidy.no_farmland(facts)
}

amount.farmland_protection_subsidy := {
	"land_mu": rolls.land_mu,
	"annual_yuan": rolls.land_mu * catalogue.items.farmland_protection_subsidy.params.yuan_per_mu,
}

# 公益性岗位申请: recognised employment difficulty, of working age.
fail.public_welfare_job contains {"code": "no_employment_difficulty", "fields": ["applicant.insurance.employment_difficulty"]} if {
	not criteria.clears.public_welfare_job.no_employment_difficulty(facts)
}

fail.public_welfare_job contains {"code": "age_below_min", "fields": ["applicant.birth_date"]} if {
	not criteria.clears.public_welfare_job.age_below_min(facts)
}

fail.public_welfare_job contains {"code": "above_labour_age", "fields": ["applicant.birth_date", "applicant.sex"]} if {
	not criteria.clears.public_welfare_job.above_labour_age(facts)
}

# 就业困难人员认定: registered unemployed, of working age, with a difficulty factor (women 40+,
# men 50+, certified disability or 低保 household), not yet recognised.
fail.employment_difficulty_recognition contains {"code": "already_recognised", "fields": ["applicant.insurance.employment_difficulty"]} if {
	not criteria.clears.employment_difficulty_recognition.already_recognised(facts)
}

fail.employment_difficulty_recognition contains {"code": "not_registered_unemployed", "fields": ["applicant.insurance.employment"]} if {
	not criteria.clears.employment_difficulty_recognition.not_registered_unemployed(facts)
}

fail.employment_difficulty_recognition contains {"code": "age_below_min", "fields": ["applicant.birth_date"]} if {
	not criteria.clears.employment_difficulty_recognition.age_below_min(facts)
}

fail.employment_difficulty_recognition contains {"code": "above_labour_age", "fields": ["applicant.birth_date", "applicant.sex"]} if {
	not criteria.clears.employment_difficulty_recognition.above_labour_age(facts)
}

fail.employment_difficulty_recognition contains {"code": "no_difficulty_factor", "fields": ["applicant.birth_date", "applicant.sex", "applicant.licences.disability", "applicant.rolls.dibao"]} if {
	not criteria.clears.employment_difficulty_recognition.no_difficulty_factor(facts)
}
