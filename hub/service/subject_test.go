package service

import (
	"strings"
	"testing"
	"time"

	"sanmian/hub/evidence"
)

func TestWithinDays(t *testing.T) {
	// 2026-11-26 00:30 in China Standard Time is still 2026-11-25 in UTC: the decision clock's
	// calendar is CST.
	now := time.Date(2026, 11, 25, 16, 30, 0, 0, time.UTC)
	tests := []struct {
		name, date string
		days       int
		want       bool
	}{
		{"same_day", "2026-11-26", 365, true},
		{"window_boundary", "2025-11-26", 365, true},
		{"one_day_past_window", "2025-11-25", 365, false},
		{"future_date", "2026-11-27", 365, false},
		{"unknown_date_counts", "", 365, true},
		{"malformed_date_counts", "2026-13-01", 365, true},
		{"no_window", "2000-01-01", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := withinDays(tc.date, now, tc.days); got != tc.want {
				t.Errorf("withinDays(%q, %d) = %v, want %v", tc.date, tc.days, got, tc.want)
			}
		})
	}
}

func TestHeldErrorNamesTheSubject(t *testing.T) {
	tests := []struct {
		name, subject, permit string
		zh, en                string
	}{
		{"applicant_open", SubjectApplicant, "", "该居民已有本事项的在办申请 app-1", "The resident already has an open application app-1"},
		{"applicant_default", "", "perm-1", "该居民已持有本事项的有效许可 perm-1", "The resident already holds active permit perm-1"},
		{"household_open", SubjectHousehold, "", "本户已有本事项的在办申请 app-1", "granted once per household"},
		{"household_permit", SubjectHousehold, "perm-1", "本户已持有本事项的有效许可 perm-1", "The household already holds active permit perm-1"},
		{"deceased_open", SubjectDeceased, "", "该逝者的本事项已有在办申请 app-1", "once per deceased"},
		{"deceased_permit", SubjectDeceased, "perm-1", "该逝者的本事项已核发有效许可 perm-1", "Active permit perm-1 was already issued for this death"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := (&HeldError{Item: "x", ApplicationID: "app-1", Status: "draft", PermitID: tc.permit, Subject: tc.subject}).Reason()
			if !strings.Contains(r.ZH, tc.zh) || !strings.Contains(r.EN, tc.en) || !strings.Contains(r.ZH+r.EN, "app-1") {
				t.Errorf("reason %+v, want %q and %q naming app-1", r, tc.zh, tc.en)
			}
		})
	}
}

func TestClaimantView(t *testing.T) {
	deceased := evidence.Person{IDNumber: "370114193501010015", Name: "张老汉", Deceased: true, DeathDate: "2026-10-01"}
	spouse := evidence.Person{IDNumber: "370114193801010028", Name: "李秀英", Relation: "spouse"}
	child := evidence.Child{Person: evidence.Person{IDNumber: "370114196501010036", Name: "张大山"}, Links: []string{"population_base"}}
	b := &evidence.Bundle{Applicant: deceased, Household: []evidence.Person{spouse}, Children: []evidence.Child{child},
		Provenance: map[string]evidence.Provenance{
			"applicant.name":   {Platform: evidence.Province, Record: "d"},
			"household.0.name": {Platform: evidence.Province, Record: "s"},
			"children.0.name":  {Platform: evidence.Province, Record: "c"},
		}}
	tests := []struct {
		name, claimant, wantName, wantRecord string
	}{
		{"spouse_in_household", spouse.IDNumber, "李秀英", "s"},
		{"child_elsewhere", child.IDNumber, "张大山", "c"},
		{"not_linked", "370114197001010058", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := claimantView(b, tc.claimant)
			if v.Applicant.IDNumber != tc.claimant || v.Applicant.Name != tc.wantName {
				t.Errorf("applicant %+v, want %s %q", v.Applicant, tc.claimant, tc.wantName)
			}
			if len(v.Household) != 1 || v.Household[0].IDNumber != deceased.IDNumber || v.Provenance["household.0.name"].Record != "d" {
				t.Errorf("the deceased is not the one household member with its provenance: %+v %v", v.Household, v.Provenance)
			}
			if got := v.Provenance["applicant.name"].Record; got != tc.wantRecord {
				t.Errorf("claimant's provenance %q, want %q", got, tc.wantRecord)
			}
		})
	}
}
