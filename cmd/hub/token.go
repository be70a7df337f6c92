package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"sanmian/hub/auth"
)

// defaultDataDir is where `hub demo` keeps its store, keys and demo issuer.
const defaultDataDir = "data"

func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("token", stderr)
	role := fs.String("role", "", "caller role: counter, reviewer, department, auditor or admin (required)")
	jurisdiction := fs.String("jurisdiction", "", "division code the caller acts for (required for counter and reviewer), e.g. a village 370114001201")
	scope := fs.String("scope", "", `space-separated item codes a department app may use, or "*"`)
	sub := fs.String("sub", "", "subject (default: a fresh one per token, <role>-<jurisdiction>-<random>)")
	ttl := fs.Duration("ttl", 8*time.Hour, "token lifetime (at most 744h)")
	data := fs.String("data", defaultDataDir, "demo data directory holding the demo issuer key")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *role == "" {
		return &exitError{Code: 2, Err: fmt.Errorf("--role is required (%s)", strings.Join(auth.Roles, ", "))}
	}
	if *sub == "" {
		*sub = auth.DemoSubject(*role, *jurisdiction)
	}
	iss, err := auth.OpenDemoIssuer(*data)
	if err != nil {
		return fmt.Errorf("demo issuer in %s: %w", *data, err)
	}
	c := auth.Caller{Subject: *sub, Role: *role, Jurisdiction: *jurisdiction, Scope: strings.Fields(*scope)}
	tok, err := iss.Mint(c, *ttl)
	if err != nil {
		return &exitError{Code: 2, Err: err}
	}
	fmt.Fprintln(stdout, tok)
	return nil
}
