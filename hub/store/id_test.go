package store

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestNewIDSortsByTime: ids made back to back, many within one millisecond, are strictly
// increasing, 32 lower-case hex digits (the form cursors are validated against), and carry the
// creation time in their first 48 bits.
func TestNewIDSortsByTime(t *testing.T) {
	before := time.Now().UnixMilli()
	ids := make([]string, 2000)
	for i := range ids {
		ids[i] = NewID()
	}
	after := time.Now().UnixMilli()
	for i, id := range ids {
		if len(id) != 32 || strings.Trim(id, "0123456789abcdef") != "" {
			t.Fatalf("id %q is not 32 lower-case hex digits", id)
		}
		if i > 0 && ids[i-1] >= id {
			t.Fatalf("ids not strictly increasing at %d: %s then %s", i, ids[i-1], id)
		}
	}
	u, err := uuid.Parse(ids[0])
	if err != nil || u.Version() != 7 {
		t.Fatalf("id %s: version %v, %v; want a UUID version 7", ids[0], u.Version(), err)
	}
	if ms := time.Unix(u.Time().UnixTime()).UnixMilli(); ms < before || ms > after {
		t.Fatalf("id time %d outside [%d, %d]", ms, before, after)
	}
}

func TestSubjectDigest(t *testing.T) {
	for _, tc := range []struct {
		name string
		key  []byte
	}{{"sha256_without_key", nil}, {"hmac_with_key", []byte("k")}} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := SubjectDigest(tc.key, " 37011419400101123x"), SubjectDigest(tc.key, "37011419400101123X")
			if a != b || len(a) != 64 {
				t.Fatalf("digests %s %s", a, b)
			}
		})
	}
	if SubjectDigest(nil, "x") == SubjectDigest([]byte("k"), "x") {
		t.Fatal("key ignored")
	}
}

func TestChainVerifierReportsFirstBadSeq(t *testing.T) {
	var es []AuditEntry
	prev := GenesisHash
	for i := range 5 {
		e := AuditEntry{Seq: int64(i + 1), PrevHash: prev, At: Now(), ActorSub: "a", Action: AuditLookup}
		e.Hash = EntryHash(e)
		prev = e.Hash
		es = append(es, e)
	}
	for _, tc := range []struct {
		name    string
		mutate  func([]AuditEntry) []AuditEntry
		wantSeq int64
	}{
		{"intact", func(e []AuditEntry) []AuditEntry { return e }, 0},
		{"edited", func(e []AuditEntry) []AuditEntry { e[2].Purpose = "x"; return e }, 3},
		{"deleted", func(e []AuditEntry) []AuditEntry { return append(e[:1], e[2:]...) }, 2},
		{"reordered", func(e []AuditEntry) []AuditEntry { e[1].Seq, e[2].Seq = 3, 2; e[1], e[2] = e[2], e[1]; return e }, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.mutate(slices.Clone(es))
			v := NewChainVerifier(nil, nil)
			for _, e := range in {
				if !v.Entry(e) {
					break
				}
			}
			rep, err := v.Finish(5, es[4].Hash)
			if (err == nil) != (tc.wantSeq == 0) || rep.FirstBadSeq != tc.wantSeq {
				t.Fatalf("report %+v, err %v; want first bad seq %d", rep, err, tc.wantSeq)
			}
		})
	}
}
