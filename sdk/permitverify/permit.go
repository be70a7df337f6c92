package permitverify

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"sanmian/hub/auth/jwk"
)

// PermitType is the "typ" header of a permit (explicit typing, RFC 8725
// section 3.11): a permit cannot be mistaken for another kind of JWT.
const PermitType = "sanmian-permit+jwt"

// MaxPermitSize is the longest token Verify reads, in bytes.
const MaxPermitSize = 16 << 10

// Claims is the claim set of a permit (the hub's sealing side fills it; see hub/seal).
type Claims struct {
	Office         string           `json:"iss"`              // issuing office code
	PermitID       string           `json:"jti"`              // permit id
	Subject        string           `json:"sub"`              // holder binding, HMAC of the ID number under an office secret
	Holder         string           `json:"holder"`           // masked ID number, "370114********123X"
	Item           string           `json:"item"`             // item code, e.g. "elderly_allowance"
	IssuedAt       *jwt.NumericDate `json:"iat"`              // defaults to now
	ExpiresAt      *jwt.NumericDate `json:"exp,omitempty"`    // only when the item has a validity
	Reviews        []Review         `json:"reviews"`          // the review chain, in order
	Evidence       []EvidenceDigest `json:"evidence"`         // digests of the evidence records used
	PolicyRevision string           `json:"policy_revision"`  // policy bundle revision of the decision
	DecisionID     string           `json:"decision_id"`      // the decision's id
	Status         *StatusClaim     `json:"status,omitempty"` // status-list reference for revocation
	HolderIDNumber string           `json:"-"`                // input to the hub's sealing only: never serialised, empty when verified
	NotBefore      *jwt.NumericDate `json:"nbf,omitempty"`    // not set by the hub; honoured by Verify
}

// Review is one step of the review chain.
type Review struct {
	Level    string           `json:"level"`    // village | work_area | town | district | instant
	Division string           `json:"division"` // division code of the reviewing office
	Action   string           `json:"action"`   // approve | reject | return
	Reviewer string           `json:"reviewer"` // the reviewer's caller sub (never a name)
	At       *jwt.NumericDate `json:"at"`
}

// EvidenceDigest names one evidence record used for the decision by kind,
// platform and digest only: no record id (it may contain personal data).
type EvidenceDigest struct {
	Kind     string `json:"kind"`               // e.g. "household_register", "disability_certificate"
	Platform string `json:"platform,omitempty"` // province | city | district
	Digest   string `json:"digest"`             // "sha256:" + base64url of SHA-256
}

// StatusClaim is the "status" claim of the IETF Token Status List draft.
type StatusClaim struct {
	StatusList StatusListRef `json:"status_list"`
}

// StatusListRef points at a permit's entry in a status list.
type StatusListRef struct {
	Idx int    `json:"idx"` // index allocated by the store, >= 0
	URI string `json:"uri"` // URL of the status list token (GET /v1/permits/status)
}

// jwt.Claims implementation, so golang-jwt checks exp, iat and nbf.

func (c *Claims) GetExpirationTime() (*jwt.NumericDate, error) { return c.ExpiresAt, nil }
func (c *Claims) GetIssuedAt() (*jwt.NumericDate, error)       { return c.IssuedAt, nil }
func (c *Claims) GetNotBefore() (*jwt.NumericDate, error)      { return c.NotBefore, nil }
func (c *Claims) GetIssuer() (string, error)                   { return c.Office, nil }
func (c *Claims) GetSubject() (string, error)                  { return c.Subject, nil }
func (c *Claims) GetAudience() (jwt.ClaimStrings, error)       { return nil, nil }

// Permit states reported by Verify.
const (
	StatusActive    = "active"    // not revoked according to the status list given
	StatusRevoked   = "revoked"   // revoked according to the status list given
	StatusUnchecked = "unchecked" // revocable, but no status list was given
	StatusInvalid   = "invalid"   // the permit did not verify
)

// Reason says why Verify found a permit invalid. The values are stable: the
// verification endpoint returns them.
type Reason string

// Reasons.
const (
	ReasonMalformed      Reason = "malformed"       // not a compact JWS with JSON header and claims
	ReasonWrongType      Reason = "wrong_type"      // typ is not PermitType
	ReasonUnknownKey     Reason = "unknown_key"     // kid missing or not in the key set
	ReasonOfficeMismatch Reason = "office_mismatch" // the kid names another office than iss
	ReasonBadSignature   Reason = "bad_signature"   // signature (or alg) does not verify
	ReasonExpired        Reason = "expired"         // exp has passed
	ReasonNotYetValid    Reason = "not_yet_valid"   // iat or nbf in the future
	ReasonBadClaims      Reason = "bad_claims"      // required claims missing or of the wrong type
	ReasonRevoked        Reason = "revoked"         // the status list marks it revoked
)

// Result is the outcome of verifying a permit.
type Result struct {
	Valid  bool    `json:"valid"`
	Status string  `json:"status"`           // StatusActive, StatusRevoked, StatusUnchecked or StatusInvalid
	Claims *Claims `json:"claims,omitempty"` // set once the signature verified
	Kid    string  `json:"kid,omitempty"`
	Reason Reason  `json:"reason,omitempty"` // set when not Valid
}

// Option adds a check to Verify.
type Option func(*verifyOptions)

type verifyOptions struct {
	statusToken string
	statusURI   string
	statusList  *StatusList
	leeway      time.Duration
}

