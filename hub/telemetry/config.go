package telemetry

import (
	"fmt"
	"net/url"
	"strings"
)

// Protocols are the OTLP transports Config.Protocol accepts.
const (
	ProtocolHTTP = "http/protobuf" // OTLP over HTTP with protobuf bodies (default)
	ProtocolGRPC = "grpc"          // OTLP over gRPC
)

// DefaultServiceName is the service.name of the hub's spans unless telemetry.service_name or
// OTEL_SERVICE_NAME says otherwise.
const DefaultServiceName = "sanmian-hub"

// Config is the telemetry section of hub.yaml. The zero value turns tracing off.
//
// Settings given here win over the standard OTEL_* environment variables; the OpenTelemetry
// SDK still reads those it knows for what this section leaves unset (OTEL_SERVICE_NAME,
// OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER and _ARG, OTEL_EXPORTER_OTLP_HEADERS,
// _TIMEOUT, _COMPRESSION, _CERTIFICATE). An OTEL_EXPORTER_OTLP_ENDPOINT alone does not turn
// tracing on: only Endpoint does.
type Config struct {
	// Endpoint is the OTLP collector's URL: http://host:4318 for http/protobuf (/v1/traces is
	// appended when the URL has no path), http://host:4317 for grpc; https for TLS. Empty:
	// tracing is off.
	Endpoint string `yaml:"endpoint,omitempty"`
	// Protocol is "http/protobuf" (default) or "grpc".
	Protocol string `yaml:"protocol,omitempty"`
	// SampleRatio is the share of new traces recorded, in (0, 1]; a trace continued from a
	// caller's traceparent follows the caller's sampling decision. 0 (unset): every trace,
	// unless OTEL_TRACES_SAMPLER says otherwise.
	SampleRatio float64 `yaml:"sample_ratio,omitempty"`
	// ServiceName is the service.name resource attribute (default OTEL_SERVICE_NAME, else
	// "sanmian-hub").
	ServiceName string `yaml:"service_name,omitempty"`
}

// Enabled reports whether c turns tracing on.
func (c Config) Enabled() bool { return c.Endpoint != "" }

// Validate reports every problem in c at once.
func (c Config) Validate() error {
	var errs []string
	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Sprintf("endpoint %q is not an http(s) URL", c.Endpoint))
		}
	}
	switch c.Protocol {
	case "", ProtocolHTTP, ProtocolGRPC:
	default:
		errs = append(errs, fmt.Sprintf("protocol %q is not %q or %q", c.Protocol, ProtocolHTTP, ProtocolGRPC))
	}
	if c.SampleRatio < 0 || c.SampleRatio > 1 || c.SampleRatio != c.SampleRatio {
		errs = append(errs, fmt.Sprintf("sample_ratio %v is not in [0, 1]", c.SampleRatio))
	}
	if c.Endpoint == "" && (c.Protocol != "" || c.SampleRatio != 0 || c.ServiceName != "") {
		errs = append(errs, "protocol, sample_ratio and service_name need an endpoint")
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %s", ErrConfig, strings.Join(errs, "; "))
	}
	return nil
}
