# METADATA
# title: Proactive scan
# description: |
#   One evaluation per resident returns every proactive item the resident is likely eligible for
#   (主动服务 / 免申即享) and those that are undetermined. Input: {"now", "evidence"} as for
#   eligibility, without "item"; optionally "items", the item codes to evaluate.
package sanmian.scan

import data.sanmian.catalogue
import data.sanmian.eligibility

verdicts := {code: eligibility.verdict_of(code) | some code, it in catalogue.items; it.proactive; scanned(code)}

# scanned: every proactive item, or those input.items names when it is present (the district
# scan evaluates per resident only the items it does not compile to SQL).
scanned(_) if not input.items

scanned(code) if code in input.items

# reasons: for each eligible item, the reason codes its decision gives (the pass reasons, or
# criteria_met), so that a worklist entry needs no second evaluation for them.
result := {
	"eligible": sort([code | some code, v in verdicts; v == true]),
	"undetermined": sort([code | some code, v in verdicts; v == null]),
	"reasons": {code: eligibility.reason_codes(code, true, set(), {}) | some code, v in verdicts; v == true},
}

# decidable(code, r) holds when the decision for item code on the evidence the district scan
# rebuilds from a synced row r of scan_residents (hub/scan) has nothing uncertain and no
# generic failure: the province's record is synced (every item needs province.person), the
# city's too when the item needs city.insurance, neither platform records a death unless the
# item is for the deceased (a death the province records fails every item but the funeral
# subsidy, one only the village roll records conflicts with the province), and no field the
# item needs is blank. The scan compiles, per
# item without per_resident reason in data.sanmian.criteria, decidable with every
# criteria.clears.<item> criterion on the row into one SQL filter: the item's eligibility,
# stated once in the criteria.
decidable(code, r) if {
	r.province_synced == true
	alive(code, r)
	city_synced(code, r)
	filled(code, "birth_date", r)
	filled(code, "sex", r)
	filled(code, "hukou_type", r)
	filled(code, "village", r)
	filled(code, "id_number", r)
	filled(code, "marital", r)
}

# alive: the resident is alive, or the item's benefit is for the deceased (the funeral
# subsidy, which a deceased applicant record may receive).
alive(_, r) if r.deceased == false

alive(code, _) if catalogue.items[code].benefit_subject == "deceased"

city_synced(code, _) if not catalogue.items[code].needs["city.insurance"]

city_synced(code, r) if {
	catalogue.items[code].needs["city.insurance"]
	r.city_synced == true
}

# filled: the field, when the item needs it filled, is not blank in the row (the scan's
# evidence is married when a spouse is on record).
filled(code, field, _) if not eligibility.static_of(code).blank[field]

filled(code, field, r) if {
	eligibility.static_of(code).blank[field]
	r[object.get({"marital": "spouse_id"}, field, field)] != ""
}
