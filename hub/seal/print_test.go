package seal

import (
	"bytes"
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"
)

var printOut = flag.String("print-out", "", "write the rendered permit page to this file for a look")

func TestRenderPrintPage(t *testing.T) {
	_, _, tok, kid, doc := sealed(t)
	keys := mustParse(t, doc)
	res, err := Verify(tok, keys, newTestClock().Now())
	if err != nil || !res.Valid {
		t.Fatalf("Verify: %+v %v", res, err)
	}
	p := NewPrintData(tok, kid, *res.Claims)
	p.ItemName = "高龄老人补贴"
	p.Office.Name = "章丘区明水街道办事处"
	p.JWKSURL = "https://hub.example.test/.well-known/jwks.json"
	p.VerifyURL = "https://hub.example.test/v1/permits/verify"
	p.PermitURL = "https://hub.example.test/v1/permits/" + p.PermitID
	p.Reviews[0].DivisionName = "明水街道某村"
	var buf bytes.Buffer
	if err := RenderPrintPage(&buf, p); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	for _, want := range []string{"三免审批结果通知书", "高龄老人补贴", res.Claims.Holder, "章丘区明水街道办事处", kid,
		"<svg", "hub verify --jwks", "2026年11月26日", "党建工作区", "同意", "扫码即得电子许可凭证"} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(html, testIDNumber(t)) {
		t.Fatal("page contains the full ID number")
	}
	// Self-contained: no scripts, stylesheets, images or fonts fetched.
	if m := regexp.MustCompile(`(?i)<script|<link|<img|src=|url\(|@import`).FindString(html); m != "" {
		t.Fatalf("page loads an external resource: %q", m)
	}
	t.Logf("token %d bytes, page %d bytes", len(tok), len(html))
	if *printOut != "" {
		if err := os.WriteFile(*printOut, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRenderPrintPageLongToken(t *testing.T) {
	long := strings.Repeat("a", 3000) // beyond a version-40 QR code
	p := PrintData{Token: long, PermitID: "pmt_x", PermitURL: "https://hub.example.test/v1/permits/pmt_x"}
	var buf bytes.Buffer
	if err := RenderPrintPage(&buf, p); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "二维码中为凭证页面地址") {
		t.Fatal("fallback to the permit URL is not explained on the page")
	}
	p.PermitURL = ""
	if err := RenderPrintPage(&buf, p); err == nil {
		t.Fatal("rendered a QR code that cannot hold the token and has no fallback")
	}
	if err := RenderPrintPage(&buf, PrintData{}); err == nil {
		t.Fatal("rendered a page without a token")
	}
}
