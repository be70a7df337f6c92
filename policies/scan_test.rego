package sanmian.scan_test

import data.sanmian.eligibility
import data.sanmian.fixtures_test as fx

scan(ev) := r if {
	r := data.sanmian.scan.result with input as {"now": fx.now, "evidence": ev}
}

test_scan_elderly_resident if {
	p := fx.person({"birth_date": "1940-03-01", "insurance": {"pension": "enrolled", "medical": "enrolled", "medical_year": 2026}, "rolls": {"land_mu": 2}})
	r := scan(fx.evidence(p, []))
	{"elderly_allowance", "senior_card", "resident_pension_claim", "farmland_protection_subsidy"} - {c | some c in r.eligible} == set()
	not "minimum_living_allowance" in r.eligible # not a proactive item
	r.undetermined == []
}

test_scan_reports_undetermined if {
	p := object.remove(fx.person({"birth_date": "1940-03-01"}), ["insurance"])
	r := scan(fx.evidence(p, []))
	"resident_pension_claim" in r.undetermined
	"elderly_allowance" in r.eligible
}

test_scan_deceased_resident_only_funeral if {
	p := fx.person({"birth_date": "1940-03-01", "deceased": true, "death_date": "2026-11-01"})
	r := scan(fx.evidence(p, []))
	r.eligible == ["funeral_subsidy"]
}

# The scan's verdict_of agrees with decision's verdict for every proactive item, on eligible,
# ineligible, undetermined (missing, conflicting, stale) and deceased applicants.
test_scan_verdict_matches_decision if {
	elder := fx.person({"birth_date": "1940-03-01", "rolls": {"dibao": true, "enrolled": ["senior_card"]}})
	young := fx.person({"birth_date": "1990-05-01", "hukou_type": "non_agricultural"})
	cases := [
		fx.evidence(elder, [fx.member({})]),
		fx.evidence(young, []),
		fx.with_missing(elder, "district.household"),
		object.union(fx.evidence(elder, []), {"conflicts": [{"field": "applicant.deceased", "authority": "province", "values": []}]}),
		object.union(fx.evidence(elder, []), {"provenance": {"applicant.birth_date": {"stale": true}}}),
		fx.evidence(fx.person({"birth_date": "1940-03-01", "deceased": true}), []),
	]

	# The static part once, as the engine stores it (data.sanmian.static); computing it in
	# every one of these evaluations would be slow.
	st := eligibility.static_all
	proactive := [code | some code, it in data.sanmian.catalogue.items; it.proactive] # what the scan asks
	every ev in cases {
		every code in proactive {
			d := eligibility.decision with input as {"now": fx.now, "item": code, "evidence": ev} with data.sanmian.static as st
			v := eligibility.verdict_of(code) with input as {"now": fx.now, "evidence": ev} with data.sanmian.static as st
			d.eligible == v
		}
	}
}

# The scan's reasons for each eligible item are the reason codes of that item's decision (the
# worklist shows them without deciding again).
test_scan_reasons_match_decision if {
	elder := fx.person({"birth_date": "1940-03-01", "insurance": {"pension": "enrolled", "medical": "enrolled", "medical_year": 2026}, "rolls": {"land_mu": 2}})
	cases := [
		fx.evidence(elder, [fx.member({})]),
		fx.evidence(fx.person({"birth_date": "1990-05-01", "hukou_type": "non_agricultural"}), []),
		fx.evidence(fx.person({"deceased": true, "death_date": "2026-09-01"}), []),
	]
	st := eligibility.static_all
	every ev in cases {
		r := data.sanmian.scan.result with input as {"now": fx.now, "evidence": ev} with data.sanmian.static as st
		count(r.reasons) == count(r.eligible)
		every code, codes in r.reasons {
			d := eligibility.decision with input as {"now": fx.now, "item": code, "evidence": ev} with data.sanmian.static as st
			d.eligible == true
			codes == [x.code | some x in d.reasons]
		}
	}
	r := data.sanmian.scan.result with input as {"now": fx.now, "evidence": cases[0]}
	count(r.reasons) > 0
}

test_scan_restricted_to_items if {
	p := fx.person({"birth_date": "1940-03-01", "insurance": {"pension": "enrolled", "medical": "enrolled", "medical_year": 2026}, "rolls": {"land_mu": 2}})
	r := data.sanmian.scan.result with input as {"now": fx.now, "evidence": fx.evidence(p, []), "items": ["senior_card", "farmland_protection_subsidy"]}
	r.eligible == ["farmland_protection_subsidy", "senior_card"]
}

# Entry conditions (data.yaml entry_only, policies/README.md): every code an item lists is a
# reason code of the catalogue (hub/scan's tests check it is a criterion the item states), and the pension items list the
# conditions to join them.
test_entry_only_codes_are_item_criteria if {
	every it in data.sanmian.catalogue.items {
		every c in object.get(it, "entry_only", []) {
			data.sanmian.catalogue.reasons[c]
		}
	}
	"age_above_max" in data.sanmian.catalogue.items.pension_insurance_enrolment.entry_only
	"pension_already_receiving" in data.sanmian.catalogue.items.resident_pension_claim.entry_only
	not "age_below_min" in data.sanmian.catalogue.items.resident_pension_claim.entry_only
}

# The live decision still refuses an application on an entry condition: a 65-year-old may not
# enrol in the pension scheme, a pensioner may not claim again.
test_entry_only_still_refuses_applications if {
	old := fx.person({"birth_date": "1960-01-01", "insurance": {"pension": "not_enrolled", "employment": "not_in_labour_force"}})
	d := eligibility.decision with input as {"now": fx.now, "item": "pension_insurance_enrolment", "evidence": fx.evidence(old, [])}
	"age_above_max" in fx.codes(d)
	p := fx.person({"birth_date": "1950-01-01", "insurance": {"pension": "receiving"}})
	c := eligibility.decision with input as {"now": fx.now, "item": "resident_pension_claim", "evidence": fx.evidence(p, [])}
	fx.codes(c) == {"pension_already_receiving"}
}

# The facts the screens read, from evidence without rolls or homestead: the columns' empty
# values.
test_facts_of_screens_without_rolls if {
	f := data.sanmian.eligibility.facts with input as {"now": "2026-12-06", "evidence": {"applicant": {"id_number": "x", "birth_date": "1950-01-01", "licences": []}}}
	f.hukou_type == ""
	f.only_child_honour == false
	f.house_grade == ""
	f.land_mu == 0
}
