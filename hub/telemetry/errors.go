package telemetry

import "errors"

// ErrConfig is returned by Config.Validate (and Setup) for a telemetry section that cannot
// work: an endpoint that is not an http(s) URL, an unknown protocol, a sample ratio outside
// [0, 1].
var ErrConfig = errors.New("telemetry: invalid configuration")
