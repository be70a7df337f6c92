package sqlstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"sanmian/hub/division"
	"sanmian/hub/store"
)

// maxStatsMonths bounds the months one statistics query may span.
const maxStatsMonths = 240

// statsSQL returns the village column of a statistics query over one of the summary tables
// (the whole code, or its first q.VillageDigits digits), and the WHERE clause with its
// arguments. The summaries (migration 00012) are kept per (month, village, item) by triggers.
func statsSQL(q store.StatsQuery) (village, where string, args []any, err error) {
	if q.From.IsZero() || q.To.IsZero() || !q.From.Before(q.To) {
		return "", "", nil, fmt.Errorf("%w: statistics need From before To", store.ErrInvalid)
	}
	from, to := q.From.In(division.Zone), q.To.In(division.Zone)
	monthStart := func(t time.Time) bool {
		return t.Day() == 1 && t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0
	}
	if !monthStart(from) || !monthStart(to) {
		return "", "", nil, fmt.Errorf("%w: statistics count whole months: From and To must start a month in China Standard Time", store.ErrInvalid)
	}
	if from.AddDate(0, maxStatsMonths, 0).Before(to) {
		return "", "", nil, fmt.Errorf("%w: statistics span more than %d months", store.ErrInvalid, maxStatsMonths)
	}
	switch q.VillageDigits {
	case 0, 12:
		village = "village"
	case 6, 9:
		village = "substr(village, 1, " + strconv.Itoa(q.VillageDigits) + ")"
	default:
		return "", "", nil, fmt.Errorf("%w: statistics village digits %d", store.ErrInvalid, q.VillageDigits)
	}
	conds := []string{"month >= ?", "month <= ?"}
	args = append(args, from.Format("2006-01"), to.AddDate(0, -1, 0).Format("2006-01"))
	if q.Item != "" {
		conds, args = append(conds, "item = ?"), append(args, q.Item)
	}
	if q.DivisionPrefix != "" {
		if !digits(q.DivisionPrefix) {
			return "", "", nil, fmt.Errorf("%w: division prefix %q", store.ErrInvalid, q.DivisionPrefix)
		}
		conds, args = append(conds, "village LIKE ?"), append(args, q.DivisionPrefix+"%")
	}
	if len(q.Villages) > 0 {
		conds = append(conds, "village IN "+placeholders(len(q.Villages)))
		for _, v := range q.Villages {
			args = append(args, v)
		}
	}
	return village, " WHERE " + strings.Join(conds, " AND "), args, nil
}

// ApplicationStats implements store.StatsReader.
func (r reader) ApplicationStats(ctx context.Context, q store.StatsQuery) ([]store.ApplicationStat, error) {
	village, where, args, err := statsSQL(q)
	if err != nil {
		return nil, err
	}
	sq := `SELECT ` + village + `, item, month, SUM(draft + confirmed + in_review + approved + rejected + returned),
	SUM(draft), SUM(confirmed), SUM(in_review), SUM(approved), SUM(rejected), SUM(returned)
FROM stats_applications` + where + ` GROUP BY 1, 2, 3
HAVING SUM(draft + confirmed + in_review + approved + rejected + returned) > 0`
	return collect(ctx, r, sq, args, func(s scanner) (store.ApplicationStat, error) {
		var x store.ApplicationStat
		err := s.Scan(&x.Village, &x.Item, &x.Month, &x.Total, &x.Draft, &x.Confirmed, &x.InReview, &x.Approved,
			&x.Rejected, &x.Returned)
		return x, err
	})
}

// ReviewStats implements store.StatsReader.
func (r reader) ReviewStats(ctx context.Context, q store.StatsQuery) ([]store.ReviewStat, error) {
	village, where, args, err := statsSQL(q)
	if err != nil {
		return nil, err
	}
	sq := `SELECT ` + village + `, item, month, level, action, reason, SUM(n)
FROM stats_refusals` + where + ` GROUP BY 1, 2, 3, 4, 5, 6`
	return collect(ctx, r, sq, args, func(s scanner) (store.ReviewStat, error) {
		var x store.ReviewStat
		var action string
		err := s.Scan(&x.Village, &x.Item, &x.Month, &x.Level, &action, &x.Reason, &x.Count)
		x.Action = store.ReviewAction(action)
		return x, err
	})
}

// PermitDurations implements store.StatsReader.
func (r reader) PermitDurations(ctx context.Context, q store.StatsQuery) ([]store.DurationStat, error) {
	village, where, args, err := statsSQL(q)
	if err != nil {
		return nil, err
	}
	sq := `SELECT ` + village + `, item, month, level, seconds, SUM(n)
FROM stats_durations` + where + ` GROUP BY 1, 2, 3, 4, 5`
	return collect(ctx, r, sq, args, func(s scanner) (store.DurationStat, error) {
		var x store.DurationStat
		err := s.Scan(&x.Village, &x.Item, &x.Month, &x.Level, &x.Seconds, &x.Count)
		return x, err
	})
}
