# Civil affairs and certificate items.
# funeral_subsidy, residence_certificate and kinship_certificate.
package sanmian.eligibility

import data.sanmian.catalogue
import data.sanmian.criteria
import input.evidence.applicant

# claimant is the relative claiming for the deceased when the request names the deceased as
# the subject: the evidence is then the deceased's (applicant = the deceased) and
# input.evidence.claimant = {"id_number"} names who claims.
claimant := input.evidence.claimant if is_object(input.evidence.claimant)

# claimed_deaths: whose death the claim may be for. With a claimant, the applicant record (the
# deceased the request names) only; without, the applicant (an application in the deceased's
# name) and the household members.
claimed_deaths contains applicant if {
	applicant.deceased == true
}

claimed_deaths contains m if {
	not claimant
	some m in household
	m.deceased == true
}

# recent_deaths: the claimed deaths within the claim window before the decision date.
recent_deaths contains p if {
	some p in claimed_deaths
	criteria.recent_death(object.get(p, "death_date", ""))
}

# death_facts: the facts the funeral subsidy's criterion reads (named as the scan data's
# derived column): the latest death date, on or before the decision date, of the claimed
# deaths ("" when none).
death_facts := {"household_last_death": last_death}

last_death := max(dates) if {
	dates := {d | some p in claimed_deaths; d := object.get(p, "death_date", ""); d != ""; d <= input.now}
	count(dates) > 0
} else := ""

# paid: the district's funeral subsidy roll names the deceased (the subsidy is paid once per
# death, whoever claims it).
paid(p) if "funeral_subsidy" in object.get(object.get(p, "rolls", {}), "enrolled", [])

# 惠民殡葬补贴: a death within the claim window not yet paid; the only item a deceased applicant
# record may receive.
fail.funeral_subsidy contains {"code": "no_recent_death", "fields": ["applicant.deceased", "applicant.death_date", "household.relation", "household.deceased", "household.death_date"]} if {
	not criteria.clears.funeral_subsidy.no_recent_death(death_facts)
}

fail.funeral_subsidy contains {"code": "death_already_paid", "fields": ["applicant.rolls.enrolled", "household.rolls.enrolled"]} if {
	count(recent_deaths) > 0
	every p in recent_deaths {
		paid(p)
	}
}

# The claimant of a named deceased is kin on record: in the deceased's household or one of the
# deceased's children (province kinship), or the deceased in person. Not on record is not a
# refusal: a cadre checks the kinship (spouses and parents in other households, for example).
claimant_is_kin if claimant.id_number == applicant.id_number

claimant_is_kin if {
	some m in household
	m.id_number == claimant.id_number
}

claimant_is_kin if {
	some c in object.get(input.evidence, "children", [])
	c.id_number == claimant.id_number
}

unknown.funeral_subsidy contains "kinship_unverified" if {
	claimant
	not claimant_is_kin
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
