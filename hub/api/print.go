package api

import (
	"bytes"
	"net/http"

	"sanmian/hub/auth"
	"sanmian/hub/division"
	"sanmian/hub/seal"
)

// printer serves GET /v1/permits/{id}/print: the permit as a printable Chinese page with a
// QR code carrying the token, for a caller who may read the permit.
type printer struct {
	hub       Hub
	publicURL string // the hub's external base URL, for the verification links on the page
}

func (p printer) serve(w http.ResponseWriter, r *http.Request, c auth.Caller) {
	pm, err := p.hub.GetPermit(r.Context(), c, r.PathValue("id"))
	if err != nil {
		WriteServiceError(w, r, err)
		return
	}
	v, err := p.hub.VerifyPermit(r.Context(), pm.Token)
	claims, ok := v.Claims.(*seal.PermitClaims)
	if err != nil || !ok {
		WriteServiceError(w, r, err)
		return
	}
	d := seal.NewPrintData(pm.Token, pm.KID, *claims)
	if it, err := p.hub.Item(pm.Item); err == nil {
		d.ItemName = it.NameZH
	}
	d.Office.Name = division.FullName(claims.Office)
	for i := range d.Reviews {
		d.Reviews[i].DivisionName = division.FullName(d.Reviews[i].Division)
	}
	d.JWKSURL = p.publicURL + "/.well-known/jwks.json"
	d.VerifyURL = p.publicURL + "/v1/permits/verify"
	d.PermitURL = p.publicURL + "/v1/permits/" + pm.ID
	var buf bytes.Buffer
	if err := seal.RenderPrintPage(&buf, d); err != nil {
		WriteServiceError(w, r, err)
		return
	}
	if v.Status == "revoked" {
		// The page itself shows the sealed content; say loudly that it no longer holds.
		w.Header().Set("X-Permit-Status", "revoked")
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
	_, _ = w.Write(buf.Bytes())
}
