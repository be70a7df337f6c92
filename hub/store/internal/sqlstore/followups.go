package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"sanmian/hub/division"
	"sanmian/hub/store"
)

const contactCols = "seq, item, id_number, village, status, note, actor_sub, actor_role, at"

func scanContact(s scanner) (store.Contact, error) {
	var c store.Contact
	err := s.Scan(&c.Seq, &c.Item, &c.IDNumber, &c.Village, &c.Status, &c.Note, &c.ActorSub, &c.ActorRole, &c.At)
	c.At = c.At.UTC()
	return c, wrap("read contact", err)
}

// ListContacts implements store.FollowUpReader.
func (r reader) ListContacts(ctx context.Context, item, idNumber string) ([]store.Contact, error) {
	out, err := collect(ctx, r, `SELECT `+contactCols+` FROM worklist_contacts WHERE item = ? AND id_number = ? ORDER BY seq DESC`,
		[]any{item, idNumber}, scanContact)
	if out == nil {
		out = []store.Contact{}
	}
	return out, err
}

// GetScanFinding implements store.FollowUpReader.
func (r reader) GetScanFinding(ctx context.Context, seq int64) (store.ScanFinding, error) {
	rows, err := collect(ctx, r, findingSelect+` WHERE f.seq = ?`, []any{seq}, scanFindingFollowUp)
	if err != nil {
		return store.ScanFinding{}, err
	}
	if len(rows) == 0 {
		return store.ScanFinding{}, fmt.Errorf("scan finding %d: %w", seq, store.ErrNotFound)
	}
	return rows[0], nil
}

// AddContact implements store.FollowUpWriter.
func (w *writer) AddContact(ctx context.Context, c *store.Contact) error {
	if c.Item == "" || c.IDNumber == "" || !digits(c.Village) || c.Village == "" || !slices.Contains(store.ContactStatuses, c.Status) {
		return fmt.Errorf("%w: contact needs an item, an ID number, a village and a known status", store.ErrInvalid)
	}
	c.At = stamp(c.At)
	err := w.q.QueryRowContext(ctx, w.d.SQL(`INSERT INTO worklist_contacts (item, id_number, village, status, note, actor_sub, actor_role, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`),
		c.Item, c.IDNumber, c.Village, c.Status, c.Note, c.ActorSub, c.ActorRole, c.At).Scan(&c.Seq)
	return wrap("insert contact", err)
}

// ResolveAlert implements store.FollowUpWriter.
func (w *writer) ResolveAlert(ctx context.Context, r *store.AlertResolution) error {
	if r.Item == "" || r.IDNumber == "" || r.Village == "" {
		return fmt.Errorf("%w: a resolution needs an item, an ID number and a village", store.ErrInvalid)
	}
	r.At = stamp(r.At)
	n, err := affected(w.q.ExecContext(ctx, w.d.SQL(`INSERT INTO alert_resolutions (item, id_number, village, note, actor_sub, actor_role, at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (item, id_number, village) DO NOTHING`),
		r.Item, r.IDNumber, r.Village, r.Note, r.ActorSub, r.ActorRole, r.At))
	if err != nil {
		return wrap("insert alert resolution", err)
	}
	if n == 0 {
		return fmt.Errorf("alert resolution: already resolved: %w", store.ErrConflict)
	}
	return nil
}

// AddContact implements store.FollowUpWriter.
func (db *DB) AddContact(ctx context.Context, c *store.Contact) error {
	return db.do(ctx, func(w *writer) error { return w.AddContact(ctx, c) })
}

// ResolveAlert implements store.FollowUpWriter.
func (db *DB) ResolveAlert(ctx context.Context, r *store.AlertResolution) error {
	return db.do(ctx, func(w *writer) error { return w.ResolveAlert(ctx, r) })
}

