package sqlstore

import (
	"context"
	"fmt"
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
	SUM(CASE WHEN a.status = 'returned' THEN 1 ELSE 0 END),
	SUM(CASE WHEN a.status = 'approved' AND a.permit_id <> '' AND NOT EXISTS (
		SELECT 1 FROM reviews r WHERE r.application_id = a.id AND r.action = 'approve') THEN 1 ELSE 0 END)
FROM applications a` + where + ` GROUP BY a.village, a.item, ` + month
	return collect(ctx, r, sq, args, func(s scanner) (store.ApplicationStat, error) {
		var x store.ApplicationStat
		err := s.Scan(&x.Village, &x.Item, &x.Month, &x.Total, &x.Draft, &x.Confirmed, &x.InReview, &x.Approved,
			&x.Rejected, &x.Returned, &x.Instant)
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

// PermitDurations implements store.StatsReader. The rows come sorted by group and seconds
// from SQL, so grouping them is one pass.
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
FROM applications a JOIN permits p ON p.application_id = a.id` + where + `
ORDER BY 1, 2, 3, 4, 5`
	rows, err := r.q.QueryContext(ctx, r.d.SQL(sq), args...)
	if err != nil {
		return nil, wrap("query", err)
	}
	defer rows.Close()
	var out []store.PermitDurations
	var village, item, m, level string
	var sec int64
	for rows.Next() {
		if err := rows.Scan(&village, &item, &m, &level, &sec); err != nil {
			return nil, wrap("scan", err)
		}
		n := len(out)
		if n == 0 || out[n-1].Village != village || out[n-1].Item != item || out[n-1].Month != m || out[n-1].Level != level {
			out = append(out, store.PermitDurations{Village: village, Item: item, Month: m, Level: level})
			n++
		}
		out[n-1].Seconds = append(out[n-1].Seconds, sec)
	}
	return out, wrap("rows", rows.Err())
}
