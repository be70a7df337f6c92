# METADATA
# title: Shared helpers
# description: Date arithmetic, licence validity and evidence-path helpers used by the policies.
package sanmian.lib

# age is the age in whole years on the date now of a person born on birth (both "YYYY-MM-DD").
# A person turns n ON the n-th birthday; someone born on 29 February turns a year older on
# 1 March in common years (time.diff borrows a month, then the days of that month). Undefined
# when either is not a date.
age(birth, now) := time.diff(time.parse_ns("2006-01-02", now), time.parse_ns("2006-01-02", birth))[0]

# days_between is the number of days from the date from to the date to (negative when to is earlier).
days_between(from, to) := (time.parse_ns("2006-01-02", to) - time.parse_ns("2006-01-02", from)) / 86400000000000

# id_birth_date is the date of birth encoded in an 18-character ID number (GB 11643-1999).
id_birth_date(id) := concat("-", [substring(id, 6, 4), substring(id, 10, 2), substring(id, 12, 2)]) if count(id) == 18

# norm maps an evidence field path as used in provenance and conflicts ("household.1.licences.0",
# "applicant.rolls.dibao") to the needs grammar of the catalogue: list indexes are dropped and a
# path into a licence stops at "licences" (the licence type is not in the path).
# mask_id is an ID number as the hub shows it masked (hub/ident.MaskIDNumber): the first six
# and the last four characters, the check character upper-cased.
mask_id(id) := concat("", [substring(id, 0, 6), "********", upper(substring(id, 14, 4))]) if count(id) == 18

else := "****"

norm(field) := cut_licences(regex.replace(field, `\.[0-9]+`, ""))

cut_licences(s) := concat("", [substring(s, 0, i), ".licences"]) if {
	i := indexof(s, ".licences.")
	i >= 0
} else := s

# related holds when the normalised field f and the needs path n refer to overlapping evidence.
related(f, n) if f == n

related(f, n) if startswith(n, concat("", [f, "."]))

related(f, n) if startswith(f, concat("", [n, "."]))

# expired holds for a licence whose valid_until (when it has one) is before now.
expired(l, now) if {
	u := object.get(l, "valid_until", "")
	u != ""
	u < now
}

# licences_of is every licence of the given type held by person p, whatever its status. A
# person without licences (absent or null) has none: iterating null yields nothing.
licences_of(p, type) := [l | some l in object.get(p, "licences", []); l.type == type]

# valid_licences_of is every licence of the given type held by person p whose status is valid
# and that has not expired on now (written out, not through licences_of: each function call
# costs a decision microseconds).
valid_licences_of(p, type, now) := [l |
	some l in object.get(p, "licences", [])
	l.type == type
	l.status == "valid"
	not expired(l, now)
]

# grade is the disability grade (1 most severe .. 4) of a disability licence; accepts a number
# or a numeric string.
grade(l) := to_number(l.attrs.grade)
