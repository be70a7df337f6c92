# Test fixtures shared by the *_test.rego files: a decision date, a base applicant and helpers
# that evaluate the policies with a patched input. Not part of the served bundle.
package sanmian.fixtures_test

now := "2026-11-26"

village := "370114001201"

other_village := "370114001202"

base_rolls := {
	"dibao": false, "tekun": false, "enrolled": [], "collective_member": true,
	"land_mu": 0, "deceased": false,
}

base_insurance := {
	"pension": "not_enrolled", "medical": "not_enrolled", "employment": "not_in_labour_force",
	"employment_difficulty": false,
}

# person: a living 66-year-old agricultural-hukou man, head of a household, with rolls and
# insurance, merged (recursively) with over.
person(over) := object.union(
	{
		"id_number": "370114196001010012", "name": "张建国", "sex": "M", "birth_date": "1960-01-01",
		"hukou_type": "agricultural", "village": village, "household_id": "370114000000001",
		"relation": "head", "marital": "married", "deceased": false, "licences": [],
		"insurance": base_insurance, "rolls": base_rolls,
	},
	over,
)

# member: a household member (district view).
member(over) := object.union(
	{
		"id_number": "370114199001010021", "name": "张小红", "sex": "F", "birth_date": "1990-01-01",
		"hukou_type": "agricultural", "village": village, "relation": "daughter", "deceased": false,
		"licences": [],
	},
	over,
)

licence(type, attrs) := {
	"id": "1.2.156.3005.2.11100000000013338W.000001.001.X", "type": type, "number": "37011419600101001211",
	"issuer": "章丘区残疾人联合会", "issuer_uscc": "11370181MB0000000X", "issued_on": "2020-01-01",
	"valid_until": "2030-01-01", "status": "valid", "attrs": attrs,
}

disability(grade, category) := licence("disability", {"grade": grade, "category": category})

evidence(applicant, household) := {
	"applicant": applicant, "household": household, "provenance": {}, "conflicts": [],
	"missing": [], "stale": false,
}

# decide evaluates the eligibility decision for item on evidence ev.
decide(item, ev) := d if {
	d := data.sanmian.eligibility.decision with input as {"now": now, "item": item, "evidence": ev}
}

decide_on(item, ev, date) := d if {
	d := data.sanmian.eligibility.decision with input as {"now": date, "item": item, "evidence": ev}
}

# eligible is the verdict for item for applicant p living alone.
eligible(item, p) := decide(item, evidence(p, [])).eligible

# with_missing / with_conflict / with_stale patch the evidence of applicant p.
with_missing(p, kind) := object.union(evidence(p, []), {"missing": [kind]})

with_conflict(p, field) := object.union(evidence(p, []), {"conflicts": [{
	"field": field, "authority": "province",
	"values": [{"platform": "province", "value": true}, {"platform": "district", "value": false}],
}]})

with_stale(p, field) := object.union(evidence(p, []), {"stale": true, "provenance": {field: {
	"platform": "district", "endpoint": "rolls", "record": "r1",
	"fetched_at": "2026-11-26T08:00:00Z", "stale": true,
}}})

# with_roll_death: the village roll records the death of applicant p, the province does not.
with_roll_death(p) := object.union(evidence(p, []), {"conflicts": [{
	"field": "applicant.deceased", "authority": "province",
	"values": [{"platform": "province", "value": false}, {"platform": "district", "value": true}],
}]})

# with_province_death: the province records the death of applicant p, the village roll does not.
with_province_death(p) := object.union(evidence(object.union(p, {"deceased": true, "death_date": "2026-10-01"}), []), {"conflicts": [{
	"field": "applicant.deceased", "authority": "province",
	"values": [{"platform": "province", "value": true, "record": "370114********0012"}, {"platform": "district", "value": false}],
}]})

# child: a child of the applicant as evidence.Child (linked by the household unless over says).
child(over) := object.union(
	{
		"id_number": "370114199001010021", "name": "张小红", "sex": "F", "birth_date": "1990-01-01",
		"deceased": false, "licences": [], "links": ["household"], "mother_id_number": "370114196201010028",
	},
	over,
)

# family: evidence of applicant p with household members and children.
family(p, household, kids) := object.union(evidence(p, household), {"children": kids})

codes(d) := {r.code | some r in d.reasons}

# object_missing marks evidence kind as missing on an already built evidence object.
object_missing(ev, kind) := object.union(ev, {"missing": [kind]})
