package scan_test

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sanmian/connectors/sim"
	"sanmian/hub/division"
	"sanmian/hub/ident"
	"sanmian/hub/policy"
	"sanmian/hub/scan"
	"sanmian/hub/store"
	"sanmian/hub/store/sqlite"
	"sanmian/hub/store/storetest"
	hubsync "sanmian/hub/sync"
	"sanmian/hub/sync/synctest"
)

var cst = division.Zone

func day(s string) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, s, cst)
	if err != nil {
		panic(err)
	}
	return t.Add(12 * time.Hour)
}

var backends = []struct {
	name    string
	dialect string
	open    func(t testing.TB) store.Store
}{
	{"sqlite", "sqlite", func(t testing.TB) store.Store {
		st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "hub.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}},
	{"postgres", "postgresql", func(t testing.TB) store.Store { return storetest.OpenPostgres(t) }},
}

// onEachBackend runs fn as a subtest per backend, on a fresh store the feeds were synced into,
// with a runner of eng over it.
func onEachBackend(t *testing.T, feeds hubsync.Feeds, eng *policy.Engine, fn func(t *testing.T, dialect string, st store.Store, r *scan.Runner)) {
	t.Helper()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			st := be.open(t)
			if err := hubsync.All(t.Context(), feeds, st, nil); err != nil {
				t.Fatal(err)
			}
			fn(t, be.dialect, st, &scan.Runner{Engine: eng, Store: st})
		})
	}
}

func engine(t testing.TB) *policy.Engine {
	t.Helper()
	e, err := policy.New(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return e
}

const (
	turns80  = "370114194612060011" // born 1946-12-06: 80 on 2026-12-06
	deceased = "370114194001010013" // on the elderly allowance roll; the province records the death
	village  = "370114001201"
)

// seed writes two residents: one who turns 80 on 2026-12-06, and one enrolled in the elderly
// allowance whom the province knows to be deceased while the village roll does not.
func seed(t *testing.T, st store.Store) {
	t.Helper()
	rows := []store.Resident{
		{IDNumber: turns80, Name: "甲", Sex: "M", BirthDate: "1946-12-06", HukouType: "agricultural", Village: village, HouseholdID: "H1", Relation: "head"},
		{IDNumber: deceased, Name: "乙", Sex: "F", BirthDate: "1940-01-01", HukouType: "agricultural", Village: village, HouseholdID: "H2", Relation: "head", Enrolled: []string{"elderly_allowance"}},
	}
	if err := st.ApplySnapshot(t.Context(), store.FeedDistrictResidents, rows, "1"); err != nil {
		t.Fatal(err)
	}
	facts := []store.ProvinceFacts{
		{IDNumber: turns80, HukouType: "agricultural", HukouVillage: village},
		{IDNumber: deceased, HukouType: "agricultural", HukouVillage: village, Deceased: true, DeathDate: "2026-10-01"},
	}
	if err := st.ApplyProvinceFacts(t.Context(), store.FeedProvinceBackflow, facts, "1"); err != nil {
		t.Fatal(err)
	}
}

// TestScanFarmlandOncePerHousehold: the farmland subsidy, compiled to SQL with the household's
// roll the store derives, is granted once per household: a member of a household whose head is
// on the roll is no candidate, one of a household without is. An enrolment held on uncertain
// evidence (the province has no record of the spouse) is decided with the household, as the
// per-resident decision is: both members on the roll are one household double, and verification
// finds no difference.
func TestScanFarmlandOncePerHousehold(t *testing.T) {
	const item = "farmland_protection_subsidy"
	const (
		headOn, spouseOff = "370114196001010031", "370114196201010042" // H31: the head on the roll
		headOff, spouseC  = "370114196001010053", "370114196201010064" // H32: nobody on it
		headOn2, spouseU  = "370114196001010075", "370114196201010086" // H33: both, the spouse unknown to the province
	)
	eng := engine(t)
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			st := be.open(t)
			person := func(id, household, relation, sex string, enrolled ...string) store.Resident {
				return store.Resident{IDNumber: id, Name: "丙", Sex: sex, BirthDate: id[6:10] + "-01-01", HukouType: "agricultural",
					Village: village, HouseholdID: household, Relation: relation, LandMu: 2.5, Enrolled: enrolled}
			}
			rows := []store.Resident{
				person(headOn, "H31", "head", "M", item), person(spouseOff, "H31", "spouse", "F"),
				person(headOff, "H32", "head", "M"), person(spouseC, "H32", "spouse", "F"),
				person(headOn2, "H33", "head", "M", item), person(spouseU, "H33", "spouse", "F", item),
			}
			if err := st.ApplySnapshot(t.Context(), store.FeedDistrictResidents, rows, "1"); err != nil {
				t.Fatal(err)
			}
			var facts []store.ProvinceFacts
			for _, r := range rows {
				if r.IDNumber != spouseU {
					facts = append(facts, store.ProvinceFacts{IDNumber: r.IDNumber, HukouType: "agricultural", HukouVillage: village})
				}
			}
			rep := verifiedItemScan(t, st, eng, be.dialect, item, facts)
			ids, evaluated := candidates(rep, item)
			if evaluated != "sql" || !slices.Equal(ids, []string{ident.MaskIDNumber(headOff), ident.MaskIDNumber(spouseC)}) {
				t.Fatalf("candidates %v evaluated %q, want household H32's members in SQL", ids, evaluated)
			}
			res := rep.Items[0]
			if res.Doubles != 1 || len(res.AlertList) != 1 || res.AlertList[0].ID != ident.MaskIDNumber(headOn2) ||
				!slices.Equal(res.AlertList[0].Reasons, []string{scan.ReasonDoubleEnrolment}) {
				t.Fatalf("alerts %+v (doubles %d), want household H33's double on its head", res.AlertList, res.Doubles)
			}
		})
	}
}

