package policy

// decisionTime is the pinned clock of the tests: 2026-11-26 10:00 China Standard Time.
var decisionTime = corpusTime
