package storetest

import (
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"sanmian/hub/store"
)

// BenchSnapshotBatch is the batch size of BenchmarkApplySnapshot (the district feed's page).
const BenchSnapshotBatch = 5000

// BenchmarkApplySnapshot measures ApplySnapshot with batches of BenchSnapshotBatch new rows
// (about 30% with enrolments) and reports rows/s.
func BenchmarkApplySnapshot(b *testing.B, s store.Store) {
	ctx := b.Context()
	next, rows := 0, 0
	var elapsed time.Duration
	for b.Loop() {
		batch := Residents(next, BenchSnapshotBatch) // generation is not timed
		next += len(batch)
		start := time.Now()
		if err := s.ApplySnapshot(ctx, "bench", batch, "c"); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		rows += len(batch)
	}
	b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
}

// BenchmarkApplySnapshotUpdate measures ApplySnapshot re-applying existing rows (the
// steady-state change feed: every row an update) and reports rows/s.
func BenchmarkApplySnapshotUpdate(b *testing.B, s store.Store) {
	ctx := b.Context()
	batch := Residents(0, BenchSnapshotBatch)
	if err := s.ApplySnapshot(ctx, "bench", batch, "c"); err != nil {
		b.Fatal(err)
	}
	rows := 0
	start := time.Now()
	for i := 0; b.Loop(); i++ {
		for j := range batch {
			batch[j].UpdatedSeq = int64(i)
		}
		if err := s.ApplySnapshot(ctx, "bench", batch, "c"); err != nil {
			b.Fatal(err)
		}
		rows += len(batch)
	}
	b.ReportMetric(float64(rows)/time.Since(start).Seconds(), "rows/s")
}

// BenchmarkAuditAppend measures AppendAudit, each in its own transaction (the durable,
// one-entry-per-request case), from 4×GOMAXPROCS goroutines, and reports appends/s.
func BenchmarkAuditAppend(b *testing.B, s store.Store) {
	ctx := b.Context()
	b.SetParallelism(4)
	start := time.Now()
	var n int64
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if err := s.AppendAudit(ctx, auditEntry(i)); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
	n = int64(b.N)
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "appends/s")
}

// BenchmarkCreateApplication measures CreateApplication, each in its own transaction, from
// 4×GOMAXPROCS goroutines, without a subject key (a repeatable item: a plain insert) and with
// one (the insert that claims the (item, subject) hold), each creation for another resident;
// it reports creations/s.
func BenchmarkCreateApplication(b *testing.B, s store.Store) {
	var seq atomic.Int64
	for _, held := range []bool{false, true} {
		b.Run(fmt.Sprintf("subject_key=%v", held), func(b *testing.B) {
			ctx := b.Context()
			b.SetParallelism(4)
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					a := newApp("370114001201", "elderly_allowance", store.StatusDraft)
					a.ApplicantID = fmt.Sprintf("3701141%011d", seq.Add(1))
					if held {
						a.SubjectKey = s.SubjectDigest(a.ApplicantID)
					}
					if err := s.CreateApplication(ctx, a); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "creations/s")
		})
	}
}

// BenchmarkApplyFeeds measures the bulk path of a first sync: per iteration one page of
// BenchSnapshotBatch new residents on each feed (district roll, province facts with a birth
// certificate's two links, city records), and reports rows/s and the process's CPU time per
// 1000 rows (user + system, comparable across machine load).
func BenchmarkApplyFeeds(b *testing.B, s store.Store) {
	ctx := b.Context()
	next, rows := 0, 0
	var elapsed, cpu time.Duration
	for b.Loop() {
		res := Residents(next, BenchSnapshotBatch)
		prov := make([]store.ProvinceFacts, len(res))
		city := make([]store.CityEnrolment, len(res))
		for i := range res {
			prov[i], city[i] = ProvinceFacts(next+i, true), CityEnrolment(next+i)
		}
		next += len(res)
		c0, start := cpuTime(), time.Now()
		if err := s.ApplySnapshot(ctx, "bench.d", res, "c"); err != nil {
			b.Fatal(err)
		}
		if err := s.ApplyProvinceFacts(ctx, "bench.p", prov, "c"); err != nil {
			b.Fatal(err)
		}
		if err := s.ApplyCityEnrolments(ctx, "bench.c", city, "c"); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
		cpu += cpuTime() - c0
		rows += 3 * len(res)
	}
	b.ReportMetric(float64(rows)/elapsed.Seconds(), "rows/s")
	b.ReportMetric(float64(cpu.Milliseconds())/float64(rows)*1000, "cpu-ms/1000rows")
}

// cpuTime is the process's user plus system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
