package api

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"sanmian/hub/auth"
	"sanmian/hub/service"
	"sanmian/hub/store"
)

// Hub is what the routes need of the hub service (*service.Hub): every REST call goes
// through it, so authorisation, audit and data-use records happen in one place.
type Hub interface {
	Items() []service.Item
	Item(code string) (service.Item, error)
	CreateApplication(ctx context.Context, c auth.Caller, req service.CreateRequest, idemKey string) (service.Outcome[service.ApplicationView], error)
	GetApplication(ctx context.Context, c auth.Caller, id string) (service.ApplicationView, error)
	ListApplications(ctx context.Context, c auth.Caller, f service.ListFilter) ([]service.ApplicationView, string, error)
	Confirm(ctx context.Context, c auth.Caller, id string, req service.ConfirmRequest, idemKey string) (service.Outcome[service.ApplicationView], error)
	Review(ctx context.Context, c auth.Caller, id string, req service.ReviewRequest, idemKey string) (service.Outcome[service.ApplicationView], error)
	GetPermit(ctx context.Context, c auth.Caller, id string) (service.PermitView, error)
	Revoke(ctx context.Context, c auth.Caller, id string, req service.RevokeRequest, idemKey string) (service.Outcome[service.PermitView], error)
	VerifyPermit(ctx context.Context, token string) (service.Verification, error)
	AuditEntries(ctx context.Context, c auth.Caller, afterSeq int64, limit int) ([]store.AuditEntry, error)
	LatestCheckpoint(ctx context.Context, c auth.Caller) (store.Checkpoint, error)
	VerifyAudit(ctx context.Context, c auth.Caller) (store.AuditReport, error)
	DataUse(ctx context.Context, c auth.Caller, idNumber, after string, limit int) ([]service.DataUseRecord, string, error)
	Worklists(ctx context.Context, c auth.Caller, q service.FindingQuery) ([]service.FindingView, string, error)
	Alerts(ctx context.Context, c auth.Caller, q service.FindingQuery) ([]service.FindingView, string, error)
	ContactLog(ctx context.Context, c auth.Caller, findingID string) ([]service.ContactView, error)
	AddContact(ctx context.Context, c auth.Caller, findingID string, req service.ContactRequest) (service.ContactView, error)
	ApplyFromWorklist(ctx context.Context, c auth.Caller, findingID string, req service.WorklistApplyRequest, idemKey string) (service.Outcome[service.ApplicationView], error)
	ResolveAlert(ctx context.Context, c auth.Caller, findingID string, req service.ResolveRequest) (service.FindingView, error)
}

var _ Hub = (*service.Hub)(nil)

// PublicKeys publishes what anyone needs to verify a permit offline: the sealing offices'
// public keys and the signed permit status list. Implementations are safe for concurrent use.
type PublicKeys interface {
	// JWKS returns the JSON Web Key Set of every sealing office.
	JWKS(ctx context.Context) ([]byte, error)
	// StatusList returns the signed status-list token (revocations) and how long it is valid.
	StatusList(ctx context.Context) (token string, ttl time.Duration, err error)
}

// WebUI is the counter web UI (package web). Its handlers are safe for concurrent use.
type WebUI interface {
	// Pages serves the counter page at "/" and the assets under "/ui/".
	Pages() http.Handler
	// DivisionNames serves GET /ui/division/{code}: a division's display name.
	DivisionNames() http.Handler
}

// Parts are what the routes serve; app.New builds them. A nil part's routes are not mounted
// (tests of one part mount only that part); the hub always passes every part, and
// TestRoutesServed in hub/app holds the full list.
type Parts struct {
	Hub   Hub
	Authn Authenticator
	Keys  PublicKeys
	// GraphQL is the GraphQL handler over the same hub service (schema.Handler, reading the
	// caller with CallerFrom); mounted behind bearer authentication except for the explorer.
	GraphQL http.Handler
	UI      WebUI
	// Checks are the readiness checks /readyz runs, by name.
	Checks map[string]ReadinessCheck
	// Clients is the registry of department apps: the admin routes under /v1/clients and
	// the OAuth2 token endpoint.
	Clients Clients
	// Stats serves the monthly statistics, GET /v1/statistics.
	Stats Statistics
	// PublicURL is the hub's external base URL, printed on permits.
	PublicURL string
	// Auditor serves the auditor console's policy what-if and decision list.
	Auditor Auditor
	// Webhooks administers the webhook subscriptions of department apps and their deliveries
	// (behind bearer authentication, like the REST routes).
	Webhooks WebhookAdmin
}

