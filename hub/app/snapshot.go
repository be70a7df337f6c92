package app

import (
	"context"

	hubsync "sanmian/hub/sync"
)

// SyncSnapshot brings the resident roll up to date from the district change feed, resuming
// from the saved cursor; progress (may be nil) is called after every applied batch of pages. The roll lets the
// hub locate residents and households locally (access decided before any platform call, all
// platforms asked at once).
func (a *App) SyncSnapshot(ctx context.Context, progress func(hubsync.Progress)) error {
	return hubsync.District(ctx, a.conns.district, a.Store, progress, hubsync.WithBatchRows(hubsync.DefaultBatchRows))
}

// SyncFeeds brings all the scan data up to date, each feed from its saved cursor: the
// district change feed, the province's backflow (deaths and licences) and the city's
// enrolment changes, concurrently. progress (may be nil) is called after every applied batch of every
// feed, possibly from several goroutines at once. The proactive and supervision scans decide
// on this data.
func (a *App) SyncFeeds(ctx context.Context, progress func(hubsync.Progress)) error {
	return hubsync.All(ctx, hubsync.Feeds{District: a.conns.district, Province: a.conns.province, City: a.conns.city}, a.Store, progress, hubsync.WithBatchRows(hubsync.DefaultBatchRows))
}