// findingSelect reads scan findings (alias f) with the latest contact of a candidate (alias
// c, the newest entry of its log) and the resolution of an alert (alias r).
const findingSelect = `SELECT f.seq, f.kind, f.item, f.id_number, f.village, f.reasons, f.rule, f.evidence, f.sources, f.scanned_at,
	c.seq, c.village, c.status, c.note, c.actor_sub, c.actor_role, c.at,
	r.note, r.actor_sub, r.actor_role, r.at
	FROM scan_findings f
	LEFT JOIN worklist_contacts c ON f.kind = 'candidate' AND c.seq = (SELECT MAX(x.seq) FROM worklist_contacts x WHERE x.item = f.item AND x.id_number = f.id_number)
	LEFT JOIN alert_resolutions r ON f.kind = 'alert' AND r.item = f.item AND r.id_number = f.id_number AND r.village = f.village`

func scanFindingFollowUp(s scanner) (store.ScanFinding, error) {
	var (
		cSeq                                  sql.NullInt64
		cVillage, cStatus, cNote, cSub, cRole sql.NullString
		cAt, rAt                              sql.NullTime
		rNote, rSub, rRole                    sql.NullString
	)
	f, err := scanFindingCols(s, &cSeq, &cVillage, &cStatus, &cNote, &cSub, &cRole, &cAt, &rNote, &rSub, &rRole, &rAt)
	if err != nil {
		return f, err
	}
	if cSeq.Valid {
		f.Contact = &store.Contact{Seq: cSeq.Int64, Item: f.Item, IDNumber: f.IDNumber, Village: cVillage.String, Status: cStatus.String,
			Note: cNote.String, ActorSub: cSub.String, ActorRole: cRole.String, At: cAt.Time.UTC()}
	}
	if rAt.Valid {
		f.Resolution = &store.AlertResolution{Item: f.Item, IDNumber: f.IDNumber, Village: f.Village, Note: rNote.String,
			ActorSub: rSub.String, ActorRole: rRole.String, At: rAt.Time.UTC()}
	}
	return f, nil
}

// ProactiveStats implements store.FollowUpStats: the months, villages and filters are those of
// the other statistics (statsSQL), over the contact log with each entry's month in China
// Standard Time.
func (r reader) ProactiveStats(ctx context.Context, q store.StatsQuery) ([]store.ProactiveStat, error) {
	village, where, args, err := statsSQL(q)
	if err != nil {
		return nil, err
	}
	var month strings.Builder
	month.WriteString("CASE")
	var margs []any
	for m := q.From.In(division.Zone); m.Before(q.To); m = m.AddDate(0, 1, 0) {
		month.WriteString(" WHEN c.at < ? THEN '" + m.Format("2006-01") + "'")
		margs = append(margs, store.NormTime(m.AddDate(0, 1, 0)))
	}
	month.WriteString(" END")
	args = append(append(margs, store.NormTime(q.From), store.NormTime(q.To)), args...)
	sq := `SELECT ` + village + `, item, month,
	COUNT(DISTINCT CASE WHEN status <> 'unreachable' THEN id_number END),
	COUNT(DISTINCT CASE WHEN status = 'applied' THEN id_number END),
	COUNT(DISTINCT CASE WHEN status = 'applied' AND enrolled = 1 THEN id_number END)
FROM (SELECT c.village, c.item, c.id_number, c.status, ` + month.String() + ` AS month,
	CASE WHEN EXISTS (SELECT 1 FROM applications p WHERE p.applicant_id = c.id_number AND p.item = c.item AND p.status = 'approved')
		THEN 1 ELSE 0 END AS enrolled
	FROM worklist_contacts c WHERE c.at >= ? AND c.at < ?) a` + where + ` GROUP BY 1, 2, 3`
	return collect(ctx, r, sq, args, func(s scanner) (store.ProactiveStat, error) {
		var x store.ProactiveStat
		err := s.Scan(&x.Village, &x.Item, &x.Month, &x.Contacted, &x.Applied, &x.Enrolled)
		return x, err
	})
}
