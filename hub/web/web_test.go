package web_test

import (
	"encoding/json"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"sanmian/hub/api"
	"sanmian/hub/web"
)

// newServer is an API server with only the UI registered (plus the API's own routes), the
// way app.New mounts it.
func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	s := api.New(api.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	s.HandleFunc("GET /v1/items", func(w http.ResponseWriter, r *http.Request) {
		api.WriteJSON(w, http.StatusOK, map[string]any{"items": []any{}})
	})
	api.Routes(s, api.Parts{UI: web.UI{}})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestHandlerServesUIWithContentTypesAndCSP(t *testing.T) {
	srv := newServer(t)
	cases := []struct {
		name, path, ctype, contains string
	}{
		{"index_at_root", "/", "text/html; charset=utf-8", "窗口受理"},
		{"stylesheet", "/ui/app.css", "text/css; charset=utf-8", "font-family"},
		{"entry_module", "/ui/app.js", "text/javascript; charset=utf-8", "import"},
		{"id_number_module", "/ui/idnumber.js", "text/javascript; charset=utf-8", "10X98765432"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := get(t, srv.URL+tc.path)
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if got := resp.Header.Get("Content-Type"); got != tc.ctype {
				t.Errorf("Content-Type %q, want %q", got, tc.ctype)
			}
			if !strings.Contains(body, tc.contains) {
				t.Errorf("body lacks %q", tc.contains)
			}
			checkCSP(t, resp.Header.Get("Content-Security-Policy"))
			if resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("X-Request-Id") == "" {
				t.Errorf("headers %v", resp.Header)
			}
		})
	}
}

// checkCSP requires a policy that allows nothing but the hub itself (and inline data: images)
// for every kind of resource, and no inline scripts.
func checkCSP(t *testing.T, csp string) {
	t.Helper()
	if csp == "" {
		t.Fatal("no Content-Security-Policy header")
	}
	dirs := map[string][]string{}
	for _, d := range strings.Split(csp, ";") {
		f := strings.Fields(d)
		if len(f) > 0 {
			dirs[f[0]] = f[1:]
		}
	}
	if got := strings.Join(dirs["default-src"], " "); got != "'self'" {
		t.Errorf("default-src %q, want 'self'", got)
	}
	for _, d := range []string{"script-src", "connect-src", "font-src"} {
		if got := strings.Join(dirs[d], " "); got != "'self'" {
			t.Errorf("%s %q, want 'self'", d, got)
		}
	}
	if got := strings.Join(dirs["object-src"], " "); got != "'none'" {
		t.Errorf("object-src %q", got)
	}
	for d, srcs := range dirs {
		for _, s := range srcs {
			switch s {
			case "'self'", "'none'", "data:", "blob:":
			case "'unsafe-inline'":
				if d != "style-src" {
					t.Errorf("%s allows 'unsafe-inline'", d)
				}
			default:
				t.Errorf("%s allows %q: only the hub itself may be a source", d, s)
			}
		}
	}
}

func TestHandlerDoesNotShadowTheAPI(t *testing.T) {
	srv := newServer(t)
	cases := []struct {
		name, path string
		status     int
		ctype      string
	}{
		{"api_route_still_api", "/v1/items", 200, "application/json; charset=utf-8"},
		{"unknown_path_is_problem", "/no-such-page", 404, "application/problem+json"},
		{"unknown_asset_is_404", "/ui/missing.js", 404, "text/plain; charset=utf-8"},
		{"asset_dir_is_problem", "/ui/", 404, "application/problem+json"},
		{"healthz_still_api", "/healthz", 200, "application/json; charset=utf-8"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, _ := get(t, srv.URL+tc.path)
			if resp.StatusCode != tc.status || resp.Header.Get("Content-Type") != tc.ctype {
				t.Fatalf("%d %q, want %d %q", resp.StatusCode, resp.Header.Get("Content-Type"), tc.status, tc.ctype)
			}
		})
	}
	resp, _ := get(t, srv.URL+"/")
	if resp.StatusCode != 200 {
		t.Fatalf("GET /: %d", resp.StatusCode)
	}
	req, _ := http.NewRequestWithContext(t.Context(), "POST", srv.URL+"/", nil)
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode == 200 {
		t.Fatal("POST / served the UI")
	}
}

func TestDivisionName(t *testing.T) {
	srv := newServer(t)
	resp, body := get(t, srv.URL+"/ui/division/370114")
	var d map[string]string
	if err := json.Unmarshal([]byte(body), &d); err != nil || resp.StatusCode != 200 || d["name"] != "章丘区" || d["level"] != "district" {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if resp, _ := get(t, srv.URL+"/ui/division/999999"); resp.StatusCode != 404 {
		t.Fatalf("unknown code: %d", resp.StatusCode)
	}
}

// externalRef finds anything in an asset that could load from another origin: absolute
// URLs (http, https, protocol-relative, ws), CSS imports and url() with a scheme, @font-face
// sources.
var externalRef = regexp.MustCompile(`(?i)(https?:|wss?:|ftp:)//|["'(=]\s*//[a-z0-9]|@import|@font-face|url\(\s*["']?[a-z][a-z0-9+.-]*:`)

func TestEmbeddedAssetsReferNoOtherOrigin(t *testing.T) {
	n := 0
	err := fs.WalkDir(web.Static, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		b, err := fs.ReadFile(web.Static, path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if m := externalRef.FindString(line); m != "" {
				t.Errorf("%s:%d refers to another origin (%q): %s", path, i+1, m, strings.TrimSpace(line))
			}
		}
		if strings.HasSuffix(path, ".html") {
			// No inline scripts or handlers: the CSP would block them.
			for _, bad := range []string{"<script>", " onclick=", " onload=", " style="} {
				if strings.Contains(string(b), bad) {
					t.Errorf("%s contains %q", path, bad)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 5 {
		t.Fatalf("only %d embedded files", n)
	}
}
