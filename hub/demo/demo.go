// Package demo holds the wiring `hub demo` runs with over the simulated platforms
// (connectors/sim). The production wiring (hub/app) does not link the simulators.
package demo

import (
	"path/filepath"

	"sanmian/connectors/sim"
	"sanmian/hub/auth"
	"sanmian/hub/config"
	"sanmian/hub/seal"
)

// Config is the configuration `hub demo` runs with: the simulated platforms p with their
// credentials, the store, keys and demo master key under dir, and issuer as the one trusted
// token issuer. Addr and PublicURL are left for the caller (the listener decides them).
func Config(dir string, p *sim.Platforms, issuer auth.TrustedIssuer) *config.Config {
	c := p.Credentials
	return &config.Config{
		DataDir: dir,
		Store:   filepath.Join(dir, "hub.db"),
		Upstreams: config.Upstreams{
			Province: config.Province{URL: p.Province.URL(), AppKey: c.ProvinceAppKey, Secret: c.ProvinceSecret},
			City:     config.City{URL: p.City.URL(), ClientID: c.CityClientID, ClientSecret: c.CityClientSecret},
			District: config.District{URL: p.District.URL(), APIKey: c.DistrictAPIKey},
		},
		Auth: auth.Config{Issuers: []auth.TrustedIssuer{issuer}},
		Keys: config.Keys{Dir: filepath.Join(dir, "keys"), MasterKeyFile: filepath.Join(dir, filepath.FromSlash(seal.DemoMasterKeyFile))},
	}
}
