// Package storetest is the conformance suite every store.Store backend must pass, and the
// benchmarks that measure them. A backend's test calls Run with a function that opens a
// fresh, empty store for each subtest.
package storetest

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"sanmian/hub/store"
)

// Opener opens a fresh, empty store; it registers its own cleanup with t.
type Opener func(t *testing.T) store.Store

// rawDB is implemented by stores that expose their database handle for tamper tests.
type rawDB interface{ SQLDB() *sql.DB }

// Run runs the conformance suite against the backend that open creates.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"snapshot_roundtrip_and_idempotent", testSnapshot},
		{"snapshot_5000_row_batch", testSnapshotLarge},
		{"snapshot_deletes", testSnapshotDeletes},
		{"snapshot_scan_filters", testScanResidents},
		{"snapshot_resident_moves_town", testResidentMovesTown},
		{"snapshot_other_villages_rolls", testOtherRolls},
		{"province_facts_roundtrip_links_and_deletes", testProvinceFacts},
		{"city_enrolments_roundtrip_and_deletes", testCityEnrolments},
		{"scan_residents_join_and_follow_the_feeds", testScanView},
		{"scan_pass", testScanPass},
		{"scan_pass_household_last_death", testPassHouseholdLastDeath},
		{"scan_pass_child_facts", testPassChildFacts},
		{"scan_pass_household_enrolled", testPassHouseholdEnrolled},
		{"scan_pass_household_members", testPassHouseholdMembers},
		{"scan_large_district_read_in_order", testScanLargeDistrict},
		{"child_links_from_licences_and_households", testChildLinks},
		{"application_create_get_update_version", testApplicationVersion},
		{"application_list_filters_and_paging", testApplicationList},
		{"reviews_and_confirmations", testReviewsConfirmations},
		{"decisions_bytes_kept_and_paging", testDecisions},
		{"decisions_filtered_for_auditors", testDecisionFilters},
		{"permit_unique_per_application_and_revocation", testPermits},
		{"permit_concurrent_final_approval", testPermitRace},
		{"subject_hold_refuses_second_application", testSubjectHold},
		{"subject_hold_concurrent_creations", testSubjectHoldRace},
		{"idempotency_replay_and_mismatch", testIdempotency},
		{"idempotency_per_issuer_and_subject", testIdempotencyIssuer},
		{"idempotency_concurrent_same_key", testIdempotencyRace},
		{"tx_rollback_leaves_nothing", testTxRollback},
		{"audit_chain_and_checkpoint", testAuditChain},
		{"audit_tamper_detected", testAuditTamper},
		{"audit_concurrent_appends", testAuditConcurrent},
		{"data_use_by_resident_newest_first", testDataUse},
		{"audit_lock_not_held_across_transaction", testAuditLockSpan},
		{"audit_queue_leftovers_chained", testAuditQueueLeftovers},
		{"office_keys", testOfficeKeys},
		{"office_key_one_active_per_office", testOfficeKeyOneActive},
		{"office_key_concurrent_ensure_one_active", testOfficeKeyEnsureRace},
		{"clients_register_rotate_retire_revoke", testClients},
		{"clients_rollback_with_audit", testClientsTxRollback},
		{"clients_revoke_ends_webhooks", testClientRevokeEndsWebhooks},
		{"statistics_by_village_item_month", testStats},
		{"statistics_follow_writes", testStatsFollowWrites},
		{"scan_findings_replace_and_list", testScanFindings},
		{"scan_followups_contacts_and_resolutions", testFollowUps},
		{"statistics_proactive_coverage", testProactiveStats},
		{"scan_changes_tracked_for_delta_scans", testScanChanges},
		{"whatif_jobs_kept", testWhatIfJobs},
		{"compiled_sql_kept", testCompiledSQL},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
	for _, tc := range webhookCases {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

// RunShared runs the cross-process cases: openPair returns two independent stores (own
// connection pools, as two hub processes would have) over one fresh database.
func RunShared(t *testing.T, openPair func(t *testing.T) (store.Store, store.Store)) {
	t.Run("permit_concurrent_final_approval_two_processes", func(t *testing.T) {
		a, b := openPair(t)
		permitRace(t, []store.Store{a, b, a, b})
	})
	t.Run("subject_hold_concurrent_creations_two_processes", func(t *testing.T) {
		a, b := openPair(t)
		subjectHoldRace(t, []store.Store{a, b, a, b, a, b, a, b})
	})
	t.Run("audit_concurrent_appends_two_processes", func(t *testing.T) {
		a, b := openPair(t)
		auditRace(t, []store.Store{a, b}, 8, 10)
	})
	t.Run("office_key_concurrent_ensure_two_processes", func(t *testing.T) {
		a, b := openPair(t)
		ensureKeyRace(t, []store.Store{a, b})
	})
	t.Run("webhook_claim_concurrent_each_once_two_processes", func(t *testing.T) {
		a, b := openPair(t)
		claimRace(t, []store.Store{a, b, a, b})
	})
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t testing.TB, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
}

func jsonEqual(t testing.TB, got, want []byte) {
	t.Helper()
	var g, w any
	must(t, json.Unmarshal(got, &g))
	must(t, json.Unmarshal(want, &w))
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	if !bytes.Equal(gb, wb) {
		t.Fatalf("JSON = %s, want %s", got, want)
	}
}

// Resident returns a synthetic snapshot row with a unique ID number for i.
func Resident(i int) store.Resident {
	r := store.Resident{
		IDNumber:    fmt.Sprintf("3701141%011d", i), // 18 characters, unique for i < 10^11
		Name:        fmt.Sprintf("居民%d", i),
		Sex:         []string{"M", "F"}[i%2],
		BirthDate:   fmt.Sprintf("%04d-%02d-%02d", 1930+i%80, 1+i%12, 1+i%28),
		HukouType:   []string{"agricultural", "non_agricultural"}[i%3%2],
		Village:     fmt.Sprintf("370114%03d%03d", 1+i%18, 200+i%30),
		HouseholdID: fmt.Sprintf("H%07d", i/3),
		Relation:    []string{"head", "spouse", "child"}[i%3],
		Deceased:    i%97 == 0,
		Dibao:       i%11 == 0,
		Tekun:       i%53 == 0,
		LandMu:      float64(i%40) / 4,
		UpdatedSeq:  int64(i),
	}
	if i%7 == 0 {
		r.DisabilityCategory, r.DisabilityGrade = "physical", 1+i%4
	}
	if i%4 == 0 {
		r.InSchool, r.CollectiveMember, r.HomesteadM2, r.HouseGrade = "primary", true, float64(100+i%50), "ABCD"[i%4:i%4+1]
	}
	if i%5 == 0 {
		r.Enrolled = []string{"elderly_allowance"}
	}
	if i%10 == 0 {
		r.Enrolled = append(r.Enrolled, "senior_card")
	}
	return r
}

// Residents returns n synthetic rows starting at from.
func Residents(from, n int) []store.Resident {
	out := make([]store.Resident, n)
	for i := range out {
		out[i] = Resident(from + i)
	}
	return out
}

func testSnapshot(t *testing.T, s store.Store) {
	ctx := t.Context()
	c, err := s.SyncCursor(ctx, "district")
	must(t, err)
	if c != "" {
		t.Fatalf("cursor of a new feed = %q", c)
	}
	rows := Residents(1, 20)
	rows[0].Enrolled = []string{"elderly_allowance", "senior_card"}
	for range 2 { // applying the same batch twice leaves the same state
		must(t, s.ApplySnapshot(ctx, "district", rows, "c1"))
	}
	got, err := s.GetResident(ctx, rows[0].IDNumber)
	must(t, err)
	if fmt.Sprint(got) != fmt.Sprint(rows[0]) {
		t.Fatalf("resident = %+v, want %+v", got, rows[0])
	}
	c, err = s.SyncCursor(ctx, "district")
	must(t, err)
	if c != "c1" {
		t.Fatalf("cursor = %q, want c1", c)
	}
	// A later batch replaces fields and enrolments; a repeated id in one batch: last wins.
	upd := rows[0]
	upd.Enrolled, upd.Deceased, upd.UpdatedSeq = []string{"funeral_subsidy"}, true, 99
	stale := rows[0]
	stale.Name = "stale"
	must(t, s.ApplySnapshot(ctx, "district", []store.Resident{stale, upd}, "c2"))
	got, err = s.GetResident(ctx, upd.IDNumber)
	must(t, err)
	if fmt.Sprint(got) != fmt.Sprint(upd) {
		t.Fatalf("resident = %+v, want %+v", got, upd)
	}
	c, _ = s.SyncCursor(ctx, "district")
	if c != "c2" {
		t.Fatalf("cursor = %q, want c2", c)
	}
	if _, err := s.GetResident(ctx, "370114000000000000"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown resident: %v", err)
	}
	// An empty batch still saves the cursor.
	must(t, s.ApplySnapshot(ctx, "other", nil, "x"))
	c, _ = s.SyncCursor(ctx, "other")
	if c != "x" {
		t.Fatalf("cursor = %q, want x", c)
	}
}

// deleted returns the delete row of resident i as the district feed sends it: the last known
// record with Deleted set (only the ID number counts).
func deleted(i int) store.Resident {
	r := Resident(i)
	r.Deleted = true
	return r
}

// changed returns resident i with other fields and enrolments, as a later upsert would bring.
func changed(i int) store.Resident {
	r := Resident(i)
	r.Name, r.Village, r.Enrolled, r.UpdatedSeq = "改名", "370114099299", []string{"funeral_subsidy"}, int64(i)+1000
	return r
}

func testSnapshotDeletes(t *testing.T, s store.Store) {
	// The cases share one store, each on its own residents; every multiple of 5 has
	// enrolments. Each batch is applied twice: replaying it (after a crash before the cursor
	// was used) must change nothing.
	ctx := t.Context()
	raw, ok := s.(rawDB)
	if !ok {
		t.Fatalf("%T does not expose SQLDB() for the enrolment check", s)
	}
	id := func(i int) string { return Resident(i).IDNumber }
	for _, tc := range []struct {
		name    string
		before  []store.Resident // applied first
		batch   []store.Resident
		present []store.Resident // rows afterwards, enrolments included
		absent  []string         // ID numbers not in the snapshot afterwards
	}{
		{"delete_removes_row_and_enrolments", []store.Resident{Resident(5), Resident(10)}, []store.Resident{deleted(10)},
			[]store.Resident{Resident(5)}, []string{id(10)}},
		{"delete_of_id_number_only", []store.Resident{Resident(15)}, []store.Resident{{IDNumber: id(15), Deleted: true}},
			nil, []string{id(15)}},
		{"delete_unknown_resident", nil, []store.Resident{deleted(20)},
			nil, []string{id(20)}},
		{"upsert_then_delete_new_resident", nil, []store.Resident{Resident(30), deleted(30)},
			nil, []string{id(30)}},
		{"upsert_then_delete_existing_resident", []store.Resident{Resident(40)}, []store.Resident{changed(40), deleted(40)},
			nil, []string{id(40)}},
		{"delete_then_upsert_existing_resident", []store.Resident{Resident(50)}, []store.Resident{deleted(50), changed(50)},
			[]store.Resident{changed(50)}, nil},
		{"delete_then_upsert_new_resident", nil, []store.Resident{deleted(60), Resident(60)},
			[]store.Resident{Resident(60)}, nil},
		{"mixed_batch_in_feed_order", Residents(70, 10),
			[]store.Resident{deleted(70), changed(71), deleted(75), Resident(80), deleted(80), deleted(81), changed(75), deleted(72), deleted(72)},
			[]store.Resident{changed(71), Resident(73), Resident(74), changed(75), Resident(76), Resident(77), Resident(78), Resident(79)},
			[]string{id(70), id(72), id(80), id(81)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			must(t, s.ApplySnapshot(ctx, "district", tc.before, "before"))
			for run := range 2 {
				must(t, s.ApplySnapshot(ctx, "district", tc.batch, tc.name))
				for _, want := range tc.present {
					got, err := s.GetResident(ctx, want.IDNumber)
					if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
						t.Fatalf("run %d: resident = %+v, %v; want %+v", run, got, err, want)
					}
				}
				for _, id := range tc.absent {
					if got, err := s.GetResident(ctx, id); !errors.Is(err, store.ErrNotFound) {
						t.Fatalf("run %d: deleted resident = %+v, %v; want ErrNotFound", run, got, err)
					}
				}
				var orphans int
				must(t, raw.SQLDB().QueryRowContext(ctx, `SELECT COUNT(*) FROM resident_enrolments e
					WHERE NOT EXISTS (SELECT 1 FROM residents r WHERE r.id_number = e.id_number)`).Scan(&orphans))
				if orphans != 0 {
					t.Fatalf("run %d: %d enrolments of deleted residents left", run, orphans)
				}
				if c, err := s.SyncCursor(ctx, "district"); err != nil || c != tc.name {
					t.Fatalf("run %d: cursor = %q, %v; want %q", run, c, err, tc.name)
				}
			}
		})
	}
}

