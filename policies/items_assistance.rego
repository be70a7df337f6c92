# Social assistance items.
# minimum_living_allowance, extreme_poverty_support, temporary_assistance, medical_assistance,
# student_aid and winter_heating_subsidy. Household means tests cannot be decided from the
# platforms' data and stay with the village and town reviewers.
package sanmian.eligibility

import data.sanmian.catalogue
import data.sanmian.criteria
import input.evidence.applicant.rolls

poor := {"code": "not_dibao_or_tekun", "fields": ["applicant.rolls.dibao", "applicant.rolls.tekun"]}

# 最低生活保障: not already on the roll; the means test happens at review.
fail.minimum_living_allowance contains {"code": "already_enrolled", "fields": ["applicant.rolls.dibao"]} if {
	rolls.dibao == true
}

pass.minimum_living_allowance contains "means_test_at_review"

# 特困人员救助供养: unable to work (60+, under 16, or disability grade 1-2), no working-age
# supporter in the household, not already supported.
fail.extreme_poverty_support contains {"code": "already_enrolled", "fields": ["applicant.rolls.tekun"]} if {
	not criteria.clears.extreme_poverty_support.already_enrolled(facts)
}

fail.extreme_poverty_support contains {"code": "able_to_work_no_supporter_check", "fields": ["applicant.birth_date", "applicant.licences.disability"]} if {
	not criteria.clears.extreme_poverty_support.able_to_work_no_supporter_check(facts)
}

fail.extreme_poverty_support contains {"code": "has_supporter", "fields": ["household.birth_date", "household.deceased"]} if {
	not criteria.clears.extreme_poverty_support.has_supporter(supporter_facts)
}

# supporter_facts: the fact the criterion reads, named as the scan data's derived column: the
# number of the applicant's household members who are supporters.
supporter_facts := {"household_members_supporter": count([m | some m in household; criteria.member.supporter(member_facts(m))])}

# 临时救助: any living resident may apply; need is assessed at review.
pass.temporary_assistance contains "means_test_at_review"

# 医疗救助: on the 低保 or 特困 roll and insured in resident medical insurance.
fail.medical_assistance contains poor if not criteria.clears.medical_assistance.not_dibao_or_tekun(facts)

fail.medical_assistance contains {"code": "no_medical_insurance", "fields": ["applicant.insurance.medical"]} if {
	not criteria.clears.medical_assistance.no_medical_insurance(facts)
}

# 困难家庭学生资助: in school and on the 低保 or 特困 roll.
fail.student_aid contains {"code": "not_in_school", "fields": ["applicant.rolls.in_school"]} if {
	not criteria.clears.student_aid.not_in_school(facts)
}

fail.student_aid contains poor if not criteria.clears.student_aid.not_dibao_or_tekun(facts)

amount.student_aid := {"level": rolls.in_school, "annual_yuan": catalogue.items.student_aid.params.annual_yuan_by_level[rolls.in_school]}

# 困难群众冬季取暖补贴: on the 低保 or 特困 roll.
fail.winter_heating_subsidy contains poor if not criteria.clears.winter_heating_subsidy.not_dibao_or_tekun(facts)

amount.winter_heating_subsidy := {"annual_yuan": catalogue.items.winter_heating_subsidy.params.annual_yuan}
