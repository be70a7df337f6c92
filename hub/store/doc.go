// Package store is the hub's persistence: the scan data synced from the platforms (the
// district roll, the province's backflow of deaths and licences, the city's enrolments, joined
// per resident in the scan_residents view; see feeds.go), applications and their reviews,
// confirmations, policy decisions, permits, idempotency records, the hash-chained audit log
// with signed checkpoints, data-use records, the offices' sealing keys, the event outbox
// with its webhook subscriptions and deliveries (the Webhooks role), the latest scan's
// findings (ScanResults) and what was done about them: the contact log of worklist candidates
// and the resolutions of alerts (FollowUpReader, FollowUpWriter, FollowUpStats).
//
// The Store interface describes the whole persistence; consumers declare smaller interfaces
// where they use it. Two backends implement it over one shared database/sql implementation
// (package internal/sqlstore) that differs only in a small dialect description and the
// migration files:
//
//   - sanmian/hub/store/sqlite: embedded SQLite (pure Go), the default; WAL mode, a single
//     writer connection, synchronous=FULL, foreign keys on.
//   - sanmian/hub/store/postgres: PostgreSQL through pgx, for several hub replicas sharing one
//     database; transactions queue their audit entries and chain them after commit.
//
// Both run the same goose migrations on open and pass the same conformance suite
// (sanmian/hub/store/storetest). Open chooses a backend by the form of its argument; the
// backend packages register themselves, so a program imports the ones it wants:
//
//	import (
//		_ "sanmian/hub/store/postgres"
//		_ "sanmian/hub/store/sqlite"
//	)
//
// Every write that a response acknowledges has committed when the call returns. Writes that
// belong together (an application, its decision, its audit entry and its idempotency record)
// go through Store.Tx so they commit or roll back as one. The database enforces what must hold
// across processes: one permit per application, one active sealing key per office (create an
// office's first key with EnsureActiveOfficeKey), one audit chain.
package store