// testOtherRolls: other villages' roll entries are written with the resident, read by
// division of the resident's own village with whether that village's roll has them on the
// item too, replaced by the resident's next record and deleted with the resident.
func testOtherRolls(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b, c := Resident(501), Resident(502), Resident(505) // 505: on the elderly roll at home, 501 on none
	a.OtherRolls = []store.RollEntry{{Item: "senior_card", Village: "370114009201"}, {Item: "elderly_allowance", Village: "370114002203"}}
	c.OtherRolls = []store.RollEntry{{Item: "elderly_allowance", Village: "370114002203"}}
	must(t, s.ApplySnapshot(ctx, "district", []store.Resident{a, b, c}, "1"))
	got, err := s.OtherRolls(ctx, "")
	must(t, err)
	want := []store.OtherRoll{
		{IDNumber: a.IDNumber, RollEntry: store.RollEntry{Item: "elderly_allowance", Village: "370114002203"}, HomeVillage: a.Village},
		{IDNumber: a.IDNumber, RollEntry: store.RollEntry{Item: "senior_card", Village: "370114009201"}, HomeVillage: a.Village},
		{IDNumber: c.IDNumber, RollEntry: store.RollEntry{Item: "elderly_allowance", Village: "370114002203"}, HomeVillage: c.Village, HomeEnrolled: true},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("other rolls = %+v\nwant %+v", got, want)
	}
	// By the resident's own village, not the paying one.
	if got, err := s.OtherRolls(ctx, c.Village); err != nil || fmt.Sprint(got) != fmt.Sprint(want[2:]) {
		t.Fatalf("other rolls of %s = %+v, %v; want %+v", c.Village, got, err, want[2:])
	}
	if got, err := s.OtherRolls(ctx, "370114002203"); err != nil || len(got) != 0 {
		t.Fatalf("other rolls of the paying village = %+v, %v; want none", got, err)
	}
	// The next record replaces them (none left); a delete takes them with the resident.
	a.OtherRolls = nil
	del := store.Resident{IDNumber: c.IDNumber, Deleted: true}
	must(t, s.ApplySnapshot(ctx, "district", []store.Resident{a, del}, "2"))
	if got, err := s.OtherRolls(ctx, ""); err != nil || len(got) != 0 {
		t.Fatalf("other rolls after replace and delete = %+v, %v; want none", got, err)
	}
	raw, ok := s.(rawDB)
	if !ok {
		t.Fatalf("%T does not expose SQLDB() for the table check", s)
	}
	var left int
	must(t, raw.SQLDB().QueryRowContext(ctx, `SELECT COUNT(*) FROM resident_other_rolls`).Scan(&left))
	if left != 0 {
		t.Fatalf("%d other-roll entries left in the table", left)
	}
}

func testSnapshotLarge(t *testing.T, s store.Store) {
	ctx := t.Context()
	rows := Residents(1000, 5000)
	must(t, s.ApplySnapshot(ctx, "district", rows, "5000"))
	var n int
	after := ""
	for {
		page, next, err := s.ScanResidents(ctx, store.ResidentQuery{After: after, Limit: 2000})
		must(t, err)
		n += len(page)
		if next == "" {
			break
		}
		after = next
	}
	if n != 5000 {
		t.Fatalf("scanned %d residents, want 5000", n)
	}
	got, err := s.GetResident(ctx, rows[4999].IDNumber)
	must(t, err)
	if fmt.Sprint(got) != fmt.Sprint(rows[4999]) {
		t.Fatalf("resident = %+v, want %+v", got, rows[4999])
	}
}

