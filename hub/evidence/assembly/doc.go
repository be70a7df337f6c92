// Package assembly builds evidence Bundles (sanmian/hub/evidence) from the three data
// platforms: the Assembler fans out in parallel across the platform connectors (any
// evidence.ProvinceSource, CitySource and DistrictSource; in the hub the clients of
// connectors/province, connectors/city and connectors/district), batches household members
// per platform, caches answers per kind in connectors/cache with stale-if-error, and
// reconciles the answers field by field (evidence.Authority), keeping disagreements as
// conflicts.
//
// It sits above the connectors and the cache and below the hub service, which sees it only
// through the service's Evidence port (wired in hub/app): the service imports the evidence
// model and its failure kinds, never this package or a connector.
package assembly