// TestScanDilapidatedHouseHardshipMembers: dilapidated-house renovation, compiled to SQL with
// the number of household members in hardship the store derives, counts a living member on the
// 特困 roll or with a disability certificate valid on the scan date, and no other: a certificate
// that ended the day before or a member the province records as deceased makes no household
// one in hardship. An enrolment in a household without hardship is an alert with that reason,
// and verification finds no difference.
func TestScanDilapidatedHouseHardshipMembers(t *testing.T) {
	const item = "dilapidated_house_renovation"
	const (
		head41, tekun41    = "370114196001010411", "370114196201010422" // H41: the spouse on the 特困 roll
		head42, disabled42 = "370114196001010433", "370114196201010444" // H42: the spouse certified disabled
		head43, expired43  = "370114196001010455", "370114196201010466" // H43: the certificate ended 2026-12-05
		head44, dead44     = "370114196001010477", "370114196201010488" // H44: the 特困 spouse deceased (province)
		head45, spouse45   = "370114196001010499", "370114196201010400" // H45: the head on the roll, no hardship
	)
	eng := engine(t)
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			st := be.open(t)
			person := func(id, household, relation, sex string) store.Resident {
				return store.Resident{IDNumber: id, Name: "丁", Sex: sex, BirthDate: id[6:10] + "-01-01", HukouType: "agricultural",
					Village: village, HouseholdID: household, Relation: relation, HomesteadM2: 120, HouseGrade: "C"}
			}
			rows := []store.Resident{
				person(head41, "H41", "head", "M"), person(tekun41, "H41", "spouse", "F"),
				person(head42, "H42", "head", "M"), person(disabled42, "H42", "spouse", "F"),
				person(head43, "H43", "head", "M"), person(expired43, "H43", "spouse", "F"),
				person(head44, "H44", "head", "M"), person(dead44, "H44", "spouse", "F"),
				person(head45, "H45", "head", "M"), person(spouse45, "H45", "spouse", "F"),
			}
			rows[1].Tekun, rows[7].Tekun = true, true
			rows[8].Enrolled = []string{item}
			if err := st.ApplySnapshot(t.Context(), store.FeedDistrictResidents, rows, "1"); err != nil {
				t.Fatal(err)
			}
			var facts []store.ProvinceFacts
			for _, r := range rows {
				f := store.ProvinceFacts{IDNumber: r.IDNumber, HukouType: "agricultural", HukouVillage: village}
				switch r.IDNumber {
				case disabled42, expired43:
					f.DisabilityNumber, f.DisabilityCategory, f.DisabilityGrade, f.DisabilityStatus = r.IDNumber+"41", "physical", 2, "valid"
					f.DisabilityValidUntil = map[string]string{disabled42: "2026-12-06", expired43: "2026-12-05"}[r.IDNumber]
				case dead44:
					f.Deceased, f.DeathDate = true, "2026-10-01"
				}
				facts = append(facts, f)
			}
			rep := verifiedItemScan(t, st, eng, be.dialect, item, facts)
			ids, evaluated := candidates(rep, item)
			want := []string{ident.MaskIDNumber(head41), ident.MaskIDNumber(tekun41), ident.MaskIDNumber(head42), ident.MaskIDNumber(disabled42)}
			slices.Sort(ids)
			slices.Sort(want)
			if evaluated != "sql" || !slices.Equal(ids, want) {
				t.Fatalf("candidates %v evaluated %q, want the members of H41 and H42 in SQL", ids, evaluated)
			}
			res := rep.Items[0]
			if len(res.AlertList) != 1 || res.AlertList[0].ID != ident.MaskIDNumber(head45) ||
				!slices.Equal(res.AlertList[0].Reasons, []string{"not_hardship_household"}) {
				t.Fatalf("alerts %+v, want H45's head for not_hardship_household", res.AlertList)
			}
		})
	}
}

