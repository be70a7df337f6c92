package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"sanmian/hub/store"
	_ "sanmian/hub/store/postgres"
	_ "sanmian/hub/store/sqlite"
)

func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(stderr, "Usage: hub audit verify [--data DIR | --config FILE]")
		return &exitError{Code: 2}
	}
	fs := newFlagSet("audit verify", stderr)
	cf := addConfigFlags(fs)
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	_, st, err := cf.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	keys, err := store.AuditPublicKeys(ctx, st)
	if err != nil {
		return err
	}
	rep, err := st.VerifyAudit(ctx, keys)
	if err != nil && !errors.Is(err, store.ErrAuditTampered) {
		return err
	}
	if rep.Intact {
		fmt.Fprintf(stdout, "audit log intact 审计日志完整: %d entries, head seq %d (%s), %d signed checkpoints verified\n",
			rep.Entries, rep.HeadSeq, shortHash(rep.HeadHash), rep.Checkpoints)
		return nil
	}
	if rep.FirstBadSeq > 0 {
		fmt.Fprintf(stdout, "audit log TAMPERED 审计日志被篡改: entry %d: %s\n", rep.FirstBadSeq, rep.Problem)
	} else {
		fmt.Fprintf(stdout, "audit log TAMPERED 审计日志被篡改: %s\n", rep.Problem)
	}
	return &exitError{Code: 1}
}

func shortHash(h string) string {
	if len(h) > 16 {
		return h[:16] + "…"
	}
	return h
}
