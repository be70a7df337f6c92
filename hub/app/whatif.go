package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"sanmian/hub/policy"
	"sanmian/hub/scan"
	"sanmian/hub/service"
	"sanmian/hub/store"
)

// whatIfPort runs policy what-ifs for the service: the district scan over the synced data
// with the live engine and with a candidate engine built from the uploaded bundle under the
// live bundle's verification rules. The candidate engine is private to the run: never
// activated, never recording, dropped afterwards.
type whatIfPort struct {
	live  *policy.Engine
	store store.Store
	cfg   policy.Config
	log   *slog.Logger
}

var _ service.WhatIfRunner = whatIfPort{}

// LoadCandidate builds the candidate engine: signature verification as configured, the
// bundle's own tests and the differential check, as for the live bundle.
func (w whatIfPort) LoadCandidate(ctx context.Context, bundle []byte) (service.WhatIfCandidate, error) {
	opts, err := w.cfg.CandidateOptions()
	if err != nil {
		return nil, err
	}
	cand, err := policy.New(ctx, append(opts, policy.FromTarball(bundle), policy.WithLogger(w.log))...)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", service.ErrBadBundle, err)
	}
	return whatIfCandidate{port: w, cand: cand, live: w.live.Revision()}, nil
}

type whatIfCandidate struct {
	port whatIfPort
	cand *policy.Engine
	live string
}

func (c whatIfCandidate) Revisions() (string, string) { return c.live, c.cand.Revision() }

// progressWriter hands each progress line of the scan to fn.
type progressWriter func(string)

func (p progressWriter) Write(b []byte) (int, error) {
	p(strings.TrimSpace(string(b)))
	return len(b), nil
}

func (c whatIfCandidate) Run(ctx context.Context, q service.WhatIfQuery, progress func(string)) (*service.WhatIfReport, error) {
	w := c.port
	dialect := "sqlite"
	if w.store.Backend() == "postgres" {
		dialect = "postgresql"
	}
	r := &scan.Runner{Engine: w.live, Store: w.store, SQLCache: w.store}
	rep, err := r.WhatIf(ctx, c.cand, scan.Options{Item: q.Item, Division: q.Division, At: q.At, Dialect: dialect, Progress: progressWriter(progress)})
	if errors.Is(err, scan.ErrUnknownItem) {
		return nil, fmt.Errorf("%w: %v", service.ErrUnknownScanItem, err)
	}
	if err != nil {
		return nil, err
	}
	out := &service.WhatIfReport{At: rep.At, LiveRevision: rep.LiveRevision, CandidateRevision: rep.CandidateRevision,
		Residents: rep.Residents, Gains: rep.Gains, Losses: rep.Losses, Cleared: rep.Cleared, ElapsedMS: rep.ElapsedMS,
		Items: []service.WhatIfItem{}, Villages: []service.WhatIfVillage{}, Changes: []service.WhatIfChange{}}
	for _, it := range rep.Items {
		out.Items = append(out.Items, service.WhatIfItem{Item: it.Item, LiveCandidates: it.LiveCandidates, CandidateCandidates: it.CandidateCandidates,
			LiveAlerts: it.LiveAlerts, CandidateAlerts: it.CandidateAlerts, Gains: it.Gains, Losses: it.Losses, Cleared: it.Cleared})
	}
	for _, v := range rep.Villages {
		out.Villages = append(out.Villages, service.WhatIfVillage{Village: v.Village, Item: v.Item, Gains: v.Gains, Losses: v.Losses, Cleared: v.Cleared})
	}
	for k := range rep.Changes {
		ch := &rep.Changes[k]
		out.Changes = append(out.Changes, service.WhatIfChange{Item: ch.Item, Village: ch.Village, IDNumber: ch.ID, Change: ch.Change,
			Enrolled: ch.Enrolled, Reasons: ch.Reasons, Rule: ch.Rule, FullID: ch.IDNumber()})
	}
	return out, nil
}
