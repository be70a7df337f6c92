package seal

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"sanmian/hub/division"
)

// printTemplateText is the printable permit page: self-contained HTML with
// inline CSS and an inline SVG QR code, no external resources.
//
//go:embed print.html.tmpl
var printTemplateText string

var printTemplate = template.Must(template.New("permit").Parse(printTemplateText))

// PrintData is what the printable page shows. Holder must already be
// masked; the page never shows a full ID number.
type PrintData struct {
	Token      string // the compact JWS carried by the QR code
	PermitID   string
	Item       string // item code
	ItemName   string // e.g. "高龄老人补贴"
	Holder     string // masked ID number
	HolderName string // optional, already masked for display (e.g. "张*华")
	Office     Office // issuing office
	IssuedAt   time.Time
	ExpiresAt  time.Time // zero: no validity limit
	Reviews    []PrintReview
	Kid        string
	JWKSURL    string // public key set, e.g. https://<hub>/.well-known/jwks.json
	VerifyURL  string // verification endpoint, e.g. https://<hub>/v1/permits/verify
	PermitURL  string // the permit's page; carried by the QR code when the token is too long
}

// PrintReview is one review step as printed.
type PrintReview struct {
	Level        string // village | work_area | town | district | instant
	Division     string
	DivisionName string // optional
	Action       string // approve | reject | return
	Reviewer     string
	At           time.Time
}

// NewPrintData fills PrintData from a sealed permit and its verified
// claims; the caller adds names (item, office, divisions) and URLs.
func NewPrintData(token string, kid string, c PermitClaims) PrintData {
	p := PrintData{Token: token, PermitID: c.PermitID, Item: c.Item, Holder: c.Holder, Office: Office{Code: c.Office}, Kid: kid}
	if c.IssuedAt != nil {
		p.IssuedAt = c.IssuedAt.Time
	}
	if c.ExpiresAt != nil {
		p.ExpiresAt = c.ExpiresAt.Time
	}
	for _, r := range c.Reviews {
		pr := PrintReview{Level: r.Level, Division: r.Division, Action: r.Action, Reviewer: r.Reviewer}
		if r.At != nil {
			pr.At = r.At.Time
		}
		p.Reviews = append(p.Reviews, pr)
	}
	return p
}

// qrSVG renders content as an inline SVG QR code with error correction
// level, or fails when content does not fit a version-40 symbol.
func qrSVG(content string, level qrcode.RecoveryLevel) (template.HTML, int, error) {
	q, err := qrcode.New(content, level)
	if err != nil {
		return "", 0, err
	}
	bm := q.Bitmap() // includes the 4-module quiet zone
	n := len(bm)
	var path strings.Builder
	for y, row := range bm {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < len(row) && row[x] {
				x++
			}
			fmt.Fprintf(&path, "M%d %dh%dv1h-%dz", start, y, x-start, x-start)
		}
	}
	svg := fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" width="100%%" height="100%%" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img" aria-label="许可凭证二维码"><rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="%s"/></svg>`,
		n, n, n, n, path.String())
	return template.HTML(svg), q.VersionNumber, nil
}

var levelNames = map[string]string{
	"village": "村级", "work_area": "党建工作区", "town": "镇(街道)级", "district": "区级", "instant": "秒批(自动)",
}

var actionNames = map[string]string{"approve": "同意", "reject": "不同意", "return": "退回修改"}

func cnDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(division.Zone).Format("2006年01月02日")
}

func cnDateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(division.Zone).Format("2006-01-02 15:04")
}

func orCode(name, code string) string {
	switch {
	case name != "" && code != "":
		return name + "(" + code + ")"
	case name != "":
		return name
	default:
		return code
	}
}

// RenderPrintPage writes the printable notice "三免审批结果通知书" for a
// permit: item, masked holder, issuing office, dates, review chain, kid,
// how to verify, and a QR code. The QR code carries the token itself when
// it fits a version-40 symbol (about 2,300 bytes at error correction level
// M, 2,900 at L); otherwise the PermitURL, and the page says so. It fails
// when neither fits.
func RenderPrintPage(w io.Writer, p PrintData) error {
	if p.Token == "" || p.PermitID == "" {
		return fmt.Errorf("seal: print: token and permit id required")
	}
	type row struct{ Level, Office, Action, Reviewer, At string }
	view := struct {
		PrintData
		QR                         template.HTML
		QRVersion                  int
		QRSizeMM                   int
		QRHoldsToken               bool
		ItemTitle, OfficeTitle     string
		Issued, Expires            string
		Rows                       []row
		TokenPreview, TokenLenNote string
	}{PrintData: p}
	var err error
	for _, level := range []qrcode.RecoveryLevel{qrcode.Medium, qrcode.Low} {
		if view.QR, view.QRVersion, err = qrSVG(p.Token, level); err == nil {
			view.QRHoldsToken = true
			break
		}
	}
	if !view.QRHoldsToken {
		if p.PermitURL == "" {
			return fmt.Errorf("seal: print: token of %d bytes does not fit a QR code and no permit URL is given", len(p.Token))
		}
		if view.QR, view.QRVersion, err = qrSVG(p.PermitURL, qrcode.Medium); err != nil {
			return fmt.Errorf("seal: print: permit URL does not fit a QR code: %w", err)
		}
	}
	// About 0.4 mm per module (quiet zone included), 40-80 mm wide: a
	// version-40 code prints about 74 mm wide, still readable by a phone.
	view.QRSizeMM = min(80, max(40, (17+4*view.QRVersion+8)*2/5))
	view.ItemTitle = orCode(p.ItemName, p.Item)
	view.OfficeTitle = orCode(p.Office.Name, p.Office.Code)
	view.Issued = cnDate(p.IssuedAt)
	view.Expires = cnDate(p.ExpiresAt)
	for _, r := range p.Reviews {
		lv := levelNames[r.Level]
		if lv == "" {
			lv = r.Level
		}
		ac := actionNames[r.Action]
		if ac == "" {
			ac = r.Action
		}
		view.Rows = append(view.Rows, row{Level: lv, Office: orCode(r.DivisionName, r.Division), Action: ac, Reviewer: r.Reviewer, At: cnDateTime(r.At)})
	}
	return printTemplate.Execute(w, view)
}
