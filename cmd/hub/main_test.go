package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"sanmian/connectors/city"
	"sanmian/connectors/district"
	"sanmian/connectors/province"
	"sanmian/hub/auth"
	"sanmian/hub/config"
	"sanmian/hub/seal"
	"sanmian/hub/seal/sealtest"
	"sanmian/hub/store"
	"sanmian/hub/store/sqlite"
	"sanmian/sdk/permitverify"
)

// runHub runs the command line in-process and returns the exit code and output.
func runHub(t *testing.T, ctx context.Context, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(ctx, args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUsageAndUnknownCommand(t *testing.T) {
	if code, out, _ := runHub(t, t.Context(), "help"); code != 0 || !strings.Contains(out, "demo") {
		t.Fatalf("help: %d %q", code, out)
	}
	if code, _, errOut := runHub(t, t.Context(), "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Fatalf("unknown command: %d %q", code, errOut)
	}
	if code, _, errOut := runHub(t, t.Context(), "token", "--ttl", "soon"); code != 2 || !strings.Contains(errOut, "invalid value") {
		t.Fatalf("bad flag: %d %q", code, errOut)
	}
}

func TestTokenCommand(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := runHub(t, t.Context(), "token", "--data", dir); code != 2 || !strings.Contains(errOut, "--role is required") {
		t.Fatalf("missing role: %d %q", code, errOut)
	}
	if code, _, errOut := runHub(t, t.Context(), "token", "--data", dir, "--role", "counter"); code != 2 || !strings.Contains(errOut, "jurisdiction") {
		t.Fatalf("counter without jurisdiction: %d %q", code, errOut)
	}
	code, out, errOut := runHub(t, t.Context(), "token", "--data", dir, "--role", "counter", "--jurisdiction", "370114001201")
	if code != 0 {
		t.Fatalf("token: %d %q", code, errOut)
	}
	iss, err := auth.OpenDemoIssuer(dir)
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.Config{Issuers: []auth.TrustedIssuer{iss.Trusted()}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.Verify(t.Context(), strings.TrimSpace(out))
	if err != nil || c.Role != "counter" || c.Jurisdiction != "370114001201" {
		t.Fatalf("minted token: %+v %v", c, err)
	}

	// Every minted token has a subject of its own unless --sub names one: counters of two
	// villages (or two people at one counter) must not share idempotency records.
	subjects := map[string]string{c.Subject: "first"}
	for _, tc := range []struct {
		name string
		args []string
		sub  string // the subject wanted; "" = a fresh one
	}{
		{"same_village_again", []string{"--role", "counter", "--jurisdiction", "370114001201"}, ""},
		{"other_village", []string{"--role", "counter", "--jurisdiction", "370114001202"}, ""},
		{"department", []string{"--role", "department", "--scope", "*"}, ""},
		{"explicit_sub", []string{"--role", "counter", "--jurisdiction", "370114001201", "--sub", "cadre-7"}, "cadre-7"},
	} {
		code, out, errOut := runHub(t, t.Context(), append([]string{"token", "--data", dir}, tc.args...)...)
		if code != 0 {
			t.Fatalf("%s: %d %q", tc.name, code, errOut)
		}
		c, err := v.Verify(t.Context(), strings.TrimSpace(out))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if tc.sub != "" {
			if c.Subject != tc.sub {
				t.Fatalf("%s: subject %q, want %q", tc.name, c.Subject, tc.sub)
			}
			continue
		}
		if prev, ok := subjects[c.Subject]; ok {
			t.Fatalf("%s: subject %q already minted for %s", tc.name, c.Subject, prev)
		}
		if !strings.HasPrefix(c.Subject, c.Role+"-"+c.Jurisdiction) {
			t.Fatalf("%s: subject %q does not name the role and jurisdiction", tc.name, c.Subject)
		}
		subjects[c.Subject] = tc.name
	}
}

func TestDemoTokensHaveDistinctSubjects(t *testing.T) {
	iss, err := auth.OpenDemoIssuer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.Config{Issuers: []auth.TrustedIssuer{iss.Trusted()}})
	if err != nil {
		t.Fatal(err)
	}
	// Two runs of the demo print tokens for the same roles and divisions.
	var buf bytes.Buffer
	for range 2 {
		if err := printTokens(&buf, iss, nil); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	n := 0
	for _, line := range strings.Split(buf.String(), "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "ey") {
			continue
		}
		c, err := v.Verify(t.Context(), line)
		if err != nil {
			t.Fatalf("printed token: %v", err)
		}
		if seen[c.Subject] {
			t.Fatalf("subject %q printed twice", c.Subject)
		}
		seen[c.Subject] = true
		n++
	}
	if n != 14 {
		t.Fatalf("%d tokens printed, want 7 per run", n)
	}
}

func TestVerifyCommand(t *testing.T) {
	dir := t.TempDir()
	master, err := seal.DemoMasterKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	kr, err := seal.NewKeyring(&sealtest.MemKeyStore{}, master)
	if err != nil {
		t.Fatal(err)
	}
	office := "370114001000"
	if _, err := kr.EnsureOffice(t.Context(), office); err != nil {
		t.Fatal(err)
	}
	tok, _, err := kr.Seal(t.Context(), office, seal.PermitClaims{PermitID: "p1", Item: "senior_card",
		HolderIDNumber: "11010519491231002X", IssuedAt: jwt.NewNumericDate(time.Now())})
	if err != nil {
		t.Fatal(err)
	}
	jwks, err := kr.JWKS(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	jwksFile := filepath.Join(dir, "jwks.json")
	if err := os.WriteFile(jwksFile, jwks, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runHub(t, t.Context(), "verify", "--jwks", jwksFile, tok); code != 0 || !strings.Contains(out, "VALID") || strings.Contains(out, "11010519491231002X") {
		t.Fatalf("valid permit: %d %q %q", code, out, errOut)
	}
	// From an SDK snapshot (key set and status list), offline; a revocable permit is checked.
	const statusURI = "https://hub.example.test/v1/permits/status"
	if _, err := kr.EnsureOffice(t.Context(), "370114"); err != nil {
		t.Fatal(err)
	}
	revocable, _, err := kr.Seal(t.Context(), office, seal.PermitClaims{PermitID: "p2", Item: "senior_card",
		HolderIDNumber: "11010519491231002X", Status: seal.NewStatusClaim(3, statusURI)})
	if err != nil {
		t.Fatal(err)
	}
	list, _ := seal.NewStatusList(0)
	if err := list.Set(3, true); err != nil {
		t.Fatal(err)
	}
	listTok, err := kr.SignStatusList(t.Context(), "370114", statusURI, list, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	jwks, err = kr.JWKS(t.Context()) // now with the district's key
	if err != nil {
		t.Fatal(err)
	}
	snapFile := filepath.Join(dir, "snapshot.json")
	snap := &permitverify.Snapshot{TakenAt: time.Now(), JWKS: jwks, StatusLists: map[string]string{statusURI: listTok}}
	if err := snap.WriteFile(snapFile); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runHub(t, t.Context(), "verify", "--snapshot", snapFile, tok); code != 0 || !strings.Contains(out, "VALID") {
		t.Fatalf("snapshot, permit without status: %d %q %q", code, out, errOut)
	}
	if code, out, errOut := runHub(t, t.Context(), "verify", "--snapshot", snapFile, revocable); code != 1 || !strings.Contains(out, "INVALID 无效: revoked") {
		t.Fatalf("snapshot, revoked permit: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := runHub(t, t.Context(), "verify", "--snapshot", filepath.Join(dir, "none.json"), tok); code != 1 || errOut == "" {
		t.Fatalf("missing snapshot: %d %q", code, errOut)
	}
	// Change one character inside the signature (not the last, whose low bits are padding).
	i := len(tok) - 10
	c := byte('A')
	if tok[i] == 'A' {
		c = 'B'
	}
	tampered := tok[:i] + string(c) + tok[i+1:]
	if code, out, _ := runHub(t, t.Context(), "verify", "--jwks", jwksFile, tampered); code != 1 || !strings.Contains(out, "INVALID") {
		t.Fatalf("tampered permit: %d %q", code, out)
	}
	var stdout, stderr bytes.Buffer
	if err := verifyCmd(t.Context(), []string{"--jwks", jwksFile, "-"}, strings.NewReader(tok+"\n"), &stdout, &stderr); err != nil {
		t.Fatalf("token from stdin: %v %s", err, stderr.String())
	}
	if code, _, _ := runHub(t, t.Context(), "verify", "--jwks", jwksFile); code != 2 {
		t.Fatalf("no token: exit %d, want 2", code)
	}
	if code, _, errOut := runHub(t, t.Context(), "verify", "--jwks", filepath.Join(dir, "missing.json"), tok); code != 1 || errOut == "" {
		t.Fatalf("missing JWKS: %d %q", code, errOut)
	}
}

// writeConfig writes a valid hub.yaml for dir (upstreams that are never called).
func writeConfig(t *testing.T, dir string) {
	t.Helper()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	iss, err := auth.NewIssuer("test", "k1", key, nil)
	if err != nil {
		t.Fatal(err)
	}
	jwks, _ := iss.JWKS()
	if err := os.WriteFile(filepath.Join(dir, "issuer.jwks.json"), jwks, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{Addr: "127.0.0.1:0", DataDir: dir,
		Upstreams: config.Upstreams{
			Province: province.Config{BaseURL: "http://127.0.0.1:1", AppKey: "k", Secret: "s"},
			City:     city.Config{BaseURL: "http://127.0.0.1:1", ClientID: "c", ClientSecret: "s"},
			District: district.Config{BaseURL: "http://127.0.0.1:1", APIKey: "k"}},
		Auth: auth.Config{Issuers: []auth.TrustedIssuer{{Name: "test", Algorithms: []string{"EdDSA"}, JWKSFile: "issuer.jwks.json"}}},
		Keys: seal.Config{MasterKeyFile: seal.DemoMasterKeyFile},
	}
	if _, err := seal.DemoMasterKey(dir); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Write(filepath.Join(dir, "hub.yaml")); err != nil {
		t.Fatal(err)
	}
}

func TestAuditVerifyDetectsAnEditedEntry(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir)
	st, err := sqlite.Open(t.Context(), filepath.Join(dir, "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := st.AppendAudit(t.Context(), &store.AuditEntry{ActorSub: "counter-1", ActorRole: "counter",
			Action: store.AuditLookup, Subject: "digest", Item: "senior_card", Purpose: "purpose " + string(rune('A'+i))}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	if code, out, errOut := runHub(t, t.Context(), "audit", "verify", "--data", dir); code != 0 || !strings.Contains(out, "intact") {
		t.Fatalf("intact log: %d %q %q", code, out, errOut)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE audit_entries SET purpose = 'rewritten' WHERE seq = 3`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, out, _ := runHub(t, t.Context(), "audit", "verify", "--data", dir)
	if code != 1 || !strings.Contains(out, "entry 3") {
		t.Fatalf("edited entry: exit %d %q, want 1 naming entry 3", code, out)
	}
	if code, _, _ := runHub(t, t.Context(), "audit", "check"); code != 2 {
		t.Fatalf("unknown audit subcommand: exit %d", code)
	}
}

// TestDemoServes runs the README's first command as a newcomer would: it must come up,
// write the ready file with addresses and samples, serve, and stop cleanly.
func TestDemoServes(t *testing.T) {
	dir := t.TempDir()
	ready := filepath.Join(dir, "ready.json")
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan int, 1)
	var out, errOut bytes.Buffer
	go func() {
		done <- run(ctx, []string{"demo", "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "data"), "--ready-file", ready}, &out, &errOut)
	}()
	var rf struct {
		Hub, Province, City, District string
		Samples                       []struct {
			IDNumber string   `json:"id_number"`
			Name     string   `json:"name"`
			Village  string   `json:"village"`
			Items    []string `json:"items"`
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		b, err := os.ReadFile(ready)
		if err == nil && json.Unmarshal(b, &rf) == nil {
			break
		}
		select {
		case code := <-done:
			t.Fatalf("demo exited with %d: %s %s", code, out.String(), errOut.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("demo not ready within 60 s")
		}
	}
	if rf.Hub == "" || rf.Province == "" || len(rf.Samples) == 0 || len(rf.Samples[0].Village) != 12 || len(rf.Samples[0].Items) == 0 {
		t.Fatalf("ready file: %+v", rf)
	}
	resp, err := http.Get(rf.Hub + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("readyz: %d", resp.StatusCode)
	}
	if _, err := config.Load(filepath.Join(dir, "data", "hub.yaml")); err != nil {
		t.Fatalf("the demo's hub.yaml does not load: %v", err)
	}
	for _, want := range []string{"counter", "reviewer", "auditor", "admin", "department", rf.Samples[0].IDNumber} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("demo stopped with %d: %s", code, errOut.String())
	}
}

func TestKeysRotateAndRevoke(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir)
	const office = "370114001000"
	code, out, errOut := runHub(t, t.Context(), "keys", "rotate", "--data", dir, "--office", office)
	if code != 0 || !strings.Contains(out, office+"-") {
		t.Fatalf("first rotation: %d %q %q", code, out, errOut)
	}
	kidRE := regexp.MustCompile(office + `-\d{4}-\d+`)
	first := kidRE.FindString(out)
	if code, out, _ = runHub(t, t.Context(), "keys", "rotate", "--data", dir, "--office", office); code != 0 {
		t.Fatalf("second rotation: %d %q", code, out)
	}
	second := kidRE.FindString(out)
	if first == "" || second == "" || first == second {
		t.Fatalf("kids %q then %q", first, second)
	}
	_, list, _ := runHub(t, t.Context(), "keys", "list", "--data", dir)
	if !regexp.MustCompile(first+`\s+retired`).MatchString(list) || !regexp.MustCompile(second+`\s+active`).MatchString(list) {
		t.Fatalf("after rotation the first key should be retired and the second active: %q", list)
	}
	if code, out, errOut := runHub(t, t.Context(), "keys", "revoke", "--data", dir, "--kid", first); code != 0 {
		t.Fatalf("revoke: %d %q %q", code, out, errOut)
	}
	if _, list, _ = runHub(t, t.Context(), "keys", "list", "--data", dir); !regexp.MustCompile(first + `\s+revoked`).MatchString(list) {
		t.Fatalf("revoked key not listed as revoked: %q", list)
	}
	for _, args := range [][]string{{"keys"}, {"keys", "rotate", "--data", dir}, {"keys", "revoke", "--data", dir}, {"keys", "frob", "--data", dir}} {
		if code, _, _ := runHub(t, t.Context(), args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if code, _, errOut := runHub(t, t.Context(), "keys", "rotate", "--data", dir, "--office", "12345"); code != 1 || errOut == "" {
		t.Errorf("unknown office: exit %d %q", code, errOut)
	}
}
