package seal

import "sanmian/sdk/permitverify"

// Verification lives in sanmian/sdk/permitverify, the package department apps import; the
// names below are that package's, so the hub and the apps verify with one copy of the code.

// Permit claims and verification results (see permitverify).
type (
	PermitClaims   = permitverify.Claims
	Review         = permitverify.Review
	EvidenceDigest = permitverify.EvidenceDigest
	StatusClaim    = permitverify.StatusClaim
	StatusListRef  = permitverify.StatusListRef
	Result         = permitverify.Result
	Reason         = permitverify.Reason
	VerifyOption   = permitverify.Option
	StatusList     = permitverify.StatusList
)

// Token types and limits (see permitverify).
const (
	PermitType            = permitverify.PermitType
	MaxPermitSize         = permitverify.MaxPermitSize
	StatusListType        = permitverify.StatusListType
	MaxStatusListBits     = permitverify.MaxStatusListBits
	DefaultStatusListBits = permitverify.DefaultStatusListBits
)

// Permit states reported by Verify.
const (
	StatusActive    = permitverify.StatusActive
	StatusRevoked   = permitverify.StatusRevoked
	StatusUnchecked = permitverify.StatusUnchecked
	StatusInvalid   = permitverify.StatusInvalid
)

// Reasons a permit is invalid.
const (
	ReasonMalformed      = permitverify.ReasonMalformed
	ReasonWrongType      = permitverify.ReasonWrongType
	ReasonUnknownKey     = permitverify.ReasonUnknownKey
	ReasonOfficeMismatch = permitverify.ReasonOfficeMismatch
	ReasonBadSignature   = permitverify.ReasonBadSignature
	ReasonExpired        = permitverify.ReasonExpired
	ReasonNotYetValid    = permitverify.ReasonNotYetValid
	ReasonBadClaims      = permitverify.ReasonBadClaims
	ReasonRevoked        = permitverify.ReasonRevoked
)

// Verification functions (see permitverify).
var (
	Verify                = permitverify.Verify
	VerifyJWKS            = permitverify.VerifyJWKS
	WithStatusListToken   = permitverify.WithStatusListToken
	WithStatusList        = permitverify.WithStatusList
	WithLeeway            = permitverify.WithLeeway
	NewStatusList         = permitverify.NewStatusList
	DecodeStatusList      = permitverify.DecodeStatusList
	VerifyStatusListToken = permitverify.VerifyStatusListToken
	KidOffice             = permitverify.KidOffice
)
