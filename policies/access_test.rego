package sanmian.access_test

import data.sanmian.access
import data.sanmian.fixtures_test as fx

# A slice of the division tree in the shape the engine generates from package hub/division.
divisions := {
	"370114": {"level": "district", "path": ["370114"]},
	"370114001000": {"level": "town", "path": ["370114001000", "370114"]},
	"370114001901": {"level": "work_area", "path": ["370114001901", "370114001000", "370114"]},
	"370114001201": {"level": "village", "path": ["370114001201", "370114001901", "370114001000", "370114"]},
	"370114001202": {"level": "village", "path": ["370114001202", "370114001901", "370114001000", "370114"]},
	"370114002000": {"level": "town", "path": ["370114002000", "370114"]},
	"370114002901": {"level": "work_area", "path": ["370114002901", "370114002000", "370114"]},
	"370114002201": {"level": "village", "path": ["370114002201", "370114002901", "370114002000", "370114"]},
}

decide(caller, action, resource) := d if {
	d := access.decision with input as {"caller": caller, "action": action, "resource": resource}
		with data.sanmian.divisions as divisions
}

counter(j) := {"sub": "cadre-1", "role": "counter", "jurisdiction": j, "scope": ["*"]}

reviewer(j) := {"sub": "reviewer-1", "role": "reviewer", "jurisdiction": j, "scope": ["*"]}

department(scope) := {"sub": "civil-affairs-app", "role": "department", "jurisdiction": "", "scope": scope}

auditor := {"sub": "auditor-1", "role": "auditor", "jurisdiction": "370114", "scope": ["*"]}

admin := {"sub": "admin-1", "role": "admin", "jurisdiction": "370114", "scope": ["*"]}

app(village, item) := {"village": village, "item": item}

test_counter_own_village_allowed_unmasked if {
	d := decide(counter("370114001201"), "application.create", app("370114001201", "elderly_allowance"))
	d.allow == true
	d.reason.code == "allowed"
	d.unmask_id == true
}

test_counter_other_village_denied if {
	d := decide(counter("370114001201"), "application.read", app("370114001202", "elderly_allowance"))
	d.allow == false
	d.reason.code == "outside_jurisdiction"
	d.reason.zh != ""
	d.unmask_id == false
}

test_work_area_counter_contains_its_villages if {
	decide(counter("370114001901"), "resident.lookup", {"village": "370114001202"}).allow == true
	decide(counter("370114001901"), "resident.lookup", {"village": "370114002201"}).reason.code == "outside_jurisdiction"
}

test_town_and_district_contain_villages if {
	decide(counter("370114001000"), "application.list", {"division": "370114001901", "item": "senior_card"}).allow == true
	decide(counter("370114"), "application.list", {"division": "370114002201"}).allow == true
	decide(counter("370114002000"), "application.list", {"division": "370114001000"}).reason.code == "outside_jurisdiction"
}

test_counter_may_not_review if {
	decide(counter("370114001201"), "application.review", app("370114001201", "senior_card")).reason.code == "role_not_permitted"
}

test_reviewer_at_own_level if {
	r := object.union(app("370114001201", "senior_card"), {"level": "town"})
	decide(reviewer("370114001000"), "application.review", r).allow == true
	decide(reviewer("370114001901"), "application.review", r).reason.code == "wrong_review_level"
	decide(reviewer("370114002000"), "application.review", r).reason.code == "outside_jurisdiction"
}

test_reviewer_may_revoke_in_jurisdiction if {
	decide(reviewer("370114001000"), "permit.revoke", app("370114001202", "senior_card")).allow == true
}

test_jurisdiction_problems if {
	decide(counter(""), "application.read", app("370114001201", "senior_card")).reason.code == "no_jurisdiction"
	decide(counter("370114001201"), "application.list", {}).reason.code == "division_required"
	decide(counter("370114001201"), "application.read", app("370114009999", "senior_card")).reason.code == "unknown_division"
	decide(counter("370114999999"), "application.read", app("370114001201", "senior_card")).reason.code == "outside_jurisdiction"
}

test_counter_item_catalogue_needs_no_jurisdiction if {
	decide(counter("370114001201"), "item.read", {}).allow == true
}

test_department_within_scope if {
	d := decide(department(["elderly_allowance"]), "application.create", app("370114002201", "elderly_allowance"))
	d.allow == true
	d.unmask_id == false
}

