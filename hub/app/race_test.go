//go:build race

package app_test

// underRace is true in a build with the race detector, which instruments the store's SQLite
// (a pure-Go translation of C) with the rest: writing the statistics tests' year of activity
// then takes about twenty times as long as without it.
const underRace = true
