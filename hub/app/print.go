package app

import (
	"bytes"
	"net/http"

	"sanmian/hub/api"
	"sanmian/hub/division"
	"sanmian/hub/seal"
)

// printHandler serves GET /v1/permits/{id}/print: the permit as a printable Chinese page
// with a QR code carrying the token, for a caller who may read the permit.
func (a *App) printHandler(sl *sealer, publicURL string) http.Handler {
	return api.Authenticate(a.Auth, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := api.CallerFrom(r.Context())
		p, err := a.Hub.GetPermit(r.Context(), c, r.PathValue("id"))
		if err != nil {
			api.WriteServiceError(w, r, err)
			return
		}
		v, err := sl.Verify(r.Context(), p.Token)
		claims, ok := v.Claims.(*seal.PermitClaims)
		if err != nil || !ok {
			api.WriteServiceError(w, r, err)
			return
		}
		d := seal.NewPrintData(p.Token, p.KID, *claims)
		if it, err := a.Hub.Item(p.Item); err == nil {
			d.ItemName = it.NameZH
		}
		d.Office.Name = division.FullName(claims.Office)
		for i := range d.Reviews {
			d.Reviews[i].DivisionName = division.FullName(d.Reviews[i].Division)
		}
		d.JWKSURL = publicURL + "/.well-known/jwks.json"
		d.VerifyURL = publicURL + "/v1/permits/verify"
		d.PermitURL = publicURL + "/v1/permits/" + p.ID
		var buf bytes.Buffer
		if err := seal.RenderPrintPage(&buf, d); err != nil {
			api.WriteServiceError(w, r, err)
			return
		}
		if v.Status == "revoked" {
			// The page itself shows the sealed content; say loudly that it no longer holds.
			w.Header().Set("X-Permit-Status", "revoked")
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
		_, _ = w.Write(buf.Bytes())
	}))
}
