package sync

import (
	"context"
	"errors"

	"time"

	"sanmian/connectors/district"
	"sanmian/hub/ident"
	"sanmian/hub/store"
)

// DistrictFeed is the district platform's change feed (*district.Client).
type DistrictFeed interface {
	Changes(ctx context.Context, cursor string, limit int) (district.ChangePage, error)
}

var _ DistrictFeed = (*district.Client)(nil)

// District applies the district change feed to st from the saved cursor (store.Feed-
// DistrictResidents unless WithFeedName) until the feed has no more changes, calling progress
// (if not nil) after every page. A delete change removes the resident and their enrolments
// until a later upsert brings them back.
func District(ctx context.Context, feed DistrictFeed, st store.ResidentFeedStore, progress func(Progress), opts ...Option) error {
	o, err := applyOptions(store.FeedDistrictResidents, opts)
	if err != nil {
		return err
	}
	fetch := func(ctx context.Context, cursor string, limit int) (page[store.Resident], error) {
		pg, err := feed.Changes(ctx, cursor, limit)
		if err != nil {
			return page[store.Resident]{}, err
		}
		out := page[store.Resident]{next: pg.NextCursor, more: pg.HasMore, rows: make([]store.Resident, 0, len(pg.Changes))}
		for _, c := range pg.Changes {
			out.lastSeq = c.Seq
			if c.Op == "delete" {
				out.rows = append(out.rows, store.Resident{IDNumber: c.IDNumber, UpdatedSeq: c.Seq, Deleted: true})
			} else {
				out.rows = append(out.rows, Row(c))
			}
		}
		out.rows, out.upserts, out.deletes = reduce(out.rows, func(r *store.Resident) string { return r.IDNumber }, func(r *store.Resident) bool { return r.Deleted })
		return out, nil
	}
	return pipeline(ctx, o, st.SyncCursor, fetch, st.ApplySnapshot, progress)
}

// Row maps one upsert change to a resident row (District turns a delete change into a row
// with only the ID number, the seq and Deleted set). Sex and birth date come from the ID
// number; hukou type, land, homestead and other villages' roll entries from the feed when it
// carries them.
func Row(c district.Change) store.Resident {
	r := c.Resident
	row := store.Resident{IDNumber: c.IDNumber, HukouType: c.HukouType, UpdatedSeq: c.Seq}
	if n, err := ident.ParseIDNumber(c.IDNumber); err == nil {
		row.Sex, row.BirthDate = n.Sex.String(), n.Birth.Format(time.DateOnly)
	}
	if c.LandMu != nil {
		row.LandMu = *c.LandMu
	}
	if c.Homestead != nil {
		row.HomesteadM2, row.HouseGrade = c.Homestead.AreaM2, c.Homestead.HouseGrade
	}
	for _, e := range c.OtherRolls {
		row.OtherRolls = append(row.OtherRolls, store.RollEntry{Item: e.Item, Village: e.Village})
	}
	if r == nil {
		return row
	}
	row.Name, row.Village, row.HouseholdID = r.Name, r.Village, r.HouseholdID
	row.Relation = r.Relation
	if row.Relation == "parent" {
		row.Relation = map[string]string{"M": "father", "F": "mother"}[row.Sex]
	}
	row.Deceased, row.Dibao, row.Tekun = r.Rolls.Deceased, r.Rolls.Dibao, r.Rolls.Tekun
	row.DisabilityCategory, row.DisabilityGrade = r.DisabilityCategory, r.DisabilityGrade
	row.Veteran, row.InSchool, row.CollectiveMember = r.Rolls.Veteran, r.Rolls.InSchool, r.Rolls.CollectiveMember
	row.Enrolled = append([]string(nil), r.Rolls.Enrolled...)
	return row
}

// ResidentReader is the part of the hub's store the household index reads.
type ResidentReader interface {
	GetResident(ctx context.Context, idNumber string) (store.Resident, error)
	ScanResidents(ctx context.Context, q store.ResidentQuery) ([]store.Resident, string, error)
}

// Index serves household membership from the synced roll; it implements
// evidence.HouseholdIndex.
type Index struct{ R ResidentReader }

// HouseholdMembers returns the household number and members of id's household per the
// synced roll; ok is false when id is not on it.
func (ix Index) HouseholdMembers(ctx context.Context, id string) (string, []string, bool, error) {
	r, err := ix.R.GetResident(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil, false, nil
	}
	if err != nil {
		return "", nil, false, err
	}
	if r.HouseholdID == "" {
		return "", []string{id}, true, nil
	}
	rows, _, err := ix.R.ScanResidents(ctx, store.ResidentQuery{Where: "residents.household_id = ?", Args: []any{r.HouseholdID}, Limit: 200})
	if err != nil {
		return "", nil, false, err
	}
	ids := make([]string, 0, len(rows))
	for _, m := range rows {
		ids = append(ids, m.IDNumber)
	}
	return r.HouseholdID, ids, true, nil
}
