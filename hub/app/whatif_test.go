package app_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"mime/multipart"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"sanmian/hub/app"
	"sanmian/hub/app/apptest"
	"sanmian/hub/auth"
	"sanmian/hub/ident"
	"sanmian/hub/service"
	"sanmian/hub/store"
	"sanmian/policies"
)

// candidateTarball is the live bundle as a gzipped tarball with edit applied to each file
// (path, content) → content; a file edit maps to "" is left out.
func candidateTarball(t *testing.T, edit func(path, s string) string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	err := fs.WalkDir(policies.Bundle, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(policies.Bundle, path)
		if err != nil {
			return err
		}
		s := edit(path, string(b))
		if s == "" {
			return nil
		}
		if err := tw.WriteHeader(&tar.Header{Name: "/" + path, Mode: 0o644, Size: int64(len(s)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err = tw.Write([]byte(s))
		return err
	})
	if err == nil {
		err = tw.Close()
	}
	if err == nil {
		err = gz.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// age75 lowers the elderly allowance's age from 80 to 75 under a new revision; the elderly
// tests pinning 80 are left out.
func age75(path, s string) string {
	switch path {
	case "elderly_test.rego":
		return ""
	case "data.yaml":
		s = strings.Replace(s, "        params:\n          min_age: 80\n", "        params:\n          min_age: 75\n", 1)
		return strings.Replace(s, `{tier: "80-89", min_age: 80,`, `{tier: "75-89", min_age: 75,`, 1)
	case ".manifest":
		return strings.Replace(s, `"revision": "`, `"revision": "candidate-75-`, 1)
	}
	return s
}

func post(t *testing.T, url, token, contentType string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, b
}

func get(t *testing.T, url, token string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, b
}

// TestWhatIfAPI: an auditor uploads a candidate bundle (age 75 for the elderly allowance) as
// application/gzip and as multipart; the report names gains only, masked, the CSV (BOM,
// Chinese headers) and the XLSX hold the same changes; the run is audited with both
// revisions and every resident named gets a data-use record; an application created while
// the what-if runs, and one after, carry the live revision; a counter is refused (403); a
// broken bundle is a 400 problem.
func TestWhatIfAPI(t *testing.T) {
	h := apptest.Start(t, apptest.Options{Residents: 1500})
	ctx := t.Context()
	if err := h.App.SyncFeeds(ctx, nil); err != nil {
		t.Fatal(err)
	}
	live := h.App.Policy.Revision()
	auditor := h.Token(t, "auditor", "")
	bundle := candidateTarball(t, age75)
	u := h.URL + "/v1/whatif?item=elderly_allowance&at=2026-12-06"

	// An application created while the what-if runs.
	id, village := h.Eligible(t, "senior_card")
	counter := h.Token(t, "counter", village)
	var wg sync.WaitGroup
	var during service.ApplicationView
	wg.Add(1)
	go func() {
		defer wg.Done()
		var cr service.CreateRequest
		cr.Item, cr.Applicant.IDNumber, cr.Purpose = "senior_card", id, "优待证申请"
		out, err := h.App.Hub.CreateApplication(ctx, counterCaller(village), cr, "")
		if err != nil {
			t.Error(err)
			return
		}
		during = out.View
	}()
	resp, body := post(t, u, auditor, "application/gzip", bundle)
	if resp.StatusCode != http.StatusAccepted || !strings.HasPrefix(resp.Header.Get("Location"), "/v1/whatif/") {
		t.Fatalf("status %d location %q: %s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	job := h.URL + resp.Header.Get("Location")
	// One what-if at a time.
	if resp, _ := post(t, u, auditor, "application/gzip", bundle); resp.StatusCode != http.StatusConflict {
		t.Fatalf("a second what-if while one runs: status %d, want 409", resp.StatusCode)
	}
	// Another auditor cannot read this one's job.
	if resp, _ := get(t, job, h.Token(t, "auditor", "370114001000")); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("another auditor reading the job: status %d, want 404", resp.StatusCode)
	}
	rep := pollWhatIf(t, job, auditor)
	wg.Wait()
	if rep.LiveRevision != live || !strings.HasPrefix(rep.CandidateRevision, "candidate-75-") || rep.Gains == 0 || rep.Losses != 0 ||
		len(rep.Changes) < rep.Gains || !strings.HasPrefix(rep.CandidateDigest, "sha256:") {
		t.Fatalf("report: live %s candidate %s gains %d losses %d changes %d", rep.LiveRevision, rep.CandidateRevision, rep.Gains, rep.Losses, len(rep.Changes))
	}
	for _, ch := range rep.Changes {
		if !strings.Contains(ch.IDNumber, "********") || ch.VillageName == "" || ch.Item != "elderly_allowance" {
			t.Fatalf("change %+v: not masked or without village name", ch)
		}

	}
	if during.Decision.Revision != live || h.App.Policy.Revision() != live {
		t.Fatalf("decision during the what-if carries %q, engine %q, want the live %q", during.Decision.Revision, h.App.Policy.Revision(), live)
	}

	// The audit entry, with both revisions; the data-use records.
	entries, err := h.App.Store.ListAudit(ctx, 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	var audited int
	for _, e := range entries {
		if e.Action == store.AuditPolicy && e.ActorSub == "auditor-" {
			var d map[string]any
			_ = json.Unmarshal(e.Details, &d)
			if d["operation"] == "whatif" && d["live_revision"] == live && d["candidate_revision"] == rep.CandidateRevision && d["candidate_digest"] == rep.CandidateDigest {
				audited++
			}
		}
	}
	if audited != 1 {
		t.Fatalf("%d what-if audit entries with both revisions, want 1", audited)
	}
	// The data-use record of a resident the report names (found by masked ID and village).
	ch := rep.Changes[0]
	var full string
	for i := range h.Sim.Data.Persons {
		p := &h.Sim.Data.Persons[i]
		if ident.MaskIDNumber(p.ID) == ch.IDNumber && h.Sim.Data.Village(p).Code == ch.Village {
			full = p.ID
		}
	}
	uses, _, err := h.App.Store.ListDataUse(ctx, full, store.Page{})
	if err != nil || full == "" || !slices.ContainsFunc(uses, func(u store.DataUse) bool { return u.Purpose == service.PurposeWhatIf && u.Sub == "auditor-" }) {
		t.Fatalf("no what-if data-use record for %s (%v)", ch.IDNumber, err)
	}

	// The downloads of the finished job.
	resp, csvBody := get(t, job+"?format=csv", auditor)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: status %d %s", resp.StatusCode, csvBody)
	}
	if !bytes.HasPrefix(csvBody, []byte("\uFEFF")) {
		t.Fatal("csv without a UTF-8 BOM")
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(csvBody, []byte("\uFEFF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if recs[0][0] != "事项代码" || recs[0][4] != "身份证号（脱敏）" || len(recs)-1 != len(rep.Changes) {
		t.Fatalf("csv header %v, %d rows for %d changes", recs[0], len(recs)-1, len(rep.Changes))
	}
	for _, r := range recs[1:] {
		if !strings.Contains(r[4], "********") || r[5] != "新增符合" && r[5] != "预警消除" {
			t.Fatalf("csv row %v", r)
		}
	}
	resp, xb := get(t, job+"?format=xlsx", auditor)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("xlsx: status %d", resp.StatusCode)
	}
	f, err := excelize.OpenReader(bytes.NewReader(xb))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("明细")
	if err != nil || len(rows)-1 != len(rep.Changes) {
		t.Fatalf("xlsx 明细: %d rows for %d changes (%v)", len(rows)-1, len(rep.Changes), err)
	}
	sum, err := f.GetRows("汇总")
	if err != nil || sum[len(sum)-1][1] != "合计" || sum[len(sum)-1][4] != strings.TrimSpace(jsonInt(rep.Gains)) {
		t.Fatalf("xlsx 汇总 total %v, want gains %d (%v)", sum[len(sum)-1], rep.Gains, err)
	}

	// The finished job outlives the hub process: another hub on the same store (a replica, or
	// this one after a restart) serves it to its owner only.
	other, err := app.New(ctx, h.App.Config, app.WithLogger(slog.New(slog.DiscardHandler)), app.WithManualWebhooks(), app.WithCheckpointInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	owner := auth.Caller{Subject: "auditor-", Issuer: auth.DemoIssuerName, Role: auth.RoleAuditor}
	stored, err := other.Hub.WhatIfResult(ctx, owner, path.Base(job))
	if err != nil || stored.Status != service.WhatIfDone || stored.Report == nil || stored.Report.Gains != rep.Gains ||
		len(stored.Report.Changes) != len(rep.Changes) || stored.Report.CandidateDigest != rep.CandidateDigest {
		t.Fatalf("the job from another hub: %v, status %s", err, stored.Status)
	}
	owner.Subject = "auditor-2"
	if _, err := other.Hub.WhatIfResult(ctx, owner, path.Base(job)); !errors.As(err, new(*service.NotFoundError)) {
		t.Fatalf("another auditor reading the stored job: %v, want not found", err)
	}

	// A multipart upload starts a what-if as well.
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	fw, _ := mw.CreateFormFile("bundle", "candidate.tar.gz")
	_, _ = fw.Write(bundle)
	_ = mw.Close()
	resp, body = post(t, u, auditor, mw.FormDataContentType(), mp.Bytes())
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("multipart: status %d %s", resp.StatusCode, body)
	}
	if again := pollWhatIf(t, h.URL+resp.Header.Get("Location"), auditor); again.Gains != rep.Gains || again.CandidateDigest != rep.CandidateDigest {
		t.Fatalf("multipart upload: %d gains digest %s, want %d %s", again.Gains, again.CandidateDigest, rep.Gains, rep.CandidateDigest)
	}

	// Refusals and bad bundles.
	if resp, _ := post(t, u, counter, "application/gzip", bundle); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("counter: status %d, want 403", resp.StatusCode)
	}
	resp, body = post(t, u, auditor, "application/gzip", []byte("not a bundle"))
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "bundle") {
		t.Fatalf("broken bundle: status %d %s", resp.StatusCode, body)
	}
	broken := candidateTarball(t, func(path, s string) string { // fails its own tests
		if path == "data.yaml" {
			return strings.Replace(s, "        params:\n          min_age: 80\n", "        params:\n          min_age: 75\n", 1)
		}
		return s
	})
	resp, body = post(t, u, auditor, "application/gzip", broken)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "refused") {
		t.Fatalf("bundle failing its tests: status %d %s", resp.StatusCode, body)
	}
	if resp, _ := post(t, u, auditor, "text/plain", bundle); resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatalf("text/plain: status %d, want 415", resp.StatusCode)
	}

	// After: a decision carries the live revision.
	d, err := h.App.Hub.GetApplication(ctx, counterCaller(village), during.ID)
	if err != nil || d.Decision.Revision != live {
		t.Fatalf("after: %v %q", err, d.Decision.Revision)
	}

	// The decision list: the application's decision in its village, masked; counters refused.
	resp, body = get(t, h.URL+"/v1/decisions?item=senior_card&division="+village+"&revision="+live, auditor)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("decisions: %d %s", resp.StatusCode, body)
	}
	var page struct {
		Decisions []service.DecisionSummary `json:"decisions"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Decisions) != 1 || page.Decisions[0].DecisionID != during.Decision.DecisionID || page.Decisions[0].Village != village ||
		!strings.Contains(page.Decisions[0].Applicant, "********") || strings.Contains(string(body), id) {
		t.Fatalf("decisions %s", body)
	}
	if resp, body = get(t, h.URL+"/v1/decisions?item=senior_card&division="+village+"&outcome=ineligible", auditor); resp.StatusCode != http.StatusOK || strings.Contains(string(body), during.Decision.DecisionID) {
		t.Fatalf("outcome filter: %d %s", resp.StatusCode, body)
	}
	if resp, _ := get(t, h.URL+"/v1/decisions", counter); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("counter listing decisions: %d, want 403", resp.StatusCode)
	}
	if resp, _ := get(t, h.URL+"/v1/decisions?from=yesterday", auditor); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad date: %d, want 400", resp.StatusCode)
	}
}

func jsonInt(n int) string { b, _ := json.Marshal(n); return string(b) }

func counterCaller(village string) auth.Caller {
	return auth.Caller{Subject: "counter-" + village, Issuer: auth.DemoIssuerName, Role: auth.RoleCounter, Jurisdiction: village}
}

// pollWhatIf reads the job at url until it is done and returns its report; the JSON never
// carries a full ID field.
func pollWhatIf(t *testing.T, url, token string) service.WhatIfReport {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		resp, body := get(t, url, token)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("job: status %d %s", resp.StatusCode, body)
		}
		var job service.WhatIfJob
		if err := json.Unmarshal(body, &job); err != nil {
			t.Fatal(err)
		}
		switch job.Status {
		case service.WhatIfDone:
			if job.Report == nil || strings.Contains(string(body), "FullID") {
				t.Fatalf("done without a report, or with full IDs: %.300s", body)
			}
			return *job.Report
		case service.WhatIfFailed:
			t.Fatalf("what-if failed: %s", job.Error)
		}
		if time.Now().After(deadline) {
			t.Fatalf("what-if still %s after 3 minutes (%s)", job.Status, job.Progress)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
