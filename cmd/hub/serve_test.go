package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor polls until re matches out, or fails the test after 60 s or when done reports
// that the command exited.
func waitFor(t *testing.T, out, errOut *lockedBuffer, re *regexp.Regexp, done <-chan int) []string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m
		}
		select {
		case code := <-done:
			t.Fatalf("exited with %d before %s: %s %s", code, re, out.String(), errOut.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 60 s: %s", re, out.String())
		}
	}
}

// TestServeStartsFromTheDemosConfig: the hub.yaml `hub demo` writes has the current shape
// (each section its package's Config) and `hub serve --config` starts from it.
func TestServeStartsFromTheDemosConfig(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var demoOut, demoErr lockedBuffer
	demoDone := make(chan int, 1)
	go func() {
		demoDone <- run(ctx, []string{"demo", "--addr", "127.0.0.1:0", "--data", dir, "--residents", "500"}, &demoOut, &demoErr)
	}()
	waitFor(t, &demoOut, &demoErr, regexp.MustCompile(`Configuration written to`), demoDone)

	yml, err := os.ReadFile(filepath.Join(dir, "hub.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"base_url:", "master_key_file:", "hedge_budget: 0.05"} {
		if !strings.Contains(string(yml), want) {
			t.Errorf("demo's hub.yaml lacks %q:\n%s", want, yml)
		}
	}
	if regexp.MustCompile(`(?m)^\s+(url|dir|keys_file):`).Match(yml) {
		t.Errorf("demo's hub.yaml carries a setting of the old shape:\n%s", yml)
	}

	var out, errOut lockedBuffer
	serveDone := make(chan int, 1)
	go func() {
		serveDone <- run(ctx, []string{"serve", "--config", filepath.Join(dir, "hub.yaml"), "--addr", "127.0.0.1:0"}, &out, &errOut)
	}()
	m := waitFor(t, &out, &errOut, regexp.MustCompile(`hub serving on (http://\S+) \(store: (\w+)\)`), serveDone)
	if m[2] != "sqlite" {
		t.Errorf("serve opened store %q, want the demo's SQLite file", m[2])
	}
	for _, p := range []string{"/readyz", "/.well-known/jwks.json"} {
		resp, err := http.Get(m[1] + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("serve %s: %d", p, resp.StatusCode)
		}
	}
	cancel()
	if code := <-serveDone; code != 0 {
		t.Errorf("serve stopped with %d: %s", code, errOut.String())
	}
	if code := <-demoDone; code != 0 {
		t.Errorf("demo stopped with %d: %s", code, demoErr.String())
	}
}
