package app

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"sanmian/hub/api"
	"sanmian/hub/service"
	"sanmian/schema"
)

// mountGraphQL serves the GraphQL door at /graphql over the same hub service as the REST API:
// POST (and GET with a query) behind the same bearer-token authentication, and the explorer
// page, which carries no data, to a browser's GET without a token.
func mountGraphQL(s *api.Server, hub *service.Hub, authn api.Authenticator, log *slog.Logger) {
	gql := schema.Handler(graphQLService{hub},
		schema.WithCallerFunc(api.CallerFrom),
		schema.WithErrorCode(graphQLErrorCode),
		schema.WithLogger(log))
	authed := api.Authenticate(authn, gql)
	s.Handle("/graphql", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if (r.Method == http.MethodGet || r.Method == http.MethodHead) && r.Header.Get("Authorization") == "" {
			q := r.URL.Query()
			if !q.Has("query") && !q.Has("extensions") {
				gql.ServeHTTP(w, r) // the explorer page (or a problem document): no data
				return
			}
		}
		authed.ServeHTTP(w, r)
	}))
}

// graphQLErrorCode maps the hub service's errors to GraphQL error codes.
func graphQLErrorCode(err error) string {
	var den *service.DeniedError
	var inv *service.InvalidError
	switch {
	case errors.As(err, &den):
		return schema.CodeForbidden
	case errors.As(err, &inv):
		return schema.CodeBadUserInput
	case errors.Is(err, service.ErrNotFound):
		return schema.CodeNotFound
	case errors.Is(err, service.ErrState), errors.Is(err, service.ErrConcurrent), errors.Is(err, service.ErrIdempotencyMismatch),
		errors.Is(err, service.ErrAlreadyHeld):
		return schema.CodeConflict
	case errors.Is(err, service.ErrEvidenceUnavailable):
		return schema.CodeUnavailable
	}
	return ""
}

// graphQLService is the hub service as the GraphQL schema uses it: every call goes through
// the hub's authorisation, audit and data-use path, exactly as the REST handlers do, and
// answers with the same view types. Only the catalogue read differs in shape (the schema's
// Items may fail). Safe for concurrent use.
type graphQLService struct{ *service.Hub }

var _ schema.Service = graphQLService{}

// Items returns the item catalogue.
func (g graphQLService) Items(context.Context) ([]service.Item, error) { return g.Hub.Items(), nil }
