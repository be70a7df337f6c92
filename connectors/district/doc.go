// Package district is the hub's client for the district data platform
// (区数据要素融合赋能平台): village membership and rolls per resident
// (GET /open/v1/residents/{id}), households (GET /open/v1/households/{no}) and the bulk change
// feed used for snapshot sync (GET /open/v1/changes).
//
// Authentication is a static API key header. The platform has no batch endpoint: one call
// per resident and per household. Answers are decoded strictly ("Y"/"N" flags, YYYY-MM-DD
// dates, Chinese relation and programme names mapped to the hub's codes): an unknown value,
// a malformed date or ID number, a wrong JSON type or a missing field is an error of kind
// connectors.ErrDecode.
package district
