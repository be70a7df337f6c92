package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"sanmian/hub/app"
	"sanmian/hub/config"
	"sanmian/hub/store"
)

// configFlags are the --data / --config flags of commands that touch the store or keys.
type configFlags struct {
	data, config *string
}

func addConfigFlags(fs *flag.FlagSet) configFlags {
	return configFlags{
		data:   fs.String("data", defaultDataDir, "demo data directory (its hub.yaml is used)"),
		config: fs.String("config", "", "hub configuration file (overrides --data)"),
	}
}

func (f configFlags) load() (*config.Config, error) {
	path := *f.config
	if path == "" {
		path = filepath.Join(*f.data, "hub.yaml")
	}
	cfg, err := config.Load(path)
	if err != nil {
		return nil, fmt.Errorf("%w (run `hub demo` first, or pass --config)", err)
	}
	return cfg, nil
}

// openStore loads the configuration and opens its store (the caller closes it). A bad or
// missing configuration is a usage error (exit 2).
func (f configFlags) openStore(ctx context.Context) (*config.Config, store.Store, error) {
	cfg, err := f.load()
	if err != nil {
		return nil, nil, &exitError{Code: 2, Err: err}
	}
	st, err := store.Open(ctx, cfg.Store)
	if err != nil {
		return nil, nil, err
	}
	return cfg, st, nil
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", stderr)
	cf := addConfigFlags(fs)
	addr := fs.String("addr", "", "listen address (default: the configuration's addr)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := cf.load()
	if err != nil {
		return &exitError{Code: 2, Err: err}
	}
	if *addr != "" {
		cfg.Addr = *addr
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.Addr, err)
	}
	defer ln.Close()
	hub, err := app.New(ctx, cfg, app.WithLogger(log))
	if err != nil {
		return err
	}
	defer hub.Close()
	return serveUntilDone(ctx, ln, hub, log, func() {
		fmt.Fprintf(stdout, "hub serving on http://%s (store: %s)\n", ln.Addr(), hub.Store.Backend())
	})
}

// serveUntilDone serves hub on ln until ctx ends, then shuts down gracefully.
func serveUntilDone(ctx context.Context, ln net.Listener, hub *app.App, log *slog.Logger, started func()) error {
	srv := &http.Server{Handler: hub.Handler(), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	started()
	select {
	case <-ctx.Done():
	case err := <-serveErr:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("hub server: %w", err)
		}
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}
