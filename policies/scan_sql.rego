# METADATA
# title: Compiled district scan
# description: |
#   The criteria of the proactive items stated over one flat row of the synced scan data
#   (input.scan_residents: the columns of the scan_residents view), so that OPA partial
#   evaluation compiles them to one SQL filter per item, with input.now known and the row
#   unknown. candidate[code] holds when the eligibility decision for item code on evidence
#   rebuilt from the same row would be true: the item's own criteria (its catalogue
#   parameters) and the generic ones of the decision (province record synced, not deceased on
#   either platform, no blank field the item needs). Items not stated here are scanned by
#   evaluating the eligibility rules per resident. `hub scan --verify` compares every compiled
#   item with per-resident decisions on the same facts.
package sanmian.scansql

import data.sanmian.catalogue

# born_by is the latest birth date of a person who is at least years old on the date now
# (both "YYYY-MM-DD"): a person turns n on the n-th birthday (lib.age).
born_by(now, years) := time.format([time.add_date(time.parse_ns("2006-01-02", now), 0 - years, 0, 0), "UTC", "2006-01-02"])

# 高龄老人补贴: 80 or older on the scan date.
candidate["elderly_allowance"] if {
	r := input.scan_residents
	r.province_synced == true
	r.deceased == false
	r.birth_date != ""
	r.birth_date <= born_by(input.now, catalogue.items.elderly_allowance.params.min_age)
}

# 老年人优待证: 60 or older on the scan date.
candidate["senior_card"] if {
	r := input.scan_residents
	r.province_synced == true
	r.deceased == false
	r.sex != ""
	r.birth_date != ""
	r.birth_date <= born_by(input.now, catalogue.items.senior_card.params.min_age)
}
