package sync

import (
	"cmp"
	"context"
	"slices"

	"sanmian/connectors/province"
	"sanmian/hub/evidence"
	"sanmian/hub/store"
)

// BackflowFeed is the province's backflow feed (*province.Client).
type BackflowFeed interface {
	Backflow(ctx context.Context, cursor string, size int) (province.BackflowPage, error)
}

var _ BackflowFeed = (*province.Client)(nil)

// Province applies the province's backflow feed to st from the saved cursor
// (store.FeedProvinceBackflow unless WithFeedName) until it has no more changes.
func Province(ctx context.Context, feed BackflowFeed, st store.BackflowStore, progress func(Progress), opts ...Option) error {
	o, err := applyOptions(store.FeedProvinceBackflow, opts)
	if err != nil {
		return err
	}
	fetch := func(ctx context.Context, cursor string, limit int) (page[store.ProvinceFacts], error) {
		pg, err := feed.Backflow(ctx, cursor, limit)
		if err != nil {
			return page[store.ProvinceFacts]{}, err
		}
		out := page[store.ProvinceFacts]{next: pg.NextCursor, more: pg.HasMore, rows: make([]store.ProvinceFacts, 0, len(pg.Changes))}
		for _, c := range pg.Changes {
			out.lastSeq = c.Seq
			out.rows = append(out.rows, ProvinceRow(c))
		}
		out.rows, out.upserts, out.deletes = reduce(out.rows, func(r *store.ProvinceFacts) string { return r.IDNumber },
			func(r *store.ProvinceFacts) bool { return r.Deleted })
		return out, nil
	}
	return pipeline(ctx, o, st.SyncCursor, fetch, st.ApplyProvinceFacts, progress)
}

// ProvinceRow maps one backflow change to the resident's province facts: death from the
// person record (the death certificate's date when the record has none); the newest
// disability certificate; an only-child honour that is not revoked; the spouse of the newest
// marriage certificate unless a divorce certificate is newer; and the parent-child links of
// the resident's birth certificate and only-child honour.
func ProvinceRow(c province.BackflowChange) store.ProvinceFacts {
	row := store.ProvinceFacts{IDNumber: c.IDNumber, UpdatedSeq: c.Seq}
	if c.Op == province.OpDelete {
		row.Deleted = true
		return row
	}
	row.HukouType, row.HukouVillage = c.HukouType, c.HukouVillage
	row.Deceased, row.DeathDate = c.Deceased, c.DeathDate
	lics := make([]evidence.Licence, 0, len(c.Licences))
	for _, l := range c.Licences {
		lics = append(lics, l.Licence)
	}
	slices.SortStableFunc(lics, func(x, y evidence.Licence) int {
		return cmp.Or(cmp.Compare(x.IssuedOn, y.IssuedOn), cmp.Compare(x.ID, y.ID))
	})
	var married, divorced string // issue dates
	for _, l := range lics {
		switch l.Type {
		case "disability":
			row.DisabilityNumber, row.DisabilityValidUntil, row.DisabilityStatus = l.Number, l.ValidUntil, l.Status
			row.DisabilityCategory, _ = l.Attrs["category"].(string)
			row.DisabilityGrade, _ = l.Attrs["grade"].(int)
		case "only_child_honour":
			if l.Status != "revoked" {
				row.OnlyChildHonour = true
			}
			if child, _ := l.Attrs["child_id_number"].(string); child != "" {
				row.Links = append(row.Links, store.ChildLink{ParentID: c.IDNumber, ChildID: child, Source: store.LinkOnlyChildHonour})
			}
		case "birth":
			child, _ := l.Attrs["child_id_number"].(string)
			if child == "" {
				child = c.IDNumber
			}
			for _, k := range []string{"mother_id_number", "father_id_number"} {
				if parent, _ := l.Attrs[k].(string); parent != "" {
					row.Links = append(row.Links, store.ChildLink{ParentID: parent, ChildID: child, Source: store.LinkBirthCertificate})
				}
			}
		case "marriage":
			row.SpouseID, _ = l.Attrs["spouse_id_number"].(string)
			married = l.IssuedOn
		case "divorce":
			divorced = l.IssuedOn
		case "death":
			if row.DeathDate == "" {
				row.DeathDate, _ = l.Attrs["death_date"].(string)
			}
			row.Deceased = true
		}
	}
	if divorced != "" && divorced >= married {
		row.SpouseID = ""
	}
	return row
}