func testScanResidents(t *testing.T, s store.Store) {
	ctx := t.Context()
	rows := Residents(1, 300)
	must(t, s.ApplySnapshot(ctx, "district", rows, "c"))
	count := func(pred func(store.Resident) bool) int {
		n := 0
		for _, r := range rows {
			if pred(r) {
				n++
			}
		}
		return n
	}
	enrolled := func(r store.Resident, item string) bool { return slices.Contains(r.Enrolled, item) }
	for _, tc := range []struct {
		name string
		q    store.ResidentQuery
		want func(store.Resident) bool
	}{
		{"village_prefix", store.ResidentQuery{VillagePrefix: "370114003"}, func(r store.Resident) bool { return r.Village[:9] == "370114003" }},
		{"not_enrolled", store.ResidentQuery{NotEnrolledIn: "elderly_allowance"}, func(r store.Resident) bool { return !enrolled(r, "elderly_allowance") }},
		{"where_compiled_filter", store.ResidentQuery{
			Where: "residents.birth_date <= ? AND residents.dibao = TRUE AND residents.deceased = FALSE AND residents.hukou_type = ?",
			Args:  []any{"1950-12-31", "agricultural"},
		}, func(r store.Resident) bool {
			return r.BirthDate <= "1950-12-31" && r.Dibao && !r.Deceased && r.HukouType == "agricultural"
		}},
		{"disability_grade", store.ResidentQuery{Where: "residents.disability_grade BETWEEN 1 AND 2"},
			func(r store.Resident) bool { return r.DisabilityGrade >= 1 && r.DisabilityGrade <= 2 }},
		{"combined", store.ResidentQuery{VillagePrefix: "37011400", NotEnrolledIn: "senior_card", Where: "residents.tekun = FALSE"},
			func(r store.Resident) bool {
				return r.Village[:8] == "37011400" && !enrolled(r, "senior_card") && !r.Tekun
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []store.Resident
			q := tc.q
			q.Limit = 37
			for {
				page, next, err := s.ScanResidents(ctx, q)
				must(t, err)
				got = append(got, page...)
				if next == "" {
					break
				}
				q.After = next
			}
			if want := count(tc.want); len(got) != want || want == 0 {
				t.Fatalf("got %d residents, want %d (>0)", len(got), want)
			}
			for _, r := range got {
				if !tc.want(r) {
					t.Fatalf("resident %+v does not match", r)
				}
			}
		})
	}
	if _, _, err := s.ScanResidents(ctx, store.ResidentQuery{VillagePrefix: "37%"}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("wildcard prefix: %v", err)
	}
}

func newApp(village, item string, status store.ApplicationStatus) *store.Application {
	return &store.Application{
		Item: item, ApplicantID: "37011419400101123X", Village: village, Status: status,
		Form:      json.RawMessage(`{"fields":[{"name":"name","value":"张三"}]}`),
		CreatedBy: "counter-1",
	}
}

func testApplicationVersion(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := newApp("370114001201", "elderly_allowance", store.StatusDraft)
	must(t, s.CreateApplication(ctx, a))
	if len(a.ID) != 32 || a.Version != 1 || a.CreatedAt.IsZero() {
		t.Fatalf("created application = %+v", a)
	}
	got, err := s.GetApplication(ctx, a.ID)
	must(t, err)
	if got.Item != a.Item || got.Status != a.Status || got.Version != 1 || !got.CreatedAt.Equal(a.CreatedAt) || got.ApplicantID != a.ApplicantID {
		t.Fatalf("got %+v, want %+v", got, a)
	}
	jsonEqual(t, got.Form, a.Form)
	jsonEqual(t, got.Decision, []byte(`{}`))

	got.Status, got.AwaitingLevel, got.AwaitingDivision = store.StatusInReview, "village", "370114001201"
	got.Decision = json.RawMessage(`{"eligible":true}`)
	must(t, s.UpdateApplication(ctx, &got, 1))
	if got.Version != 2 {
		t.Fatalf("version = %d, want 2", got.Version)
	}
	stale := got
	stale.Status = store.StatusRejected
	wantErr(t, s.UpdateApplication(ctx, &stale, 1), store.ErrConflict)
	again, err := s.GetApplication(ctx, a.ID)
	must(t, err)
	if again.Status != store.StatusInReview || again.Version != 2 || again.AwaitingDivision != "370114001201" {
		t.Fatalf("after stale update: %+v", again)
	}
	jsonEqual(t, again.Decision, []byte(`{"eligible":true}`))

	missing := *a
	missing.ID = store.NewID()
	wantErr(t, s.UpdateApplication(ctx, &missing, 1), store.ErrNotFound)
	_, err = s.GetApplication(ctx, missing.ID)
	wantErr(t, err, store.ErrNotFound)
	dup := *a
	wantErr(t, s.CreateApplication(ctx, &dup), store.ErrConflict)
	bad := newApp("370114001201", "x", store.StatusDraft)
	bad.Form = json.RawMessage(`{`)
	wantErr(t, s.CreateApplication(ctx, bad), store.ErrInvalid)
	bad = newApp("370114001201", "x", "pending")
	wantErr(t, s.CreateApplication(ctx, bad), store.ErrInvalid)
}

func testApplicationList(t *testing.T, s store.Store) {
	ctx := t.Context()
	var all []*store.Application
	for i := range 12 {
		a := newApp(fmt.Sprintf("370114%03d%03d", 1+i%3, 201+i%2), []string{"elderly_allowance", "senior_card"}[i%2],
			[]store.ApplicationStatus{store.StatusDraft, store.StatusInReview, store.StatusApproved}[i%3])
		if a.Status == store.StatusInReview {
			a.AwaitingLevel, a.AwaitingDivision = "town", a.Village[:9]+"000"
		}
		must(t, s.CreateApplication(ctx, a))
		all = append(all, a)
		time.Sleep(2 * time.Millisecond) // ids are time-ordered at millisecond granularity
	}
	ids := func(as []store.Application) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		f    store.ApplicationFilter
		want func(*store.Application) bool
	}{
		{"all", store.ApplicationFilter{}, func(*store.Application) bool { return true }},
		{"status_in_review", store.ApplicationFilter{Status: []store.ApplicationStatus{store.StatusInReview}},
			func(a *store.Application) bool { return a.Status == store.StatusInReview }},
		{"status_set", store.ApplicationFilter{Status: []store.ApplicationStatus{store.StatusDraft, store.StatusApproved}},
			func(a *store.Application) bool { return a.Status != store.StatusInReview }},
		{"item", store.ApplicationFilter{Item: "senior_card"}, func(a *store.Application) bool { return a.Item == "senior_card" }},
		{"town_prefix", store.ApplicationFilter{DivisionPrefix: "370114002"}, func(a *store.Application) bool { return a.Village[:9] == "370114002" }},
		{"village_set", store.ApplicationFilter{Villages: []string{"370114001201", "370114003202"}},
			func(a *store.Application) bool { return a.Village == "370114001201" || a.Village == "370114003202" }},
		{"awaiting_division", store.ApplicationFilter{AwaitingDivision: "370114002000", Status: []store.ApplicationStatus{store.StatusInReview}},
			func(a *store.Application) bool { return a.AwaitingDivision == "370114002000" }},
		{"prefix_and_item", store.ApplicationFilter{DivisionPrefix: "370114001", Item: "elderly_allowance"},
			func(a *store.Application) bool { return a.Village[:9] == "370114001" && a.Item == "elderly_allowance" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want []string
			for i := len(all) - 1; i >= 0; i-- { // newest first
				if tc.want(all[i]) {
					want = append(want, all[i].ID)
				}
			}
			var got []string
			p := store.Page{Limit: 3}
			for pages := 0; ; pages++ {
				page, next, err := s.ListApplications(ctx, tc.f, p)
				must(t, err)
				got = append(got, ids(page)...)
				if next == "" || pages > 20 {
					break
				}
				p.After = next
			}
			if !slices.Equal(got, want) || len(want) == 0 {
				t.Fatalf("got %v, want %v", got, want)
			}
		})
	}
}