test_department_outside_scope if {
	d := decide(department(["elderly_allowance"]), "application.read", app("370114002201", "senior_card"))
	d.reason.code == "item_out_of_scope"
}

test_department_item_required if {
	decide(department(["elderly_allowance"]), "application.list", {"division": "370114"}).reason.code == "item_required"
	decide(department(["*"]), "application.list", {"division": "370114"}).allow == true
}

test_department_may_not_review if {
	decide(department(["*"]), "application.review", app("370114002201", "senior_card")).reason.code == "role_not_permitted"
}

test_department_with_jurisdiction if {
	c := object.union(department(["*"]), {"jurisdiction": "370114001000"})
	decide(c, "application.read", app("370114002201", "senior_card")).reason.code == "outside_jurisdiction"
}

test_auditor_reads_masked_everywhere if {
	d := decide(auditor, "application.read", app("370114002201", "senior_card"))
	d.allow == true
	d.unmask_id == false
	decide(auditor, "audit.read", {}).allow == true
	decide(auditor, "decision.replay", app("370114001201", "senior_card")).allow == true
	decide(auditor, "graphql.person", {"village": "370114001201"}).unmask_id == false
}

test_auditor_read_only if {
	decide(auditor, "permit.revoke", app("370114002201", "senior_card")).reason.code == "read_only_role"
	decide(auditor, "application.create", app("370114002201", "senior_card")).reason.code == "read_only_role"
}

test_admin_everything if {
	d := decide(admin, "permit.revoke", app("370114002201", "senior_card"))
	d.allow == true
	decide(admin, "resident.lookup", {"village": "370114002201"}).unmask_id == true
	decide(admin, "policy.reload", {}).allow == true
}

test_unknown_role_and_action_denied if {
	decide({"sub": "x", "role": "mayor"}, "audit.read", {}).reason.code == "unknown_role"
	decide({"sub": "x"}, "audit.read", {}).reason.code == "unknown_role"
	decide(admin, "database.drop", {}).reason.code == "unknown_action"
}

# The eligibility decision unmasks ID fields only for a caller allowed to see them.
test_decision_unmasks_for_counter_in_jurisdiction if {
	d := data.sanmian.eligibility.decision with input as {
		"now": fx.now, "item": "senior_card", "evidence": fx.evidence(fx.person({}), []),
		"caller": counter("370114001201"),
	}
		with data.sanmian.divisions as divisions
	d.unmasked.id_number == true
}

test_decision_masks_for_counter_elsewhere_and_auditor if {
	ev := fx.evidence(fx.person({}), [])
	d1 := data.sanmian.eligibility.decision with input as {"now": fx.now, "item": "senior_card", "evidence": ev, "caller": counter("370114001202")}
		with data.sanmian.divisions as divisions
	d1.unmasked.id_number == false
	d2 := data.sanmian.eligibility.decision with input as {"now": fx.now, "item": "senior_card", "evidence": ev, "caller": auditor}
		with data.sanmian.divisions as divisions
	d2.unmasked.id_number == false
}

test_review_without_level_checks_jurisdiction_only if {
	decide(reviewer("370114001901"), "application.review", app("370114001202", "senior_card")).allow == true
}

test_department_actions_named_in_scope_limit_it if {
	c := department(["elderly_allowance", "application.read", "application.list"])
	decide(c, "application.read", app("370114002201", "elderly_allowance")).allow == true
	d := decide(c, "application.create", app("370114002201", "elderly_allowance"))
	d.allow == false
	d.reason.code == "action_not_granted"
}

test_department_scope_without_actions_keeps_role_actions if {
	decide(department(["elderly_allowance"]), "application.create", app("370114002201", "elderly_allowance")).allow == true
}

test_granted_action_still_needs_item_scope if {
	c := department(["elderly_allowance", "application.read"])
	decide(c, "application.read", app("370114002201", "senior_card")).reason.code == "item_out_of_scope"
}

# statistics.read: counters and reviewers see the statistics of their own jurisdiction only;
# auditors and admins everywhere; department apps not at all.
test_statistics_counter_own_village_allowed if {
	decide(counter("370114001201"), "statistics.read", {"division": "370114001201"}).allow == true
}

