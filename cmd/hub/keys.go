package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"sanmian/hub/app"
	"sanmian/hub/division"
)

// runKeys manages the offices' sealing keys: list them, rotate an office's key (the old one
// stays published until its overlap ends, so permits it sealed keep verifying), or revoke a
// compromised key (it leaves the JWKS at once).
func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	usage := func() error {
		fmt.Fprintln(stderr, "Usage: hub keys list | rotate --office CODE | revoke --kid KID   [--data DIR | --config FILE]")
		return &exitError{Code: 2}
	}
	if len(args) == 0 {
		return usage()
	}
	sub := args[0]
	fs := newFlagSet("keys "+sub, stderr)
	cf := addConfigFlags(fs)
	office := fs.String("office", "", "office code (district 370114, or a 12-digit town, work-area or village code)")
	kid := fs.String("kid", "", "key id to revoke")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	cfg, st, err := cf.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	kr, err := app.Keyring(cfg, st)
	if err != nil {
		return err
	}
	switch sub {
	case "list":
		keys, err := st.ListOfficeKeys(ctx, "")
		if err != nil {
			return err
		}
		for _, k := range keys {
			until := "—"
			if !k.NotAfter.IsZero() {
				until = k.NotAfter.Format(time.DateOnly)
			}
			fmt.Fprintf(stdout, "%-24s %-8s created %s  published until %s  %s\n", k.KID, k.Status,
				k.CreatedAt.Format(time.DateOnly), until, division.FullName(k.Office))
		}
		return nil
	case "rotate":
		if *office == "" {
			return &exitError{Code: 2, Err: fmt.Errorf("--office is required")}
		}
		newKid, err := kr.Rotate(ctx, *office)
		if err != nil {
			return &exitError{Code: 1, Err: err}
		}
		fmt.Fprintf(stdout, "office %s now seals with %s; its previous keys stay published for verification until their overlap ends\n", *office, newKid)
		return nil
	case "revoke":
		if *kid == "" {
			return &exitError{Code: 2, Err: fmt.Errorf("--kid is required")}
		}
		if err := kr.RevokeKey(ctx, *kid); err != nil {
			return &exitError{Code: 1, Err: err}
		}
		fmt.Fprintf(stdout, "key %s revoked: it left the JWKS and permits it sealed no longer verify\n", *kid)
		return nil
	default:
		return usage()
	}
}