func testReviewsConfirmations(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := newApp("370114001201", "elderly_allowance", store.StatusConfirmed)
	must(t, s.CreateApplication(ctx, a))
	c := &store.Confirmation{ApplicationID: a.ID, DeclinedFields: []string{"phone"}, SignatureDigest: "sha256:aa"}
	must(t, s.AddConfirmation(ctx, c))
	c2 := &store.Confirmation{ApplicationID: a.ID, SignatureDigest: "sha256:bb"}
	must(t, s.AddConfirmation(ctx, c2))
	got, err := s.LatestConfirmation(ctx, a.ID)
	must(t, err)
	if got.ID != c2.ID || got.SignatureDigest != "sha256:bb" || len(got.DeclinedFields) != 0 || !got.At.Equal(c2.At) {
		t.Fatalf("latest confirmation = %+v, want %+v", got, c2)
	}
	_, err = s.LatestConfirmation(ctx, "nope")
	wantErr(t, err, store.ErrNotFound)

	for i, act := range []store.ReviewAction{store.ReviewReturn, store.ReviewApprove, store.ReviewApprove} {
		must(t, s.AddReview(ctx, &store.Review{ApplicationID: a.ID, Level: []string{"village", "village", "town"}[i],
			Division: "370114001201", Action: act, Comment: fmt.Sprint(i), Reviewer: "rev"}))
	}
	rs, err := s.ListReviews(ctx, a.ID)
	must(t, err)
	if len(rs) != 3 || rs[0].Action != store.ReviewReturn || rs[2].Level != "town" || rs[1].Comment != "1" {
		t.Fatalf("reviews = %+v", rs)
	}
	wantErr(t, s.AddReview(ctx, &store.Review{ApplicationID: "missing", Level: "village", Action: store.ReviewApprove, Reviewer: "r"}), store.ErrNotFound)
	wantErr(t, s.AddReview(ctx, &store.Review{ApplicationID: a.ID, Level: "village", Action: "maybe", Reviewer: "r"}), store.ErrInvalid)
}

func testDecisions(t *testing.T, s store.Store) {
	ctx := t.Context()
	input := json.RawMessage(`{"z": 1,  "a": [true, null], "name": "张三"}`) // kept byte for byte
	for i := range 5 {
		d := &store.Decision{ID: fmt.Sprintf("dec-%d", i), ApplicationID: []string{"app-1", "app-2"}[i%2], Item: "elderly_allowance",
			Path: "sanmian/eligibility/decision", Revision: "rev-1", InputDigest: "sha256:x", Input: input,
			Result: json.RawMessage(`{"eligible":true}`), RequestedBy: "counter-1"}
		must(t, s.InsertDecision(ctx, d))
	}
	got, err := s.GetDecision(ctx, "dec-3")
	must(t, err)
	if !bytes.Equal(got.Input, input) || got.ApplicationID != "app-2" || got.Revision != "rev-1" || got.At.IsZero() {
		t.Fatalf("decision = %+v (input %s)", got, got.Input)
	}
	wantErr(t, s.InsertDecision(ctx, &store.Decision{ID: "dec-3"}), store.ErrConflict)
	_, err = s.GetDecision(ctx, "dec-9")
	wantErr(t, err, store.ErrNotFound)
	var ids []string
	p := store.Page{Limit: 2}
	for {
		page, next, err := s.ListDecisions(ctx, store.DecisionFilter{}, p)
		must(t, err)
		for _, d := range page {
			ids = append(ids, d.ID)
		}
		if next == "" {
			break
		}
		p.After = next
	}
	if !slices.Equal(ids, []string{"dec-4", "dec-3", "dec-2", "dec-1", "dec-0"}) {
		t.Fatalf("decisions newest first = %v", ids)
	}
	page, _, err := s.ListDecisions(ctx, store.DecisionFilter{ApplicationID: "app-1"}, store.Page{})
	must(t, err)
	if len(page) != 3 {
		t.Fatalf("decisions of app-1 = %d, want 3", len(page))
	}
}

// testDecisionFilters: the decision list filters by revision, outcome (derived from the
// result), time and the village of the decision's application; filters combine.
func testDecisionFilters(t *testing.T, s store.Store) {
	ctx := t.Context()
	a1 := newApp("370114001201", "senior_card", store.StatusApproved)
	a2 := newApp("370114002201", "senior_card", store.StatusRejected)
	must(t, s.CreateApplication(ctx, a1))
	must(t, s.CreateApplication(ctx, a2))
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i, d := range []struct {
		app, rev, result string
	}{
		{a1.ID, "rev-a", `{"eligible":true}`},
		{a2.ID, "rev-a", `{"eligible":false,"reasons":[]}`},
		{a2.ID, "rev-b", `{"eligible":null}`},
		{"", "rev-b", `{"reasons":[]}`},
	} {
		must(t, s.InsertDecision(ctx, &store.Decision{ID: fmt.Sprintf("flt-%d", i), ApplicationID: d.app, Item: "senior_card",
			Path: "sanmian/eligibility/decision", Revision: d.rev, Result: json.RawMessage(d.result), At: base.Add(time.Duration(i) * 24 * time.Hour)}))
	}
	ids := func(f store.DecisionFilter) []string {
		f.Item = "senior_card"
		page, _, err := s.ListDecisions(ctx, f, store.Page{Limit: 100})
		must(t, err)
		var out []string
		for _, d := range page {
			out = append(out, d.ID+":"+d.Outcome)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		f    store.DecisionFilter
		want []string
	}{
		{"all", store.DecisionFilter{}, []string{"flt-3:undetermined", "flt-2:undetermined", "flt-1:ineligible", "flt-0:eligible"}},
		{"revision", store.DecisionFilter{Revision: "rev-a"}, []string{"flt-1:ineligible", "flt-0:eligible"}},
		{"outcome", store.DecisionFilter{Outcome: store.OutcomeUndetermined}, []string{"flt-3:undetermined", "flt-2:undetermined"}},
		{"town_prefix", store.DecisionFilter{DivisionPrefix: "370114002"}, []string{"flt-2:undetermined", "flt-1:ineligible"}},
		{"villages", store.DecisionFilter{Villages: []string{"370114001201"}}, []string{"flt-0:eligible"}},
		{"from_to", store.DecisionFilter{From: base.Add(24 * time.Hour), To: base.Add(3 * 24 * time.Hour)}, []string{"flt-2:undetermined", "flt-1:ineligible"}},
		{"combined", store.DecisionFilter{Revision: "rev-b", DivisionPrefix: "370114"}, []string{"flt-2:undetermined"}},
	} {
		if got := ids(tc.f); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func permitFor(app string) *store.Permit {
	return &store.Permit{ID: store.NewID(), ApplicationID: app, Token: "eyJ.x.y", KID: "370114001000-1", Item: "elderly_allowance",
		Issuer: "370114001000", ExpiresAt: time.Now().Add(365 * 24 * time.Hour)}
}

func testPermits(t *testing.T, s store.Store) {
	ctx := t.Context()
	var apps []*store.Application
	for range 3 {
		a := newApp("370114001201", "elderly_allowance", store.StatusApproved)
		must(t, s.CreateApplication(ctx, a))
		apps = append(apps, a)
	}
	p := permitFor(apps[0].ID)
	must(t, s.InsertPermit(ctx, p))
	if p.StatusListIndex <= 0 || p.Status != store.PermitActive {
		t.Fatalf("permit = %+v", p)
	}
	wantErr(t, s.InsertPermit(ctx, permitFor(apps[0].ID)), store.ErrDuplicatePermit)
	wantErr(t, s.InsertPermit(ctx, permitFor("no-such-application")), store.ErrNotFound)

	idx, err := s.AllocateStatusIndex(ctx) // allocated before signing
	must(t, err)
	p2 := permitFor(apps[1].ID)
	p2.StatusListIndex = idx
	must(t, s.InsertPermit(ctx, p2))
	p3 := permitFor(apps[2].ID)
	p3.StatusListIndex = idx // an index is never shared
	if err := s.InsertPermit(ctx, p3); err == nil || errors.Is(err, store.ErrDuplicatePermit) {
		t.Fatalf("reused status index: %v", err)
	}
	must(t, s.InsertPermit(ctx, permitFor(apps[2].ID)))

	got, err := s.GetPermit(ctx, p.ID)
	must(t, err)
	if got.ApplicationID != apps[0].ID || !got.ExpiresAt.Equal(store.NormTime(p.ExpiresAt)) || !got.IssuedAt.Equal(p.IssuedAt) ||
		!got.RevokedAt.IsZero() || got.StatusListIndex != p.StatusListIndex {
		t.Fatalf("permit = %+v, want %+v", got, p)
	}
	byApp, err := s.GetPermitByApplication(ctx, apps[1].ID)
	must(t, err)
	if byApp.ID != p2.ID {
		t.Fatalf("by application = %s, want %s", byApp.ID, p2.ID)
	}
	must(t, s.RevokePermit(ctx, p.ID, "fraud"))
	wantErr(t, s.RevokePermit(ctx, p.ID, "again"), store.ErrPermitRevoked)
	wantErr(t, s.RevokePermit(ctx, "missing", "x"), store.ErrNotFound)
	got, _ = s.GetPermit(ctx, p.ID)
	if got.Status != store.PermitRevoked || got.RevokedAt.IsZero() || got.RevocationReason != "fraud" {
		t.Fatalf("revoked permit = %+v", got)
	}
	revoked, max, err := s.RevokedStatusIndexes(ctx)
	must(t, err)
	if !slices.Equal(revoked, []int64{p.StatusListIndex}) || max < idx+1 {
		t.Fatalf("revoked = %v max = %d", revoked, max)
	}
}

func testPermitRace(t *testing.T, s store.Store) { permitRace(t, []store.Store{s, s, s, s, s, s}) }

// permitRace issues the final approval of one application concurrently through each store;
// exactly one permit may result.
func permitRace(t *testing.T, ss []store.Store) {
	ctx := t.Context()
	for round := range 3 {
		a := newApp("370114001201", "elderly_allowance", store.StatusInReview)
		must(t, ss[0].CreateApplication(ctx, a))
		start := make(chan struct{})
		errs := make([]error, len(ss))
		var wg sync.WaitGroup
		for i, s := range ss {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[i] = s.Tx(ctx, func(tx store.Txn) error {
					if err := tx.InsertPermit(ctx, permitFor(a.ID)); err != nil {
						return err
					}
					return tx.AppendAudit(ctx, &store.AuditEntry{ActorSub: "rev", ActorRole: "reviewer", Action: store.AuditPermit, ApplicationID: a.ID})
				})
			}()
		}
		close(start)
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, store.ErrDuplicatePermit):
				t.Fatalf("round %d: unexpected error %v", round, err)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d permits issued, want exactly 1 (errors %v)", round, ok, errs)
		}
	}
	rep, err := ss[0].VerifyAudit(ctx, nil)
	must(t, err)
	if rep.Entries != 3 {
		t.Fatalf("audit entries = %d, want 3 (one per issued permit)", rep.Entries)
	}
}

