package seal_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"sanmian/hub/ident"
	"sanmian/hub/seal"
)

// A town office seals a permit; anyone holding the JWKS verifies it, and
// the status list revokes it.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "seal-example")
	defer os.RemoveAll(dir)

	master, _ := seal.ParseMasterKey(base64.StdEncoding.EncodeToString(make([]byte, 32))) // use DemoMasterKey or a real secret
	store, _ := seal.OpenFileKeyStore(filepath.Join(dir, seal.DefaultKeysFile))
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	kr, _ := seal.NewKeyring(store, master, seal.WithClock(func() time.Time { return now }))
	_, _ = kr.EnsureOffice(ctx, "370114001000") // the town
	_, _ = kr.EnsureOffice(ctx, "370114")       // the district signs the status list

	id, _ := ident.NewIDNumber("370114", time.Date(1940, 3, 15, 0, 0, 0, 0, time.UTC), 123)
	const statusURI = "https://hub.example.test/v1/permits/status"
	token, kid, err := kr.Seal(ctx, "370114001000", seal.PermitClaims{
		PermitID:       "pmt_1",
		Item:           "elderly_allowance",
		HolderIDNumber: id,
		PolicyRevision: "rev-1",
		DecisionID:     "dec_1",
		Status:         seal.NewStatusClaim(42, statusURI),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	jwks, _ := kr.JWKS(ctx)
	res, _ := seal.VerifyJWKS(token, jwks, now)
	fmt.Println(kid, res.Valid, res.Status, res.Claims.Holder)

	list, _ := seal.NewStatusList(0)
	_ = list.Set(42, true)
	statusToken, _ := kr.SignStatusList(ctx, "370114", statusURI, list, time.Hour)
	res, _ = seal.VerifyJWKS(token, jwks, now, seal.WithStatusListToken(statusToken))
	fmt.Println(res.Valid, res.Status)
	// Output:
	// 370114001000-2026-1 true unchecked 370114********1230
	// false revoked
}
