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
	cfg := config.Default()
	cfg.DataDir, cfg.Store = dir, filepath.Join(dir, "hub.db")
	up := &cfg.Upstreams
	up.Province.BaseURL, up.Province.AppKey, up.Province.Secret = p.Province.URL(), c.ProvinceAppKey, c.ProvinceSecret
	up.City.BaseURL, up.City.ClientID, up.City.ClientSecret = p.City.URL(), c.CityClientID, c.CityClientSecret
	up.District.BaseURL, up.District.APIKey = p.District.URL(), c.DistrictAPIKey
	cfg.Auth = auth.Config{Issuers: []auth.TrustedIssuer{issuer}}
	cfg.Keys = seal.Config{MasterKeyFile: filepath.Join(dir, filepath.FromSlash(seal.DemoMasterKeyFile))}
	return cfg
}
