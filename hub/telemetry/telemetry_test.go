package telemetry

import (
	"errors"
	"math"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"zero_is_off", Config{}, true},
		{"http_endpoint", Config{Endpoint: "http://collector:4318"}, true},
		{"https_grpc_endpoint", Config{Endpoint: "https://collector:4317", Protocol: ProtocolGRPC, SampleRatio: 0.25, ServiceName: "hub-a"}, true},
		{"endpoint_without_scheme", Config{Endpoint: "collector:4318"}, false},
		{"endpoint_not_http", Config{Endpoint: "ftp://collector"}, false},
		{"unknown_protocol", Config{Endpoint: "http://collector:4318", Protocol: "http/json"}, false},
		{"ratio_above_one", Config{Endpoint: "http://collector:4318", SampleRatio: 1.5}, false},
		{"ratio_negative", Config{Endpoint: "http://collector:4318", SampleRatio: -0.1}, false},
		{"ratio_nan", Config{Endpoint: "http://collector:4318", SampleRatio: math.NaN()}, false},
		{"settings_without_endpoint", Config{SampleRatio: 0.5}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if (err == nil) != tc.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrConfig) {
				t.Errorf("error %v is not ErrConfig", err)
			}
		})
	}
}

// TestSetupOffIsNoop: without an endpoint nothing is recorded and Shutdown has nothing to do.
func TestSetupOffIsNoop(t *testing.T) {
	tr, err := Setup(t.Context(), Config{})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Enabled() {
		t.Error("tracing enabled without an endpoint")
	}
	_, span := tr.TracerProvider().Tracer("test").Start(t.Context(), "x")
	if span.IsRecording() {
		t.Error("the no-op provider records spans")
	}
	span.End()
	if err := tr.Shutdown(t.Context()); err != nil {
		t.Error(err)
	}
}

// TestServiceName: telemetry.service_name wins over OTEL_SERVICE_NAME, which wins over the
// default.
func TestServiceName(t *testing.T) {
	for _, tc := range []struct {
		name, env, cfg, want string
	}{
		{"default", "", "", DefaultServiceName},
		{"env_when_config_silent", "from-env", "", "from-env"},
		{"config_wins_over_env", "from-env", "from-config", "from-config"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("OTEL_SERVICE_NAME", tc.env)
			r := serviceResource(Config{Endpoint: "http://collector:4318", ServiceName: tc.cfg})
			v, _ := r.Set().Value("service.name")
			if v.AsString() != tc.want {
				t.Errorf("service.name = %q, want %q", v.AsString(), tc.want)
			}
		})
	}
}

// TestSetupHTTPExporter: an endpoint without a path gets the OTLP/HTTP traces path; the
// provider records spans and shuts down cleanly with nothing exported.
func TestSetupHTTPExporter(t *testing.T) {
	tr, err := Setup(t.Context(), Config{Endpoint: "http://127.0.0.1:1", SampleRatio: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !tr.Enabled() {
		t.Fatal("tracing off with an endpoint")
	}
	_, span := tr.TracerProvider().Tracer("test").Start(t.Context(), "x")
	if !span.IsRecording() {
		t.Error("span not recorded at sample ratio 1")
	}
	// The span is not ended: Shutdown has nothing to send to the unreachable collector.
	if err := tr.Shutdown(t.Context()); err != nil {
		t.Error(err)
	}
}

// FuzzConfigValidate: Validate never panics, and whatever it accepts Setup can build without
// contacting anything.
func FuzzConfigValidate(f *testing.F) {
	f.Add("http://collector:4318", "", 0.0, "")
	f.Add("https://collector:4317/otlp", "grpc", 0.5, "hub")
	f.Add("collector:4318", "http/json", 2.0, "")
	f.Add("", "", 0.0, "x")
	f.Fuzz(func(t *testing.T, endpoint, protocol string, ratio float64, service string) {
		cfg := Config{Endpoint: endpoint, Protocol: protocol, SampleRatio: ratio, ServiceName: service}
		if err := cfg.Validate(); err != nil {
			return
		}
		tr, err := Setup(t.Context(), cfg)
		if err != nil {
			t.Fatalf("Validate accepted %+v but Setup failed: %v", cfg, err)
		}
		if tr.Enabled() != (endpoint != "") {
			t.Fatalf("Enabled() = %v for endpoint %q", tr.Enabled(), endpoint)
		}
		_ = tr.Shutdown(t.Context())
	})
}
