package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"sanmian/hub/seal"
	"sanmian/sdk/permitverify"
)

func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return verifyCmd(ctx, args, os.Stdin, stdout, stderr)
}

// verifyCmd verifies a permit offline: signature against a JWKS (file or URL), expiry, and
// revocation when a status list is given. Exit 0 valid, 1 invalid, 2 usage.
func verifyCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("verify", stderr)
	jwks := fs.String("jwks", "http://127.0.0.1:8080/.well-known/jwks.json", "the hub's public keys: a JWKS file or URL")
	status := fs.String("status", "", `revocation status list: a file or URL, or "permit" to fetch the URL the permit names (default: not checked)`)
	snapshot := fs.String("snapshot", "", "verify offline from a saved verification snapshot (sdk/permitverify; key set and status lists) instead of --jwks and --status")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: hub verify [--jwks URL|FILE] [--status URL|FILE|permit] [--snapshot FILE] TOKEN|-")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return &exitError{Code: 2, Err: errors.New("give one permit token, or - to read it from standard input")}
	}
	token := fs.Arg(0)
	if token == "-" {
		b, err := io.ReadAll(io.LimitReader(bufio.NewReader(stdin), seal.MaxPermitSize+1))
		if err != nil {
			return &exitError{Code: 2, Err: fmt.Errorf("read token: %w", err)}
		}
		token = string(b)
	}
	token = strings.TrimSpace(token)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()

	if *snapshot != "" {
		return verifySnapshot(ctx, *snapshot, token, *asJSON, stdout)
	}
	var opts []seal.VerifyOption
	if *status != "" {
		src := *status
		if src == "permit" {
			// Read the URL from the permit's (not yet verified) claims; the list itself is
			// verified with the same keys before it is trusted.
			uri, err := statusURI(token)
			if err != nil {
				return &exitError{Code: 1, Err: err}
			}
			src = uri
		}
		st, err := seal.LoadStatusListToken(ctx, src)
		if err != nil {
			return &exitError{Code: 1, Err: fmt.Errorf("status list: %w", err)}
		}
		opts = append(opts, seal.WithStatusListToken(st))
	}
	res, err := seal.VerifyOffline(ctx, token, *jwks, opts...)
	if err != nil {
		return &exitError{Code: 1, Err: err}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(res)
	} else {
		printVerification(stdout, res, *status != "")
	}
	if !res.Valid {
		return &exitError{Code: 1}
	}
	return nil
}

// verifySnapshot verifies token with a snapshot file alone (the SDK's offline mode): the
// revocation check is made whenever the permit names a status list.
func verifySnapshot(ctx context.Context, path, token string, asJSON bool, stdout io.Writer) error {
	snap, err := permitverify.ReadSnapshotFile(path)
	if err != nil {
		return &exitError{Code: 1, Err: err}
	}
	v, err := permitverify.NewOffline(snap, permitverify.OfflineConfig{})
	if err != nil {
		return &exitError{Code: 1, Err: err}
	}
	res, err := v.Verify(ctx, token)
	if err != nil {
		return &exitError{Code: 1, Err: err}
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(res)
	} else {
		printVerification(stdout, res, true)
	}
	if !res.Valid {
		return &exitError{Code: 1}
	}
	return nil
}

func printVerification(w io.Writer, r seal.Result, statusChecked bool) {
	if !r.Valid {
		fmt.Fprintf(w, "INVALID 无效: %s\n", r.Reason)
		return
	}
	c := r.Claims
	fmt.Fprintf(w, "VALID 有效 (%s)\n", r.Status)
	fmt.Fprintf(w, "  permit  %s\n  item    %s\n  holder  %s\n  office  %s (key %s)\n", c.PermitID, c.Item, c.Holder, c.Office, r.Kid)
	if c.IssuedAt != nil {
		fmt.Fprintf(w, "  issued  %s\n", c.IssuedAt.Time.Format(time.RFC3339))
	}
	if c.ExpiresAt != nil {
		fmt.Fprintf(w, "  expires %s\n", c.ExpiresAt.Time.Format(time.RFC3339))
	}
	for _, rv := range c.Reviews {
		fmt.Fprintf(w, "  review  %s %s %s by %s\n", rv.Level, rv.Division, rv.Action, rv.Reviewer)
	}
	if !statusChecked {
		fmt.Fprintln(w, "  revocation not checked (pass --status permit to check the status list)")
	}
}

// statusURI reads the status list URL from a permit's payload without trusting it.
func statusURI(token string) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", errors.New("not a compact JWS")
	}
	var c seal.PermitClaims
	b, err := decodeSegment(parts[1])
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.Status == nil || c.Status.StatusList.URI == "" {
		return "", errors.New("the permit names no status list")
	}
	return c.Status.StatusList.URI, nil
}

func decodeSegment(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