// Callers of the idempotency tests: otherIssuerApp has deptApp's subject under another
// issuer, so it is another caller.
var (
	deptApp        = store.Caller{Issuer: "dept-issuer", Subject: "dept-app"}
	otherApp       = store.Caller{Issuer: "dept-issuer", Subject: "other-app"}
	otherIssuerApp = store.Caller{Issuer: "other-issuer", Subject: "dept-app"}
)

func testIdempotency(t *testing.T, s store.Store) {
	ctx := t.Context()
	rec, err := s.ReserveIdempotency(ctx, deptApp, "k1", "h1")
	must(t, err)
	if rec != nil {
		t.Fatalf("fresh key returned %+v", rec)
	}
	must(t, s.CompleteIdempotency(ctx, deptApp, "k1", 201, []byte(`{"id":"a1"}`)))
	rec, err = s.ReserveIdempotency(ctx, deptApp, "k1", "h1")
	must(t, err)
	if rec == nil || rec.Status != 201 || string(rec.Body) != `{"id":"a1"}` || !rec.Completed {
		t.Fatalf("replay = %+v", rec)
	}
	_, err = s.ReserveIdempotency(ctx, deptApp, "k1", "h2")
	wantErr(t, err, store.ErrIdempotencyMismatch)
	// Keys are per caller.
	rec, err = s.ReserveIdempotency(ctx, otherApp, "k1", "h2")
	must(t, err)
	if rec != nil {
		t.Fatalf("other caller's key returned %+v", rec)
	}
	// A reservation committed without a response is reported, not replayed.
	_, err = s.ReserveIdempotency(ctx, otherApp, "k1", "h2")
	wantErr(t, err, store.ErrIdempotencyIncomplete)
	// A reservation rolled back with its transaction leaves the key free.
	boom := errors.New("boom")
	err = s.Tx(ctx, func(tx store.Txn) error {
		if _, err := tx.ReserveIdempotency(ctx, deptApp, "k2", "h"); err != nil {
			return err
		}
		return boom
	})
	wantErr(t, err, boom)
	_, err = s.GetIdempotency(ctx, deptApp, "k2")
	wantErr(t, err, store.ErrNotFound)
	wantErr(t, s.CompleteIdempotency(ctx, deptApp, "never", 200, nil), store.ErrConflict)
	// Retention: records older than the cutoff go.
	n, err := s.PurgeIdempotency(ctx, time.Now().Add(-time.Hour))
	must(t, err)
	if n != 0 {
		t.Fatalf("purged %d fresh records", n)
	}
	n, err = s.PurgeIdempotency(ctx, time.Now().Add(time.Second))
	must(t, err)
	if n != 2 {
		t.Fatalf("purged %d records, want 2", n)
	}
	_, err = s.GetIdempotency(ctx, deptApp, "k1")
	wantErr(t, err, store.ErrNotFound)
}

func testIdempotencyIssuer(t *testing.T, s store.Store) {
	ctx := t.Context()
	rec, err := s.ReserveIdempotency(ctx, deptApp, "k1", "h1")
	must(t, err)
	if rec != nil {
		t.Fatalf("fresh key returned %+v", rec)
	}
	must(t, s.CompleteIdempotency(ctx, deptApp, "k1", 201, []byte(`{"id":"a1"}`)))
	// The same subject under another issuer is another caller: its key is fresh, with any
	// request, and completing it leaves the first caller's record alone.
	rec, err = s.ReserveIdempotency(ctx, otherIssuerApp, "k1", "h1")
	must(t, err)
	if rec != nil {
		t.Fatalf("another issuer's caller replayed %+v", rec)
	}
	must(t, s.CompleteIdempotency(ctx, otherIssuerApp, "k1", 201, []byte(`{"id":"b1"}`)))
	for _, tc := range []struct {
		caller store.Caller
		body   string
	}{{deptApp, `{"id":"a1"}`}, {otherIssuerApp, `{"id":"b1"}`}} {
		got, err := s.GetIdempotency(ctx, tc.caller, "k1")
		must(t, err)
		if string(got.Body) != tc.body || got.Caller != tc.caller {
			t.Fatalf("record of %+v = %+v, want body %s", tc.caller, got, tc.body)
		}
	}
	_, err = s.GetIdempotency(ctx, store.Caller{Issuer: "third-issuer", Subject: "dept-app"}, "k1")
	wantErr(t, err, store.ErrNotFound)
	_, err = s.ReserveIdempotency(ctx, store.Caller{Subject: "dept-app"}, "k1", "h1")
	wantErr(t, err, store.ErrInvalid)
}

func testIdempotencyRace(t *testing.T, s store.Store) {
	ctx := t.Context()
	const n = 8
	start := make(chan struct{})
	bodies := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = s.Tx(ctx, func(tx store.Txn) error {
				rec, err := tx.ReserveIdempotency(ctx, deptApp, "same-key", "h")
				if err != nil {
					return err
				}
				if rec != nil {
					bodies[i] = string(rec.Body)
					return nil
				}
				a := newApp("370114001201", "elderly_allowance", store.StatusDraft)
				if err := tx.CreateApplication(ctx, a); err != nil {
					return err
				}
				bodies[i] = a.ID
				return tx.CompleteIdempotency(ctx, deptApp, "same-key", 201, []byte(a.ID))
			})
		}()
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("request %d: %v", i, errs[i])
		}
		if bodies[i] != bodies[0] || bodies[i] == "" {
			t.Fatalf("responses differ: %v", bodies)
		}
	}
	apps, _, err := s.ListApplications(ctx, store.ApplicationFilter{}, store.Page{})
	must(t, err)
	if len(apps) != 1 {
		t.Fatalf("%d applications created, want 1", len(apps))
	}
}

// heldApp is an application of newApp holding (item, the digest of its applicant).
func heldApp(s store.Store, item string, status store.ApplicationStatus) *store.Application {
	a := newApp("370114001201", item, status)
	a.SubjectKey = s.SubjectDigest(a.ApplicantID)
	return a
}

// wantHeld checks err is a *HeldError naming holder.
func wantHeld(t testing.TB, err error, holder *store.Application, permitID string) {
	t.Helper()
	var h *store.HeldError
	if !errors.As(err, &h) || !errors.Is(err, store.ErrSubjectHeld) {
		t.Fatalf("error = %v, want a *HeldError", err)
	}
	if h.ApplicationID != holder.ID || h.Item != holder.Item || h.PermitID != permitID {
		t.Fatalf("held by %+v, want application %s permit %q", h, holder.ID, permitID)
	}
}