// verifiedItemScan syncs the province's facts into st and scans item on 2026-12-06, verified
// against per-resident decisions; any difference fails the test, naming it.
func verifiedItemScan(t *testing.T, st store.Store, eng *policy.Engine, dialect, item string, facts []store.ProvinceFacts) *scan.Report {
	t.Helper()
	if err := st.ApplyProvinceFacts(t.Context(), store.FeedProvinceBackflow, facts, "1"); err != nil {
		t.Fatal(err)
	}
	r := &scan.Runner{Engine: eng, Store: st}
	rep, err := r.Run(t.Context(), scan.Options{Item: item, At: day("2026-12-06"), Dialect: dialect, Verify: true})
	if err != nil {
		for _, d := range rep.Differences {
			t.Errorf("%s %s: scan %s, decision %s", d.Item, d.ID, d.Scan, d.Decision)
		}
		t.Fatal(err)
	}
	return rep
}

func candidates(rep *scan.Report, item string) (ids []string, evaluated string) {
	for _, it := range rep.Items {
		if it.Item == item {
			for _, e := range it.Worklist {
				ids = append(ids, e.ID)
			}
			return ids, it.Evaluated
		}
	}
	return nil, ""
}

// TestScanElderlyAllowanceBirthdayAndDeceasedAlert: a resident who turns 80 on the scan date
// is on the elderly allowance worklist that day and not the day before, compiled to SQL and
// evaluated per resident alike; a resident the province knows to be deceased, still on the
// roll, is an alert naming the rule, the evidence and the province as its source.
func TestScanElderlyAllowanceBirthdayAndDeceasedAlert(t *testing.T) {
	eng := engine(t)
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			st := be.open(t)
			seed(t, st)
			r := &scan.Runner{Engine: eng, Store: st}
			for _, tc := range []struct {
				name, dialect, at, evaluated string
				want                         int
			}{
				{"compiled_on_80th_birthday", be.dialect, "2026-12-06", "sql", 1},
				{"compiled_day_before", be.dialect, "2026-12-05", "sql", 0},
				{"per_resident_on_80th_birthday", "", "2026-12-06", "go: no SQL dialect", 1},
				{"per_resident_day_before", "", "2026-12-05", "go: no SQL dialect", 0},
			} {
				t.Run(tc.name, func(t *testing.T) {
					rep, err := r.Run(t.Context(), scan.Options{Item: "elderly_allowance", At: day(tc.at), Dialect: tc.dialect, Verify: true})
					if err != nil {
						t.Fatal(err)
					}
					ids, evaluated := candidates(rep, "elderly_allowance")
					if len(ids) != tc.want || evaluated != tc.evaluated {
						t.Fatalf("candidates %v evaluated %q, want %d via %q", ids, evaluated, tc.want, tc.evaluated)
					}
					if tc.want == 1 && ids[0] != "370114********0011" {
						t.Fatalf("candidate %q, want the masked ID of the resident turning 80", ids[0])
					}
					al := rep.Items[0].AlertList
					if len(al) != 1 || al[0].ID != "370114********0013" || al[0].Reasons[0] != "deceased" ||
						al[0].Evidence[0] != "applicant.deceased" || al[0].Sources[0] != "province" || al[0].Rule == "" {
						t.Fatalf("alerts %+v, want one for the deceased resident from the province", al)
					}
				})
			}
		})
	}
}

