package store

import (
	"context"
	"time"
)

// StatsReader computes the monthly statistics that town and district offices used to ask
// villages to compile by hand (表单报送). It reads summaries the store keeps per (month,
// village, item) in the transaction of every application, review and permit it writes, so a
// statistic is exact and costs in proportion to the groups it counts, not to the applications.
//
// Every method counts the applications created in the months [q.From, q.To) inside the
// division q selects, and attributes each one to its village, its item and the month it was
// created in China Standard Time (UTC+8, "YYYY-MM"): an application, its reviews and its
// permit all count in the month the application was created. Rows come in no particular
// order; a group with nothing to count has no row. Safe for concurrent use.
type StatsReader interface {
	// ApplicationStats returns one row per (village, item, month) with the applications by
	// their current status.
	ApplicationStats(ctx context.Context, q StatsQuery) ([]ApplicationStat, error)
	// ReviewStats returns the reject and return reviews counted per (village, item, month,
	// level, action, reason).
	ReviewStats(ctx context.Context, q StatsQuery) ([]ReviewStat, error)
	// PermitDurations returns the permits counted per (village, item, month, level, duration
	// bucket): Level is the level of the last approving review before the permit, or
	// LevelInstant when there was none (instant approval: the number of instant approvals is
	// the Count of the LevelInstant rows); Seconds is DurationBucket of the seconds from
	// application to permit.
	PermitDurations(ctx context.Context, q StatsQuery) ([]DurationStat, error)
}

// LevelInstant names, in PermitDurations, the permits issued without a review.
const LevelInstant = "instant"

// MaxReasonRunes is how much of a review comment ReviewStats groups by: the comment with
// leading and trailing white space removed, cut after this many characters.
const MaxReasonRunes = 60

// DurationBucket is the histogram bucket the statistics count a time from application to
// permit of s seconds in: s rounded down to the minute below one hour, to ten minutes below
// two days and to the hour beyond. Percentiles over the buckets are therefore exact to within
// a minute for instant approvals, ten minutes for same-day reviews and an hour for longer ones.
func DurationBucket(s int64) int64 {
	switch {
	case s < 3600:
		return s / 60 * 60
	case s < 172800:
		return s / 600 * 600
	default:
		return s / 3600 * 3600
	}
}

// StatsQuery selects the applications a statistic counts. DivisionPrefix (digits) and
// Villages (exact codes, OR) narrow by village as in ApplicationFilter; Item "" counts every
// item; From and To are required and must be the first instants of months in China Standard
// Time (From inclusive, To exclusive). VillageDigits, when 6 or 9, makes the rows carry only
// the first VillageDigits digits of the village code and counts the villages that share them
// together (the district's or the town's part of the code); 0 or 12 keeps the whole code.
type StatsQuery struct {
	DivisionPrefix string
	Villages       []string
	Item           string
	From, To       time.Time
	VillageDigits  int
}

// ApplicationStat counts one (village, item, month)'s applications by current status.
type ApplicationStat struct {
	Village, Item, Month string
	Total                int64
	Draft                int64
	Confirmed            int64
	InReview             int64
	Approved             int64
	Rejected             int64
	Returned             int64
}

// ReviewStat counts one (village, item, month, level, action, reason)'s reject or return
// reviews. Reason is the review comment, trimmed and cut after MaxReasonRunes characters.
type ReviewStat struct {
	Village, Item, Month, Level string
	Action                      ReviewAction
	Reason                      string
	Count                       int64
}

// DurationStat counts the permits of one (village, item, month, level) whose time from
// application to permit falls in the bucket Seconds (DurationBucket).
type DurationStat struct {
	Village, Item, Month, Level string
	Seconds, Count              int64
}
