package service

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sanmian/hub/auth"
	"sanmian/hub/store/sqlite"
)

// TestStoredWhatIf: a job saved by the hub that runs it reads back from the store with its
// owner; one the store still holds as running after whatIfStale without a save was cut off by
// its hub stopping and reads as failed; a finished one stays as it ended.
func TestStoredWhatIf(t *testing.T) {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	h := &Hub{store: st, now: func() time.Time { return now }}
	c := auth.Caller{Issuer: "https://issuer.example", Subject: "auditor-1", Role: auth.RoleAuditor}
	job := &WhatIfJob{ID: "j1", Status: WhatIfRunning, Progress: "one pass", StartedAt: now.UTC(), owner: whatIfOwner(c)}
	if err := h.saveWhatIf(t.Context(), job); err != nil {
		t.Fatal(err)
	}
	got, ok, err := h.storedWhatIf(t.Context(), "j1")
	if err != nil || !ok || got.Status != WhatIfRunning || got.Progress != "one pass" || got.owner != whatIfOwner(c) {
		t.Fatalf("stored job %+v ok %v err %v", got, ok, err)
	}
	now = now.Add(whatIfStale + time.Second)
	if got, _, _ := h.storedWhatIf(t.Context(), "j1"); got.Status != WhatIfFailed || !strings.Contains(got.Error, "cut off") {
		t.Fatalf("a running job not saved for %s: %s %q, want failed", whatIfStale, got.Status, got.Error)
	}
	job.Status, job.Report = WhatIfDone, &WhatIfReport{Gains: 3, Changes: []WhatIfChange{{IDNumber: "370114********0012", FullID: "370114200001010012"}}}
	if err := h.saveWhatIf(t.Context(), job); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	got, _, err = h.storedWhatIf(t.Context(), "j1")
	if err != nil || got.Status != WhatIfDone || got.Report == nil || got.Report.Gains != 3 || got.Report.Changes[0].FullID != "" {
		t.Fatalf("finished job read back as %+v (%v); the full ID must not be kept", got, err)
	}
	if _, ok, err := h.storedWhatIf(t.Context(), "nope"); ok || err != nil {
		t.Fatalf("unknown job: ok %v err %v", ok, err)
	}
	if other := whatIfOwner(auth.Caller{Issuer: c.Issuer, Subject: "auditor-2"}); other == got.owner {
		t.Fatal("two callers share an owner key")
	}
}
