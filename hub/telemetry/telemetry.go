package telemetry

import (
	"context"
	"fmt"
	"net/url"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Tracing is the hub's tracer provider and what it takes to flush it.
type Tracing struct {
	provider trace.TracerProvider
	sdk      *sdktrace.TracerProvider // nil when tracing is off
}

// Setup builds the tracer provider cfg describes: the no-op provider when cfg has no
// endpoint, else an SDK provider batching spans to the OTLP collector. It does not touch the
// OpenTelemetry globals. Shutdown flushes and stops it.
func Setup(ctx context.Context, cfg Config) (*Tracing, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if !cfg.Enabled() {
		return &Tracing{provider: noop.NewTracerProvider()}, nil
	}
	exp, err := exporter(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("telemetry: OTLP exporter: %w", err)
	}
	return &Tracing{sdk: NewProvider(cfg, sdktrace.WithBatcher(exp))}, nil
}

// NewProvider returns an SDK tracer provider with cfg's resource and sampler and the given
// options (a span processor): the hub's provider when exporting, and the tests' with an
// in-memory exporter.
func NewProvider(cfg Config, opts ...sdktrace.TracerProviderOption) *sdktrace.TracerProvider {
	base := []sdktrace.TracerProviderOption{sdktrace.WithResource(serviceResource(cfg))}
	if cfg.SampleRatio > 0 {
		base = append(base, sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(cfg.SampleRatio))))
	}
	return sdktrace.NewTracerProvider(append(base, opts...)...)
}

// serviceResource describes the hub: the SDK's own attributes, OTEL_RESOURCE_ATTRIBUTES and
// OTEL_SERVICE_NAME (read now, not cached), and cfg.ServiceName over them, or
// DefaultServiceName when neither names the service.
func serviceResource(cfg Config) *resource.Resource {
	env, err := resource.New(context.Background(), resource.WithTelemetrySDK(), resource.WithFromEnv())
	if err != nil {
		env = resource.Empty()
	}
	name := cfg.ServiceName
	if name == "" {
		if v, ok := env.Set().Value("service.name"); ok && v.AsString() != "" {
			return env
		}
		name = DefaultServiceName
	}
	r, err := resource.Merge(env, resource.NewSchemaless(attribute.String("service.name", name)))
	if err != nil {
		return resource.NewSchemaless(attribute.String("service.name", name))
	}
	return r
}

func exporter(ctx context.Context, cfg Config) (sdktrace.SpanExporter, error) {
	if cfg.Protocol == ProtocolGRPC {
		return otlptracegrpc.New(ctx, otlptracegrpc.WithEndpointURL(cfg.Endpoint))
	}
	endpoint := cfg.Endpoint
	if u, err := url.Parse(endpoint); err == nil && (u.Path == "" || u.Path == "/") {
		u.Path = "/v1/traces"
		endpoint = u.String()
	}
	return otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(endpoint))
}

// TracerProvider returns the provider to give the HTTP server; never nil.
func (t *Tracing) TracerProvider() trace.TracerProvider {
	if t.sdk != nil {
		return t.sdk
	}
	return t.provider
}

// Enabled reports whether spans are recorded and exported.
func (t *Tracing) Enabled() bool { return t.sdk != nil }

// Shutdown exports the spans still buffered and stops the exporter; a no-op when tracing is
// off.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t.sdk == nil {
		return nil
	}
	return t.sdk.Shutdown(ctx)
}
