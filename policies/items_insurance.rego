# Social insurance items.
# resident_pension_claim, pension_insurance_enrolment and medical_insurance_enrolment.
package sanmian.eligibility

import data.sanmian.catalogue
import input.evidence.applicant.insurance
import input.evidence.applicant.rolls

# 城乡居民养老保险待遇领取: 60+ and enrolled (paying). Contribution years are not in the
# evidence and are checked by the city platform at review.
fail.resident_pension_claim contains {"code": "age_below_min", "fields": ["applicant.birth_date"]} if {
	age < catalogue.items.resident_pension_claim.params.min_age
}

fail.resident_pension_claim contains {"code": "pension_already_receiving", "fields": ["applicant.insurance.pension"]} if {
	insurance.pension == "receiving"
}

fail.resident_pension_claim contains {"code": "pension_not_enrolled", "fields": ["applicant.insurance.pension"]} if {
	not insurance.pension in {"enrolled", "receiving"}
}

# 城乡居民养老保险参保登记: aged 16-59, not enrolled, not employed, not a student in school.
fail.pension_insurance_enrolment contains {"code": "age_below_min", "fields": ["applicant.birth_date"]} if {
	age < catalogue.items.pension_insurance_enrolment.params.min_age
}

fail.pension_insurance_enrolment contains {"code": "age_above_max", "fields": ["applicant.birth_date"]} if {
	age > catalogue.items.pension_insurance_enrolment.params.max_age
}

fail.pension_insurance_enrolment contains {"code": "pension_already_enrolled", "fields": ["applicant.insurance.pension"]} if {
	insurance.pension != "not_enrolled"
}

fail.pension_insurance_enrolment contains {"code": "employed", "fields": ["applicant.insurance.employment"]} if {
	insurance.employment == "employed"
}

fail.pension_insurance_enrolment contains {"code": "in_school", "fields": ["applicant.rolls.in_school"]} if {
	object.get(rolls, "in_school", "") != ""
}

# 城乡居民医保参保登记: not insured for the year of the decision date.
fail.medical_insurance_enrolment contains {"code": "medical_already_enrolled", "fields": ["applicant.insurance.medical", "applicant.insurance.medical_year"]} if {
	insurance.medical == "enrolled"
	object.get(insurance, "medical_year", 0) >= to_number(substring(input.now, 0, 4))
}
