package api

import (
	"context"
	"net/http"

	"sanmian/hub/auth"
	"sanmian/hub/service"
)

// WebhookAdmin is what the webhook administration routes need of the hub service
// (*service.Hub): subscriptions of department apps, the delivery log, dead letters and
// redelivery. Authorisation (webhook.read, webhook.manage) happens in the service.
type WebhookAdmin interface {
	CreateSubscription(ctx context.Context, c auth.Caller, req service.SubscriptionRequest) (service.SubscriptionView, error)
	ListSubscriptions(ctx context.Context, c auth.Caller) ([]service.SubscriptionView, error)
	DeleteSubscription(ctx context.Context, c auth.Caller, id string) error
	ListDeliveries(ctx context.Context, c auth.Caller, f service.DeliveryFilter) ([]service.DeliveryView, string, error)
	GetDelivery(ctx context.Context, c auth.Caller, id string) (service.DeliveryView, error)
	Redeliver(ctx context.Context, c auth.Caller, id string) (service.DeliveryView, error)
}

var _ WebhookAdmin = (*service.Hub)(nil)

// maxDeliveryPage caps one page of the delivery list.
const maxDeliveryPage = 1000

// webhookAdmin holds the webhook administration handlers; Routes mounts them.
type webhookAdmin struct{ hub WebhookAdmin }

func (a webhookAdmin) createSubscription(w http.ResponseWriter, r *http.Request, c auth.Caller) {
	var req service.SubscriptionRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	v, err := a.hub.CreateSubscription(r.Context(), c, req)
	if err != nil {
		WriteServiceError(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/webhooks/subscriptions/"+v.ID)
	WriteJSON(w, http.StatusCreated, v)
}

func (a webhookAdmin) listSubscriptions(w http.ResponseWriter, r *http.Request, c auth.Caller) {
	if _, ok := queryParams(w, r); !ok {
		return
	}
	subs, err := a.hub.ListSubscriptions(r.Context(), c)
	if err != nil {
		WriteServiceError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, map[string]any{"subscriptions": subs})
}

func (a webhookAdmin) deleteSubscription(w http.ResponseWriter, r *http.Request, c auth.Caller) {
	if err := a.hub.DeleteSubscription(r.Context(), c, r.PathValue("id")); err != nil {
		WriteServiceError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a webhookAdmin) listDeliveries(w http.ResponseWriter, r *http.Request, c auth.Caller) {
	q, ok := queryParams(w, r, "state", "subscription", "after", "limit")
	if !ok {
		return
	}
	limit, ok := limitParam(w, r, q["limit"], maxDeliveryPage)
	if !ok {
		return
	}
	ds, next, err := a.hub.ListDeliveries(r.Context(), c, service.DeliveryFilter{State: q["state"], SubscriptionID: q["subscription"],
		After: q["after"], Limit: limit})
	if err != nil {
		WriteServiceError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, map[string]any{"deliveries": ds, "next": next})
}

func (a webhookAdmin) getDelivery(w http.ResponseWriter, r *http.Request, c auth.Caller) {
	d, err := a.hub.GetDelivery(r.Context(), c, r.PathValue("id"))
	if err != nil {
		WriteServiceError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, d)
}

func (a webhookAdmin) redeliver(w http.ResponseWriter, r *http.Request, c auth.Caller) {
	d, err := a.hub.Redeliver(r.Context(), c, r.PathValue("id"))
	if err != nil {
		WriteServiceError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusAccepted, d)
}
