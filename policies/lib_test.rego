package sanmian.lib_test

import data.sanmian.eligibility
import data.sanmian.lib

test_age_on_and_before_birthday if {
	lib.age("1946-11-26", "2026-11-26") == 80
	lib.age("1946-11-27", "2026-11-26") == 79
	lib.age("1946-11-25", "2026-11-26") == 80
}

test_age_leap_day_birthday if {
	lib.age("2000-02-29", "2001-02-28") == 0
	lib.age("2000-02-29", "2001-03-01") == 1
	lib.age("2000-02-29", "2004-02-29") == 4
}

test_age_undefined_for_blank_date if {
	not lib.age("", "2026-11-26")
	not lib.age("1946-11", "2026-11-26")
}

# eligibility.age is lib.age inlined for the applicant: the same on every boundary.
test_eligibility_age_matches_lib_age if {
	every c in [
		["1946-11-26", "2026-11-26"], ["1946-11-27", "2026-11-26"], ["2000-02-29", "2001-02-28"],
		["2000-02-29", "2001-03-01"], ["2000-02-29", "2004-02-29"], ["1936-12-31", "2026-01-01"],
	] {
		a := eligibility.age with input as {"now": c[1], "evidence": {"applicant": {"birth_date": c[0]}}}
		a == lib.age(c[0], c[1])
	}
	not eligibility.age with input as {"now": "2026-11-26", "evidence": {"applicant": {"birth_date": ""}}}
}

test_days_between if {
	lib.days_between("2026-11-26", "2027-02-24") == 90
	lib.days_between("2026-11-26", "2026-11-25") == -1
}

test_id_birth_date if {
	lib.id_birth_date("370114194611260012") == "1946-11-26"
	not lib.id_birth_date("3701141946")
}

test_norm if {
	lib.norm("applicant.rolls.dibao") == "applicant.rolls.dibao"
	lib.norm("household.1.deceased") == "household.deceased"
	lib.norm("household.1.licences.0.attrs.grade") == "household.licences"
	lib.norm("applicant.licences.3") == "applicant.licences"
}

test_related if {
	lib.related("applicant.licences", "applicant.licences.disability")
	lib.related("applicant.rolls.homestead.house_grade", "applicant.rolls.homestead")
	not lib.related("applicant.deceased", "applicant.death_date")
}

test_licences_of if {
	lics := [
		{"type": "disability", "status": "valid", "valid_until": "2030-01-01"},
		{"type": "disability", "status": "valid", "valid_until": "2026-11-25"},
		{"type": "disability", "status": "revoked"},
		{"type": "disability", "status": "valid"},
		{"type": "id_card", "status": "valid"},
	]
	count(lib.licences_of({"licences": lics}, "disability")) == 4
	lib.valid_licences_of({"licences": lics}, "disability", "2026-11-26") == [lics[0], lics[3]]
	lib.valid_licences_of({"licences": lics}, "disability", "2026-11-25") == [lics[0], lics[1], lics[3]]
	lib.licences_of({"licences": null}, "disability") == []
	lib.valid_licences_of({}, "disability", "2026-11-26") == []
}

test_unknown_item if {
	d := eligibility.decision with input as {"now": "2026-11-26", "item": "free_lunch", "evidence": {"applicant": {}}}
	d.eligible == false
	d.reasons[0].code == "unknown_item"
}

# The engine stores static_all as data.sanmian.static; decisions read it from there.
test_static_from_data if {
	st := eligibility.static_all
	d := eligibility.decision with input as {"now": "2026-11-26", "item": "senior_card", "evidence": {"applicant": {"birth_date": "1950-01-01", "deceased": false, "village": "370114001201", "id_number": "x", "sex": "M", "rolls": {"enrolled": []}}}}
		with data.sanmian.static as st
	d.eligible == true
	d.autofill == st.senior_card.autofill
}

test_null_applicant_and_household_are_read_as_empty if {
	d := eligibility.decision with input as {"now": "2026-11-26", "item": "kinship_certificate", "evidence": {"applicant": null, "household": null, "missing": ["province.person", "district.household"]}}
	d.eligible == null
	d.missing == ["district.household", "province.person"]
}

test_reason_texts_complete if {
	every _, r in data.sanmian.catalogue.reasons {
		object.keys(r) == {"zh", "en"}
		r.zh != ""
		r.en != ""
	}
	every _, r in data.sanmian.catalogue.access_reasons {
		object.keys(r) == {"zh", "en"}
	}
}

# Every item states whether it may be applied for again while held (the hub reads a missing
# flag as false); see README.md "Once per subject".
test_every_item_declares_repeatable if {
	every it in data.sanmian.catalogue.items {
		is_boolean(it.repeatable)
	}
}

# Every item names whom its benefit is for; the household's and the deceased's are held once
# per household and once per death (README.md "Once per subject").
test_benefit_subjects if {
	subjects := {code: it.benefit_subject | some code, it in data.sanmian.catalogue.items}
	every s in subjects {
		s in {"applicant", "household", "deceased"}
	}
	{code | some code, s in subjects; s != "applicant"} == {
		"dilapidated_house_renovation", "farmland_protection_subsidy", "funeral_subsidy", "homestead_application",
	}
	subjects.funeral_subsidy == "deceased"
}

test_repeatable_items_are_per_event_or_on_demand if {
	repeatable := {code | some code, it in data.sanmian.catalogue.items; it.repeatable}
	repeatable == {
		"assistive_device_fitting", "birth_registration", "disability_certificate_renewal",
		"kinship_certificate", "medical_assistance", "residence_certificate", "temporary_assistance",
	}
}

test_mask_id if {
	lib.mask_id("37011419600101001x") == "370114********001X"
	lib.mask_id("370114196001010012") == "370114********0012"
	lib.mask_id("") == "****"
}
