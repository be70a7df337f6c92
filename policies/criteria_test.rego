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
