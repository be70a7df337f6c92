package app

import (
	"context"
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"sanmian/hub/api"
	"sanmian/hub/division"
	"sanmian/hub/seal"
	"sanmian/hub/service"
	"sanmian/hub/store"
)

// statusListTTL is how long a served status-list token is valid; verifiers fetch a new one
// after that.
const statusListTTL = 10 * time.Minute

// sealer implements service.Sealer with the office keyring and the store's revocation state.
type sealer struct {
	keys      *seal.Keyring
	store     store.Store
	statusURI string
	now       func() time.Time
}

var (
	_ service.Sealer = (*sealer)(nil)
	_ api.PublicKeys = (*sealer)(nil)
)

func (s *sealer) OfficeSealer(ctx context.Context, office string) (service.PermitSealer, error) {
	os, err := s.keys.OfficeSealer(ctx, office)
	if errors.Is(err, seal.ErrNoActiveKey) {
		// The office's first permit: create its key (once, also across hub processes).
		if _, err = s.keys.EnsureOffice(ctx, office); err == nil {
			os, err = s.keys.OfficeSealer(ctx, office)
		}
	}
	if err != nil {
		return nil, err
	}
	return officeSealer{os: os, statusURI: s.statusURI}, nil
}

// officeSealer implements service.PermitSealer with one office key.
type officeSealer struct {
	os        *seal.OfficeSealer
	statusURI string
}

func (o officeSealer) Office() string { return o.os.Office() }

func (o officeSealer) Seal(c service.PermitClaims) (string, string, error) {
	pc := seal.PermitClaims{
		PermitID:       c.ID,
		Item:           c.Item,
		IssuedAt:       jwt.NewNumericDate(c.IssuedAt),
		PolicyRevision: c.PolicyRevision,
		DecisionID:     c.DecisionID,
		HolderIDNumber: c.HolderID,
		Status:         seal.NewStatusClaim(int(c.StatusIndex), o.statusURI),
	}
	if !c.ExpiresAt.IsZero() {
		pc.ExpiresAt = jwt.NewNumericDate(c.ExpiresAt)
	}
	for _, r := range c.Reviews {
		pc.Reviews = append(pc.Reviews, seal.Review{Level: r.Level, Division: r.Division, Action: r.Action,
			Reviewer: r.Reviewer, At: jwt.NewNumericDate(r.At)})
	}
	for _, e := range c.Evidence {
		pc.Evidence = append(pc.Evidence, seal.EvidenceDigest{Kind: e.Kind, Platform: e.Platform, Digest: e.Digest})
	}
	return o.os.Seal(pc)
}

// statusList builds the revocation list from the store.
func (s *sealer) statusList(ctx context.Context) (*seal.StatusList, error) {
	revoked, maxIdx, err := s.store.RevokedStatusIndexes(ctx)
	if err != nil {
		return nil, err
	}
	size := seal.DefaultStatusListBits
	for int64(size) <= maxIdx {
		size *= 2
	}
	list, err := seal.NewStatusList(size)
	if err != nil {
		return nil, err
	}
	for _, i := range revoked {
		if err := list.Set(int(i), true); err != nil {
			return nil, err
		}
	}
	return list, nil
}

func (s *sealer) Verify(ctx context.Context, token string) (service.Verification, error) {
	keys, err := s.keys.KeySet(ctx)
	if err != nil {
		return service.Verification{}, err
	}
	list, err := s.statusList(ctx)
	if err != nil {
		return service.Verification{}, err
	}
	r, err := seal.Verify(token, keys, s.now(), seal.WithStatusList(s.statusURI, list))
	if err != nil {
		return service.Verification{}, err
	}
	v := service.Verification{Valid: r.Valid, Status: r.Status, KID: r.Kid, Reason: string(r.Reason)}
	if r.Claims != nil {
		v.Claims = r.Claims
	}
	return v, nil
}

// JWKS returns the public keys of every sealing office (api.PublicKeys).
func (s *sealer) JWKS(ctx context.Context) ([]byte, error) { return s.keys.JWKS(ctx) }

// StatusList signs the current revocation list with the district office's key
// (api.PublicKeys).
func (s *sealer) StatusList(ctx context.Context) (string, time.Duration, error) {
	list, err := s.statusList(ctx)
	if err != nil {
		return "", 0, err
	}
	tok, err := s.keys.SignStatusList(ctx, division.DistrictCode, s.statusURI, list, statusListTTL)
	if err != nil {
		return "", 0, err
	}
	return tok, statusListTTL, nil
}
