//go:build !race

package app_test

// underRace: see race_test.go.
const underRace = false
