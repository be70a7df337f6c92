package service

import (
	"context"
	"fmt"
	"strconv"

	"sanmian/hub/auth"
	"sanmian/hub/ident"
	"sanmian/hub/store"
)

// DataUseRecord is a data-use record with its id, which is also its paging cursor.
type DataUseRecord struct {
	ID string
	DataUseView
}

// DataUseRecords is DataUse with each record's id (for cursor pagination per record): the
// same authorisation (resident.data_use.read; counters and reviewers on the resident's
// village), newest first, and the cursor of the next page ("" at the end).
func (h *Hub) DataUseRecords(ctx context.Context, c auth.Caller, idNumber, after string, limit int) (_ []DataUseRecord, _ string, err error) {
	defer h.auditRefusal(ctx, c, &err)
	idNumber = store.NormalizeIDNumber(idNumber)
	if _, err := ident.ParseIDNumber(idNumber); err != nil {
		return nil, "", &InvalidError{Field: "id_number", Detail: err.Error()}
	}
	if err := checkSeqCursor(after); err != nil {
		return nil, "", err
	}
	res := Resource{}
	if c.Role == "counter" || c.Role == "reviewer" {
		village, _, err := h.locate(ctx, idNumber)
		if err != nil {
			return nil, "", err
		}
		res.Village = village
	}
	if _, err := h.authorize(ctx, c, "resident.data_use.read", res, h.subjectOf(idNumber)); err != nil {
		return nil, "", err
	}
	recs, next, err := h.store.ListDataUse(ctx, idNumber, store.Page{After: after, Limit: limit})
	if err != nil {
		return nil, "", fmt.Errorf("service: data-use records: %w", err)
	}
	out := make([]DataUseRecord, 0, len(recs))
	for _, r := range recs {
		out = append(out, DataUseRecord{ID: strconv.FormatInt(r.ID, 10), DataUseView: DataUseView{At: r.At, Who: r.Sub,
			Role: r.Role, Org: r.Org, Item: r.Item, Purpose: r.Purpose, ApplicationID: r.ApplicationID}})
	}
	return out, next, nil
}
