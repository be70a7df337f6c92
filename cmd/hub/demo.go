package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"sanmian/connectors/sim"
	"sanmian/connectors/sim/synth"
	"sanmian/hub/app"
	"sanmian/hub/auth"
	"sanmian/hub/demo"
	"sanmian/hub/division"
	"sanmian/hub/seal"
	hubsync "sanmian/hub/sync"
)

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "hub listen address (port 0: any free port)")
	data := fs.String("data", defaultDataDir, "data directory: store, keys, demo issuer, hub.yaml")
	residents := fs.Int("residents", synth.DefaultResidents, "synthetic district size (1075784 = the whole district)")
	seed := fs.Int64("seed", 1, "data seed: the same seed gives the same district")
	faults := fs.String("faults", "none", "fault profile of the simulated platforms: none, realistic, flaky, outage-province, or a YAML file")
	readyFile := fs.String("ready-file", "", "once everything serves, write a JSON file with the addresses and sample residents")
	verbose := fs.Bool("v", false, "log every request (no personal data is logged)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	dir, err := filepath.Abs(*data)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	// Bind first: a taken port is the most common failure and should not cost a data build.
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("%s is already in use (another demo running?); stop it or pass --addr 127.0.0.1:0", *addr)
		}
		return fmt.Errorf("listen %s: %w", *addr, err)
	}
	defer ln.Close()

	start := time.Now()
	fmt.Fprintf(stdout, "三免 Sanmian hub demo — 正在准备 (building a synthetic district of %d residents, seed %d) ...\n", *residents, *seed)
	platforms, err := sim.Start(ctx, sim.Config{Residents: *residents, Seed: *seed, Faults: *faults, Logger: log})
	if err != nil {
		return err
	}
	defer platforms.Close()

	issuer, err := auth.OpenDemoIssuer(dir)
	if err != nil {
		return fmt.Errorf("demo issuer: %w", err)
	}
	jwks, err := issuer.JWKS()
	if err != nil {
		return err
	}
	jwksFile := filepath.Join(dir, "issuer.jwks.json")
	if err := os.WriteFile(jwksFile, jwks, 0o644); err != nil {
		return err
	}
	if _, err := seal.DemoMasterKey(dir); err != nil {
		return fmt.Errorf("demo master key: %w", err)
	}
	cfg := demo.Config(dir, platforms, auth.TrustedIssuer{Name: issuer.Name(), Algorithms: []string{"EdDSA"}, JWKSFile: jwksFile})
	cfg.Addr, cfg.PublicURL = ln.Addr().String(), "http://"+ln.Addr().String()
	if err := cfg.Write(filepath.Join(dir, "hub.yaml")); err != nil {
		return fmt.Errorf("write hub.yaml: %w", err)
	}
	hub, err := app.New(ctx, cfg, app.WithLogger(log))
	if err != nil {
		return err
	}
	defer hub.Close()
	if err := syncFeeds(ctx, hub, *residents, stdout); err != nil {
		return err
	}

	hubURL := "http://" + ln.Addr().String()
	samples := samplesOf(platforms.Data, 6)
	fmt.Fprintf(stdout, "ready in %s\n\n", time.Since(start).Round(10*time.Millisecond))
	fmt.Fprintf(stdout, "Hub 服务地址 (UI and API): %s\n", hubURL)
	fmt.Fprintf(stdout, "  API description: %s/openapi.json   GraphQL explorer: %s/graphql   health: %s/readyz\n\n", hubURL, hubURL, hubURL)
	printPlatforms(stdout, platforms)
	printSamples(stdout, samples)
	if err := printTokens(stdout, issuer, samples); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nConfiguration written to %s (usable with `hub serve --config`).\n", filepath.Join(dir, "hub.yaml"))
	fmt.Fprintln(stdout, "Next: mint more tokens with `go run ./cmd/hub token --role counter --jurisdiction <village code>`;")
	fmt.Fprintln(stdout, "the README walks through an application from counter to sealed permit. Ctrl-C stops everything. 按 Ctrl-C 退出。")

	if *readyFile != "" {
		if err := writeReadyFile(*readyFile, map[string]any{
			"hub": hubURL, "province": platforms.Province.URL(), "city": platforms.City.URL(),
			"district": platforms.District.URL(), "samples": samples,
		}); err != nil {
			return err
		}
	}

	if err := serveUntilDone(ctx, ln, hub, log, func() {}); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "stopped. 已停止。")
	return nil
}