func testSubjectHold(t *testing.T, s store.Store) {
	ctx := t.Context()
	key := s.SubjectDigest("37011419400101123X")
	first := heldApp(s, "elderly_allowance", store.StatusDraft)
	must(t, s.CreateApplication(ctx, first))
	if first.SubjectKey != key {
		t.Fatalf("subject key = %q, want the digest", first.SubjectKey)
	}
	got, err := s.GetHoldingApplication(ctx, "elderly_allowance", key)
	must(t, err)
	if got.ID != first.ID || got.SubjectKey != key {
		t.Fatalf("holder = %+v, want %s", got, first.ID)
	}

	// An open application (draft, then in review, then returned) holds the subject.
	for _, st := range []store.ApplicationStatus{store.StatusDraft, store.StatusInReview, store.StatusReturned} {
		if st != first.Status {
			first.Status = st
			must(t, s.UpdateApplication(ctx, first, first.Version))
		}
		second := heldApp(s, "elderly_allowance", store.StatusDraft)
		wantHeld(t, s.CreateApplication(ctx, second), first, "")
		_, err := s.GetApplication(ctx, second.ID)
		wantErr(t, err, store.ErrNotFound)
	}
	// Inside a transaction the refusal leaves the transaction usable.
	must(t, s.Tx(ctx, func(tx store.Txn) error {
		wantHeld(t, tx.CreateApplication(ctx, heldApp(s, "elderly_allowance", store.StatusDraft)), first, "")
		return tx.AppendAudit(ctx, &store.AuditEntry{ActorSub: "counter-1", ActorRole: "counter", Action: store.AuditRefusal})
	}))
	// Another item, another subject, or no subject key (a repeatable item) is not held.
	must(t, s.CreateApplication(ctx, heldApp(s, "senior_card", store.StatusDraft)))
	other := newApp("370114001201", "elderly_allowance", store.StatusDraft)
	other.ApplicantID = "370114194001011236"
	other.SubjectKey = s.SubjectDigest(other.ApplicantID)
	must(t, s.CreateApplication(ctx, other))
	for range 2 {
		must(t, s.CreateApplication(ctx, newApp("370114001201", "temporary_assistance", store.StatusDraft)))
	}

	// Rejection frees the subject.
	first.Status = store.StatusRejected
	must(t, s.UpdateApplication(ctx, first, first.Version))
	if first.SubjectKey != "" {
		t.Fatalf("rejected application still holds %q", first.SubjectKey)
	}
	got, err = s.GetApplication(ctx, first.ID)
	must(t, err)
	if got.SubjectKey != "" || got.Status != store.StatusRejected {
		t.Fatalf("rejected application = %+v", got)
	}
	_, err = s.GetHoldingApplication(ctx, "elderly_allowance", key)
	wantErr(t, err, store.ErrNotFound)

	// An approved application with an active permit holds it; revoking the permit frees it.
	approved := heldApp(s, "elderly_allowance", store.StatusApproved)
	must(t, s.CreateApplication(ctx, approved))
	p := permitFor(approved.ID)
	must(t, s.InsertPermit(ctx, p))
	approved.PermitID = p.ID
	must(t, s.UpdateApplication(ctx, approved, approved.Version))
	wantHeld(t, s.CreateApplication(ctx, heldApp(s, "elderly_allowance", store.StatusDraft)), approved, p.ID)
	must(t, s.RevokePermit(ctx, p.ID, "moved away"))
	got, err = s.GetApplication(ctx, approved.ID)
	must(t, err)
	if got.SubjectKey != "" || got.Status != store.StatusApproved {
		t.Fatalf("application of a revoked permit = %+v", got)
	}
	again := heldApp(s, "elderly_allowance", store.StatusDraft)
	must(t, s.CreateApplication(ctx, again))
	wantHeld(t, s.CreateApplication(ctx, heldApp(s, "elderly_allowance", store.StatusDraft)), again, "")
}

func testSubjectHoldRace(t *testing.T, s store.Store) {
	subjectHoldRace(t, []store.Store{s, s, s, s, s, s, s, s})
}

// subjectHoldRace creates an application for one (item, subject) concurrently through each
// store, each in a transaction that also appends an audit entry (as the hub does); exactly
// one may be created and the others are refused naming it.
func subjectHoldRace(t *testing.T, ss []store.Store) {
	ctx := t.Context()
	for round, item := range []string{"elderly_allowance", "senior_card", "minimum_living_allowance"} {
		start := make(chan struct{})
		errs := make([]error, len(ss))
		apps := make([]*store.Application, len(ss))
		var wg sync.WaitGroup
		for i, s := range ss {
			apps[i] = heldApp(s, item, store.StatusDraft)
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[i] = s.Tx(ctx, func(tx store.Txn) error {
					if err := tx.CreateApplication(ctx, apps[i]); err != nil {
						return err
					}
					return tx.AppendAudit(ctx, &store.AuditEntry{ActorSub: "counter", ActorRole: "counter", Action: store.AuditDecision,
						ApplicationID: apps[i].ID})
				})
			}()
		}
		close(start)
		wg.Wait()
		var winner *store.Application
		for i, err := range errs {
			if err == nil {
				if winner != nil {
					t.Fatalf("round %d: two applications created (%s, %s)", round, winner.ID, apps[i].ID)
				}
				winner = apps[i]
			}
		}
		if winner == nil {
			t.Fatalf("round %d: no application created: %v", round, errs)
		}
		for _, err := range errs {
			if err != nil {
				wantHeld(t, err, winner, "")
			}
		}
		list, _, err := ss[0].ListApplications(ctx, store.ApplicationFilter{Item: item}, store.Page{})
		must(t, err)
		if len(list) != 1 || list[0].ID != winner.ID {
			t.Fatalf("round %d: stored %d applications, want only %s", round, len(list), winner.ID)
		}
	}
}

func testTxRollback(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, s.AppendAudit(ctx, &store.AuditEntry{ActorSub: "a", Action: store.AuditLookup}))
	boom := errors.New("boom")
	var id string
	err := s.Tx(ctx, func(tx store.Txn) error {
		a := newApp("370114001201", "elderly_allowance", store.StatusDraft)
		if err := tx.CreateApplication(ctx, a); err != nil {
			return err
		}
		id = a.ID
		if _, err := tx.GetApplication(ctx, a.ID); err != nil { // reads see the tx's writes
			return err
		}
		if err := tx.AppendAudit(ctx, &store.AuditEntry{ActorSub: "a", Action: store.AuditDecision, ApplicationID: a.ID}); err != nil {
			return err
		}
		return boom
	})
	wantErr(t, err, boom)
	_, err = s.GetApplication(ctx, id)
	wantErr(t, err, store.ErrNotFound)
	must(t, s.AppendAudit(ctx, &store.AuditEntry{ActorSub: "a", Action: store.AuditLookup}))
	rep, err := s.VerifyAudit(ctx, nil)
	must(t, err)
	if rep.Entries != 2 || rep.HeadSeq != 2 {
		t.Fatalf("report = %+v, want 2 entries", rep)
	}
}

func auditEntry(i int) *store.AuditEntry {
	return &store.AuditEntry{ActorSub: fmt.Sprintf("counter-%d", i%3), ActorRole: "counter", Action: store.AuditLookup,
		Subject: "370114********123X", Item: "elderly_allowance", Purpose: "application", ApplicationID: fmt.Sprintf("app-%d", i),
		Details: json.RawMessage(fmt.Sprintf(`{"n": %d, "platforms": ["province", "city"]}`, i))}
}

func keys(t testing.TB) (ed25519.PrivateKey, map[string]crypto.PublicKey) {
	pub, priv, err := ed25519.GenerateKey(nil)
	must(t, err)
	return priv, map[string]crypto.PublicKey{"audit-1": pub}
}

