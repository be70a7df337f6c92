package permitverify

import "errors"

// Sentinel errors: verification could not be carried out (as opposed to a permit found
// invalid, which is a Result with Valid false and a nil error). Errors wrap one of them
// and say what went wrong; they never contain key material.
var (
	// ErrJWKS: no usable key set: it could not be fetched, read or parsed, or is empty.
	ErrJWKS = errors.New("permitverify: key set unusable")

	// ErrStatusList: the status list a permit names could not be fetched, or is
	// malformed, too large, not signed by a key in the key set, expired, or for another
	// URI; also StatusList.Set and Revoked for an index out of range.
	ErrStatusList = errors.New("permitverify: status list unusable")

	// ErrOffline: an offline verifier was asked for something that needs the network
	// (a status list its snapshot does not hold).
	ErrOffline = errors.New("permitverify: not in the offline snapshot")
)
