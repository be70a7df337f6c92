package app_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strconv"
	"testing"

	"sanmian/hub/app/apptest"
	"sanmian/hub/auth"
	"sanmian/hub/division"
	"sanmian/hub/service"
	"sanmian/hub/store"
)

// TestEveryRefusalIsAudited calls every public method of the hub service that takes a caller
// with a caller the access policy refuses (a counter of another village, which may also not
// read the audit log) and checks that the method returns *service.DeniedError and that
// exactly one refusal entry, naming that caller, was appended to the audit log. The table
// must name every such method: a new use case that authorises fails here until it is added.
func TestEveryRefusalIsAudited(t *testing.T) {
	h := apptest.Start(t, apptest.Options{})
	ctx := t.Context()
	hub := h.App.Hub
	id, village := h.Eligible(t, "elderly_allowance")
	v, _ := division.Lookup(village)
	counter := auth.Caller{Subject: "counter-" + village, Issuer: auth.DemoIssuerName, Role: auth.RoleCounter, Jurisdiction: village}
	var other string
	for _, dv := range division.Villages() {
		if dv.Code != village && dv.Town != v.Town {
			other = dv.Code
			break
		}
	}
	outsider := auth.Caller{Subject: "outsider-" + other, Issuer: auth.DemoIssuerName, Role: auth.RoleCounter, Jurisdiction: other}

	// An application with an instant permit, its decision, and the resident's household.
	var cr service.CreateRequest
	cr.Item, cr.Applicant.IDNumber, cr.Purpose = "elderly_allowance", id, "高龄补贴申请"
	created, err := hub.CreateApplication(ctx, counter, cr, "")
	if err != nil {
		t.Fatal(err)
	}
	appID := created.View.ID
	confirmed, err := hub.Confirm(ctx, counter, appID, service.ConfirmRequest{Signature: "sig"}, "")
	if err != nil || confirmed.View.PermitID == "" {
		t.Fatalf("confirm: %+v %v", confirmed.View, err)
	}
	permitID, decisionID := confirmed.View.PermitID, created.View.Decision.DecisionID
	var householdNo string
	for _, hh := range h.Sim.Data.Households {
		for _, m := range hh.Members {
			if h.Sim.Data.Persons[m].ID == id {
				householdNo = hh.No
			}
		}
	}
	if householdNo == "" {
		t.Fatal("the resident's household is not in the district")
	}

	// A worklist candidate and an alert about the resident, as a scan saves them.
	if err := h.App.Store.ReplaceScanFindings(ctx, "elderly_allowance", "", []store.ScanFinding{
		{Kind: store.FindingCandidate, Item: "elderly_allowance", IDNumber: id, Village: village, Reasons: []string{"年满80周岁"}, At: "2026-12-06"},
		{Kind: store.FindingAlert, Item: "elderly_allowance", IDNumber: id, Village: village, Rule: "rule", At: "2026-12-06"},
	}); err != nil {
		t.Fatal(err)
	}
	saved, _, err := h.App.Store.ListScanFindings(ctx, store.FindingFilter{Kind: store.FindingCandidate}, store.Page{})
	if err != nil || len(saved) != 1 {
		t.Fatalf("saved candidates %v %v", saved, err)
	}
	candidateID := strconv.FormatInt(saved[0].Seq, 10)
	saved, _, err = h.App.Store.ListScanFindings(ctx, store.FindingFilter{Kind: store.FindingAlert}, store.Page{})
	if err != nil || len(saved) != 1 {
		t.Fatalf("saved alerts %v %v", saved, err)
	}
	alertID := strconv.FormatInt(saved[0].Seq, 10)

	cases := []struct {
		method string
		call   func(ctx context.Context, c auth.Caller) error
	}{
		{"CreateApplication", func(ctx context.Context, c auth.Caller) error {
			_, err := hub.CreateApplication(ctx, c, cr, "")
			return err
		}},
		{"GetApplication", func(ctx context.Context, c auth.Caller) error {
			_, err := hub.GetApplication(ctx, c, appID)
			return err
		}},
		{"ListApplications", func(ctx context.Context, c auth.Caller) error {
			_, _, err := hub.ListApplications(ctx, c, service.ListFilter{Division: village})
			return err
		}},
		{"Confirm", func(ctx context.Context, c auth.Caller) error {
			_, err := hub.Confirm(ctx, c, appID, service.ConfirmRequest{Signature: "sig"}, "")
			return err
		}},
		{"Review", func(ctx context.Context, c auth.Caller) error {
			_, err := hub.Review(ctx, c, appID, service.ReviewRequest{Action: "approve"}, "")
			return err
		}},
		{"GetPermit", func(ctx context.Context, c auth.Caller) error {
			_, err := hub.GetPermit(ctx, c, permitID)
			return err
		}},
		{"Revoke", func(ctx context.Context, c auth.Caller) error {
			_, err := hub.Revoke(ctx, c, permitID, service.RevokeRequest{Reason: "越权撤销"}, "")
			return err
		}},
		{"DataUse", func(ctx context.Context, c auth.Caller) error {
			_, _, err := hub.DataUse(ctx, c, id, "", 10)
			return err
		}},
		{"Worklists", func(ctx context.Context, c auth.Caller) error {
			_, _, err := hub.Worklists(ctx, c, service.FindingQuery{Division: village})
			return err
		}},
		{"Alerts", func(ctx context.Context, c auth.Caller) error {
			_, _, err := hub.Alerts(ctx, c, service.FindingQuery{Division: village})
			return err
		}},
		{"ContactLog", func(ctx context.Context, c auth.Caller) error {
			_, err := hub.ContactLog(ctx, c, candidateID)
			return err
		}},
		{"AddContact", func(ctx context.Context, c auth.Caller) error {
			_, err := hub.AddContact(ctx, c, candidateID, service.ContactRequest{Status: "contacted", Note: "越权记录"})
			return err
		}},
		{"ApplyFromWorklist", func(ctx context.Context, c auth.Caller) error {
			_, err := hub.ApplyFromWorklist(ctx, c, candidateID, service.WorklistApplyRequest{}, "")
			return err
		}},
		{"ResolveAlert", func(ctx context.Context, c auth.Caller) error {
			_, err := hub.ResolveAlert(ctx, c, alertID, service.ResolveRequest{Note: "越权处理"})
			return err
		}},
		{"StartWhatIf", func(ctx context.Context, c auth.Caller) error {
			_, err := hub.StartWhatIf(ctx, c, service.WhatIfRequest{Bundle: []byte("candidate"), Division: village})
			return err
		}},
		{"WhatIfResult", func(ctx context.Context, c auth.Caller) error {
			_, err := hub.WhatIfResult(ctx, c, "no-such-job")
			return err
		}},
		{"ListDecisions", func(ctx context.Context, c auth.Caller) error {
			_, _, err := hub.ListDecisions(ctx, c, service.DecisionQuery{Division: village})
			return err
		}},
		{"Statistics", func(ctx context.Context, c auth.Caller) error {
			_, err := hub.Statistics(ctx, c, service.StatsRequest{Division: village})
			return err
		}},
		{"DataUseRecords", func(ctx context.Context, c auth.Caller) error {
			_, _, err := hub.DataUseRecords(ctx, c, id, "", 10)
			return err
		}},
		{"AuditEntries", func(ctx context.Context, c auth.Caller) error {
			_, err := hub.AuditEntries(ctx, c, 0, 10)
			return err
		}},
		{"LatestCheckpoint", func(ctx context.Context, c auth.Caller) error {
			_, err := hub.LatestCheckpoint(ctx, c)
			return err
		}},
		{"VerifyAudit", func(ctx context.Context, c auth.Caller) error {
			_, err := hub.VerifyAudit(ctx, c)
			return err
		}},
		{"ApplicationDetail", func(ctx context.Context, c auth.Caller) error {
			_, err := hub.ApplicationDetail(ctx, c, appID)
			return err
		}},
		{"ApplicationDetails", func(ctx context.Context, c auth.Caller) error {
			_, _, err := hub.ApplicationDetails(ctx, c, service.ListFilter{Division: village})
			return err
		}},
		{"Eligibility", func(ctx context.Context, c auth.Caller) error {
			_, err := hub.Eligibility(ctx, c, id, "elderly_allowance", "越权查询")
			return err
		}},
		{"GetDecision", func(ctx context.Context, c auth.Caller) error {
			_, err := hub.GetDecision(ctx, c, decisionID)
			return err
		}},
		{"ReplayDecision", func(ctx context.Context, c auth.Caller) error {
			_, err := hub.ReplayDecision(ctx, c, decisionID)
			return err
		}},
		{"People", func(ctx context.Context, c auth.Caller) error {
			res, err := hub.People(ctx, c, []string{id}, "越权查询")
			if err != nil {
				return err
			}
			return res[0].Err // a refusal is the entry's error, not the call's
		}},
		{"Household", func(ctx context.Context, c auth.Caller) error {
			_, err := hub.Household(ctx, c, householdNo, "越权查询")
			return err
		}},
		{"CreateSubscription", func(ctx context.Context, c auth.Caller) error {
			_, err := hub.CreateSubscription(ctx, c, service.SubscriptionRequest{Subscriber: "civil-affairs", URL: "https://dept.example/hooks"})
			return err
		}},
		{"ListSubscriptions", func(ctx context.Context, c auth.Caller) error {
			_, err := hub.ListSubscriptions(ctx, c)
			return err
		}},
		{"DeleteSubscription", func(ctx context.Context, c auth.Caller) error {
			return hub.DeleteSubscription(ctx, c, "1")
		}},
		{"ListDeliveries", func(ctx context.Context, c auth.Caller) error {
			_, _, err := hub.ListDeliveries(ctx, c, service.DeliveryFilter{})
			return err
		}},
		{"GetDelivery", func(ctx context.Context, c auth.Caller) error {
			_, err := hub.GetDelivery(ctx, c, "1")
			return err
		}},
		{"Redeliver", func(ctx context.Context, c auth.Caller) error {
			_, err := hub.Redeliver(ctx, c, "1")
			return err
		}},
	}

	// Every exported method whose first arguments are a context and a caller is in the table.
	callerType, ctxType := reflect.TypeFor[auth.Caller](), reflect.TypeFor[context.Context]()
	ht := reflect.TypeOf(hub)
	for i := range ht.NumMethod() {
		m := ht.Method(i)
		if m.Type.NumIn() < 3 || m.Type.In(1) != ctxType || m.Type.In(2) != callerType {
			continue
		}
		if !slices.ContainsFunc(cases, func(c struct {
			method string
			call   func(ctx context.Context, c auth.Caller) error
		}) bool {
			return c.method == m.Name
		}) {
			t.Errorf("service.Hub.%s takes a caller but is not in this table", m.Name)
		}
	}

	refusals := func() int {
		entries, err := h.App.Store.ListAudit(ctx, 0, 100000)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range entries {
			if e.Action == store.AuditRefusal && e.ActorSub == outsider.Subject {
				n++
			}
		}
		return n
	}
	for _, tc := range cases {
		t.Run(tc.method, func(t *testing.T) {
			before := refusals()
			err := tc.call(t.Context(), outsider)
			var den *service.DeniedError
			if !errors.As(err, &den) {
				t.Fatalf("%s by a counter of another village: %v, want a refusal", tc.method, err)
			}
			if got := refusals() - before; got != 1 {
				t.Fatalf("%s: %d refusal entries written, want 1", tc.method, got)
			}
		})
	}
}
