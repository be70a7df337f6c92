// Package api is the hub's HTTP front door: the one routes table (Routes) over small
// interfaces of what the routes need (Parts), request ids, RFC 9457 problem documents,
// health, readiness and Prometheus metrics, the REST contract of DESIGN.md section 3, and
// the one table from hub service errors to REST problems and GraphQL error codes
// (WriteServiceError, GraphQLErrorCode). Handlers translate between HTTP and the hub's
// services; errors become HTTP statuses only here, by their type, never by their text.
//
// Every request gets a server span (WithTracerProvider; the no-op provider by default) that
// continues a caller's W3C traceparent, is named after the route pattern and carries the
// request id; the request-scoped logger (Logger) carries request_id and, for a traced
// request, trace_id.
package api
