package app

import (
	"context"
	"log/slog"
	"net/http"

	"sanmian/hub/api"
	"sanmian/hub/service"
	"sanmian/schema"
)

// graphQLHandler is the GraphQL door over the same hub service as the REST API; api.Routes
// mounts it at /graphql behind the same bearer-token authentication.
func graphQLHandler(hub *service.Hub, log *slog.Logger) http.Handler {
	return schema.Handler(graphQLService{hub},
		schema.WithCallerFunc(api.CallerFrom),
		schema.WithErrorCode(api.GraphQLErrorCode),
		schema.WithLogger(log))
}

// graphQLService is the hub service as the GraphQL schema uses it: every call goes through
// the hub's authorisation, audit and data-use path, exactly as the REST handlers do, and
// answers with the same view types. Only the catalogue read differs in shape (the schema's
// Items may fail). Safe for concurrent use.
type graphQLService struct{ *service.Hub }

var _ schema.Service = graphQLService{}

// Items returns the item catalogue.
func (g graphQLService) Items(context.Context) ([]service.Item, error) { return g.Hub.Items(), nil }
