// Package city is the hub's client for the city big-data platform (市大数据平台): resident
// pension, medical insurance and employment status (GET /api/v2/insured-persons/{id} and
// POST /api/v2/insured-persons:batchGet, at most 100 ids per call).
//
// Authentication is OAuth2 client credentials (RFC 6749 section 4.4, HTTP Basic client
// authentication). The access token is cached, refreshed shortly before it expires (one
// refresh for all concurrent callers), and refreshed once more when a resource request is
// answered 401 (token revoked or expired early). Refused client credentials are an error of
// kind connectors.ErrAuth. The batch get is a read-only POST and is marked idempotent.
//
// Answers are decoded strictly into evidence.CityRecord: unknown status words, malformed
// dates, wrong JSON types or missing fields are errors of kind connectors.ErrDecode.
package city
