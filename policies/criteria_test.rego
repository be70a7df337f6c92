package sanmian.criteria_test

import data.sanmian.criteria
import data.sanmian.fixtures_test as fx
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

# funeral_clears is the set {true} when the funeral subsidy's criterion clears a household
# whose latest death is on date d, on the date now; else empty.
funeral_clears(d, now) := {true | criteria.clears.funeral_subsidy.no_recent_death({"household_last_death": d}) with input.now as now}

# The funeral subsidy's criterion over the household's latest death: a death in the claim
# window (365 days) before the decision date, not after it.
test_funeral_recent_death_window if {
	funeral_clears("2026-12-06", "2026-12-06") == {true}
	funeral_clears("2025-12-06", "2026-12-06") == {true}
	funeral_clears("2025-12-05", "2026-12-06") == set()
	funeral_clears("2026-12-07", "2026-12-06") == set()
	funeral_clears("", "2026-12-06") == set()
}

# The criterion agrees with the decision on each side of its bounds, for a household whose
# latest death is on d: the decision is eligible exactly when the criterion clears.
test_funeral_criterion_matches_decision if {
	every d in ["2026-11-26", "2025-11-26", "2025-11-25", "2026-11-27", "2024-02-29"] {
		member := object.union(fx.member({}), {"deceased": true, "death_date": d})
		dec := fx.decide("funeral_subsidy", fx.evidence(fx.person({}), [member]))
		{true | dec.eligible} == funeral_clears(d, fx.now)
	}
}

# A later death after the decision date does not hide one within the window (a scan pinned to
# an earlier date): the latest death on or before the date counts.
test_funeral_later_death_after_date if {
	recent := object.union(fx.member({}), {"deceased": true, "death_date": "2026-10-01"})
	later := object.union(fx.member({"id_number": "370114199001010038"}), {"deceased": true, "death_date": "2026-12-01"})
	fx.decide("funeral_subsidy", fx.evidence(fx.person({}), [recent, later])).eligible == true
}
