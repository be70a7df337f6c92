package api

import "net/http"

// graphQLHandler serves the GraphQL door at /graphql over gql (schema.Handler on the same hub
// service as the REST API): POST (and GET with a query) behind the same bearer-token
// authentication, and the explorer page, which carries no data, to a browser's GET without a
// token.
func graphQLHandler(gql http.Handler, authn Authenticator) http.Handler {
	authed := Authenticate(authn, gql)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if (r.Method == http.MethodGet || r.Method == http.MethodHead) && r.Header.Get("Authorization") == "" {
			q := r.URL.Query()
			if !q.Has("query") && !q.Has("extensions") {
				gql.ServeHTTP(w, r) // the explorer page (or a problem document): no data
				return
			}
		}
		authed.ServeHTTP(w, r)
	})
}
