package service

import (
	"context"

	"sanmian/hub/auth"
)

// DataUseRecord is a data-use record with its id, which is also its paging cursor (not part
// of the REST record).
type DataUseRecord struct {
	ID string `json:"-"`
	DataUseView
}

// DataUseRecords is DataUse as the GraphQL door has it: the same authorisation and records,
// with the resident's village for a counter or reviewer taken from the local snapshot first
// (an unknown resident is ErrNotFound) where DataUse asks the platforms.
func (h *Hub) DataUseRecords(ctx context.Context, c auth.Caller, idNumber, after string, limit int) (_ []DataUseRecord, _ string, err error) {
	defer h.auditRefusal(ctx, c, &err)
	return h.dataUse(ctx, c, idNumber, after, limit, func(ctx context.Context, id string) (string, error) {
		village, _, err := h.locate(ctx, id)
		return village, err
	})
}