test_statistics_counter_other_village_refused if {
	d := decide(counter("370114001201"), "statistics.read", {"division": "370114001202"})
	d.allow == false
	d.reason.code == "outside_jurisdiction"
}

test_statistics_counter_own_town_refused if {
	d := decide(counter("370114001201"), "statistics.read", {"division": "370114001000"})
	d.allow == false
	d.reason.code == "outside_jurisdiction"
}

test_statistics_town_reviewer_sees_work_area if {
	decide(reviewer("370114001000"), "statistics.read", {"division": "370114001901"}).allow == true
}

test_statistics_auditor_and_admin_whole_district if {
	decide(auditor, "statistics.read", {"division": "370114"}).allow == true
	decide(admin, "statistics.read", {"division": "370114"}).allow == true
}

test_statistics_department_refused if {
	decide(department(["*"]), "statistics.read", {"division": "370114"}).allow == false
}

test_worklists_within_jurisdiction if {
	decide(counter("370114001201"), "worklist.read", {"division": "370114001201", "item": "elderly_allowance"}).allow == true
	decide(counter("370114001201"), "worklist.read", {"division": "370114001202"}).reason.code == "outside_jurisdiction"
	decide(reviewer("370114001000"), "worklist.read", {"division": "370114001201"}).allow == true
	decide(reviewer("370114001000"), "worklist.read", {"division": "370114002201"}).reason.code == "outside_jurisdiction"
	decide(auditor, "worklist.read", {"division": "370114"}).allow == true
	decide(department(["*"]), "worklist.read", {"division": "370114"}).reason.code == "role_not_permitted"
}

test_alerts_for_auditors_and_admins_only if {
	decide(auditor, "alert.read", {"division": "370114002201", "item": "elderly_allowance"}).allow == true
	decide(admin, "alert.read", {"division": "370114"}).allow == true
	decide(counter("370114001201"), "alert.read", {"division": "370114001201"}).reason.code == "role_not_permitted"
	decide(reviewer("370114001000"), "alert.read", {"division": "370114001201"}).reason.code == "role_not_permitted"
}

test_worklist_contacts_by_cadres_within_jurisdiction if {
	decide(counter("370114001201"), "worklist.contact", app("370114001201", "elderly_allowance")).allow == true
	decide(counter("370114001201"), "worklist.contact", app("370114001202", "elderly_allowance")).reason.code == "outside_jurisdiction"
	decide(reviewer("370114001000"), "worklist.contact", app("370114001201", "elderly_allowance")).allow == true
	decide(auditor, "worklist.contact", app("370114001201", "elderly_allowance")).reason.code == "read_only_role"
	decide(department(["*"]), "worklist.contact", app("370114001201", "elderly_allowance")).reason.code == "role_not_permitted"
}

test_alert_resolution_by_auditors_and_admins_only if {
	# A supervisor's own record: the read-only auditor may take it.
	decide(auditor, "alert.resolve", app("370114002201", "elderly_allowance")).allow == true
	decide(admin, "alert.resolve", app("370114002201", "elderly_allowance")).allow == true
	decide(counter("370114002201"), "alert.resolve", app("370114002201", "elderly_allowance")).reason.code == "role_not_permitted"
	decide(reviewer("370114002000"), "alert.resolve", app("370114002201", "elderly_allowance")).reason.code == "role_not_permitted"
}

# policy.whatif and decision.list: auditors (read-only: a what-if changes nothing) and
# administrators, for the whole district; counters, reviewers and department apps are refused.
test_whatif_and_decision_list_auditor_and_admin if {
	some action in ["policy.whatif", "decision.list"]
	decide(auditor, action, {"division": "370114"}).allow == true
	decide(admin, action, {"division": "370114001201", "item": "elderly_allowance"}).allow == true
	decide(auditor, action, {"division": "370114002000"}).unmask_id == false
}

test_whatif_and_decision_list_refused_to_cadres_and_apps if {
	some action in ["policy.whatif", "decision.list"]
	decide(counter("370114001201"), action, {"division": "370114001201"}).reason.code == "role_not_permitted"
	decide(reviewer("370114"), action, {"division": "370114"}).reason.code == "role_not_permitted"
	decide(department(["*"]), action, {"division": "370114", "item": "elderly_allowance"}).reason.code == "role_not_permitted"
}
