package permitverify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// Snapshot is what verifying offline needs: the hub's key set and signed status lists, as
// fetched at TakenAt. It holds only public material; its JSON form is what WriteFile
// writes and ReadSnapshotFile reads.
type Snapshot struct {
	TakenAt     time.Time         `json:"taken_at"`
	JWKS        json.RawMessage   `json:"jwks"`                   // the key set document as served
	StatusLists map[string]string `json:"status_lists,omitempty"` // status list URI -> status list token
}

// Snapshot fetches the key set and the status lists at uris (by default the hub's list at
// StatusListPath beside the key set) now and returns them for offline use. Each list is
// verified with the key set before it is kept. Online verifiers only.
func (v *Verifier) Snapshot(ctx context.Context, uris ...string) (*Snapshot, error) {
	if v.offline {
		return nil, fmt.Errorf("%w: an offline verifier takes no snapshot", ErrOffline)
	}
	v.keysMu.Lock()
	err := v.fetchKeys(ctx)
	keys, raw := v.keys, v.keysRaw
	v.keysMu.Unlock()
	if err != nil {
		return nil, err
	}
	if len(uris) == 0 {
		uris = []string{strings.TrimSuffix(v.jwksURL, JWKSPath) + StatusListPath}
	}
	now := v.now()
	s := &Snapshot{TakenAt: now, JWKS: json.RawMessage(raw), StatusLists: map[string]string{}}
	for _, uri := range uris {
		c, err := v.fetchList(ctx, uri, keys, now)
		if err != nil {
			return nil, err
		}
		v.listsMu.Lock()
		v.lists[uri] = c
		v.listsMu.Unlock()
		s.StatusLists[uri] = c.token
	}
	return s, nil
}

// WriteFile writes the snapshot as JSON to path (mode 0644: it is public material).
func (s *Snapshot) WriteFile(path string) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// ReadSnapshotFile reads a snapshot WriteFile wrote. Errors wrap ErrJWKS when the file
// cannot be read or holds no key set.
func ReadSnapshotFile(path string) (*Snapshot, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: snapshot: %w", ErrJWKS, err)
	}
	var s Snapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%w: snapshot %s: %w", ErrJWKS, path, err)
	}
	if len(s.JWKS) == 0 {
		return nil, fmt.Errorf("%w: snapshot %s: %w", ErrJWKS, path, errors.New("no key set"))
	}
	return &s, nil
}
