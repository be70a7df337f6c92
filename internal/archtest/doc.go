// Package archtest holds the hub's architecture test: it reads the package import graph from
// `go list`, keeps the picture of that graph in docs/ARCHITECTURE.md current (run
// `go test ./internal/archtest -update` to rewrite it), and enforces the layering rules between
// the rooms of the repository as a table of forbidden imports. The package has no code outside
// its test.
package archtest