// WithStatusListToken makes Verify check revocation against a status list
// token (as served at GET /v1/permits/status), verified with the same key
// set.
func WithStatusListToken(token string) Option {
	return func(o *verifyOptions) { o.statusToken = token }
}

// WithStatusList makes Verify check revocation against an already trusted
// list for uri (the hub's own, from its store).
func WithStatusList(uri string, list *StatusList) Option {
	return func(o *verifyOptions) { o.statusURI, o.statusList = uri, list }
}

// WithLeeway allows clock skew on exp, iat and nbf (default none).
func WithLeeway(d time.Duration) Option { return func(o *verifyOptions) { o.leeway = d } }

// Verify checks a permit with the key set alone, at time now: compact JWS,
// alg EdDSA, typ PermitType, a kid in keys whose office is the permit's
// iss, a valid signature, exp (if any) not passed, iat not in the future,
// required claims present. With a status list option it also checks
// revocation. An invalid permit is a Result with Valid false and a Reason,
// and a nil error; the error is non-nil only when verification could not
// be carried out (an empty key set, an unusable status list), with Valid
// false.
func Verify(token string, keys jwk.Set, now time.Time, opts ...Option) (Result, error) {
	var o verifyOptions
	for _, opt := range opts {
		opt(&o)
	}
	invalid := func(r Reason) (Result, error) { return Result{Status: StatusInvalid, Reason: r}, nil }
	if keys.Len() == 0 {
		return Result{Status: StatusInvalid}, fmt.Errorf("%w: empty key set", ErrJWKS)
	}
	if len(token) == 0 || len(token) > MaxPermitSize {
		return invalid(ReasonMalformed)
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwk.AlgEdDSA}),
		jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(o.leeway),
		jwt.WithStrictDecoding(),
	)
	var claims Claims
	var kid string
	_, err := parser.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) {
		if typ, _ := t.Header["typ"].(string); typ != PermitType {
			return nil, reasonError(ReasonWrongType)
		}
		if _, crit := t.Header["crit"]; crit {
			return nil, reasonError(ReasonMalformed)
		}
		kid, _ = t.Header["kid"].(string)
		key, ok := keys.Lookup(kid)
		if !ok || key.Alg != jwk.AlgEdDSA {
			return nil, reasonError(ReasonUnknownKey)
		}
		if office, ok := KidOffice(kid); !ok || office != claims.Office {
			return nil, reasonError(ReasonOfficeMismatch)
		}
		return key.Public, nil
	})
	if err != nil {
		var re reasonError
		switch {
		case errors.As(err, &re):
			return invalid(Reason(re))
		case errors.Is(err, jwt.ErrTokenMalformed):
			return invalid(ReasonMalformed)
		case errors.Is(err, jwt.ErrTokenSignatureInvalid):
			return invalid(ReasonBadSignature)
		case errors.Is(err, jwt.ErrTokenExpired):
			return invalid(ReasonExpired)
		case errors.Is(err, jwt.ErrTokenUsedBeforeIssued), errors.Is(err, jwt.ErrTokenNotValidYet):
			return invalid(ReasonNotYetValid)
		default:
			return invalid(ReasonBadClaims)
		}
	}
	res := Result{Claims: &claims, Kid: kid}
	if claims.PermitID == "" || claims.Item == "" || claims.Subject == "" || claims.IssuedAt == nil ||
		(claims.Status != nil && (claims.Status.StatusList.Idx < 0 || claims.Status.StatusList.URI == "")) {
		res.Status, res.Reason = StatusInvalid, ReasonBadClaims
		return res, nil
	}
	res.Valid, res.Status = true, StatusActive
	if claims.Status == nil {
		return res, nil // not revocable
	}
	list, uri := o.statusList, o.statusURI
	if o.statusToken != "" {
		list, err = VerifyStatusListToken(o.statusToken, keys, claims.Status.StatusList.URI, now)
		if err != nil {
			return Result{Status: StatusInvalid, Claims: &claims, Kid: kid}, err
		}
		uri = claims.Status.StatusList.URI
	}
	if list == nil {
		res.Status = StatusUnchecked
		return res, nil
	}
	return checkRevocation(res, uri, list)
}

// checkRevocation applies list, the trusted status list at uri, to res, a valid result of a
// revocable permit.
func checkRevocation(res Result, uri string, list *StatusList) (Result, error) {
	ref := res.Claims.Status.StatusList
	if uri != ref.URI {
		return Result{Status: StatusInvalid, Claims: res.Claims, Kid: res.Kid}, fmt.Errorf("%w: list is for another uri", ErrStatusList)
	}
	revoked, err := list.Revoked(ref.Idx)
	if err != nil {
		return Result{Status: StatusInvalid, Claims: res.Claims, Kid: res.Kid}, err
	}
	res.Status = StatusActive
	if revoked {
		res.Valid, res.Status, res.Reason = false, StatusRevoked, ReasonRevoked
	}
	return res, nil
}

// VerifyJWKS is Verify with the key set given as a JWKS document; a
// document that does not parse is an error wrapping ErrJWKS.
func VerifyJWKS(token string, jwks []byte, now time.Time, opts ...Option) (Result, error) {
	keys, err := jwk.Parse(jwks)
	if err != nil {
		return Result{Status: StatusInvalid}, fmt.Errorf("%w: %w", ErrJWKS, err)
	}
	return Verify(token, keys, now, opts...)
}

// reasonError carries a Reason out of the key function.
type reasonError Reason

func (e reasonError) Error() string { return "permitverify: " + string(e) }