// syncFeeds copies the platforms' scan data into the hub's store before the demo announces
// itself: the district roll, the province's backflow (deaths and licences) and the city's
// enrolments, all three at once, with progress on the terminal for a large district.
func syncFeeds(ctx context.Context, hub *app.App, residents int, stdout io.Writer) error {
	verbose := residents > 100_000
	if verbose {
		fmt.Fprintf(stdout, "Syncing the scan data (district roll, province backflow, city enrolments; %d residents) ...\n", residents)
	}
	var mu sync.Mutex
	last := map[string]time.Time{}
	start := time.Now()
	err := hub.SyncFeeds(ctx, func(p hubsync.Progress) {
		if !verbose {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if !p.Done && time.Since(last[p.Feed]) < 3*time.Second {
			return
		}
		last[p.Feed] = time.Now()
		done := ""
		if p.Done {
			done = " — done 完成"
		}
		fmt.Fprintf(stdout, "  %-19s %8d rows, %d deletes (%.0f rows/s)%s\n", p.Feed, p.Rows, p.Deletes, p.RowsPerSecond, done)
	})
	if err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	if verbose {
		fmt.Fprintf(stdout, "  synced in %s\n", time.Since(start).Round(10*time.Millisecond))
	}
	return nil
}

// printTokens mints and prints one ready token per role, scoped to the first sample's
// village, work area and town so the whole review chain can be walked. Every token has a
// subject of its own.
func printTokens(w io.Writer, iss *auth.Issuer, samples []sample) error {
	village := division.Villages()[0].Code
	if len(samples) > 0 {
		village = samples[0].Village
	}
	v, _ := division.Lookup(village)
	wa, _ := division.WorkAreaOf(village)
	type tok struct {
		label string
		c     auth.Caller
	}
	toks := []tok{
		{"counter 村级窗口 (" + division.FullName(village) + ")", auth.Caller{Role: auth.RoleCounter, Jurisdiction: village}},
		{"reviewer 村级审核", auth.Caller{Role: auth.RoleReviewer, Jurisdiction: village}},
		{"reviewer 工作区审核 (" + wa.Name + ")", auth.Caller{Role: auth.RoleReviewer, Jurisdiction: wa.Code}},
		{"reviewer 镇街审核 (" + division.FullName(v.Town) + ")", auth.Caller{Role: auth.RoleReviewer, Jurisdiction: v.Town}},
		{"department 部门应用 (all items)", auth.Caller{Role: auth.RoleDepartment, Scope: []string{"*"}}},
		{"auditor 审计", auth.Caller{Role: auth.RoleAuditor, Jurisdiction: division.DistrictCode}},
		{"admin 管理员", auth.Caller{Role: auth.RoleAdmin, Jurisdiction: division.DistrictCode}},
	}
	// Each token its own subject (auth.DemoSubject): callers never share idempotency records.
	for i := range toks {
		toks[i].c.Subject = auth.DemoSubject(toks[i].c.Role, toks[i].c.Jurisdiction)
	}
	fmt.Fprintln(w, "\nReady tokens (8 h) 演示令牌 — use as `Authorization: Bearer <token>`:")
	for _, t := range toks {
		s, err := iss.Mint(t.c, 8*time.Hour)
		if err != nil {
			return fmt.Errorf("mint %s token: %w", t.c.Role, err)
		}
		fmt.Fprintf(w, "  %s\n    %s\n", t.label, s)
	}
	return nil
}
