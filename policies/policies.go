// Package policies holds the Sanmian policy bundle: the Rego v1 policies (packages
// sanmian.eligibility, sanmian.scan, sanmian.access and sanmian.lib), the item catalogue and
// local configuration as bundle data (data.yaml, loaded at data.sanmian.catalogue), the bundle
// manifest with its revision, and the Rego tests. The hub evaluates it in-process through
// package sanmian/hub/policy; policies/README.md documents the input and output contract.
package policies

import "embed"

// Bundle is the policy bundle as an OPA bundle directory tree: ".manifest", "data.yaml" and
// every "*.rego" file, including the "*_test.rego" tests. The engine in hub/policy filters the
// tests out when it serves the bundle; the Go tests of this package run them. Read-only.
//
//go:embed .manifest data.yaml *.rego
var Bundle embed.FS
