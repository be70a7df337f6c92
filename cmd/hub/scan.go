package main

import (
	"context"
	"errors"
	"io"
)

// runScan is the proactive scan (主动服务). It is not built yet: the policy bundle already
// has the one-evaluation-per-resident scan rule and the store holds the synced resident
// snapshot, but the worklist runner and GET /v1/worklists are still to come. It says so
// rather than pretending.
func runScan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return &exitError{Code: 1, Err: errors.New("the proactive scan is not implemented yet (policy rule and resident snapshot exist; the worklist runner does not)")}
}
