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
		names := []string{"division", "item", "after", "limit"}
		if key == "alerts" {
			names = append(names, "resolved")
		}
		q, ok := queryParams(w, r, names...)
		if !ok {
			return
		}
		limit, ok := limitParam(w, r, q["limit"], maxFindingsPage)
		if !ok {
			return
		}
		rows, next, err := list(r.Context(), c, service.FindingQuery{Division: q["division"], Item: q["item"], After: q["after"], Limit: limit, Resolved: q["resolved"]})
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

// contactLog serves GET /v1/worklists/{id}/contacts: a candidate's contact log, newest first.
func (v *restV1) contactLog(w http.ResponseWriter, r *http.Request, c auth.Caller) {
	log, err := v.hub.ContactLog(r.Context(), c, r.PathValue("id"))
	if err != nil {
		WriteServiceError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, map[string]any{"contacts": log})
}

// addContact serves POST /v1/worklists/{id}/contacts: 201 with the new entry.
func (v *restV1) addContact(w http.ResponseWriter, r *http.Request, c auth.Caller) {
	var req service.ContactRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	entry, err := v.hub.AddContact(r.Context(), c, r.PathValue("id"), req)
	if err != nil {
		WriteServiceError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusCreated, entry)
}

// applyFromWorklist serves POST /v1/worklists/{id}/application: the candidate's application,
// created (201) as POST /v1/applications creates one, Idempotency-Key included.
func (v *restV1) applyFromWorklist(w http.ResponseWriter, r *http.Request, c auth.Caller) {
	var req service.WorklistApplyRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	res, err := v.hub.ApplyFromWorklist(r.Context(), c, r.PathValue("id"), req, r.Header.Get("Idempotency-Key"))
	if err != nil {
		WriteServiceError(w, r, err)
		return
	}
	writeOutcome(w, http.StatusCreated, res)
}

// resolveAlert serves POST /v1/alerts/{id}/resolve: the alert, now resolved.
func (v *restV1) resolveAlert(w http.ResponseWriter, r *http.Request, c auth.Caller) {
	var req service.ResolveRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	view, err := v.hub.ResolveAlert(r.Context(), c, r.PathValue("id"), req)
	if err != nil {
		WriteServiceError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, view)
}
