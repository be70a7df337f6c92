package schema

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestExplorerInBrowser loads the explorer in headless Chromium against a real HTTP server and
// checks that the schema docs were built from the introspection query (no network beyond the
// server). Skipped when no Chromium is installed, unless CI=true.
func TestExplorerInBrowser(t *testing.T) {
	bin := ""
	for _, b := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(b); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no Chromium found")
		}
		t.Skip("no Chromium found")
	}
	f, _ := newFake()
	mux := http.NewServeMux()
	mux.Handle("/graphql", Handler(f))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(t.Context(), 45*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--user-data-dir="+t.TempDir(), "--virtual-time-budget=10000", "--dump-dom", srv.URL+"/graphql")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	dom := string(out)
	for _, want := range []string{"根类型 Root types", ">Query<", ">Person<", ">Household<"} {
		if !strings.Contains(dom, want) {
			t.Errorf("explorer DOM lacks %q", want)
		}
	}
	if strings.Contains(dom, `<div class="err">`) {
		t.Errorf("explorer could not load docs: %.2000s", dom)
	}
}
