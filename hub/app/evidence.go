package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"sanmian/connectors/cache"
	"sanmian/connectors/city"
	"sanmian/connectors/district"
	"sanmian/connectors/province"
	"sanmian/connectors/resilience"
	"sanmian/hub/config"
	"sanmian/hub/evidence"
	"sanmian/hub/evidence/assembly"
	"sanmian/hub/service"
	"sanmian/hub/store"
	hubsync "sanmian/hub/sync"
)

// connectors are the three platform clients, the cache and the assembler over them.
type connectorSet struct {
	province  *province.Client
	city      *city.Client
	district  *district.Client
	assembler *assembly.Assembler
}

func newConnectors(cfg *config.Config, st store.Store, reg prometheus.Registerer, log *slog.Logger, cacheOpts ...cache.Option) (*connectorSet, error) {
	m, err := resilience.NewMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("app: connector metrics: %w", err)
	}
	opts := []resilience.Option{resilience.WithMetrics(m), resilience.WithLogger(log)}
	var c connectorSet
	if c.province, err = province.New(cfg.Upstreams.Province, opts...); err != nil {
		return nil, fmt.Errorf("app: province connector: %w", err)
	}
	if c.city, err = city.New(cfg.Upstreams.City, opts...); err != nil {
		return nil, fmt.Errorf("app: city connector: %w", err)
	}
	if c.district, err = district.New(cfg.Upstreams.District, opts...); err != nil {
		return nil, fmt.Errorf("app: district connector: %w", err)
	}
	ch := cache.New(cfg.Evidence, append([]cache.Option{cache.WithObserver(m)}, cacheOpts...)...)
	c.assembler = assembly.New(c.province, c.city, c.district,
		assembly.WithCache(ch), assembly.WithHouseholdIndex(hubsync.Index{R: st}))
	return &c, nil
}

func (c *connectorSet) Close() error {
	c.province.Close()
	c.city.Close()
	c.district.Close()
	return nil
}

// evidencePort adapts the assembler to the hub service.
type evidencePort struct {
	c     *connectorSet
	store store.Store
}

var _ service.Evidence = evidencePort{}

// Locate finds the resident's village in the local snapshot, else asks the district.
func (e evidencePort) Locate(ctx context.Context, id string) (string, error) {
	r, err := e.store.GetResident(ctx, id)
	if err == nil && r.Village != "" {
		return r.Village, nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	dr, err := e.c.district.Resident(ctx, id)
	if err != nil {
		return "", err
	}
	return dr.Village, nil
}

// Assemble gathers the evidence with per-request options (the item's needs).
func (e evidencePort) Assemble(ctx context.Context, id string, opts evidence.AssembleOptions) (*evidence.Bundle, error) {
	b, err := e.c.assembler.Assemble(ctx, id, opts)
	if err != nil {
		return nil, err
	}
	return &b, nil
}
