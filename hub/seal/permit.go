package seal

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"fmt"

	"github.com/golang-jwt/jwt/v5"

	"sanmian/hub/ident"
)

// DigestEvidence returns the EvidenceDigest of record, the canonical bytes
// of an evidence record (its JSON as stored).
func DigestEvidence(kind, platform string, record []byte) EvidenceDigest {
	sum := sha256.Sum256(record)
	return EvidenceDigest{Kind: kind, Platform: platform, Digest: "sha256:" + base64.RawURLEncoding.EncodeToString(sum[:])}
}

// NewStatusClaim returns the status claim for entry idx of the list at uri.
func NewStatusClaim(idx int, uri string) *StatusClaim {
	return &StatusClaim{StatusList: StatusListRef{Idx: idx, URI: uri}}
}

// Seal signs a permit for office with its newest active key and returns
// the compact JWS and the kid. It sets claims.Office to office, derives
// Subject and Holder from claims.HolderIDNumber (required; it is not put
// in the token), and sets IssuedAt to now when nil. Errors wrap ErrClaims,
// ErrOffice or ErrNoActiveKey and never contain the ID number. It reads
// the key store; OfficeSealer seals without doing so.
func (k *Keyring) Seal(ctx context.Context, office string, claims PermitClaims) (token, kid string, err error) {
	s, err := k.OfficeSealer(ctx, office)
	if err != nil {
		return "", "", err
	}
	return s.Seal(claims)
}

// OfficeSealer seals permits with one office key, chosen when it was made,
// without reading the key store: made before a database transaction, it
// seals inside it without asking for another connection. Safe for
// concurrent use.
type OfficeSealer struct {
	k      *Keyring
	office string
	kid    string
	priv   ed25519.PrivateKey
}

// OfficeSealer returns a sealer with office's newest active key (created
// first when the office has none and the keyring creates keys on seal).
// A key rotated after this call still verifies (retired keys stay in the
// JWKS), so a permit it seals stays valid.
func (k *Keyring) OfficeSealer(ctx context.Context, office string) (*OfficeSealer, error) {
	if err := checkOffice(office); err != nil {
		return nil, err
	}
	kid, priv, err := k.signer(ctx, office)
	if err != nil {
		return nil, err
	}
	return &OfficeSealer{k: k, office: office, kid: kid, priv: priv}, nil
}

// Office returns the office the sealer seals for.
func (s *OfficeSealer) Office() string { return s.office }

// Kid returns the key the sealer seals with.
func (s *OfficeSealer) Kid() string { return s.kid }

// Seal is Keyring.Seal with the sealer's office and key.
func (s *OfficeSealer) Seal(claims PermitClaims) (token, kid string, err error) {
	if claims.PermitID == "" || len(claims.PermitID) > 128 {
		return "", "", fmt.Errorf("%w: permit id must be 1-128 bytes", ErrClaims)
	}
	if claims.Item == "" {
		return "", "", fmt.Errorf("%w: item missing", ErrClaims)
	}
	sub, err := s.k.BindHolder(s.office, claims.HolderIDNumber)
	if err != nil {
		return "", "", err
	}
	claims.Office = s.office
	claims.Subject = sub
	claims.Holder = ident.MaskIDNumber(claims.HolderIDNumber)
	claims.HolderIDNumber = ""
	if claims.Reviews == nil {
		claims.Reviews = []Review{} // "reviews": [] for instant approval, never null
	}
	if claims.Evidence == nil {
		claims.Evidence = []EvidenceDigest{}
	}
	if claims.IssuedAt == nil {
		claims.IssuedAt = jwt.NewNumericDate(s.k.now())
	}
	if claims.ExpiresAt != nil && !claims.ExpiresAt.After(claims.IssuedAt.Time) {
		return "", "", fmt.Errorf("%w: exp must be after iat", ErrClaims)
	}
	if st := claims.Status; st != nil && (st.StatusList.Idx < 0 || st.StatusList.Idx >= MaxStatusListBits || st.StatusList.URI == "") {
		return "", "", fmt.Errorf("%w: status reference needs 0 <= idx < %d and a uri", ErrClaims, MaxStatusListBits)
	}
	for i, r := range claims.Reviews {
		if r.Level == "" || r.Action == "" || r.At == nil {
			return "", "", fmt.Errorf("%w: review %d needs level, action and at", ErrClaims, i)
		}
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, &claims)
	tok.Header["kid"] = s.kid
	tok.Header["typ"] = PermitType
	token, err = tok.SignedString(s.priv)
	if err != nil {
		return "", "", err
	}
	return token, s.kid, nil
}
