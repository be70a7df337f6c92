package seal

import (
	"context"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"sanmian/sdk/permitverify"
)

// SignStatusList returns the status list token served at uri (GET
// /v1/permits/status): header {alg EdDSA, kid, typ "statuslist+jwt"},
// claims {iss office, sub uri, iat, exp = iat+ttl when ttl > 0, ttl,
// status_list {bits 1, lst}}, signed with office's active key (the
// district's, "370114", in the hub).
func (k *Keyring) SignStatusList(ctx context.Context, office, uri string, list *StatusList, ttl time.Duration) (string, error) {
	if err := checkOffice(office); err != nil {
		return "", err
	}
	if uri == "" || list == nil {
		return "", fmt.Errorf("%w: uri and list required", ErrStatusList)
	}
	kid, priv, err := k.signer(ctx, office)
	if err != nil {
		return "", err
	}
	now := k.now()
	c := permitverify.StatusListClaims{
		RegisteredClaims: jwt.RegisteredClaims{Issuer: office, Subject: uri, IssuedAt: jwt.NewNumericDate(now)},
		StatusList:       permitverify.StatusListWire{Bits: 1, Lst: list.Encode()},
	}
	if ttl > 0 {
		c.ExpiresAt = jwt.NewNumericDate(now.Add(ttl))
		c.TTL = int64(ttl / time.Second)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	tok.Header["kid"] = kid
	tok.Header["typ"] = StatusListType
	return tok.SignedString(priv)
}
