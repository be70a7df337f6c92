# Civil affairs and certificate items.
# funeral_subsidy, residence_certificate and kinship_certificate.
package sanmian.eligibility

import data.sanmian.catalogue
import data.sanmian.lib
import input.evidence.applicant

# recent_deaths: the applicant (when the application is made in the deceased's name) or a
# household member who died within the claim window before the decision date.
recent_deaths contains applicant.name if {
	applicant.deceased == true
	recent_death(object.get(applicant, "death_date", ""))
}

recent_deaths contains m.name if {
	some m in household
	m.deceased == true
	recent_death(object.get(m, "death_date", ""))
}

recent_death(d) if {
	d != ""
	n := lib.days_between(d, input.now)
	n >= 0
	n <= catalogue.config.funeral_claim_window_days
}

# 惠民殡葬补贴: a death in the household within the claim window; the only item a deceased
# applicant record may receive.
fail.funeral_subsidy contains {"code": "no_recent_death", "fields": ["applicant.deceased", "applicant.death_date", "household.relation", "household.deceased", "household.death_date"]} if {
	count(recent_deaths) == 0
}

amount.funeral_subsidy := {"amount_yuan": catalogue.items.funeral_subsidy.params.amount_yuan}

# 居住证明: registered in a village of the district.
fail.residence_certificate contains {"code": "not_local_village", "fields": ["applicant.village"]} if {
	not startswith(applicant.village, catalogue.config.district)
}

# 亲属关系证明: kinship can be certified from the household register only when it lists members.
fail.kinship_certificate contains {"code": "no_household_members", "fields": ["household.relation"]} if {
	count(household) == 0
}