// Routes mounts every route of the hub on s: the external contract of DESIGN.md section 3.
// Call it once, before serving.
func Routes(s *Server, p Parts) {
	for name, c := range p.Checks {
		s.AddCheck(name, c)
	}

	// Operations.
	s.HandleFunc("GET /healthz", s.healthz)
	s.HandleFunc("GET /readyz", s.readyz)
	s.Handle("GET /metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{Registry: s.registry}))
	s.HandleFunc("GET /openapi.json", serveOpenAPI)
	s.HandleFunc("/", notFound) // every path no other pattern matches

	// Offline verification material.
	if p.Keys != nil {
		s.Handle("GET /.well-known/jwks.json", jwksHandler(p.Keys))
		s.Handle("GET /v1/permits/status", statusListHandler(p.Keys))
	}

	// REST (/v1).
	if p.Hub != nil {
		v := &restV1{hub: p.Hub, authn: p.Authn}
		s.HandleFunc("GET /v1/items", v.items)
		s.HandleFunc("GET /v1/items/{code}", v.item)
		s.HandleFunc("POST /v1/applications", v.authed(v.createApplication))
		s.HandleFunc("GET /v1/applications", v.authed(v.listApplications))
		s.HandleFunc("GET /v1/applications/{id}", v.authed(v.getApplication))
		s.HandleFunc("POST /v1/applications/{id}/confirm", v.authed(v.confirm))
		s.HandleFunc("POST /v1/applications/{id}/review", v.authed(v.review))
		s.HandleFunc("GET /v1/permits/{id}", v.authed(v.getPermit))
		s.HandleFunc("GET /v1/permits/{id}/print", v.authed(printer{hub: p.Hub, publicURL: p.PublicURL}.serve))
		s.HandleFunc("POST /v1/permits/{id}/revoke", v.authed(v.revoke))
		s.HandleFunc("POST /v1/permits/verify", v.verify)
		s.HandleFunc("GET /v1/audit/entries", v.authed(v.auditEntries))
		s.HandleFunc("GET /v1/audit/checkpoint", v.authed(v.checkpoint))
		s.HandleFunc("GET /v1/audit/verify", v.authed(v.verifyAudit))
		s.HandleFunc("GET /v1/residents/{id_number}/data-use", v.authed(v.dataUse))
		s.HandleFunc("GET /v1/worklists", v.authed(v.findings("candidates", p.Hub.Worklists)))
		s.HandleFunc("GET /v1/worklists/{id}/contacts", v.authed(v.contactLog))
		s.HandleFunc("POST /v1/worklists/{id}/contacts", v.authed(v.addContact))
		s.HandleFunc("POST /v1/worklists/{id}/application", v.authed(v.applyFromWorklist))
		s.HandleFunc("GET /v1/alerts", v.authed(v.findings("alerts", p.Hub.Alerts)))
		s.HandleFunc("POST /v1/alerts/{id}/resolve", v.authed(v.resolveAlert))
	}

	// Department apps: the client registry (administrators) and the token endpoint.
	if p.Clients != nil {
		cr := clientRoutes{reg: p.Clients, limit: newTokenLimiter()}
		v := &restV1{hub: p.Hub, authn: p.Authn}
		s.HandleFunc("POST "+TokenPath, cr.token)
		s.HandleFunc("POST /v1/clients", v.authed(cr.register))
		s.HandleFunc("GET /v1/clients", v.authed(cr.list))
		s.HandleFunc("GET /v1/clients/{id}", v.authed(cr.get))
		s.HandleFunc("POST /v1/clients/{id}/secrets", v.authed(cr.rotate))
		s.HandleFunc("DELETE /v1/clients/{id}/secrets/{sid}", v.authed(cr.retireSecret))
		s.HandleFunc("POST /v1/clients/{id}/revoke", v.authed(cr.revoke))
	}

	// Monthly statistics (表单报送), as JSON or as CSV/XLSX downloads.
	if p.Stats != nil {
		v := &restV1{hub: p.Hub, authn: p.Authn}
		s.HandleFunc("GET /v1/statistics", v.authed(statsRoutes{stats: p.Stats}.get))
	}

	// Auditor console: policy what-if (a candidate bundle uploaded, never activated) and the
	// recorded decisions.
	if p.Auditor != nil {
		v := &restV1{hub: p.Hub, authn: p.Authn}
		a := auditorRoutes{hub: p.Auditor}
		s.HandleFunc("POST /v1/whatif", v.authed(a.whatIf))
		s.HandleFunc("GET /v1/whatif/{id}", v.authed(a.whatIfResult))
		s.HandleFunc("GET /v1/decisions", v.authed(a.decisions))
	}

	// Webhook administration (/v1/webhooks).
	if p.Webhooks != nil {
		v := &restV1{authn: p.Authn}
		a := webhookAdmin{hub: p.Webhooks}
		s.HandleFunc("POST /v1/webhooks/subscriptions", v.authed(a.createSubscription))
		s.HandleFunc("GET /v1/webhooks/subscriptions", v.authed(a.listSubscriptions))
		s.HandleFunc("DELETE /v1/webhooks/subscriptions/{id}", v.authed(a.deleteSubscription))
		s.HandleFunc("GET /v1/webhooks/deliveries", v.authed(a.listDeliveries))
		s.HandleFunc("GET /v1/webhooks/deliveries/{id}", v.authed(a.getDelivery))
		s.HandleFunc("POST /v1/webhooks/deliveries/{id}/redeliver", v.authed(a.redeliver))
	}

	// GraphQL.
	if p.GraphQL != nil {
		s.Handle("/graphql", graphQLHandler(p.GraphQL, p.Authn))
	}

	// The counter web UI: "/" exactly (other unknown paths keep the not-found problem).
	if p.UI != nil {
		s.Handle("GET /{$}", p.UI.Pages())
		s.Handle("GET /ui/", p.UI.Pages())
		s.Handle("GET /ui/division/{code}", p.UI.DivisionNames())
	}
}

func notFound(w http.ResponseWriter, r *http.Request) {
	p := problemNotFound
	p.Detail = "No such endpoint. 请求的接口不存在。"
	WriteProblem(w, r, p)
}
