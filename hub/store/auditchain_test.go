package store

import (
	"crypto"
	"crypto/ed25519"
	"testing"
	"time"
)

// FuzzEntryHashSeparatesFields checks the canonical encoding is unambiguous: moving bytes
// from one field to the next changes the hash.
func FuzzEntryHashSeparatesFields(f *testing.F) {
	f.Add("counter-1", "counter", uint8(3))
	f.Add("", "x", uint8(0))
	f.Fuzz(func(t *testing.T, sub, role string, cut uint8) {
		at := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
		a := AuditEntry{Seq: 1, PrevHash: GenesisHash, At: at, ActorSub: sub, ActorRole: role, Action: AuditLookup}
		joined := sub + role
		n := int(cut) % (len(joined) + 1)
		b := a
		b.ActorSub, b.ActorRole = joined[:n], joined[n:]
		if (b.ActorSub != a.ActorSub) && EntryHash(a) == EntryHash(b) {
			t.Fatalf("same hash for (%q,%q) and (%q,%q)", a.ActorSub, a.ActorRole, b.ActorSub, b.ActorRole)
		}
	})
}

func TestCheckpointSignature(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := Checkpoint{Seq: 7, HeadHash: GenesisHash, At: Now(), KID: "k1"}
	if err := SignCheckpoint(&c, priv); err != nil {
		t.Fatal(err)
	}
	keys := map[string]crypto.PublicKey{"k1": pub}
	if err := VerifyCheckpointSignature(c, keys); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		mutate func(*Checkpoint)
	}{
		{"seq_changed", func(c *Checkpoint) { c.Seq++ }},
		{"head_changed", func(c *Checkpoint) { c.HeadHash = "ff" }},
		{"unknown_kid", func(c *Checkpoint) { c.KID = "k2" }},
		{"time_changed", func(c *Checkpoint) { c.At = c.At.Add(time.Microsecond) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := c
			tc.mutate(&bad)
			if VerifyCheckpointSignature(bad, keys) == nil {
				t.Fatal("tampered checkpoint verified")
			}
		})
	}
}
