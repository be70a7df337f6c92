# METADATA
# title: Eligibility decisions
# description: |
#   One decision per call for one item and one applicant's evidence: eligible (true, false or
#   null for undetermined), reasons in Chinese and English citing the rule, missing evidence,
#   conflicts, auto-fill field list, per-field unmasking, instant approval, proactive flag and
#   amount. Input and output are documented in policies/README.md. Item-specific criteria live
#   in the items_*.rego files of this package as fail.<item> / pass.<item> / amount.<item>.
package sanmian.eligibility

import data.sanmian.access
import data.sanmian.catalogue
import data.sanmian.lib
import input.evidence.applicant
import input.evidence.applicant.rolls

# decision is the result for input.item (see policies/README.md for its shape). Written flat,
# with few rule and function references: each costs microseconds and a decision has a budget
# of 100 µs (hub/policy/BENCHMARKS.md). array.concat(xs, [default])[0] picks a value or a
# default without a helper rule.
decision := d if {
	it := catalogue.items[input.item]
	sd := item_static(input.item)
	st := status(input.item, it, sd)
	unmask_id := array.concat([u | input.caller; u := access.decide(input.caller, "application.read", {"village": applicant.village, "item": input.item}).unmask_id], [false])[0]
	d := {
		"item": input.item,
		"eligible": st.eligible,
		"reasons": st.reasons,
		"missing": st.missing,
		"conflicts": st.conflicts,
		"autofill": sd.autofill,
		"unmasked": object.union(sd.open, {f: unmask_id | some f in sd.masked}),
		# instant approval (秒批): the item allows it, eligible, no needed evidence stale
		# (conflicts already make the verdict undetermined).
		"instant": count([1 | it.instant == true; st.eligible == true; st.stale == false]) == 1,
		"proactive": count([1 | it.proactive == true; st.eligible == true]) == 1,
		"amount": array.concat([a | st.eligible == true; a := amount[input.item]], [null])[0],
		"review_levels": it.review_levels,
		# facts: derived values the decision used (the age, for items that read the birth date).
		"facts": array.concat([{"age": age} | sd.age == true; age >= 0], [{}])[0],
	}
} else := {
	"item": input.item,
	"eligible": false,
	"reasons": [{"code": "unknown_item", "rule": "catalogue", "zh": catalogue.reasons.unknown_item.zh, "en": catalogue.reasons.unknown_item.en}],
	"missing": [],
	"conflicts": [],
	"autofill": [],
	"unmasked": {},
	"instant": false,
	"proactive": false,
	"amount": null,
	"review_levels": [],
	"facts": {},
}

# household is the list of household members ([] when absent or null).
household := input.evidence.household if is_array(input.evidence.household)

else := []

# age of the applicant on the decision date (as lib.age; inlined, it is on every hot path);
# undefined when the birth date is unknown.
age := (to_number(substring(input.now, 0, 4)) - to_number(substring(applicant.birth_date, 0, 4))) - to_number(substring(input.now, 5, 5) < substring(applicant.birth_date, 5, 5)) if {
	count(applicant.birth_date) == 10
}

# Fields that must carry a value: an empty string means the platform holds none (evidence.go).
blank_checked := {
	"applicant.birth_date", "applicant.sex", "applicant.hukou_type",
	"applicant.village", "applicant.marital", "applicant.id_number",
}

# static_of is everything about an item that depends on the catalogue alone: its needs (as an
# object used as a set), evidence kinds, auto-fill list, fields shown unmasked to anyone, masked
# fields, needed fields that must not be blank, and whether the enrolment roll is consulted.
static_of(code) := {
	"needs": needs,
	"kinds": sort([k | some k, _ in it.needs]),
	"autofill": [f.name | some f in it.form; f.autofill],
	"open": {f.name: true | some f in it.form; f.mask == "none"},
	"masked": [f.name | some f in it.form; f.mask != "none"],
	"blank": [{"path": n, "field": substring(n, 10, -1)} | some n, _ in needs; n in blank_checked],
	"enrolment": object.get(needs, "applicant.rolls.enrolled", false),
	"age": object.get(needs, "applicant.birth_date", false),
} if {
	it := catalogue.items[code]
	needs := {n: true | some ns in it.needs; some n in ns}
}

