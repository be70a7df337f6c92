package sync

import "errors"

// ErrInvalidOption is returned by a sync given a page size out of range or an empty feed name.
var ErrInvalidOption = errors.New("sync: invalid option")
