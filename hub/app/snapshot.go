package app

import (
	"context"

	"sanmian/connectors/snapshot"
)

// SyncSnapshot brings the resident snapshot up to date from the district change feed,
// resuming from the saved cursor; progress (may be nil) is called after every page. The
// snapshot lets the hub locate residents and households locally (access decided before any
// platform call, all platforms asked at once) and is what the proactive scan runs on.
func (a *App) SyncSnapshot(ctx context.Context, progress func(snapshot.Progress)) error {
	return snapshot.Sync(ctx, a.conns.district, a.Store, progress)
}
