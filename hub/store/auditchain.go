package store

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"
)

// GenesisHash is the PrevHash of the first audit entry.
var GenesisHash = hex.EncodeToString(make([]byte, sha256.Size))

// canonical encodes parts unambiguously: a domain tag, then each part as an 8-byte big-endian
// length followed by its bytes.
func canonical(domain string, parts ...[]byte) []byte {
	n := len(domain) + 8
	for _, p := range parts {
		n += 8 + len(p)
	}
	out := make([]byte, 0, n)
	out = binary.BigEndian.AppendUint64(out, uint64(len(domain)))
	out = append(out, domain...)
	for _, p := range parts {
		out = binary.BigEndian.AppendUint64(out, uint64(len(p)))
		out = append(out, p...)
	}
	return out
}

func formatTime(t time.Time) []byte { return []byte(t.UTC().Format(time.RFC3339Nano)) }

// AuditDetails returns the details bytes as stored and hashed: "{}" when empty.
func AuditDetails(d []byte) []byte {
	if len(d) == 0 {
		return []byte("{}")
	}
	return d
}

// EntryHash returns hex SHA-256 over the canonical encoding of the entry's seq, prev hash and
// fields (at, actor sub, actor role, action, subject, item, purpose, application id, details).
func EntryHash(e AuditEntry) string {
	sum := sha256.Sum256(canonical("sanmian.audit.entry.v1",
		[]byte(strconv.FormatInt(e.Seq, 10)),
		[]byte(e.PrevHash),
		formatTime(e.At),
		[]byte(e.ActorSub),
		[]byte(e.ActorRole),
		[]byte(e.Action),
		[]byte(e.Subject),
		[]byte(e.Item),
		[]byte(e.Purpose),
		[]byte(e.ApplicationID),
		AuditDetails(e.Details),
	))
	return hex.EncodeToString(sum[:])
}

// CheckpointMessage is the byte string a checkpoint signature covers.
func CheckpointMessage(c Checkpoint) []byte {
	return canonical("sanmian.audit.checkpoint.v1",
		[]byte(strconv.FormatInt(c.Seq, 10)),
		[]byte(c.HeadHash),
		formatTime(c.At),
		[]byte(c.KID),
	)
}

// SignCheckpoint fills c.Signature with signer's signature over CheckpointMessage. The signer
// must be an ed25519 key (crypto.Hash(0)).
func SignCheckpoint(c *Checkpoint, signer crypto.Signer) error {
	if _, ok := signer.Public().(ed25519.PublicKey); !ok {
		return fmt.Errorf("%w: checkpoint signer must be ed25519, got %T", ErrInvalid, signer.Public())
	}
	sig, err := signer.Sign(rand.Reader, CheckpointMessage(*c), crypto.Hash(0))
	if err != nil {
		return fmt.Errorf("store: sign checkpoint: %w", err)
	}
	c.Signature = sig
	return nil
}

// VerifyCheckpointSignature checks c's signature with the key named by c.KID.
func VerifyCheckpointSignature(c Checkpoint, pub map[string]crypto.PublicKey) error {
	k, ok := pub[c.KID]
	if !ok {
		return fmt.Errorf("unknown kid %q", c.KID)
	}
	ek, ok := k.(ed25519.PublicKey)
	if !ok {
		return fmt.Errorf("key %q is %T, not ed25519", c.KID, k)
	}
	if !ed25519.Verify(ek, CheckpointMessage(c), c.Signature) {
		return fmt.Errorf("bad signature")
	}
	return nil
}

// ChainVerifier checks audit entries streamed in seq order against the chain rules and the
// checkpoints. Backends feed it; it is not safe for concurrent use.
type ChainVerifier struct {
	rep     AuditReport
	prev    string
	nextSeq int64
	cps     []Checkpoint
	hashAt  map[int64]string // entry hash at each checkpointed seq
	pub     map[string]crypto.PublicKey
	broken  bool
}

// NewChainVerifier starts a verification against the stored checkpoints (any order).
func NewChainVerifier(cps []Checkpoint, pub map[string]crypto.PublicKey) *ChainVerifier {
	v := &ChainVerifier{prev: GenesisHash, nextSeq: 1, cps: cps, pub: pub, hashAt: map[int64]string{0: GenesisHash}}
	for _, c := range cps {
		v.hashAt[c.Seq] = ""
	}
	return v
}

func (v *ChainVerifier) fail(seq int64, format string, args ...any) {
	v.broken = true
	v.rep.FirstBadSeq = seq
	v.rep.Problem = fmt.Sprintf(format, args...)
}

// Entry checks the next entry; it returns false once the chain is broken (stop feeding).
func (v *ChainVerifier) Entry(e AuditEntry) bool {
	if v.broken {
		return false
	}
	switch {
	case e.Seq > v.nextSeq:
		v.fail(v.nextSeq, "entry %d missing (next stored entry is %d)", v.nextSeq, e.Seq)
	case e.Seq < v.nextSeq:
		v.fail(e.Seq, "entry %d out of order", e.Seq)
	case e.PrevHash != v.prev:
		v.fail(e.Seq, "entry %d prev_hash does not match entry %d (entries reordered, deleted or edited)", e.Seq, e.Seq-1)
	case EntryHash(e) != e.Hash:
		v.fail(e.Seq, "entry %d hash does not match its fields (entry edited)", e.Seq)
	}
	if v.broken {
		return false
	}
	v.rep.Entries++
	v.prev = e.Hash
	v.nextSeq++
	if _, ok := v.hashAt[e.Seq]; ok {
		v.hashAt[e.Seq] = e.Hash
	}
	return true
}

// Finish checks the chain head recorded by the store and the checkpoints, and returns the
// report; the error wraps ErrAuditTampered when anything does not verify.
func (v *ChainVerifier) Finish(headSeq int64, headHash string) (AuditReport, error) {
	last := v.nextSeq - 1
	if !v.broken && (headSeq != last || headHash != v.prev) {
		if headSeq > last {
			v.fail(last+1, "chain head is at seq %d but entries end at %d (entries deleted)", headSeq, last)
		} else {
			v.fail(last, "chain head (seq %d) does not match the last entry %d", headSeq, last)
		}
	}
	for _, c := range v.cps {
		if v.broken {
			break
		}
		if err := VerifyCheckpointSignature(c, v.pub); err != nil {
			v.fail(0, "checkpoint at seq %d (kid %s): %v", c.Seq, c.KID, err)
			break
		}
		if c.Seq > last {
			v.fail(last+1, "checkpoint at seq %d is beyond the chain end %d (entries deleted)", c.Seq, last)
			break
		}
		if v.hashAt[c.Seq] != c.HeadHash {
			v.fail(c.Seq, "checkpoint at seq %d does not match entry %d", c.Seq, c.Seq)
			break
		}
		v.rep.Checkpoints++
	}
	v.rep.HeadSeq, v.rep.HeadHash = last, v.prev
	if v.broken {
		return v.rep, fmt.Errorf("%w: %s", ErrAuditTampered, v.rep.Problem)
	}
	v.rep.Intact = true
	return v.rep, nil
}