func testAuditChain(t *testing.T, s store.Store) {
	ctx := t.Context()
	priv, pub := keys(t)
	rep, err := s.VerifyAudit(ctx, pub)
	must(t, err)
	if !rep.Intact || rep.Entries != 0 || rep.HeadHash != store.GenesisHash {
		t.Fatalf("empty chain report = %+v", rep)
	}
	wantErr(t, s.AppendAudit(ctx, &store.AuditEntry{ActorSub: "a", Action: store.AuditLookup, Subject: "37011419400101123X"}), store.ErrInvalid)
	var last *store.AuditEntry
	for i := range 10 {
		e := auditEntry(i)
		must(t, s.AppendAudit(ctx, e))
		if e.Seq != int64(i+1) || e.Hash != store.EntryHash(*e) || (last != nil && e.PrevHash != last.Hash) {
			t.Fatalf("entry %d = %+v", i, e)
		}
		last = e
		if i == 4 {
			_, err := s.Checkpoint(ctx, priv, "audit-1")
			must(t, err)
		}
	}
	cp, err := s.Checkpoint(ctx, priv, "audit-1")
	must(t, err)
	if cp.Seq != 10 || cp.HeadHash != last.Hash {
		t.Fatalf("checkpoint = %+v", cp)
	}
	latest, err := s.LatestCheckpoint(ctx)
	must(t, err)
	if latest.Seq != 10 || !bytes.Equal(latest.Signature, cp.Signature) || !latest.At.Equal(cp.At) {
		t.Fatalf("latest checkpoint = %+v", latest)
	}
	entries, err := s.ListAudit(ctx, 3, 4)
	must(t, err)
	if len(entries) != 4 || entries[0].Seq != 4 || string(entries[0].Details) != `{"n": 3, "platforms": ["province", "city"]}` {
		t.Fatalf("entries = %+v", entries)
	}
	rep, err = s.VerifyAudit(ctx, pub)
	must(t, err)
	if !rep.Intact || rep.Entries != 10 || rep.Checkpoints != 2 || rep.HeadHash != last.Hash {
		t.Fatalf("report = %+v", rep)
	}
	_, otherPub := keys(t)
	rep, err = s.VerifyAudit(ctx, otherPub)
	wantErr(t, err, store.ErrAuditTampered)
	if rep.Intact {
		t.Fatalf("checkpoint signed by another key verified: %+v", rep)
	}
}

