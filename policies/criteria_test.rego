package sanmian.criteria_test

import data.sanmian.criteria
import data.sanmian.lib

dates := [
	"2024-02-28", "2024-02-29", "2024-03-01", "2025-02-28", "2025-03-01", "2026-12-06",
	"2000-02-29", "2100-02-28", "2100-03-01", "2023-12-31", "2024-01-01",
]

births := [
	"1944-02-28", "1944-02-29", "1944-03-01", "1945-02-28", "1945-03-01", "1946-12-06", "1946-12-07",
	"1920-02-29", "2004-02-29", "2005-02-28", "2005-03-01", "2020-02-28", "2020-02-29", "2020-03-01",
	"2023-12-31", "2024-01-01", "2010-02-28", "2010-03-01",
]

# born_by agrees with lib.age: a birth date is at most born_by(now, n) exactly when the person
# is n or older on now, on and around leap days (births up to the date now).
test_born_by_agrees_with_age if {
	every now in dates {
		every b in [b | some b in births; b <= now] {
			every n in [1, 4, 16, 18, 20, 21, 60, 76, 79, 80, 100] {
				(b <= criteria.born_by(now, n)) == (lib.age(b, now) >= n)
			}
		}
	}
}

# uncertified is the complement of certified, whatever the status and validity.
test_certified_complement if {
	every s in ["valid", "expired", "revoked", ""] {
		every u in ["", "2026-12-05", "2026-12-06", "2026-12-07"] {
			f := {"disability_status": s, "disability_valid_until": u}
			c := {x | criteria.certified(f) with input.now as "2026-12-06"; x := true}
			n := {x | criteria.uncertified(f) with input.now as "2026-12-06"; x := true}
			count(c) + count(n) == 1
		}
	}
}

# The criteria over the applicant of the items evaluated per resident (the scan's screens).
test_screens_of_per_resident_items if {
	now := "2026-12-06"
	farmer := {"hukou_type": "agricultural", "birth_date": "1960-05-01", "only_child_honour": true, "house_grade": "C", "land_mu": 2.5, "disability_status": "", "disability_valid_until": "", "disability_grade": 0}
	criteria.clears.rural_family_planning_reward.not_agricultural_hukou(farmer) with input.now as now
	criteria.clears.rural_family_planning_reward.age_below_min(farmer) with input.now as now
	criteria.clears.rural_family_planning_reward.born_before_1933(farmer) with input.now as now
	criteria.clears.only_child_parent_reward.no_only_child_honour(farmer) with input.now as now
	criteria.clears.extreme_poverty_support.able_to_work_no_supporter_check(farmer) with input.now as now
	criteria.clears.dilapidated_house_renovation.house_safe(farmer) with input.now as now
	criteria.clears.farmland_protection_subsidy.no_farmland(farmer) with input.now as now

	town := object.union(farmer, {"hukou_type": "non_agricultural", "birth_date": "1990-01-01", "only_child_honour": false, "house_grade": "A", "land_mu": 0})
	not criteria.clears.rural_family_planning_reward.not_agricultural_hukou(town) with input.now as now
	not criteria.clears.rural_family_planning_reward.age_below_min(town) with input.now as now
	not criteria.clears.only_child_parent_reward.no_only_child_honour(town) with input.now as now
	not criteria.clears.extreme_poverty_support.able_to_work_no_supporter_check(town) with input.now as now
	not criteria.clears.dilapidated_house_renovation.house_safe(town) with input.now as now
	not criteria.clears.farmland_protection_subsidy.no_farmland(town) with input.now as now

	not criteria.clears.rural_family_planning_reward.born_before_1933(object.union(farmer, {"birth_date": "1932-12-31"})) with input.now as now

	# unable to work: under 16, or a certified disability of grade 1-2 (not 3, not expired)
	criteria.clears.extreme_poverty_support.able_to_work_no_supporter_check(object.union(town, {"birth_date": "2011-01-01"})) with input.now as now
	severe := object.union(town, {"disability_status": "valid", "disability_grade": 2})
	criteria.clears.extreme_poverty_support.able_to_work_no_supporter_check(severe) with input.now as now
	not criteria.clears.extreme_poverty_support.able_to_work_no_supporter_check(object.union(severe, {"disability_grade": 3})) with input.now as now
	not criteria.clears.extreme_poverty_support.able_to_work_no_supporter_check(object.union(severe, {"disability_valid_until": "2026-01-01"})) with input.now as now
}
