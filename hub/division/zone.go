package division

import "time"

// Zone is the district's calendar: China Standard Time (UTC+8, no daylight saving), a fixed
// zone so that no time zone database is needed. Every day and month the hub reads or writes
// (a decision's date, a scan's date, the statistics' months, a permit number's year, an age)
// is one in this zone, whatever the machine's own zone.
var Zone = time.FixedZone("CST", 8*3600)
