package sqlite_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"sanmian/hub/store"
)

// TestGroupCommit runs many concurrent transactions, so that they share commits, where some
// fail and some panic: exactly the successful ones are kept (each with all its writes), a
// failure or panic reaches only its own caller, concurrent requests with one idempotency key
// complete once, and the audit chain stays intact.
func TestGroupCommit(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	errBoom := errors.New("boom")
	const n = 300
	var wg sync.WaitGroup
	errs := make([]error, n)
	panics := make([]any, n)
	replayed := make([]bool, n)
	for i := range n {
		wg.Go(func() {
			defer func() { panics[i] = recover() }()
			errs[i] = s.Tx(ctx, func(tx store.Txn) error {
				if i%10 == 9 { // ten requests share each idempotency key
					rec, err := tx.ReserveIdempotency(ctx, store.Caller{Issuer: "demo", Subject: "counter"}, fmt.Sprintf("key-%d", i%3), "hash")
					if err != nil {
						return err
					}
					if rec != nil {
						replayed[i] = true
						return nil
					}
				}
				a := &store.Application{ID: fmt.Sprintf("app-%03d", i), Item: "elderly_allowance", ApplicantID: "370114194001011234", Village: "370114001201"}
				if err := tx.CreateApplication(ctx, a); err != nil {
					return err
				}
				if err := tx.AppendAudit(ctx, &store.AuditEntry{ActorSub: "counter", ActorRole: "counter", Action: store.AuditLookup,
					ApplicationID: a.ID, Details: json.RawMessage(fmt.Sprintf(`{"n": %d}`, i))}); err != nil {
					return err
				}
				switch {
				case i%7 == 3:
					return errBoom
				case i%11 == 5:
					panic(fmt.Sprint("panic ", i))
				}
				if i%10 == 9 {
					return tx.CompleteIdempotency(ctx, store.Caller{Issuer: "demo", Subject: "counter"}, fmt.Sprintf("key-%d", i%3), 201, []byte(a.ID))
				}
				return nil
			})
		})
	}
	wg.Wait()
	kept := 0
	for i := range n {
		_, err := s.GetApplication(ctx, fmt.Sprintf("app-%03d", i))
		exists := err == nil
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
		switch {
		case replayed[i]:
			if errs[i] != nil || panics[i] != nil || exists {
				t.Errorf("%d: replayed request: err %v, panic %v, application kept %v", i, errs[i], panics[i], exists)
			}
		case i%7 == 3:
			if !errors.Is(errs[i], errBoom) || exists {
				t.Errorf("%d: failing request: err %v, application kept %v", i, errs[i], exists)
			}
		case i%11 == 5:
			if panics[i] != fmt.Sprint("panic ", i) || exists {
				t.Errorf("%d: panicking request: panic %v, application kept %v", i, panics[i], exists)
			}
		default:
			if errs[i] != nil || panics[i] != nil || !exists {
				t.Errorf("%d: err %v, panic %v, application kept %v", i, errs[i], panics[i], exists)
			}
		}
		if exists {
			kept++
		}
	}
	// Each idempotency key was completed by exactly one request.
	for k := range 3 {
		rec, err := s.GetIdempotency(ctx, store.Caller{Issuer: "demo", Subject: "counter"}, fmt.Sprintf("key-%d", k))
		if err != nil {
			t.Fatal(err)
		}
		if !rec.Completed {
			t.Errorf("key-%d not completed", k)
			continue
		}
		if _, err := s.GetApplication(ctx, string(rec.Body)); err != nil {
			t.Errorf("key-%d completed by %s: %v", k, rec.Body, err)
		}
	}
	rep, err := s.VerifyAudit(ctx, nil)
	if err != nil || !rep.Intact || rep.Entries != int64(kept) {
		t.Fatalf("audit: %+v, %v (want %d entries)", rep, err, kept)
	}
}

// TestGroupCommitCanceled: a caller whose context ends before its turn gets the context error
// and writes nothing; the others are unaffected.
func TestGroupCommitCanceled(t *testing.T) {
	s := open(t)
	ctx := t.Context()
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	var wg sync.WaitGroup
	errs := make([]error, 40)
	for i := range errs {
		wg.Go(func() {
			c := ctx
			if i%2 == 1 {
				c = canceled
			}
			errs[i] = s.Tx(c, func(tx store.Txn) error {
				return tx.CreateApplication(c, &store.Application{ID: fmt.Sprint("app-", i), Item: "x", ApplicantID: "370114194001011234"})
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		_, gerr := s.GetApplication(ctx, fmt.Sprint("app-", i))
		if i%2 == 1 && (!errors.Is(err, context.Canceled) || gerr == nil) {
			t.Errorf("%d: canceled caller: err %v, application read %v", i, err, gerr)
		}
		if i%2 == 0 && (err != nil || gerr != nil) {
			t.Errorf("%d: err %v, application read %v", i, err, gerr)
		}
	}
}
