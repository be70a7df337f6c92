package store

import (
	"context"
	"time"
)

// StatsReader computes the monthly statistics that town and district offices used to ask
// villages to compile by hand (表单报送), aggregating in SQL over the applications,
// reviews and permits tables.
//
// Every method reads the applications created in [q.From, q.To) inside the division q
// selects, and attributes each one to its village, its item and the month it was created in
// China Standard Time (UTC+8, "YYYY-MM"): an application, its reviews and its permit all count
// in the month the application was created. Rows come in no particular order; a group with
// nothing to count has no row. Safe for concurrent use.
type StatsReader interface {
	// ApplicationStats returns one row per (village, item, month) with the applications by
	// their current status.
	ApplicationStats(ctx context.Context, q StatsQuery) ([]ApplicationStat, error)
	// ReviewStats returns the reject and return reviews counted per (village, item, month,
	// level, action).
	ReviewStats(ctx context.Context, q StatsQuery) ([]ReviewStat, error)
	// PermitDurations returns one row per (village, item, month, level) with the seconds from
	// application to permit of every permitted application, ascending. Level is the level of
	// the last approving review, or LevelInstant when there was none (instant approval: the
	// number of instant approvals is the length of the LevelInstant rows' Seconds).
	PermitDurations(ctx context.Context, q StatsQuery) ([]PermitDurations, error)
}

// LevelInstant names, in PermitDurations, the permits issued without a review.
const LevelInstant = "instant"

// StatsQuery selects the applications a statistic counts. DivisionPrefix (digits) and
// Villages (exact codes, OR) narrow by village as in ApplicationFilter; Item "" counts every
// item; From and To bound created_at (From inclusive, To exclusive) and are required.
type StatsQuery struct {
	DivisionPrefix string
	Villages       []string
	Item           string
	From, To       time.Time
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

// ReviewStat counts one (village, item, month, level, action)'s reject or return reviews.
type ReviewStat struct {
	Village, Item, Month, Level string
	Action                      ReviewAction
	Count                       int64
}

// PermitDurations lists the seconds from application to permit in one (village, item,
// month, level), ascending.
type PermitDurations struct {
	Village, Item, Month, Level string
	Seconds                     []int64
}
