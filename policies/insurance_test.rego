package sanmian.eligibility_test

import data.sanmian.fixtures_test as fx

paying := {"insurance": {"pension": "enrolled"}}

# resident_pension_claim (城乡居民养老保险待遇领取)

test_pension_claim_eligible_on_60th_birthday if {
	d := fx.decide("resident_pension_claim", fx.evidence(fx.person(object.union(paying, {"birth_date": "1966-11-26"})), []))
	d.eligible == true
	d.instant == true
}

test_pension_claim_ineligible_day_before_60th_birthday if {
	d := fx.decide("resident_pension_claim", fx.evidence(fx.person(object.union(paying, {"birth_date": "1966-11-27"})), []))
	fx.codes(d) == {"age_below_min"}
}

test_pension_claim_ineligible_already_receiving if {
	d := fx.decide("resident_pension_claim", fx.evidence(fx.person({"insurance": {"pension": "receiving"}}), []))
	fx.codes(d) == {"pension_already_receiving"}
}

test_pension_claim_ineligible_not_enrolled if {
	d := fx.decide("resident_pension_claim", fx.evidence(fx.person({}), []))
	fx.codes(d) == {"pension_not_enrolled"}
}

test_pension_claim_undetermined_insurance_missing if {
	d := fx.decide("resident_pension_claim", fx.with_missing(fx.person(paying), "city.insurance"))
	d.eligible == null
	d.missing == ["city.insurance"]
}

# pension_insurance_enrolment (城乡居民养老保险参保登记)

test_pension_enrolment_eligible if {
	fx.eligible("pension_insurance_enrolment", fx.person({"birth_date": "1990-06-01"})) == true
}

test_pension_enrolment_boundary_16th_birthday if {
	fx.eligible("pension_insurance_enrolment", fx.person({"birth_date": "2010-11-26"})) == true
	d := fx.decide("pension_insurance_enrolment", fx.evidence(fx.person({"birth_date": "2010-11-27"}), []))
	fx.codes(d) == {"age_below_min"}
}

test_pension_enrolment_ineligible_60 if {
	d := fx.decide("pension_insurance_enrolment", fx.evidence(fx.person({}), []))
	fx.codes(d) == {"age_above_max"}
}

test_pension_enrolment_ineligible_enrolled_employed_student if {
	p := fx.person({"birth_date": "2008-01-01", "insurance": {"pension": "enrolled", "employment": "employed"}, "rolls": {"in_school": "university"}})
	d := fx.decide("pension_insurance_enrolment", fx.evidence(p, []))
	fx.codes(d) == {"pension_already_enrolled", "employed", "in_school"}
}

test_pension_enrolment_undetermined_insurance_missing if {
	fx.decide("pension_insurance_enrolment", fx.with_missing(fx.person({"birth_date": "1990-06-01"}), "city.insurance")).eligible == null
}

# medical_insurance_enrolment (城乡居民医保参保登记)

test_medical_enrolment_eligible_not_insured if {
	fx.eligible("medical_insurance_enrolment", fx.person({})) == true
}

test_medical_enrolment_eligible_last_year_only if {
	fx.eligible("medical_insurance_enrolment", fx.person({"insurance": {"medical": "enrolled", "medical_year": 2025}})) == true
}

test_medical_enrolment_ineligible_insured_this_year if {
	d := fx.decide("medical_insurance_enrolment", fx.evidence(fx.person({"insurance": {"medical": "enrolled", "medical_year": 2026}}), []))
	fx.codes(d) == {"medical_already_enrolled"}
}

test_medical_enrolment_undetermined_insurance_missing if {
	fx.decide("medical_insurance_enrolment", fx.with_missing(fx.person({}), "city.insurance")).eligible == null
}
