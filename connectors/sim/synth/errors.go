package synth

import "errors"

// ErrConfig is returned by Generate when the Config is unusable: a negative resident count,
// more residents than the identifier space allows, or a reference date before 2000.
var ErrConfig = errors.New("synth: invalid config")

// ErrIdentifier is returned by Generate when an identifier (ID number, USCC, licence
// identifier) cannot be built; it indicates a bug in the generator.
var ErrIdentifier = errors.New("synth: cannot build identifier")