// compiledItems are the proactive items whose criteria rest on the applicant's facts (and, for
// the farmland subsidy and extreme-poverty support, on another member on the roll or the number
// of working-age members, which the store derives): the scan compiles them to SQL from the
// criteria themselves.
var compiledItems = []string{
	"assistive_device_fitting", "conscript_family_allowance", "dilapidated_house_renovation", "disability_certificate_renewal", "elderly_allowance",
	"employment_difficulty_recognition", "entitled_group_pension", "extreme_poverty_support", "farmland_protection_subsidy",
	"hardship_disability_subsidy", "medical_assistance",
	"medical_insurance_enrolment", "pension_insurance_enrolment", "public_welfare_job", "resident_pension_claim",
	"senior_card", "severe_disability_care_subsidy", "student_aid", "winter_heating_subsidy",
}

// TestScanVerifyGeneratedDistrict syncs a generated district from the simulated platforms
// and checks every proactive item, compiled or not, worklist and alerts, against
// per-resident decisions; the items whose criteria rest on the applicant are compiled to SQL,
// the others say why they are evaluated per resident.
func TestScanVerifyGeneratedDistrict(t *testing.T) {
	const n = 2500
	_, feeds := synctest.Feeds(t, sim.Config{Residents: n, Seed: 5})
	eng := engine(t)
	onEachBackend(t, feeds, eng, func(t *testing.T, dialect string, st store.Store, r *scan.Runner) {
		rep, err := r.Run(t.Context(), scan.Options{At: day("2026-12-06"), Dialect: dialect, Verify: true, Reasons: true})
		if err != nil {
			for _, d := range rep.Differences {
				t.Errorf("%s %s: scan %s, decision %s", d.Item, d.ID, d.Scan, d.Decision)
			}
			t.Fatal(err)
		}
		if rep.Residents != n || !rep.Verified {
			t.Fatalf("residents %d verified %v", rep.Residents, rep.Verified)
		}
		total, alerts := 0, 0
		for _, it := range rep.Items {
			total += it.Candidates
			alerts += it.Alerts
			switch {
			case slices.Contains(compiledItems, it.Item):
				if it.Evaluated != "sql" {
					t.Errorf("%s evaluated %q, want sql", it.Item, it.Evaluated)
				}
			case !strings.HasPrefix(it.Evaluated, "go: ") || len(it.Evaluated) < 10:
				t.Errorf("%s evaluated %q, want go with the reason", it.Item, it.Evaluated)
			}
		}
		if len(rep.Items) != len(compiledItems)+4 {
			t.Errorf("%d items scanned", len(rep.Items))
		}
		if total == 0 || alerts == 0 {
			t.Fatalf("%d candidates and %d alerts on a generated district", total, alerts)
		}
		// The reasons an item evaluated per resident gives its entries from the evaluation, and
		// those a compiled item gives all its entries when they do not read the evidence, are
		// those of the item's decision.
		for _, it := range rep.Items {
			if len(it.Worklist) == 0 {
				continue
			}
			again := it
			again.Worklist = slices.Clone(it.Worklist)
			for k := range again.Worklist {
				if len(again.Worklist[k].Reasons) == 0 {
					t.Fatalf("%s %s: no reasons from the scan", it.Item, again.Worklist[k].ID)
				}
				again.Worklist[k].Reasons = nil
			}
			if err := r.Reasons(t.Context(), st, "", day("2026-12-06"), &again); err != nil {
				t.Fatal(err)
			}
			for k, e := range again.Worklist {
				if !slices.Equal(e.Reasons, it.Worklist[k].Reasons) {
					t.Errorf("%s %s: reasons %v from the scan, %v from the decision", it.Item, e.ID, it.Worklist[k].Reasons, e.Reasons)
				}
			}
		}
		// A town's scan (on PostgreSQL its partition) agrees with the decisions too and
		// finds the town's share of the district's worklists.
		town := rep.Items[0].Worklist[0].Village[:9]
		trep, err := r.Run(t.Context(), scan.Options{At: day("2026-12-06"), Dialect: dialect, Verify: true, Division: town})
		if err != nil {
			t.Fatalf("town %s: %v (%d differences)", town, err, len(trep.Differences))
		}
		for k, it := range trep.Items {
			want := 0
			for _, e := range rep.Items[k].Worklist {
				if strings.HasPrefix(e.Village, town) {
					want++
				}
			}
			if it.Candidates != want {
				t.Errorf("town %s %s: %d candidates, the district scan has %d there", town, it.Item, it.Candidates, want)
			}
		}
		if trep.Residents == 0 || trep.Residents >= rep.Residents {
			t.Errorf("town %s: %d residents of %d", town, trep.Residents, rep.Residents)
		}
	})
}

