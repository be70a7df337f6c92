package api

import (
	"context"
	"net/http"

	"sanmian/hub/auth"
	"sanmian/hub/service"
)

// findings serves GET /v1/worklists and GET /v1/alerts: the latest scan's results, paged,
// answered as {<key>: [...], next}.
func (v *restV1) findings(key string, list func(context.Context, auth.Caller, service.FindingQuery) ([]service.FindingView, string, error)) func(http.ResponseWriter, *http.Request, auth.Caller) {
	return func(w http.ResponseWriter, r *http.Request, c auth.Caller) {
		q, ok := queryParams(w, r, "division", "item", "after", "limit")
		if !ok {
			return
		}
		limit, ok := limitParam(w, r, q["limit"], maxFindingsPage)
		if !ok {
			return
		}
		rows, next, err := list(r.Context(), c, service.FindingQuery{Division: q["division"], Item: q["item"], After: q["after"], Limit: limit})
		if err != nil {
			WriteServiceError(w, r, err)
			return
		}
		if rows == nil {
			rows = []service.FindingView{}
		}
		WriteJSON(w, http.StatusOK, map[string]any{key: rows, "next": next})
	}
}
