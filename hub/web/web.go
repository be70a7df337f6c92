package web

import (
	"io/fs"
	"net/http"
	"strings"

	"sanmian/hub/api"
	"sanmian/hub/division"
)

// ContentSecurityPolicy is sent with every UI response. It allows scripts, styles, images,
// fonts and connections from the hub itself only. Inline styles are allowed because the
// printable permit page (GET /v1/permits/{id}/print, fetched with the caller's token and
// shown from a blob: URL, which inherits this policy) carries its own stylesheet and an
// inline SVG QR code; inline scripts are never allowed. data: images are for a signature
// preview.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// assets is Static rooted at its static directory.
var assets = mustSub(Static, "static")

func mustSub(f fs.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return s
}

// UI is the counter web UI as api.Routes mounts it (api.WebUI): the counter page at "GET /"
// (exactly; other unknown paths keep the API's not-found problem), the assets under
// "GET /ui/", and "GET /ui/division/{code}", the name of a division code for display.
type UI struct{}

var _ api.WebUI = UI{}

// Pages serves the counter page and the assets (Handler).
func (UI) Pages() http.Handler { return Handler() }

// DivisionNames serves GET /ui/division/{code}.
func (UI) DivisionNames() http.Handler { return http.HandlerFunc(divisionName) }

// Handler serves the UI: "/" is index.html, "/ui/<file>" an embedded asset. Any other path is
// a 404. Safe for concurrent use.
func Handler() http.Handler {
	files := http.FileServerFS(assets)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSecurityHeaders(w)
		switch {
		case r.URL.Path == "/":
			w.Header().Set("Cache-Control", "no-cache")
			b, err := fs.ReadFile(assets, "index.html")
			if err != nil {
				http.Error(w, "index missing", http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write(b)
		case strings.HasPrefix(r.URL.Path, "/ui/") && r.URL.Path != "/ui/" && !strings.HasSuffix(r.URL.Path, "/"):
			w.Header().Set("Cache-Control", "no-cache")
			r2 := r.Clone(r.Context())
			r2.URL.Path = strings.TrimPrefix(r.URL.Path, "/ui")
			r2.URL.RawPath = ""
			files.ServeHTTP(w, r2)
		default:
			api.WriteProblem(w, r, api.Problem{Type: "not-found", Title: "Not found / 未找到", Status: http.StatusNotFound})
		}
	})
}

func setSecurityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
}

// divisionName answers {code, name, level} for a division of the district, so the UI can
// show "章丘区圣井街道前阎楼村" for the jurisdiction in a token. The division tree is public.
func divisionName(w http.ResponseWriter, r *http.Request) {
	setSecurityHeaders(w)
	d, ok := division.Lookup(r.PathValue("code"))
	if !ok {
		api.WriteProblem(w, r, api.Problem{Type: "not-found", Title: "Not found / 未找到", Status: http.StatusNotFound,
			Detail: "No such division code. 无此区划代码。"})
		return
	}
	api.WriteJSON(w, http.StatusOK, map[string]string{"code": d.Code, "name": division.FullName(d.Code), "level": d.Level.String()})
}
