package connectors_test

import (
	"errors"
	"fmt"
	"testing"

	"sanmian/connectors"
	"sanmian/hub/evidence"
)

// TestErrorMapsToEvidenceKinds checks that a connector error is seen above the connectors
// through the evidence model's failure kinds: its platform as an *evidence.SourceError, and
// a not-found answer as evidence.ErrNotFound, also when wrapped or joined.
func TestErrorMapsToEvidenceKinds(t *testing.T) {
	cases := []struct {
		name     string
		err      error
		platform string
		notFound bool
	}{
		{"district_not_found", &connectors.Error{Platform: "district", Endpoint: "resident", Kind: connectors.ErrNotFound}, "district", true},
		{"city_timeout_wrapped", fmt.Errorf("assemble: %w", &connectors.Error{Platform: "city", Kind: connectors.ErrTimeout, Attempts: 3}), "city", false},
		{"province_circuit_open_joined", errors.Join(evidence.ErrNoEvidence, &connectors.Error{Platform: "province", Kind: connectors.ErrCircuitOpen}), "province", false},
		{"hub_canceled", &connectors.Error{Platform: "hub", Endpoint: "assemble", Kind: connectors.ErrCanceled}, "hub", false},
		{"decode_error", connectors.DecodeError("province", "rkjc/query", "field %s missing", "xm"), "province", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := errors.Is(tc.err, evidence.ErrNotFound); got != tc.notFound {
				t.Errorf("errors.Is(evidence.ErrNotFound) = %v, want %v", got, tc.notFound)
			}
			var se *evidence.SourceError
			if !errors.As(tc.err, &se) {
				t.Fatalf("%v is not an *evidence.SourceError", tc.err)
			}
			if se.Platform != tc.platform {
				t.Errorf("platform %q, want %q", se.Platform, tc.platform)
			}
			var ce *connectors.Error
			if !errors.As(se, &ce) || ce.Platform != tc.platform {
				t.Errorf("the source error does not unwrap to the connector error: %v", se)
			}
		})
	}
	if errors.Is(evidence.ErrNotFound, connectors.ErrNotFound) || errors.As(errors.New("plain"), new(*evidence.SourceError)) {
		t.Error("the mapping must not hold in the other direction or for foreign errors")
	}
}
