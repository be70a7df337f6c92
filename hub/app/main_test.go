package app_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"sanmian/hub/app"
	"sanmian/hub/config"
)

// Environment of a hub child process (see TestMain and startHubProcess).
const (
	envHubConfig = "SANMIAN_TEST_HUB_CONFIG" // configuration file the child serves
	envHubReady  = "SANMIAN_TEST_HUB_READY"  // file the child writes its address to
)

// TestMain runs the tests, or, when started by startHubProcess, a hub: app.New on the
// configuration file, served over HTTP until SIGTERM (then shut down, which writes a last
// audit checkpoint). This gives tests real separate hub processes without needing the hub
// binary to be built.
func TestMain(m *testing.M) {
	if path := os.Getenv(envHubConfig); path != "" {
		if err := serveHub(path, os.Getenv(envHubReady)); err != nil {
			fmt.Fprintln(os.Stderr, "hub process:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func serveHub(cfgPath, ready string) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return err
	}
	a, err := app.New(ctx, cfg, app.WithLogger(quietLogger()))
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	tmp := ready + ".tmp"
	if err := os.WriteFile(tmp, []byte("http://"+ln.Addr().String()), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, ready); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		return err
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// startHubProcess starts this test binary as a hub process serving cfg and returns its URL
// and a function that stops it (SIGTERM to that process only, then wait); cleanup stops it
// too.
func startHubProcess(t *testing.T, cfg *config.Config, name string) (string, func()) {
	t.Helper()
	h := startHubChild(t, cfg, name)
	return h.URL, h.Stop
}

// hubChild is a hub process started by startHubChild.
type hubChild struct {
	URL     string
	t       *testing.T
	name    string
	cmd     *exec.Cmd
	done    chan struct{}
	stderr  *strings.Builder
	stopped bool
}

// Stop sends SIGTERM to the hub process and waits for it to exit cleanly.
func (h *hubChild) Stop() {
	if h.stopped {
		return
	}
	h.stopped = true
	_ = h.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-h.done:
	case <-time.After(15 * time.Second):
		_ = h.cmd.Process.Kill()
		<-h.done
	}
	if !h.cmd.ProcessState.Success() {
		h.t.Errorf("hub process %s: %v: %s", h.name, h.cmd.ProcessState, h.stderr.String())
	}
}

// Kill ends the hub process with SIGKILL, as a crash would, and waits for it.
func (h *hubChild) Kill() {
	if h.stopped {
		return
	}
	h.stopped = true
	_ = h.cmd.Process.Kill()
	<-h.done
}

// startHubChild starts this test binary as a hub process serving cfg; cleanup stops it.
func startHubChild(t *testing.T, cfg *config.Config, name string) *hubChild {
	t.Helper()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, name+".yaml")
	if err := cfg.Write(cfgPath); err != nil {
		t.Fatal(err)
	}
	ready := filepath.Join(dir, name+".ready")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envHubConfig+"="+cfgPath, envHubReady+"="+ready)
	h := &hubChild{t: t, name: name, cmd: cmd, done: make(chan struct{}), stderr: &strings.Builder{}}
	cmd.Stderr = h.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); close(h.done) }()
	t.Cleanup(h.Stop)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if b, err := os.ReadFile(ready); err == nil {
			h.URL = string(b)
			return h
		}
		select {
		case <-h.done:
			t.Fatalf("hub process %s exited: %s", name, h.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("hub process %s not ready after 60 s: %s", name, h.stderr.String())
		}
	}
}
