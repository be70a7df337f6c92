package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"sanmian/hub/api"
	"sanmian/hub/service"
	"sanmian/schema"
)

// TestServiceErrorsMappedByType checks the one error table both front doors use: each kind of
// hub service error becomes its problem document (REST) and error code (GraphQL), the detail
// comes from the typed error's fields, and no error's own text reaches the client.
func TestServiceErrorsMappedByType(t *testing.T) {
	cases := []struct {
		name          string
		err           error
		status        int
		typ           string
		code          string   // GraphQL extensions.code
		detailHas     []string // the detail must contain each
		bodyLacks     []string // the body must contain none
		applicationID string
	}{
		{name: "invalid_field", err: &service.InvalidError{Field: "purpose", Detail: "is required"},
			status: 400, typ: "invalid-request", code: schema.CodeBadUserInput, detailHas: []string{"purpose: is required"}},
		{name: "denied_by_policy", err: &service.DeniedError{Action: "read", Reason: service.Reason{ZH: "不在辖区内", EN: "outside jurisdiction"}},
			status: 403, typ: "forbidden", code: schema.CodeForbidden, detailHas: []string{"不在辖区内", "outside jurisdiction"}, bodyLacks: []string{"service:"}},
		{name: "already_held_names_application", err: &service.HeldError{Item: "senior_card", ApplicationID: "app-1", Status: "in_review"},
			status: 409, typ: "already-held", code: schema.CodeConflict, detailHas: []string{"app-1"}, applicationID: "app-1"},
		{name: "not_found_names_what_and_id", err: fmt.Errorf("read: %w", &service.NotFoundError{What: "permit", ID: "p-42"}),
			status: 404, typ: "not-found", code: schema.CodeNotFound, detailHas: []string{"permit", "p-42"}, bodyLacks: []string{"service:"}},
		{name: "not_found_plain_sentinel", err: fmt.Errorf("resident: %w", service.ErrNotFound),
			status: 404, typ: "not-found", code: schema.CodeNotFound, detailHas: []string{"Not found"}, bodyLacks: []string{"service:", "resident:"}},
		{name: "invalid_state_detail", err: &service.StateError{Detail: "the application is approved, not in review"},
			status: 409, typ: "invalid-state", code: schema.CodeConflict, detailHas: []string{"the application is approved, not in review"}, bodyLacks: []string{"service:"}},
		{name: "invalid_state_untyped_shows_no_text", err: fmt.Errorf("%w: internal reason 7", service.ErrState),
			status: 409, typ: "invalid-state", code: schema.CodeConflict, bodyLacks: []string{"internal reason 7", "service:"}},
		{name: "concurrent_update", err: fmt.Errorf("review: %w", service.ErrConcurrent),
			status: 409, typ: "concurrent-update", code: schema.CodeConflict},
		{name: "idempotency_key_reuse", err: service.ErrIdempotencyMismatch,
			status: 422, typ: "idempotency-key-reuse", code: schema.CodeConflict},
		{name: "evidence_province_named_by_type", err: &service.EvidenceError{Platform: "province", Err: errors.New("dial tcp 10.1.2.3:443: connection refused")},
			status: 503, typ: "evidence-unavailable", code: schema.CodeUnavailable, detailHas: []string{"province", "省一体化大数据平台"}, bodyLacks: []string{"10.1.2.3", "dial tcp"}},
		{name: "evidence_platform_only_in_text_not_named", err: fmt.Errorf("%w: city timeout", service.ErrEvidenceUnavailable),
			status: 503, typ: "evidence-unavailable", code: schema.CodeUnavailable, detailHas: []string{"A data platform"}, bodyLacks: []string{"city", "市大数据平台"}},
		{name: "cancelled", err: fmt.Errorf("create: %w", context.Canceled), status: 499, typ: "cancelled"},
		{name: "internal_text_never_shown", err: errors.New("pq: relation secret_table does not exist"),
			status: 500, typ: "internal", bodyLacks: []string{"secret_table", "pq:"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/v1/things/x", nil)
			api.WriteServiceError(rec, req, tc.err)
			var p api.Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatalf("problem body: %v: %s", err, rec.Body)
			}
			if rec.Code != tc.status || p.Status != tc.status || p.Type != api.ProblemTypeBase+tc.typ {
				t.Fatalf("got %d %s, want %d %s", rec.Code, p.Type, tc.status, tc.typ)
			}
			for _, s := range tc.detailHas {
				if !strings.Contains(p.Detail, s) {
					t.Errorf("detail %q lacks %q", p.Detail, s)
				}
			}
			for _, s := range tc.bodyLacks {
				if strings.Contains(rec.Body.String(), s) {
					t.Errorf("body shows %q: %s", s, rec.Body)
				}
			}
			if p.ApplicationID != tc.applicationID {
				t.Errorf("application_id %q, want %q", p.ApplicationID, tc.applicationID)
			}
			if got := api.GraphQLErrorCode(tc.err); got != tc.code {
				t.Errorf("GraphQL code %q, want %q", got, tc.code)
			}
		})
	}
}
