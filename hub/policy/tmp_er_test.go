package policy

import (
	"testing"
	"time"
)

func TestTmpEligibleReasons(t *testing.T) {
	e, err := New(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range e.Items() {
		c, ok := e.EligibleReasons(t.Context(), it.Code, time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC))
		t.Logf("%s %v %v", it.Code, c, ok)
	}
}
