package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"sanmian/hub/store"
)

// statsWhere returns the WHERE clause (over applications aliased a) and its arguments.
func statsWhere(q store.StatsQuery) (string, []any, error) {
	if q.From.IsZero() || q.To.IsZero() || !q.From.Before(q.To) {
		return "", nil, fmt.Errorf("%w: statistics need From before To", store.ErrInvalid)
	}
	where := []string{"a.created_at >= ?", "a.created_at < ?"}
	args := []any{store.NormTime(q.From), store.NormTime(q.To)}
	if q.Item != "" {
		where, args = append(where, "a.item = ?"), append(args, q.Item)
	}
	if q.DivisionPrefix != "" {
		if !digits(q.DivisionPrefix) {
			return "", nil, fmt.Errorf("%w: division prefix %q", store.ErrInvalid, q.DivisionPrefix)
		}
		where, args = append(where, "a.village LIKE ?"), append(args, q.DivisionPrefix+"%")
	}
	if len(q.Villages) > 0 {
		where = append(where, "a.village IN "+placeholders(len(q.Villages)))
		for _, v := range q.Villages {
			args = append(args, v)
		}
	}
	return " WHERE " + strings.Join(where, " AND "), args, nil
}

// ApplicationStats implements store.StatsReader.
func (r reader) ApplicationStats(ctx context.Context, q store.StatsQuery) ([]store.ApplicationStat, error) {
	where, args, err := statsWhere(q)
	if err != nil {
		return nil, err
	}
	month := r.d.MonthOf("a.created_at")
	sq := `SELECT a.village, a.item, ` + month + ` AS m, COUNT(*),
	SUM(CASE WHEN a.status = 'draft' THEN 1 ELSE 0 END),
	SUM(CASE WHEN a.status = 'confirmed' THEN 1 ELSE 0 END),
	SUM(CASE WHEN a.status = 'in_review' THEN 1 ELSE 0 END),
	SUM(CASE WHEN a.status = 'approved' THEN 1 ELSE 0 END),
	SUM(CASE WHEN a.status = 'rejected' THEN 1 ELSE 0 END),
	SUM(CASE WHEN a.status = 'returned' THEN 1 ELSE 0 END)
FROM applications a` + where + ` GROUP BY a.village, a.item, ` + month
	return collect(ctx, r, sq, args, func(s scanner) (store.ApplicationStat, error) {
		var x store.ApplicationStat
		err := s.Scan(&x.Village, &x.Item, &x.Month, &x.Total, &x.Draft, &x.Confirmed, &x.InReview, &x.Approved,
			&x.Rejected, &x.Returned)
		return x, err
	})
}

// ReviewStats implements store.StatsReader.
func (r reader) ReviewStats(ctx context.Context, q store.StatsQuery) ([]store.ReviewStat, error) {
	where, args, err := statsWhere(q)
	if err != nil {
		return nil, err
	}
	month := r.d.MonthOf("a.created_at")
	sq := `SELECT a.village, a.item, ` + month + ` AS m, r.level, r.action, COUNT(*)
FROM reviews r JOIN applications a ON a.id = r.application_id` + where + ` AND r.action IN ('reject', 'return')
GROUP BY a.village, a.item, ` + month + `, r.level, r.action`
	return collect(ctx, r, sq, args, func(s scanner) (store.ReviewStat, error) {
		var x store.ReviewStat
		var action string
		err := s.Scan(&x.Village, &x.Item, &x.Month, &x.Level, &action, &x.Count)
		x.Action = store.ReviewAction(action)
		return x, err
	})
}

// PermitDurations implements store.StatsReader. The groups are formed in Go (one pass, no
// sort in SQL); each group's seconds are then sorted.
func (r reader) PermitDurations(ctx context.Context, q store.StatsQuery) ([]store.PermitDurations, error) {
	where, args, err := statsWhere(q)
	if err != nil {
		return nil, err
	}
	month := r.d.MonthOf("a.created_at")
	secs := r.d.SecondsBetween("a.created_at", "p.issued_at")
	sq := `SELECT a.village, a.item, ` + month + ` AS m,
	COALESCE((SELECT r.level FROM reviews r WHERE r.application_id = a.id AND r.action = 'approve'
		ORDER BY r.id DESC LIMIT 1), '` + store.LevelInstant + `') AS lvl, ` + secs + ` AS s
FROM applications a JOIN permits p ON p.application_id = a.id` + where
	rows, err := r.q.QueryContext(ctx, r.d.SQL(sq), args...)
	if err != nil {
		return nil, wrap("query", err)
	}
	defer rows.Close()
	type key struct{ village, item, month, level string }
	index := map[key]int{}
	var out []store.PermitDurations
	var k key
	var sec int64
	for rows.Next() {
		if err := rows.Scan(&k.village, &k.item, &k.month, &k.level, &sec); err != nil {
			return nil, wrap("scan", err)
		}
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, store.PermitDurations{Village: k.village, Item: k.item, Month: k.month, Level: k.level})
		}
		out[i].Seconds = append(out[i].Seconds, sec)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("rows", err)
	}
	for i := range out {
		slices.Sort(out[i].Seconds)
	}
	return out, nil
}
