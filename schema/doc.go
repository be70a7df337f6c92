// Package schema is the GraphQL front door of the Sanmian (三免) hub: one query surface over
// persons, households, licences, items, applications, permits, decisions and data-use records,
// built with github.com/graphql-go/graphql.
//
// It is a second door onto the same hub services as the REST API, never a second path to the
// connectors or the store: every resolver calls the Service interface (service.go), which the
// hub's application service implements. The service authorises the caller through policy,
// writes the audit log and the resident's data-use record, and decides whether an ID number
// may be shown unmasked; the schema only presents what the service released, masks every ID
// number it was not told it may show, and cannot reach a person except through Service.People.
//
// Handler serves POST and GET /graphql. Before a document executes it passes, in this order:
// the request size limit; the token count and bracket nesting, from the lexer alone; parsing;
// the number of fields with fragments expanded, the length of fragment chains, aliases and
// depth; the specification's validation rules (gqlparser's against schema.graphql, which refuse
// fragment cycles, then graphql-go's; guard.go says why both); and the complexity with list
// multipliers and list sizes (see Limits). Each step is bounded by the ones before it, so no
// document makes the process recurse without bound or validate for long. Parsed and
// validated documents are kept in a bounded LRU cache keyed by the SHA-256 of the query text,
// which also serves Apollo-style automatic persisted queries. Resolvers that fetch return
// thunks backed by a per-request batcher (loader.go), so a household's members are fetched with
// one People call and independent fields of one level are fetched concurrently.
//
// A browser that GETs /graphql receives a self-contained explorer page (no network access
// needed) embedded from explorer/. SDL (schema.graphql) is the schema in SDL, kept in step by
// TestSDL. The package also embeds the OpenAPI document of the REST contract (openapi.go).
package schema