# static_all is static_of for every item. The engine evaluates it once per bundle revision and
# stores it as data.sanmian.static, so decisions do not recompute it; without that data (opa
# test, opa eval) static_of is evaluated on the fly with the same result.
static_all := {code: static_of(code) | some code, _ in catalogue.items}

item_static(code) := x if {
	x := data.sanmian.static[code]
} else := static_of(code)

# status is the three-valued verdict for item code with its reasons, missing evidence and
# conflicting fields. Each failing criterion (fail.<item>, and the generic deceased and
# enrolment checks) names the needs paths it relied on; it is definite only when none of them
# is uncertain: missing, conflicting, blank, or stale where the item does not allow stale
# evidence. Any definite failure → false; else any uncertain needed field → null; else true.
status(code, it, sd) := s if {
	# Missing evidence kinds: listed by the connectors, or insurance or rolls absent from the
	# applicant (nil in evidence.Person means not obtained).
	missing_set := {m | some m in input.evidence.missing} | {k |
		some k, f in {"city.insurance": "insurance", "district.rolls": "rolls"}
		not is_object(object.get(applicant, f, null))
	}
	missing := [k | some k in sd.kinds; missing_set[k]]
	missing_paths := {n | some k in missing; some n in it.needs[k]}
	conflicted := {n |
		some c in input.evidence.conflicts
		f := lib.norm(c.field)
		some n, _ in sd.needs
		lib.related(f, n)
	}
	stale := {n |
		some k, p in input.evidence.provenance
		p.stale == true
		f := lib.norm(k)
		some n, _ in sd.needs
		lib.related(f, n)
	}
	blocking_stale := {n | it.stale_allowed == false; some n in stale}
	blank := {b.path | some b in sd.blank; object.get(applicant, b.field, "") == ""}
	uncertain := ((missing_paths | conflicted) | blank) | blocking_stale

	# Generic criteria: a deceased applicant may apply for nothing but the funeral subsidy;
	# items whose needs include the enrolment roll refuse those already enrolled.
	generic := array.concat(
		[r | code != "funeral_subsidy"; applicant.deceased == true; r := {"code": "deceased", "fields": ["applicant.deceased"]}],
		[r | sd.enrolment == true; code in rolls.enrolled; r := {"code": "already_enrolled", "fields": ["applicant.rolls.enrolled"]}],
	)
	item_fails := [r | some r in fail[code]]
	definite := {r.code |
		some r in array.concat(item_fails, generic)
		count({f | some f in r.fields} & uncertain) == 0
	}
	eligible := {true: false, false: {true: null, false: true}[count(uncertain) > 0]}[count(definite) > 0]
	passes := sort([c | some c in pass[code]])
	codes := array.concat(
		array.concat(
			[c | eligible == false; some c in sort(definite)],
			[c |
				eligible == null
				some c, on in {
					"missing_evidence": count(missing_paths) > 0,
					"conflicting_evidence": count(conflicted) > 0,
					"blank_evidence": count(blank) > 0,
					"stale_evidence": count(blocking_stale) > 0,
				}
				on
			],
		),
		[c | eligible == true; some c in array.concat(passes, [x | count(passes) == 0; x := "criteria_met"])],
	)
	s := {
		"eligible": eligible,
		"reasons": [{
			"code": c,
			"rule": it.basis.cite,
			"zh": object.get(catalogue.reasons, [c, "zh"], c),
			"en": object.get(catalogue.reasons, [c, "en"], c),
		} |
			some c in codes
		],
		"missing": missing,
		"conflicts": sort(conflicted),
		"stale": count(stale) > 0,
	}
}

# verdict_of is the verdict alone (true, false or null) for item code; used by the scan.
verdict_of(code) := status(code, catalogue.items[code], item_static(code)).eligible