// TestScanUnknownItem: an item that is not proactive (or does not exist) is refused.
func TestScanUnknownItem(t *testing.T) {
	st := backends[0].open(t)
	r := &scan.Runner{Engine: engine(t), Store: st}
	for _, item := range []string{"no_such_item", "marriage_registration_reminder_x"} {
		if _, err := r.Run(t.Context(), scan.Options{Item: item, At: day("2026-12-06"), Dialect: "sqlite"}); !errors.Is(err, scan.ErrUnknownItem) {
			t.Errorf("%s: err %v, want ErrUnknownItem", item, err)
		}
	}
}

// TestScanSavePersistsFindings: a scan with reasons saved replaces the item's findings: the
// candidate with the policy's reasons, the alert with its rule, evidence and source, both
// under the full ID number (the views mask it); a rescan the day before leaves no candidate.
func TestScanSavePersistsFindings(t *testing.T) {
	eng := engine(t)
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			st := be.open(t)
			seed(t, st)
			r := &scan.Runner{Engine: eng, Store: st}
			for _, tc := range []struct {
				at         string
				candidates []string
			}{{"2026-12-06", []string{turns80}}, {"2026-12-05", nil}} {
				rep, err := r.Run(t.Context(), scan.Options{Item: "elderly_allowance", At: day(tc.at), Dialect: be.dialect, Reasons: true})
				if err != nil {
					t.Fatal(err)
				}
				if err := scan.Save(t.Context(), st, "", rep); err != nil {
					t.Fatal(err)
				}
				cs, _, err := st.ListScanFindings(t.Context(), store.FindingFilter{Kind: store.FindingCandidate, Item: "elderly_allowance"}, store.Page{})
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, c := range cs {
					ids = append(ids, c.IDNumber)
					if len(c.Reasons) == 0 || c.At != tc.at || c.Village != village {
						t.Fatalf("%s: candidate %+v without reasons, date or village", tc.at, c)
					}
				}
				if len(ids) != len(tc.candidates) || (len(ids) == 1 && ids[0] != tc.candidates[0]) {
					t.Fatalf("%s: candidates %v, want %v", tc.at, ids, tc.candidates)
				}
				as, _, err := st.ListScanFindings(t.Context(), store.FindingFilter{Kind: store.FindingAlert, DivisionPrefix: "370114001"}, store.Page{})
				if err != nil {
					t.Fatal(err)
				}
				if len(as) != 1 || as[0].IDNumber != deceased || as[0].Sources[0] != "province" || as[0].Rule == "" {
					t.Fatalf("%s: alerts %+v", tc.at, as)
				}
			}
		})
	}
}

