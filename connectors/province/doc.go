// Package province is the hub's client for the provincial big-data platform
// (省一体化大数据平台): population base data (人口基础信息, POST /gateway/api/rkjc/query) and
// e-licences (电子证照, POST /gateway/api/dzzz/query).
//
// Every request is signed with the app key and HMAC-SHA256 over method, path, timestamp,
// nonce and body hash. The signature is computed per attempt inside the transport (a
// resilience.Middleware), so every retry carries a fresh timestamp and nonce and is never
// refused as a replay. Both queries are read-only POSTs and are marked idempotent, so the
// shared retry policy may repeat them.
//
// Answers are decoded strictly (pinyin-abbreviated fields, GB code tables, YYYYMMDD dates,
// the {"code","msg","data"} envelope): an unknown code, a malformed date or ID number, a
// missing required field or a wrong JSON type is an error of kind connectors.ErrDecode.
// Results are mapped into evidence.ProvinceRecord and evidence.LicenceRecord with
// provenance. Queries batch at most 50 ID numbers per call and follow pages.
package province
