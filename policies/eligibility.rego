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
import data.sanmian.criteria
import data.sanmian.lib
import input.evidence.applicant
import input.evidence.applicant.rolls

# decision is the result for input.item (see policies/README.md for its shape).
# array.concat(xs, [default])[0] picks a value or a default without a helper rule.
decision := d if {
	it := catalogue.items[input.item]
	sd := item_static(input.item)
	u := with_unknown(uncertainty(it, sd), input.item)
	definite := definite_failures(input.item, sd, u)
	eligible := verdict(definite, u)

	# instant approval (秒批): the item allows it, eligible, no needed evidence stale
	# (conflicts already make the verdict undetermined).
	instant := [it.instant, eligible, u.stale] == [true, true, false]
	proactive := [it.proactive, eligible] == [true, true]
	d := {
		"item": input.item,
		"eligible": eligible,
		"reasons": [reason_of(c, sd) | some c in reason_codes(input.item, eligible, definite, u.flags)],
		"missing": u.missing,
		"conflicts": sort(u.conflicted),
		"autofill": sd.autofill,
		# every form field -> shown unmasked; masked fields only when the access policy gives
		# the caller unmask_id (both maps are precomputed per item).
		"unmasked": array.concat([m | input.caller; access.decide(input.caller, "application.read", {"village": applicant.village, "item": input.item}).unmask_id == true; m := sd.unmasked_id], [sd.unmasked_no_id])[0],
		"instant": instant,
		"proactive": proactive,
		"amount": array.concat([a | eligible == true; a := amount[input.item]], [null])[0],
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

# reason_of is the reason object of code c with the catalogue's texts; a refusal on a roll also
# names whom the roll names (masked ID numbers), so the cadre can find the existing enrolment.
reason_of(c, sd) := object.union(r, {
	"zh": sprintf("%s（在册：%s）", [r.zh, concat("、", who)]),
	"en": sprintf("%s (on the roll: %s)", [r.en, concat(", ", who)]),
}) if {
	who := on_roll(c)
	count(who) > 0
	r := sd.reasons[c]
} else := object.get(sd.reasons, c, {"code": c, "rule": it.basis.cite, "zh": c, "en": c}) if {
	it := catalogue.items[input.item]
}

on_roll("household_enrolled") := sort([lib.mask_id(object.get(m, "id_number", "")) |
	some m in household
	input.item in object.get(object.get(m, "rolls", {}), "enrolled", [])
])

on_roll("death_already_paid") := sort([lib.mask_id(object.get(p, "id_number", "")) | some p in recent_deaths])

# household is the list of household members ([] when absent or null).
household := input.evidence.household if is_array(input.evidence.household)

else := []

# age of the applicant in whole years on the decision date (as lib.age: a person turns n ON
# the n-th birthday, someone born on 29 February on 1 March in common years); undefined when
# the birth date is unknown or not a date. lib.age inlined: it is on every hot path.
age := time.diff(time.parse_ns("2006-01-02", input.now), time.parse_ns("2006-01-02", applicant.birth_date))[0]

# Fields that must carry a value: an empty string means the platform holds none (evidence.go).
blank_checked := {
	"applicant.birth_date", "applicant.sex", "applicant.hukou_type",
	"applicant.village", "applicant.marital", "applicant.id_number",
}

# static_of is everything about an item that depends on the catalogue alone: its needs (as an
# object used as a set), evidence kinds, auto-fill list, the unmasked map without and with the
# right to see ID numbers, needed fields that must not be blank (field -> needs path), the
# applicant sub-objects whose absence means an evidence kind is missing (probe), the reasons
# with their texts and the item's citation, and whether the enrolment roll is consulted.
static_of(code) := {
	"needs": needs,
	"kinds": sort([k | some k, _ in it.needs]),
	"autofill": [f.name | some f in it.form; f.autofill],
	"unmasked_no_id": {f.name: open | some f in it.form; open := f.mask == "none"},
	"unmasked_id": {f.name: true | some f in it.form},
	"blank": blank,
	"blank_keys": object.keys(blank),
	"blank_count": count(blank),
	"probe": [f | some k, f in probed_kinds; it.needs[k]],
	"reasons": {c: {"code": c, "rule": it.basis.cite, "zh": object.get(r, "zh", c), "en": object.get(r, "en", c)} | some c, r in catalogue.reasons},
	"enrolment": object.get(needs, "applicant.rolls.enrolled", false),
	"household_enrolment": [object.get(it, "benefit_subject", "applicant"), object.get(needs, "household.rolls.enrolled", false)] == ["household", true],
	"age": object.get(needs, "applicant.birth_date", false),
} if {
	it := catalogue.items[code]
	needs := {n: true | some ns in it.needs; some n in ns}
	blank := {substring(n, 10, -1): n | some n, _ in needs; n in blank_checked}
}

# probed_kinds: evidence kinds whose absence shows as an absent (null) applicant sub-object.
probed_kinds := {"city.insurance": "insurance", "district.rolls": "rolls"}

# static_all is static_of for every item. The engine evaluates it once per bundle revision and
# stores it as data.sanmian.static, so decisions do not recompute it; without that data (opa
# test, opa eval) static_of is evaluated on the fly with the same result.
static_all := {code: static_of(code) | some code, _ in catalogue.items}

item_static(code) := x if {
	x := data.sanmian.static[code]
} else := static_of(code)

# reason_codes: every definite failure when ineligible (only "deceased" when the province
# records the applicant's death: other grounds are moot); the kinds of uncertainty when
# undetermined; the pass reasons (or criteria_met) when eligible.
reason_codes(_, false, definite, _) := ["deceased"] if {
	"deceased" in definite
} else := sort(definite)

reason_codes(_, null, _, flags) := [c | some c, on in flags; on]

reason_codes(code, true, _, _) := r if {
	passes := sort([c | some c in pass[code]])
	r := array.concat(passes, [x | count(passes) == 0; x := "criteria_met"])
}

# any_stale holds when some provenance entry is stale (one expression, no comprehension).
any_stale if input.evidence.provenance[_].stale == true

# uncertainty is the analysis of the needed evidence: missing kinds (listed by the connectors,
# or insurance or rolls absent from the applicant: nil in evidence.Person means not obtained),
# conflicting fields, stale fields, blank fields, and the union of those that make a criterion
# uncertain. The first body is the common case, cheap to check: nothing listed missing, every
# probed sub-object present, no conflicts, nothing stale, no needed field blank.
uncertainty(it, sd) := {"missing": [], "conflicted": set(), "stale": false, "uncertain": set(), "flags": {}} if {
	input.evidence.missing == []
	every f in sd.probe {
		is_object(applicant[f])
	}
	input.evidence.conflicts == []
	not any_stale
	present := object.filter(applicant, sd.blank_keys)
	count(present) == sd.blank_count
	not "" in present
} else := u if {
	missing_set := {m | some m in input.evidence.missing} | {k |
		some k, f in probed_kinds
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

	# doubtful: the conflicted needs that make a criterion uncertain. A death the province
	# records is not in doubt because the village roll has not caught up: the province is the
	# authority for deaths (the conflict stays listed in "conflicts").
	doubtful := {n |
		some c in input.evidence.conflicts
		not death_recorded_by_province(c)
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
	blocking_stale := {n | some n in stale; not stale_accepted(it, n)}
	blank := {n | some f, n in sd.blank; object.get(applicant, f, "") == ""}
	u := {
		"missing": missing,
		"conflicted": conflicted,
		"stale": count(stale) > 0,
		"uncertain": (((missing_paths | doubtful) | blank) | blocking_stale),
		"flags": {
			"missing_evidence": count(missing_paths) > 0,
			"conflicting_evidence": count(doubtful) > 0,
			"blank_evidence": count(blank) > 0,
			"stale_evidence": count(blocking_stale) > 0,
		},
	}
}

# stale_accepted holds when item it accepts its needed path n served stale: the item allows
# stale evidence, and when it names stale_kinds, n is supplied by one of them.
stale_accepted(it, _) if {
	it.stale_allowed == true
	object.get(it, "stale_kinds", []) == []
}

stale_accepted(it, n) if {
	it.stale_allowed == true
	some k in it.stale_kinds
	n in it.needs[k]
}

# death_recorded_by_province holds for a conflict on a deceased field where the province (the
# authority for deaths) records the death.
death_recorded_by_province(c) if {
	endswith(c.field, ".deceased")
	some v in c.values
	v.platform == "province"
	v.value == true
}

# with_unknown adds to the uncertainty u the criteria of item code that cannot be evaluated on
# the evidence present (unknown.<item>: e.g. the mother's age for a father whose child's mother
# no platform names). Each makes the verdict undetermined, with its own reason code, unless a
# definite failure decides.
with_unknown(u, code) := object.union(u, {
	"uncertain": (u.uncertain | {concat(":", ["criterion", c]) | some c in unk}),
	"flags": object.union(u.flags, {c: true | some c in unk}),
}) if {
	unk := {c | some c in unknown[code]}
	count(unk) > 0
} else := u

# definite_failures is the set of the failure codes of item code that rest on certain
# evidence. The failures are the item's criteria (fail.<item>) and the generic ones: a
# deceased applicant may apply for nothing but the funeral subsidy, and items whose needs
# include the enrolment roll refuse those already enrolled. Each failure names the needs paths
# it relied on; it is definite when none of them is uncertain (missing, conflicting, blank, or
# stale where the item does not allow stale evidence).
definite_failures(code, sd, u) := {r.code |
	some r in array.concat([r | some r in fail[code]], generic_failures(code, sd))
	every f in r.fields {
		not f in u.uncertain
	}
}

# A death the province records is definite whatever the village roll says (no fields can
# make it uncertain: applicant.deceased is true only on the province's record). The funeral
# subsidy's roll names the deceased, not a claimant: its own rule reads it (death_already_paid).
# An item whose benefit subject is the household refuses every member once one member is on
# its roll (household_enrolled).
generic_failures(code, sd) := array.concat(
	array.concat(
		[r | code != "funeral_subsidy"; applicant.deceased == true; r := {"code": "deceased", "fields": []}],
		[r | sd.enrolment == true; code != "funeral_subsidy"; code in rolls.enrolled; r := {"code": "already_enrolled", "fields": ["applicant.rolls.enrolled"]}],
	),
	[r |
		sd.household_enrolment == true
		not criteria.household_not_enrolled(code, household_facts(code))
		r := {"code": "household_enrolled", "fields": ["household.rolls.enrolled"]}
	],
)

# household_facts: the fact criteria.household_not_enrolled reads for item code, named as the
# scan data's derived column: whether a member of the applicant's household is on its roll.
household_facts(code) := {concat("", ["household_enrolled_", code]): household_enrolled(code)}

household_enrolled(code) if {
	some m in household
	code in object.get(object.get(m, "rolls", {}), "enrolled", [])
} else := false

# verdict is false when there is a definite failure, else null (undetermined) when any needed
# field is uncertain, else true.
verdict(definite, u) := {true: false, false: {true: null, false: true}[u.uncertain != set()]}[definite != set()]

# verdict_of is the verdict alone (true, false or null) for item code; used by the scan, which
# evaluates every proactive item for one resident in one evaluation.
verdict_of(code) := verdict(definite_failures(code, sd, u), u) if {
	sd := item_static(code)
	u := with_unknown(uncertainty(catalogue.items[code], sd), code)
}
