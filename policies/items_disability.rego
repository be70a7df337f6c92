# Disability items.
# hardship_disability_subsidy, severe_disability_care_subsidy, disability_certificate_renewal
# and assistive_device_fitting. A certified disability is a disability licence with status
# valid and not past valid_until on the decision date.
package sanmian.eligibility

import data.sanmian.catalogue
import data.sanmian.criteria
import data.sanmian.lib
import input.evidence.applicant

disability_licences := lib.valid_licences_of(applicant, "disability", input.now)

# best_grade is the most severe grade among the applicant's valid disability certificates.
best_grade := min([lib.grade(l) | some l in disability_licences]) if count(disability_licences) > 0

no_certificate := {"code": "no_valid_disability_certificate", "fields": ["applicant.licences.disability"]}

# 困难残疾人生活补贴: certified disability in a 低保 household.
fail.hardship_disability_subsidy contains no_certificate if not criteria.clears.hardship_disability_subsidy.no_valid_disability_certificate(facts)

fail.hardship_disability_subsidy contains {"code": "not_dibao_household", "fields": ["applicant.rolls.dibao"]} if {
	not criteria.clears.hardship_disability_subsidy.not_dibao_household(facts)
}

amount.hardship_disability_subsidy := {"monthly_yuan": catalogue.items.hardship_disability_subsidy.params.monthly_yuan}

# 重度残疾人护理补贴: certified disability of grade 1 or 2, not in 特困供养.
fail.severe_disability_care_subsidy contains no_certificate if not criteria.clears.severe_disability_care_subsidy.no_valid_disability_certificate(facts)

fail.severe_disability_care_subsidy contains {"code": "disability_grade_too_low", "fields": ["applicant.licences.disability"]} if {
	not criteria.clears.severe_disability_care_subsidy.disability_grade_too_low(facts)
}

fail.severe_disability_care_subsidy contains {"code": "in_tekun", "fields": ["applicant.rolls.tekun"]} if {
	not criteria.clears.severe_disability_care_subsidy.in_tekun(facts)
}

amount.severe_disability_care_subsidy := {
	"grade": best_grade,
	"monthly_yuan": catalogue.items.severe_disability_care_subsidy.params.monthly_yuan_by_grade[format_int(best_grade, 10)],
}

# 残疾人证换领: a disability certificate that is expired or expires within the renewal window.
fail.disability_certificate_renewal contains {"code": "no_disability_certificate", "fields": ["applicant.licences.disability"]} if {
	not criteria.clears.disability_certificate_renewal.no_disability_certificate(facts)
}

fail.disability_certificate_renewal contains {"code": "certificate_not_due", "fields": ["applicant.licences.disability"]} if {
	not criteria.clears.disability_certificate_renewal.certificate_not_due(facts)
}

# 残疾人辅助器具适配: certified disability of a category devices serve.
fail.assistive_device_fitting contains no_certificate if not criteria.clears.assistive_device_fitting.no_valid_disability_certificate(facts)

fail.assistive_device_fitting contains {"code": "category_not_covered", "fields": ["applicant.licences.disability"]} if {
	not criteria.clears.assistive_device_fitting.category_not_covered(facts)
}
