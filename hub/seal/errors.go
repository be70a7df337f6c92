package seal

import (
	"errors"

	"sanmian/sdk/permitverify"
)

// Sentinel errors. Messages name offices and kids, never key material or
// an ID number.
var (
	// ErrOffice is returned when an office code is not 6 or 12 digits.
	ErrOffice = errors.New("seal: invalid office code")

	// ErrNoActiveKey is returned by Seal and SignStatusList when the office
	// has no active key (create one with EnsureOffice or Rotate).
	ErrNoActiveKey = errors.New("seal: office has no active key")

	// ErrKeyExists is returned by KeyStore.Put when the kid is taken.
	ErrKeyExists = errors.New("seal: key id already exists")

	// ErrActiveKeyExists is returned by KeyStore.Put and SetStatus when the
	// change would give an office a second active key, and by
	// KeyStore.Replace when a concurrent rotation activated another key
	// first.
	ErrActiveKeyExists = errors.New("seal: office already has an active key")

	// ErrKeyNotFound is returned by KeyStore.SetStatus and RevokeKey for an
	// unknown kid.
	ErrKeyNotFound = errors.New("seal: key not found")

	// ErrKeyDecrypt is returned when a private key blob does not decrypt
	// under the master key (wrong master key, or a blob moved between
	// records or tampered with).
	ErrKeyDecrypt = errors.New("seal: private key does not decrypt")

	// ErrMasterKey is returned when the master secret is missing, shorter
	// than 32 bytes, not base64, or its file is readable by group or
	// others.
	ErrMasterKey = errors.New("seal: master key unusable")

	// ErrClaims is returned by Seal for claims that cannot be sealed: no
	// permit id or item, an invalid holder ID number, exp not after iat, a
	// malformed status reference.
	ErrClaims = errors.New("seal: invalid permit claims")

	// ErrStore is returned when the key store is missing or cannot be read,
	// parsed or written, or holds a key that cannot be used.
	ErrStore = errors.New("seal: key store")

	// ErrJWKS and ErrStatusList are permitverify's: verification could not be
	// carried out for want of a usable key set or status list.
	ErrJWKS       = permitverify.ErrJWKS
	ErrStatusList = permitverify.ErrStatusList
)
