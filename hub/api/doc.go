// Package api is the hub's HTTP front door: routing, request ids, RFC 9457 problem documents,
// health, readiness and Prometheus metrics, and (as the hub's services land) the REST contract
// of DESIGN.md section 3. Handlers translate between HTTP and the hub's services; errors become
// HTTP statuses only here.
package api
