// Package sync keeps the hub's synced copy of the platforms' data up to date: the district's
// change feed (residents, rolls, land and homestead), the province's backflow feed (deaths and
// licences, 数据回流) and the city's enrolment changes (pension, medical insurance,
// employment). The district-wide scans decide on this copy, so it holds the same facts the
// live per-resident decision fetches.
//
// Every feed syncs the same way: from the cursor saved in the store, each page of changes is
// applied together with the cursor after it in one store transaction (upserts, and deletes),
// so a sync may be killed at any point and run again without losing or duplicating rows, and
// replaying a page changes nothing. The next page is fetched while the current one is
// written. Progress is reported after every page. With WithBatchRows (the hub: 50,000 rows)
// consecutive pages are applied together, with the last page's cursor: a bulk load writes
// each B-tree page once per transaction, not once per page of changes.
//
// All asks a store.BulkLoader for its bulk mode first: on a first load the SQLite store drops
// the synced tables' secondary indexes and builds them once at the end (also after a load
// that stopped, when the store next opens). Each applied page also marks, for delta scans,
// the residents whose scan evidence it changes (store.ScanDelta).
//
// The package sits on the hub side: it imports the connectors and the store's role
// interfaces; the connectors know nothing of the store.
package sync
