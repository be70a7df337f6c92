# Facts: the applicant's facts the item criteria (policies/criteria.rego) are stated over,
# derived from the evidence and named as the columns of the synced scan data (scan_residents),
# where the district scan binds the same criteria to a row.
package sanmian.eligibility

import data.sanmian.lib
import input.evidence.applicant

# facts of the applicant. An absent value is the column's empty value ("", 0 or false): the
# criteria that read it then rest on evidence the decision already holds uncertain (missing or
# blank), so no refusal rests on the default. The disability certificate is the one the scan
# data holds for a person: the valid one of the most severe grade, else the first on record.
facts := {
	"birth_date": object.get(applicant, "birth_date", ""),
	"sex": object.get(applicant, "sex", ""),
	"hukou_type": object.get(applicant, "hukou_type", ""),
	"dibao": object.get(rolls_of, "dibao", false),
	"tekun": object.get(rolls_of, "tekun", false),
	"veteran": object.get(rolls_of, "veteran", ""),
	"in_school": object.get(rolls_of, "in_school", ""),
	"pension": object.get(insurance_of, "pension", ""),
	"medical": object.get(insurance_of, "medical", ""),
	"medical_year": object.get(insurance_of, "medical_year", 0),
	"employment": object.get(insurance_of, "employment", ""),
	"employment_difficulty": object.get(insurance_of, "employment_difficulty", false),
	"disability_status": object.get(disability_fact, "status", ""),
	"disability_valid_until": object.get(disability_fact, "valid_until", ""),
	"disability_grade": grade_or_zero(disability_fact),
	"disability_category": object.get(object.get(disability_fact, "attrs", {}), "category", ""),
	"only_child_honour": count(honour_licences) > 0,
	"house_grade": object.get(homestead_of, "house_grade", ""),
	"land_mu": land_mu_of,
}

rolls_of := applicant.rolls if is_object(applicant.rolls)

else := {}

# land_mu_of: the contracted farmland on the district roll, 0 when the roll states none.
land_mu_of := rolls_of.land_mu if is_number(rolls_of.land_mu)

else := 0

homestead_of := rolls_of.homestead if is_object(rolls_of.homestead)

else := {}

insurance_of := applicant.insurance if is_object(applicant.insurance)

else := {}

disability_fact := disability_of(applicant)

# disability_of: the disability certificate the scan data holds for person p: the valid one of
# the most severe grade, else the first on record ({} when none).
disability_of(p) := best[0] if {
	valid := lib.valid_licences_of(p, "disability", input.now)
	count(valid) > 0
	g := min([lib.grade(l) | some l in valid])
	best := [l | some l in valid; lib.grade(l) == g]
	count(best) > 0
} else := all[0] if {
	all := lib.licences_of(p, "disability")
	count(all) > 0
} else := {}

# member_facts: a household member's facts the member criteria (criteria.member) read, named as
# the scan data's columns: the birth date, "province" as the source of a death the evidence
# records (a member's death in the evidence is the province's), the 特困 roll and the
# disability certificate.
member_facts(m) := {
	"birth_date": object.get(m, "birth_date", ""),
	"deceased_source": {true: "province", false: ""}[object.get(m, "deceased", false) == true],
	"tekun": object.get(as_object(object.get(m, "rolls", {})), "tekun", false),
	"disability_status": object.get(d, "status", ""),
	"disability_valid_until": object.get(d, "valid_until", ""),
} if d := disability_of(m)

as_object(x) := x if is_object(x)

else := {}

grade_or_zero(l) := g if {
	g := lib.grade(l)
} else := 0
