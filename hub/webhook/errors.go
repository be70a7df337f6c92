package webhook

import "errors"

// ErrBadSecret is returned for a signing secret that is not "whsec_" and the base64 of at
// least 24 bytes.
var ErrBadSecret = errors.New("webhook: malformed signing secret")