func testAuditTamper(t *testing.T, s store.Store) {
	// Each case tampers a fresh 8-entry chain with raw SQL; VerifyAudit must name the seq.
	// The cases share one store: each starts by restoring the rows it saved.
	ctx := t.Context()
	raw, ok := s.(rawDB)
	if !ok {
		t.Fatalf("%T does not expose SQLDB() for tamper tests", s)
	}
	db := raw.SQLDB()
	priv, pub := keys(t)
	for i := range 8 {
		must(t, s.AppendAudit(ctx, auditEntry(i)))
	}
	_, err := s.Checkpoint(ctx, priv, "audit-1")
	must(t, err)
	exec := func(t *testing.T, stmts ...string) {
		t.Helper()
		for _, q := range stmts {
			if _, err := db.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	const backup = `CREATE TABLE audit_backup AS SELECT * FROM audit_entries`
	const restore1, restore2, drop = `DELETE FROM audit_entries`, `INSERT INTO audit_entries SELECT * FROM audit_backup`, `DROP TABLE audit_backup`
	for _, tc := range []struct {
		name    string
		tamper  []string
		wantSeq int64
	}{
		{"edited_purpose", []string{`UPDATE audit_entries SET purpose = 'curiosity' WHERE seq = 4`}, 4},
		{"edited_details", []string{`UPDATE audit_entries SET details = '{"n": 99}' WHERE seq = 6`}, 6},
		{"edited_and_rehashed", []string{`UPDATE audit_entries SET actor_sub = 'x', hash = 'aa' WHERE seq = 2`}, 2},
		{"deleted_entry", []string{`DELETE FROM audit_entries WHERE seq = 5`}, 5},
		{"deleted_last_entry", []string{`DELETE FROM audit_entries WHERE seq = 8`}, 8},
		{"swapped_entries", []string{
			`UPDATE audit_entries SET seq = -seq WHERE seq IN (3, 4)`,
			`UPDATE audit_entries SET seq = CASE seq WHEN -3 THEN 4 ELSE 3 END WHERE seq IN (-3, -4)`,
		}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exec(t, backup)
			defer exec(t, restore1, restore2, drop)
			exec(t, tc.tamper...)
			rep, err := s.VerifyAudit(ctx, pub)
			wantErr(t, err, store.ErrAuditTampered)
			if rep.Intact || rep.FirstBadSeq != tc.wantSeq {
				t.Fatalf("report = %+v, want first bad seq %d", rep, tc.wantSeq)
			}
		})
	}
	t.Run("bad_checkpoint_signature", func(t *testing.T) {
		exec(t, `UPDATE audit_checkpoints SET kid = 'audit-1', head_hash = 'ff'`)
		rep, err := s.VerifyAudit(ctx, pub)
		wantErr(t, err, store.ErrAuditTampered)
		if rep.Intact {
			t.Fatalf("report = %+v", rep)
		}
	})
}

func testAuditConcurrent(t *testing.T, s store.Store) { auditRace(t, []store.Store{s}, 16, 10) }

// auditRace appends workers×each entries concurrently, spread over the stores.
func auditRace(t *testing.T, ss []store.Store, workers, each int) {
	ctx := t.Context()
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := ss[w%len(ss)]
			for i := range each {
				if err := s.AppendAudit(ctx, auditEntry(w*each+i)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	rep, err := ss[0].VerifyAudit(ctx, nil)
	must(t, err)
	if !rep.Intact || rep.Entries != int64(workers*each) {
		t.Fatalf("report = %+v, want %d entries intact", rep, workers*each)
	}
}

func testDataUse(t *testing.T, s store.Store) {
	ctx := t.Context()
	const id = "37011419400101123x" // lower-case check character normalises
	for i := range 5 {
		must(t, s.RecordDataUse(ctx, &store.DataUse{IDNumber: id, Sub: "counter-1", Role: "counter", Org: "370114001201",
			Item: "elderly_allowance", Purpose: fmt.Sprint("p", i), ApplicationID: "app-1"}))
	}
	must(t, s.RecordDataUse(ctx, &store.DataUse{IDNumber: "370114194001011234", Sub: "counter-2", Purpose: "other"}))
	var got []string
	p := store.Page{Limit: 2}
	for {
		page, next, err := s.ListDataUse(ctx, "37011419400101123X", p)
		must(t, err)
		for _, u := range page {
			if u.IDNumber != "" || u.SubjectDigest != s.SubjectDigest(id) || u.At.IsZero() {
				t.Fatalf("record = %+v", u)
			}
			got = append(got, u.Purpose)
		}
		if next == "" {
			break
		}
		p.After = next
	}
	if !slices.Equal(got, []string{"p4", "p3", "p2", "p1", "p0"}) {
		t.Fatalf("records newest first = %v", got)
	}
	if raw, ok := s.(rawDB); ok {
		var n int
		must(t, raw.SQLDB().QueryRowContext(ctx, `SELECT COUNT(*) FROM data_use WHERE subject_digest LIKE '%19400101%'`).Scan(&n))
		if n != 0 {
			t.Fatalf("raw ID number stored in data_use")
		}
	}
	wantErr(t, s.RecordDataUse(ctx, &store.DataUse{Sub: "x"}), store.ErrInvalid)
}

func testOfficeKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	k := &store.OfficeKey{KID: "370114001000-2026-1", Office: "370114001000", Algorithm: "EdDSA", PublicKey: []byte{1, 2, 3},
		EncryptedPrivateKey: []byte("sealed"), NotAfter: time.Now().Add(time.Hour)}
	must(t, s.PutOfficeKey(ctx, k))
	wantErr(t, s.PutOfficeKey(ctx, &store.OfficeKey{KID: k.KID, PublicKey: []byte{1}}), store.ErrConflict)
	must(t, s.PutOfficeKey(ctx, &store.OfficeKey{KID: "370114002000-2026-1", Office: "370114002000", Algorithm: "EdDSA", PublicKey: []byte{4}}))
	got, err := s.GetOfficeKey(ctx, k.KID)
	must(t, err)
	if got.Status != store.KeyActive || !bytes.Equal(got.EncryptedPrivateKey, []byte("sealed")) || !got.NotAfter.Equal(store.NormTime(k.NotAfter)) || !got.CreatedAt.Equal(k.CreatedAt) {
		t.Fatalf("key = %+v, want %+v", got, k)
	}
	must(t, s.SetOfficeKeyStatus(ctx, k.KID, store.KeyRetired, k.CreatedAt.Add(24*time.Hour)))
	wantErr(t, s.SetOfficeKeyStatus(ctx, "missing", store.KeyRetired, time.Time{}), store.ErrNotFound)
	wantErr(t, s.SetOfficeKeyStatus(ctx, k.KID, "lost", time.Time{}), store.ErrInvalid)
	ks, err := s.ListOfficeKeys(ctx, "370114001000")
	must(t, err)
	if len(ks) != 1 || ks[0].Status != store.KeyRetired || !ks[0].NotAfter.Equal(k.CreatedAt.Add(24*time.Hour)) {
		t.Fatalf("keys = %+v", ks)
	}
	all, err := s.ListOfficeKeys(ctx, "")
	must(t, err)
	if len(all) != 2 {
		t.Fatalf("all keys = %d, want 2", len(all))
	}
	_, err = s.GetOfficeKey(ctx, "missing")
	wantErr(t, err, store.ErrNotFound)
}

// testAuditLockSpan holds a transaction that appended an audit entry open while another
// transaction appends and commits: the chain-head lock belongs to the commit, not to the
// transaction's whole span. (SQLite has one writer connection: its transactions queue
// anyway.)
func testAuditLockSpan(t *testing.T, s store.Store) {
	if s.Backend() == "sqlite" {
		t.Skip("one writer connection: transactions run one after another")
	}
	ctx := t.Context()
	appended, release := make(chan struct{}), make(chan struct{})
	first := auditEntry(1)
	done := make(chan error, 1)
	go func() {
		done <- s.Tx(ctx, func(tx store.Txn) error {
			if err := tx.AppendAudit(ctx, first); err != nil {
				return err
			}
			close(appended)
			<-release // slow work after the append (sealing, evidence)
			return nil
		})
	}()
	<-appended
	second := auditEntry(2)
	actx, cancel := context.WithTimeout(ctx, 10*time.Second)
	err := s.AppendAudit(actx, second)
	cancel()
	close(release)
	if err != nil {
		<-done
		t.Fatalf("append while another transaction with a queued entry is open: %v", err)
	}
	must(t, <-done)
	if second.Seq != 1 || first.Seq != 2 || first.PrevHash != second.Hash {
		t.Fatalf("seq: second committed %d, first %d; want 1 then 2, chained", second.Seq, first.Seq)
	}
	rep, err := s.VerifyAudit(ctx, nil)
	must(t, err)
	if !rep.Intact || rep.Entries != 2 {
		t.Fatalf("report = %+v", rep)
	}
}

func officeKey(kid, office string) *store.OfficeKey {
	return &store.OfficeKey{KID: kid, Office: office, Algorithm: "EdDSA", PublicKey: []byte(kid), EncryptedPrivateKey: []byte("sealed")}
}

func testOfficeKeyOneActive(t *testing.T, s store.Store) {
	ctx := t.Context()
	const office = "370114001000"
	must(t, s.PutOfficeKey(ctx, officeKey(office+"-2026-1", office)))
	wantErr(t, s.PutOfficeKey(ctx, officeKey(office+"-2026-2", office)), store.ErrActiveKeyExists)
	dup := officeKey(office+"-2026-1", office)
	dup.Status = store.KeyRetired
	wantErr(t, s.PutOfficeKey(ctx, dup), store.ErrConflict)
	// Another office, and a retired key beside the active one, are fine.
	must(t, s.PutOfficeKey(ctx, officeKey("370114002000-2026-1", "370114002000")))
	retired := officeKey(office+"-2025-1", office)
	retired.Status, retired.NotAfter = store.KeyRetired, time.Now().Add(time.Hour)
	must(t, s.PutOfficeKey(ctx, retired))
	wantErr(t, s.SetOfficeKeyStatus(ctx, retired.KID, store.KeyActive, time.Time{}), store.ErrActiveKeyExists)

	got, err := s.EnsureActiveOfficeKey(ctx, officeKey(office+"-2026-3", office))
	must(t, err)
	if got.KID != office+"-2026-1" || got.Status != store.KeyActive {
		t.Fatalf("EnsureActiveOfficeKey with an active key = %+v, want the existing key", got)
	}
	_, err = s.EnsureActiveOfficeKey(ctx, officeKey(office+"-2026-1", "370114003000"))
	wantErr(t, err, store.ErrConflict)

	// Rotation in one transaction: retire the active key, then store the new one.
	must(t, s.Tx(ctx, func(tx store.Txn) error {
		if err := tx.SetOfficeKeyStatus(ctx, office+"-2026-1", store.KeyRetired, time.Now().Add(time.Hour)); err != nil {
			return err
		}
		return tx.PutOfficeKey(ctx, officeKey(office+"-2026-2", office))
	}))
	got, err = s.EnsureActiveOfficeKey(ctx, officeKey(office+"-2026-4", office))
	must(t, err)
	if got.KID != office+"-2026-2" {
		t.Fatalf("active key after rotation = %s", got.KID)
	}
	// An office without an active key gets the given one.
	fresh := officeKey("370114004000-2026-1", "370114004000")
	got, err = s.EnsureActiveOfficeKey(ctx, fresh)
	must(t, err)
	if got.KID != fresh.KID || got.CreatedAt.IsZero() || !bytes.Equal(got.PublicKey, fresh.PublicKey) {
		t.Fatalf("EnsureActiveOfficeKey on a new office = %+v", got)
	}
	if n := activeKeys(t, s, office); n != 1 {
		t.Fatalf("%d active keys, want 1", n)
	}
}

func activeKeys(t *testing.T, s store.Store, office string) int {
	t.Helper()
	ks, err := s.ListOfficeKeys(t.Context(), office)
	must(t, err)
	n := 0
	for _, k := range ks {
		if k.Status == store.KeyActive {
			n++
		}
	}
	return n
}

func testOfficeKeyEnsureRace(t *testing.T, s store.Store) { ensureKeyRace(t, []store.Store{s}) }

// ensureKeyRace has 16 callers ensure an office's first key at once, each with its own kid,
// spread over the stores: one key is stored and every caller gets it.
func ensureKeyRace(t *testing.T, ss []store.Store) {
	ctx := t.Context()
	for round := range 3 {
		office := fmt.Sprintf("37011400%d000", round+1)
		const callers = 16
		kids := make([]string, callers)
		errs := make([]error, callers)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range callers {
			wg.Go(func() {
				<-start
				var k store.OfficeKey
				k, errs[i] = ss[i%len(ss)].EnsureActiveOfficeKey(ctx, officeKey(fmt.Sprintf("%s-2026-%d", office, i+1), office))
				kids[i] = k.KID
			})
		}
		close(start)
		wg.Wait()
		for _, err := range errs {
			must(t, err)
		}
		if n := activeKeys(t, ss[0], office); n != 1 {
			t.Fatalf("round %d: %d active keys for one office, want 1", round, n)
		}
		for _, kid := range kids {
			if kid != kids[0] {
				t.Fatalf("round %d: callers got different keys: %v", round, kids)
			}
		}
	}
}

// testAuditQueueLeftovers leaves an entry in the audit queue as a process that committed and
// stopped before chaining would: the next append chains it first, and the next checkpoint
// chains whatever is left. (SQLite chains inside each transaction and has no queue to leave.)
func testAuditQueueLeftovers(t *testing.T, s store.Store) {
	raw, ok := s.(rawDB)
	if !ok || s.Backend() == "sqlite" {
		t.Skip("the backend chains audit entries inside the transaction")
	}
	ctx := t.Context()
	leave := func(actor string) {
		t.Helper()
		_, err := raw.SQLDB().ExecContext(ctx, `INSERT INTO audit_queue (at, actor_sub, actor_role, action, subject, item, purpose, application_id, details)
			VALUES ($1, $2, 'counter', 'lookup', '', 'elderly_allowance', 'application', 'app-1', '{"left": true}')`, store.Now(), actor)
		must(t, err)
	}
	leave("stopped-1")
	e := auditEntry(1)
	must(t, s.AppendAudit(ctx, e))
	if e.Seq != 2 {
		t.Fatalf("append after a leftover entry: seq %d, want 2", e.Seq)
	}
	leave("stopped-2")
	priv, pub := keys(t)
	cp, err := s.Checkpoint(ctx, priv, "audit-1")
	must(t, err)
	if cp.Seq != 3 {
		t.Fatalf("checkpoint at seq %d, want 3 (the leftover chained first)", cp.Seq)
	}
	entries, err := s.ListAudit(ctx, 0, 10)
	must(t, err)
	var actors []string
	for _, e := range entries {
		actors = append(actors, e.ActorSub)
	}
	if !slices.Equal(actors, []string{"stopped-1", e.ActorSub, "stopped-2"}) || string(entries[0].Details) != `{"left": true}` {
		t.Fatalf("chain = %v (first details %s)", actors, entries[0].Details)
	}
	rep, err := s.VerifyAudit(ctx, pub)
	must(t, err)
	if !rep.Intact || rep.Entries != 3 || rep.Checkpoints != 1 {
		t.Fatalf("report = %+v", rep)
	}
}
