# Social insurance items.
# resident_pension_claim, pension_insurance_enrolment and medical_insurance_enrolment.
package sanmian.eligibility

import data.sanmian.criteria

# 城乡居民养老保险待遇领取: 60+ and enrolled (paying). Contribution years are not in the
# evidence and are checked by the city platform at review.
fail.resident_pension_claim contains {"code": "age_below_min", "fields": ["applicant.birth_date"]} if {
	not criteria.clears.resident_pension_claim.age_below_min(facts)
}

fail.resident_pension_claim contains {"code": "pension_already_receiving", "fields": ["applicant.insurance.pension"]} if {
	not criteria.clears.resident_pension_claim.pension_already_receiving(facts)
}

fail.resident_pension_claim contains {"code": "pension_not_enrolled", "fields": ["applicant.insurance.pension"]} if {
	not criteria.clears.resident_pension_claim.pension_not_enrolled(facts)
}

# 城乡居民养老保险参保登记: aged 16-59, not enrolled, not employed, not a student in school.
fail.pension_insurance_enrolment contains {"code": "age_below_min", "fields": ["applicant.birth_date"]} if {
	not criteria.clears.pension_insurance_enrolment.age_below_min(facts)
}

fail.pension_insurance_enrolment contains {"code": "age_above_max", "fields": ["applicant.birth_date"]} if {
	not criteria.clears.pension_insurance_enrolment.age_above_max(facts)
}

fail.pension_insurance_enrolment contains {"code": "pension_already_enrolled", "fields": ["applicant.insurance.pension"]} if {
	not criteria.clears.pension_insurance_enrolment.pension_already_enrolled(facts)
}

fail.pension_insurance_enrolment contains {"code": "employed", "fields": ["applicant.insurance.employment"]} if {
	not criteria.clears.pension_insurance_enrolment.employed(facts)
}

fail.pension_insurance_enrolment contains {"code": "in_school", "fields": ["applicant.rolls.in_school"]} if {
	not criteria.clears.pension_insurance_enrolment.in_school(facts)
}

# 城乡居民医保参保登记: not insured for the year of the decision date.
fail.medical_insurance_enrolment contains {"code": "medical_already_enrolled", "fields": ["applicant.insurance.medical", "applicant.insurance.medical_year"]} if {
	not criteria.clears.medical_insurance_enrolment.medical_already_enrolled(facts)
}
