package schema

import "embed"

// explorerFS holds the GraphQL explorer served at GET /graphql to a browser: one HTML page,
// its script and its stylesheet, inlined into a single response at first use so that the page
// needs no network access beyond /graphql itself (no CDN). Labels are Chinese and English.
//
//go:embed explorer/explorer.html explorer/explorer.js explorer/explorer.css
var explorerFS embed.FS

// SDL is the schema in GraphQL SDL, the reviewable contract department apps build on. It is
// generated from an introspection result by TestSDL (go test ./schema -run TestSDL -update),
// which also checks that an independent GraphQL implementation accepts it and that it matches
// the schema this package serves.
//
//go:embed schema.graphql
var SDL string
