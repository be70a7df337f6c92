package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"

	"sanmian/hub/auth"
	"sanmian/hub/service"
)

// Auditor is what the auditor console's REST routes need of the hub service (*service.Hub):
// the policy what-if and the list of recorded decisions.
type Auditor interface {
	StartWhatIf(ctx context.Context, c auth.Caller, req service.WhatIfRequest) (service.WhatIfJob, error)
	WhatIfResult(ctx context.Context, c auth.Caller, id string) (service.WhatIfJob, error)
	ListDecisions(ctx context.Context, c auth.Caller, q service.DecisionQuery) ([]service.DecisionSummary, string, error)
}

var _ Auditor = (*service.Hub)(nil)

type auditorRoutes struct{ hub Auditor }

// whatIf serves POST /v1/whatif: the body is the candidate bundle, either the gzipped tarball
// itself (Content-Type application/gzip) or a multipart/form-data upload with the file in the
// field "bundle". Query: at, item, division. The candidate is loaded (a bundle the hub refuses
// is a 400) and the run goes on in the background: 202 with Location /v1/whatif/{id}.
func (a auditorRoutes) whatIf(w http.ResponseWriter, r *http.Request, c auth.Caller) {
	q, ok := queryParams(w, r, "at", "item", "division")
	if !ok {
		return
	}
	bundle, ok := readBundle(w, r)
	if !ok {
		return
	}
	job, err := a.hub.StartWhatIf(r.Context(), c, service.WhatIfRequest{Bundle: bundle, At: q["at"], Item: q["item"], Division: q["division"]})
	if err != nil {
		WriteServiceError(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/whatif/"+job.ID)
	w.Header().Set("Retry-After", "1")
	WriteJSON(w, http.StatusAccepted, job)
}

// whatIfResult serves GET /v1/whatif/{id}: the job (status, progress, and once done the
// report); format=csv or xlsx downloads the finished report (409 while it runs).
func (a auditorRoutes) whatIfResult(w http.ResponseWriter, r *http.Request, c auth.Caller) {
	q, ok := queryParams(w, r, "format")
	if !ok {
		return
	}
	format := q["format"]
	switch format {
	case "", "json", "csv", "xlsx":
	default:
		writeParamProblem(w, r, "format", "must be json, csv or xlsx")
		return
	}
	job, err := a.hub.WhatIfResult(r.Context(), c, r.PathValue("id"))
	if err != nil {
		WriteServiceError(w, r, err)
		return
	}
	if format == "" || format == "json" {
		if job.Status == service.WhatIfRunning {
			w.Header().Set("Retry-After", "1")
		}
		WriteJSON(w, http.StatusOK, job)
		return
	}
	if job.Report == nil {
		WriteServiceError(w, r, &service.StateError{Detail: "the what-if is " + job.Status + ", no report to download"})
		return
	}
	rep := job.Report
	name := fmt.Sprintf("whatif-%s-%s-%s", rep.Division, rep.At, sanitizeName(rep.CandidateRevision))
	if format == "csv" {
		var b bytes.Buffer
		b.WriteString("\uFEFF") // so that spreadsheet programs read the file as UTF-8
		cw := csv.NewWriter(&b)
		_ = cw.WriteAll(WhatIfTable(rep)) // writes to memory
		writeDownload(w, mediaCSV, name+".csv", b.Bytes())
		return
	}
	body, err := whatIfXLSX(rep)
	if err != nil {
		WriteServiceError(w, r, err)
		return
	}
	writeDownload(w, mediaXLSX, name+".xlsx", body)
}

// readBundle reads the uploaded bundle: the body itself (application/gzip,
// application/x-gzip, application/octet-stream) or the "bundle" file of a multipart form.
func readBundle(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		mt = ""
	}
	body := http.MaxBytesReader(w, r.Body, service.MaxBundleBytes+1<<20)
	var src io.Reader
	switch mt {
	case "application/gzip", "application/x-gzip", "application/octet-stream":
		src = body
	case "multipart/form-data":
		mr, err := newMultipart(body, params["boundary"])
		if err != nil {
			writeParamProblem(w, r, "bundle", err.Error())
			return nil, false
		}
		src = mr
	default:
		WriteProblem(w, r, Problem{Type: "unsupported-media-type", Status: http.StatusUnsupportedMediaType,
			Title: "Unsupported media type / 不支持的请求格式", Detail: "Send the bundle as application/gzip or as the file \"bundle\" of multipart/form-data."})
		return nil, false
	}
	b, err := io.ReadAll(io.LimitReader(src, service.MaxBundleBytes+1))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || len(b) > service.MaxBundleBytes {
		WriteProblem(w, r, Problem{Type: "payload-too-large", Status: http.StatusRequestEntityTooLarge,
			Title: "Request body too large / 请求体过大", Detail: fmt.Sprintf("At most %d bytes.", service.MaxBundleBytes)})
		return nil, false
	}
	if err != nil {
		writeParamProblem(w, r, "bundle", "the upload could not be read")
		return nil, false
	}
	return b, true
}

// newMultipart returns the content of the form's "bundle" file part.
func newMultipart(body io.Reader, boundary string) (io.Reader, error) {
	if boundary == "" {
		return nil, errors.New("multipart/form-data without a boundary")
	}
	mr := multipartReader(body, boundary)
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return nil, errors.New("no form field \"bundle\"")
		}
		if err != nil {
			return nil, errors.New("malformed multipart body")
		}
		if p.FormName() == "bundle" {
			return p, nil
		}
	}
}

func sanitizeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '.' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

// whatIfChangeNames are the Chinese names of the kinds of change.
var whatIfChangeNames = map[string]string{"gain": "新增符合", "loss": "不再符合", "cleared": "预警消除"}

// WhatIfTable is the what-if's changes as a table: a header row of Chinese column names and
// one row per resident and item, ID numbers masked. The CSV download and the XLSX's detail
// sheet are this table.
func WhatIfTable(rep *service.WhatIfReport) [][]string {
	out := [][]string{{"事项代码", "事项名称", "村（社区）代码", "村（社区）名称", "身份证号（脱敏）", "变化", "已在册", "原因代码", "政策依据",
		"现行政策版本", "候选政策版本", "测算日期"}}
	names := map[string]string{}
	for _, it := range rep.Items {
		names[it.Item] = it.ItemName
	}
	for _, ch := range rep.Changes {
		on := "否"
		if ch.Enrolled {
			on = "是"
		}
		out = append(out, []string{ch.Item, names[ch.Item], ch.Village, ch.VillageName, ch.IDNumber, whatIfChangeNames[ch.Change], on,
			strings.Join(ch.Reasons, ";"), ch.Rule, rep.LiveRevision, rep.CandidateRevision, rep.At})
	}
	return out
}

// WhatIfVillageTable is the per-village summary: one row per village and item, and 合计.
func WhatIfVillageTable(rep *service.WhatIfReport) [][]string {
	out := [][]string{{"村（社区）代码", "村（社区）名称", "事项代码", "事项名称", "新增符合", "不再符合", "预警消除"}}
	names := map[string]string{}
	for _, it := range rep.Items {
		names[it.Item] = it.ItemName
	}
	i := strconv.Itoa
	for _, v := range rep.Villages {
		out = append(out, []string{v.Village, v.VillageName, v.Item, names[v.Item], i(v.Gains), i(v.Losses), i(v.Cleared)})
	}
	return append(out, []string{"", "合计", "", "", i(rep.Gains), i(rep.Losses), i(rep.Cleared)})
}

// whatIfXLSX writes a workbook with two sheets: 汇总 (WhatIfVillageTable, counts as numbers)
// and 明细 (WhatIfTable).
func whatIfXLSX(rep *service.WhatIfReport) ([]byte, error) {
	return workbook(sheet{"汇总", WhatIfVillageTable(rep), 4}, sheet{"明细", WhatIfTable(rep), -1})
}

func multipartReader(r io.Reader, boundary string) *multipart.Reader {
	return multipart.NewReader(r, boundary)
}

// maxDecisionsPage bounds a page of GET /v1/decisions.
const maxDecisionsPage = 200

// decisions serves GET /v1/decisions: recorded decisions, newest first, filtered by item,
// division, outcome, from, to (YYYY-MM-DD) and revision, paged with after and limit.
func (a auditorRoutes) decisions(w http.ResponseWriter, r *http.Request, c auth.Caller) {
	q, ok := queryParams(w, r, "item", "division", "outcome", "from", "to", "revision", "after", "limit")
	if !ok {
		return
	}
	limit, ok := limitParam(w, r, q["limit"], maxDecisionsPage)
	if !ok {
		return
	}
	rows, next, err := a.hub.ListDecisions(r.Context(), c, service.DecisionQuery{Item: q["item"], Division: q["division"], Outcome: q["outcome"],
		From: q["from"], To: q["to"], Revision: q["revision"], After: q["after"], Limit: limit})
	if err != nil {
		WriteServiceError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, map[string]any{"decisions": rows, "next": next})
}
