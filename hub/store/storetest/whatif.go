package storetest

import (
	"errors"
	"fmt"
	"testing"

	"sanmian/hub/store"
)

// testWhatIfJobs: a saved what-if job reads back as saved and a later save replaces it; an
// unknown ID is ErrNotFound and an incomplete record ErrInvalid; beyond WhatIfKept the oldest
// finished jobs go and a running one stays.
func testWhatIfJobs(t *testing.T, s store.Store) {
	ctx := t.Context()
	owner := `["https://issuer.example","auditor-1"]`
	run := &store.WhatIfRecord{ID: "w-running", Owner: owner, Status: "running", Job: []byte(`{"id":"w-running","status":"running"}`)}
	must(t, s.SaveWhatIf(ctx, run))
	rec := &store.WhatIfRecord{ID: "w1", Owner: owner, Status: "running", Job: []byte(`{"id":"w1","status":"running"}`)}
	must(t, s.SaveWhatIf(ctx, rec))
	first := rec.Updated
	rec.Status, rec.Job = "done", []byte(`{"id":"w1","status":"done","report":{"gains":3,"changes":["370114********0012"]}}`)
	must(t, s.SaveWhatIf(ctx, rec))
	got, err := s.GetWhatIf(ctx, "w1")
	must(t, err)
	if got.ID != "w1" || got.Owner != owner || got.Status != "done" || string(got.Job) != string(rec.Job) || got.Updated.Before(first) || !got.Updated.Equal(rec.Updated) {
		t.Fatalf("what-if read back as %+v (job %s), want %+v", got, got.Job, rec)
	}
	if _, err := s.GetWhatIf(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown what-if: %v, want ErrNotFound", err)
	}
	if err := s.SaveWhatIf(ctx, &store.WhatIfRecord{ID: "x", Owner: owner, Status: "done"}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("what-if without its job: %v, want ErrInvalid", err)
	}
	for i := range store.WhatIfKept {
		id := fmt.Sprintf("w-%03d", i)
		must(t, s.SaveWhatIf(ctx, &store.WhatIfRecord{ID: id, Owner: owner, Status: "failed", Job: []byte(`{"id":"` + id + `"}`)}))
	}
	if _, err := s.GetWhatIf(ctx, "w1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the oldest finished what-if beyond %d kept: %v, want it gone", store.WhatIfKept, err)
	}
	for _, id := range []string{"w-running", "w-000", fmt.Sprintf("w-%03d", store.WhatIfKept-1)} {
		if _, err := s.GetWhatIf(ctx, id); err != nil {
			t.Fatalf("what-if %s after pruning: %v", id, err)
		}
	}
}
