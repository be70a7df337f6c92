package sim

import "errors"

// ErrFaultConfig is returned by ParseFaults, ParseProfileYAML, ParseFaultConfig and Start when a
// fault profile or config is unknown, unreadable or invalid (a rate outside [0, 1], rates
// summing to more than 1, an unknown outage mode, an unknown key).
var ErrFaultConfig = errors.New("sim: invalid fault config")

// ErrConfig is returned by Start when its Config is unusable (a port out of range, two equal
// non-zero ports, a negative resident count or token TTL).
var ErrConfig = errors.New("sim: invalid config")

// ErrUnknownPerson is returned by Platforms.RecordChange when no person has the ID number.
var ErrUnknownPerson = errors.New("sim: unknown person")

// ErrChangeOp is returned by Platforms.RecordChange for an operation other than "upsert" or
// "delete".
var ErrChangeOp = errors.New("sim: unknown change operation")