// TestScanVillageReadsChildrenElsewhere: a village's scan decides on the children a resident
// has wherever they live, as the live decision does: a father of two daughters, one of whom
// lives in another village, is on his village's worklist for the
// rural family-planning reward (two daughters), as on the district's, and verification finds no
// difference.
func TestScanVillageReadsChildrenElsewhere(t *testing.T) {
	const item = "rural_family_planning_reward"
	const (
		father   = "370114196101010517" // 65 on 2026-12-06, agricultural, in village
		daughter = "370114198801010528" // his elder daughter, in another village
		younger  = "370114199001010549" // his younger daughter, at home
		other    = "370114002202"
	)
	eng := engine(t)
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			st := be.open(t)
			rows := []store.Resident{
				{IDNumber: father, Name: "戊", Sex: "M", BirthDate: "1961-01-01", HukouType: "agricultural", Village: village, HouseholdID: "H51", Relation: "head"},
				{IDNumber: daughter, Name: "己", Sex: "F", BirthDate: "1988-01-01", HukouType: "non_agricultural", Village: other, HouseholdID: "H52", Relation: "head"},
				{IDNumber: younger, Name: "庚", Sex: "F", BirthDate: "1990-01-01", HukouType: "agricultural", Village: village, HouseholdID: "H51", Relation: "daughter"},
			}
			if err := st.ApplySnapshot(t.Context(), store.FeedDistrictResidents, rows, "1"); err != nil {
				t.Fatal(err)
			}
			facts := []store.ProvinceFacts{
				{IDNumber: father, HukouType: "agricultural", HukouVillage: village},
				{IDNumber: daughter, HukouType: "non_agricultural", HukouVillage: other,
					Links: []store.ChildLink{{ParentID: father, ChildID: daughter, Source: store.LinkBirthCertificate}}},
				{IDNumber: younger, HukouType: "agricultural", HukouVillage: village},
			}
			if err := st.ApplyProvinceFacts(t.Context(), store.FeedProvinceBackflow, facts, "1"); err != nil {
				t.Fatal(err)
			}
			r := &scan.Runner{Engine: eng, Store: st}
			for _, division := range []string{village, ""} {
				for _, dialect := range []string{be.dialect, ""} {
					rep, err := r.Run(t.Context(), scan.Options{Item: item, Division: division, At: day("2026-12-06"), Dialect: dialect, Verify: true, Reasons: true})
					if err != nil {
						for _, d := range rep.Differences {
							t.Errorf("%s %s: scan %s, decision %s", d.Item, d.ID, d.Scan, d.Decision)
						}
						t.Fatalf("division %q, dialect %q: %v", division, dialect, err)
					}
					w := rep.Items[0].Worklist
					if len(w) != 1 || w[0].ID != ident.MaskIDNumber(father) || !slices.Contains(w[0].Reasons, "two_daughters") {
						t.Fatalf("division %q, dialect %q: worklist %+v, want the father for two_daughters", division, dialect, w)
					}
				}
			}
		})
	}
}
