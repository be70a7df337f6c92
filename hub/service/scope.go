package service

import (
	"context"

	"sanmian/hub/evidence"
)

// assembleFor gathers the evidence item needs about idNumber: the kinds and household
// members its rule reads (Item.Needs) plus what its form is filled from, so an applicant-only
// item neither pays for nor looks up the rest of the household, and an item that reads no
// insurance makes no city call. An item that declares no needs gets everything.
func (h *Hub) assembleFor(ctx context.Context, idNumber string, item Item) (*evidence.Bundle, error) {
	opts := evidence.AssembleOptions{}
	if len(item.Needs) > 0 {
		paths := make([]string, 0, len(item.Fields))
		for _, f := range item.Fields {
			paths = append(paths, f.Path)
		}
		opts = evidence.NeedsOptions(item.Needs, paths...)
	}
	opts.AllowStale = item.StaleAllowed
	opts.StaleKinds = item.StaleKinds
	return h.evidence.Assemble(ctx, idNumber, opts)
}
