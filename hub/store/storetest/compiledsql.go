package storetest

import (
	"errors"
	"fmt"
	"maps"
	"testing"

	"sanmian/hub/store"
)

// testCompiledSQL: kept SQL reads back by key, an unknown key is left out, a second save of a
// key replaces it; an empty key or SQL is ErrInvalid and saves nothing; beyond
// CompiledSQLKept the oldest entries go.
func testCompiledSQL(t *testing.T, s store.Store) {
	ctx := t.Context()
	first := map[string]string{"k-a": `"scan_residents"."age" >= 80`, "k-b": "1 = 1"}
	must(t, s.SaveCompiledSQL(ctx, first))
	got, err := s.CompiledSQL(ctx, []string{"k-a", "k-b", "k-unknown"})
	must(t, err)
	if !maps.Equal(got, first) {
		t.Fatalf("compiled SQL read back as %v, want %v", got, first)
	}
	must(t, s.SaveCompiledSQL(ctx, map[string]string{"k-b": "1 = 0"}))
	if got, err = s.CompiledSQL(ctx, []string{"k-b"}); err != nil || got["k-b"] != "1 = 0" {
		t.Fatalf("replaced entry read back as %v (%v), want 1 = 0", got, err)
	}
	for _, bad := range []map[string]string{{"": "1 = 1"}, {"k-c": ""}} {
		if err := s.SaveCompiledSQL(ctx, bad); !errors.Is(err, store.ErrInvalid) {
			t.Fatalf("save %q: %v, want ErrInvalid", bad, err)
		}
	}
	if got, err = s.CompiledSQL(ctx, []string{"k-c"}); err != nil || len(got) != 0 {
		t.Fatalf("an invalid save kept %v (%v)", got, err)
	}
	if got, err = s.CompiledSQL(ctx, nil); err != nil || len(got) != 0 {
		t.Fatalf("no keys: %v (%v)", got, err)
	}

	// A later save of CompiledSQLKept entries leaves no room for the first ones; more keys
	// than one read's chunk come back.
	many := map[string]string{}
	keys := []string{"k-a"}
	for i := range store.CompiledSQLKept {
		k := fmt.Sprintf("k-%05d", i)
		many[k] = fmt.Sprintf("x = %d", i)
		keys = append(keys, k)
	}
	must(t, s.SaveCompiledSQL(ctx, many))
	if got, err = s.CompiledSQL(ctx, keys); err != nil || !maps.Equal(got, many) {
		t.Fatalf("after %d more: %d entries read back (%v), want exactly the %d new ones", len(many), len(got), err, len(many))
	}
}
