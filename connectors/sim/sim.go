package sim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"sanmian/connectors/sim/synth"
)

// DefaultTokenTTL is the lifetime of a city access token when Config.TokenTTL is zero.
const DefaultTokenTTL = 600 * time.Second

// Config selects what Start runs. The zero value runs the demo district (synth defaults) on
// three random loopback ports with the demo credentials and no faults.
type Config struct {
	Host        string        `yaml:"host"`      // listen host; "" = 127.0.0.1
	Ports       [3]int        `yaml:"ports"`     // province, city, district; 0 = a random free port
	Residents   int           `yaml:"residents"` // synthetic district size; 0 = synth.DefaultResidents
	Seed        int64         `yaml:"seed"`      // data seed (and, unless the profile sets one, the fault seed)
	Faults      string        `yaml:"faults"`    // built-in profile name or YAML path; "" = none
	Credentials Credentials   `yaml:"-"`         // zero = DemoCredentials()
	TokenTTL    time.Duration `yaml:"token_ttl"` // city access-token lifetime; 0 = DefaultTokenTTL
	// District is already-generated data to serve; nil = generate from Residents and Seed.
	District *synth.District `yaml:"-"`
	// Logger receives lifecycle and admin events (never personal data); nil = discard.
	Logger *slog.Logger `yaml:"-"`
}

// Validate reports whether c is usable; errors wrap ErrConfig. It does not read fault files.
func (c Config) Validate() error {
	for i, p := range c.Ports {
		if p < 0 || p > 65535 {
			return fmt.Errorf("%w: port %d out of range", ErrConfig, p)
		}
		for j := i + 1; j < len(c.Ports); j++ {
			if p != 0 && p == c.Ports[j] {
				return fmt.Errorf("%w: two platforms on port %d", ErrConfig, p)
			}
		}
	}
	if c.Residents < 0 {
		return fmt.Errorf("%w: negative resident count", ErrConfig)
	}
	if c.TokenTTL < 0 {
		return fmt.Errorf("%w: negative token TTL", ErrConfig)
	}
	return nil
}

// Credentials are what the hub needs to call the three platforms.
type Credentials struct {
	ProvinceAppKey   string `yaml:"province_app_key" json:"province_app_key"`
	ProvinceSecret   string `yaml:"province_secret" json:"province_secret"`
	CityClientID     string `yaml:"city_client_id" json:"city_client_id"`
	CityClientSecret string `yaml:"city_client_secret" json:"city_client_secret"`
	DistrictAPIKey   string `yaml:"district_api_key" json:"district_api_key"`
}

// DemoCredentials returns the fixed credentials of the demo (also listed in API.md). They
// protect nothing but synthetic data.
func DemoCredentials() Credentials {
	return Credentials{
		ProvinceAppKey:   "zq-sanmian-demo",
		ProvinceSecret:   "province-demo-secret-0001",
		CityClientID:     "sanmian-hub",
		CityClientSecret: "city-demo-secret-0001",
		DistrictAPIKey:   "district-demo-key-0001",
	}
}

// withDefaults fills the empty fields of c from DemoCredentials.
func (c Credentials) withDefaults() Credentials {
	d := DemoCredentials()
	if c.ProvinceAppKey == "" {
		c.ProvinceAppKey = d.ProvinceAppKey
	}
	if c.ProvinceSecret == "" {
		c.ProvinceSecret = d.ProvinceSecret
	}
	if c.CityClientID == "" {
		c.CityClientID = d.CityClientID
	}
	if c.CityClientSecret == "" {
		c.CityClientSecret = d.CityClientSecret
	}
	if c.DistrictAPIKey == "" {
		c.DistrictAPIKey = d.DistrictAPIKey
	}
	return c
}

// Platforms are the three running simulators. Fields are set by Start and never nil until
// Close; Close is safe to call more than once.
type Platforms struct {
	Province    *Server
	City        *Server
	District    *Server
	Data        *synth.District // the data served (shared, read-only)
	Credentials Credentials     // with defaults applied
	Faults      Profile         // the profile the servers started with

	roll *roll       // the district roll's removals
	stop func() bool // unregisters the context hook
}

// RecordChange appends a change to the district's change feed for the person with the given
// ID number, as if the village roll had been edited: op "upsert" (the record changed or the
// person is back on the roll) or "delete" (the person left the roll; the district then answers
// 404 for them, while province and city still know them). The province's backflow feed and
// the city's enrolment feed carry the same change: a delete there means the platform no
// longer sends the district that person's records. It returns the change's sequence
// number. Safe for concurrent use. Errors wrap ErrUnknownPerson or ErrChangeOp.
func (p *Platforms) RecordChange(idNumber, op string) (uint64, error) {
	return p.roll.record(idNumber, op)
}

// Servers returns the three servers in the order province, city, district.
func (p *Platforms) Servers() []*Server { return []*Server{p.Province, p.City, p.District} }

// Start generates the synthetic district (unless cfg.District is set), starts the three
// servers and returns once all of them accept connections. ctx bounds the start and the
// servers' lifetime: when ctx is done they are closed as by Close (which callers should still
// call to wait for the shutdown). On error nothing is left running.
func Start(ctx context.Context, cfg Config) (*Platforms, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	profile, err := ParseFaults(cfg.Faults)
	if err != nil {
		return nil, err
	}
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("component", "sim")
	data := cfg.District
	if data == nil {
		data, err = synth.Generate(synth.Config{Residents: cfg.Residents, Seed: cfg.Seed})
		if err != nil {
			return nil, fmt.Errorf("sim: generate district: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	creds := cfg.Credentials.withDefaults()
	seed := profile.Seed
	if seed == 0 {
		seed = cfg.Seed
	}
	p := &Platforms{Data: data, Credentials: creds, Faults: profile, roll: newRoll(data)}
	p.Province = newProvince(data, creds, seed+1, profile.Province, log)
	p.City = newCity(data, creds, cfg.TokenTTL, seed+2, profile.City, log)
	p.District = newDistrict(data, p.roll, creds, seed+3, profile.District, log)
	for i, s := range p.Servers() {
		if err := s.start(cfg.Host, cfg.Ports[i]); err != nil {
			_ = p.closeServers()
			return nil, err
		}
	}
	p.stop = context.AfterFunc(ctx, func() { _ = p.closeServers() })
	return p, nil
}

// Close stops the three servers and waits for them; see Server.Close.
func (p *Platforms) Close() error {
	if p.stop != nil {
		p.stop()
	}
	return p.closeServers()
}

func (p *Platforms) closeServers() error {
	var errs []error
	for _, s := range p.Servers() {
		if s != nil {
			errs = append(errs, s.Close())
		}
	}
	return errors.Join(errs...)
}
