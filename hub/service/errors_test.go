package service

import (
	"errors"
	"fmt"
	"testing"

	"sanmian/hub/evidence"
)

// TestEvidenceUnavailableNamesPlatform checks that an evidence failure carries the platform
// of the source failure in its chain, and stays ErrEvidenceUnavailable.
func TestEvidenceUnavailableNamesPlatform(t *testing.T) {
	cases := []struct {
		name, platform string
		err            error
	}{
		{"city_source_error", "city", fmt.Errorf("assemble: %w", &evidence.SourceError{Platform: "city", Err: errors.New("timeout")})},
		{"joined_province_first", "province", errors.Join(&evidence.SourceError{Platform: "province", Err: errors.New("circuit open")}, errors.New("other"))},
		{"no_source_error", "", errors.New("store: closed")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var err error = evidenceUnavailable(tc.err)
			var ev *EvidenceError
			if !errors.As(err, &ev) || ev.Platform != tc.platform {
				t.Fatalf("platform %q, want %q", ev.Platform, tc.platform)
			}
			if !errors.Is(err, ErrEvidenceUnavailable) || !errors.Is(err, tc.err) {
				t.Fatalf("%v does not wrap ErrEvidenceUnavailable and its cause", err)
			}
		})
	}
}
