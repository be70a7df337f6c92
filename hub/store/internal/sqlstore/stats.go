package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"sanmian/hub/store"
)

// chinaTime is China Standard Time, in which the statistics count months.
var chinaTime = time.FixedZone("CST", 8*3600)

// maxStatsMonths bounds the months one statistics query may span.
const maxStatsMonths = 240

// statsSQL returns the month expression (a CASE over the month boundaries in China Standard
// Time, cheaper than date functions and the same on both backends), the WHERE clause (over
// applications aliased a), and the arguments of both, the month's first. Queries group by
// column position so that the month's arguments are bound once.
func statsSQL(q store.StatsQuery) (month, where string, args []any, err error) {
	if q.From.IsZero() || q.To.IsZero() || !q.From.Before(q.To) {
		return "", "", nil, fmt.Errorf("%w: statistics need From before To", store.ErrInvalid)
	}
	f := q.From.In(chinaTime)
	var b strings.Builder
	b.WriteString("CASE")
	n := 0
	for m := time.Date(f.Year(), f.Month(), 1, 0, 0, 0, 0, chinaTime); m.Before(q.To); m = m.AddDate(0, 1, 0) {
		if n++; n > maxStatsMonths {
			return "", "", nil, fmt.Errorf("%w: statistics span more than %d months", store.ErrInvalid, maxStatsMonths)
		}
		b.WriteString(" WHEN a.created_at < ? THEN '" + m.Format("2006-01") + "'")
		args = append(args, store.NormTime(m.AddDate(0, 1, 0)))
	}
	b.WriteString(" END")
	conds := []string{"a.created_at >= ?", "a.created_at < ?"}
	args = append(args, store.NormTime(q.From), store.NormTime(q.To))
	if q.Item != "" {
		conds, args = append(conds, "a.item = ?"), append(args, q.Item)
	}
	if q.DivisionPrefix != "" {
		if !digits(q.DivisionPrefix) {
			return "", "", nil, fmt.Errorf("%w: division prefix %q", store.ErrInvalid, q.DivisionPrefix)
		}
		conds, args = append(conds, "a.village LIKE ?"), append(args, q.DivisionPrefix+"%")
	}
	if len(q.Villages) > 0 {
		conds = append(conds, "a.village IN "+placeholders(len(q.Villages)))
		for _, v := range q.Villages {
			args = append(args, v)
		}
	}
	return b.String(), " WHERE " + strings.Join(conds, " AND "), args, nil
}

// ApplicationStats implements store.StatsReader.
func (r reader) ApplicationStats(ctx context.Context, q store.StatsQuery) ([]store.ApplicationStat, error) {
	month, where, args, err := statsSQL(q)
	if err != nil {
		return nil, err
	}
	sq := `SELECT a.village, a.item, ` + month + ` AS m, COUNT(*),
	SUM(CASE WHEN a.status = 'draft' THEN 1 ELSE 0 END),
	SUM(CASE WHEN a.status = 'confirmed' THEN 1 ELSE 0 END),
	SUM(CASE WHEN a.status = 'in_review' THEN 1 ELSE 0 END),
	SUM(CASE WHEN a.status = 'approved' THEN 1 ELSE 0 END),
	SUM(CASE WHEN a.status = 'rejected' THEN 1 ELSE 0 END),
	SUM(CASE WHEN a.status = 'returned' THEN 1 ELSE 0 END)
FROM applications a` + where + ` GROUP BY 1, 2, 3`
	return collect(ctx, r, sq, args, func(s scanner) (store.ApplicationStat, error) {
		var x store.ApplicationStat
		err := s.Scan(&x.Village, &x.Item, &x.Month, &x.Total, &x.Draft, &x.Confirmed, &x.InReview, &x.Approved,
			&x.Rejected, &x.Returned)
		return x, err
	})
}

// ReviewStats implements store.StatsReader.
func (r reader) ReviewStats(ctx context.Context, q store.StatsQuery) ([]store.ReviewStat, error) {
	month, where, args, err := statsSQL(q)
	if err != nil {
		return nil, err
	}
	sq := `SELECT a.village, a.item, ` + month + ` AS m, r.level, r.action, COUNT(*)
FROM reviews r JOIN applications a ON a.id = r.application_id` + where + ` AND r.action IN ('reject', 'return')
GROUP BY 1, 2, 3, 4, 5`
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
	month, where, args, err := statsSQL(q)
	if err != nil {
		return nil, err
	}
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
