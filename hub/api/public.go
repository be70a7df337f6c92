package api

import (
	"fmt"
	"net/http"

	"sanmian/schema"
)

// serveOpenAPI serves GET /openapi.json: the OpenAPI document of the REST API.
func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	b, err := schema.OpenAPIJSON()
	if err != nil {
		Logger(r.Context()).Error("openapi", "error", err)
		WriteProblem(w, r, problemInternal)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

// jwksHandler serves GET /.well-known/jwks.json: every sealing office's public keys.
func jwksHandler(keys PublicKeys) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, err := keys.JWKS(r.Context())
		if err != nil {
			Logger(r.Context()).Error("jwks", "error", err)
			WriteProblem(w, r, problemInternal)
			return
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(b)
	}
}

// statusListHandler serves GET /v1/permits/status: the signed status list token, cacheable
// for half its validity.
func statusListHandler(keys PublicKeys) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ttl, err := keys.StatusList(r.Context())
		if err != nil {
			Logger(r.Context()).Error("status list", "error", err)
			WriteProblem(w, r, problemInternal)
			return
		}
		w.Header().Set("Content-Type", "application/statuslist+jwt")
		w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(ttl.Seconds()/2)))
		_, _ = w.Write([]byte(tok))
	}
}
