package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"sanmian/hub/auth"
	"sanmian/hub/service"
)

// Statistics is what GET /v1/statistics needs of the hub service (*service.Hub).
type Statistics interface {
	Statistics(ctx context.Context, c auth.Caller, req service.StatsRequest) (service.StatsReport, error)
}

var _ Statistics = (*service.Hub)(nil)

// statsRoutes serves the monthly statistics as JSON, CSV or XLSX.
type statsRoutes struct{ stats Statistics }

// Media types of the statistics downloads.
const (
	mediaCSV  = "text/csv; charset=utf-8"
	mediaXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

func (s statsRoutes) get(w http.ResponseWriter, r *http.Request, c auth.Caller) {
	q, ok := queryParams(w, r, "division", "item", "from", "to", "by", "format")
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
	rep, err := s.stats.Statistics(r.Context(), c, service.StatsRequest{Division: q["division"], Item: q["item"],
		From: q["from"], To: q["to"], By: q["by"]})
	if err != nil {
		WriteServiceError(w, r, err)
		return
	}
	name := fmt.Sprintf("statistics-%s-%s-%s", rep.Division, rep.From, rep.To)
	if rep.Item != "" {
		name += "-" + rep.Item
	}
	switch format {
	case "csv":
		var b bytes.Buffer
		b.WriteString("\uFEFF") // so that spreadsheet programs read the file as UTF-8
		cw := csv.NewWriter(&b)
		_ = cw.WriteAll(StatsTable(rep)) // writes to memory
		writeDownload(w, mediaCSV, name+".csv", b.Bytes())
	case "xlsx":
		body, err := statsXLSX(rep)
		if err != nil {
			WriteServiceError(w, r, err)
			return
		}
		writeDownload(w, mediaXLSX, name+".xlsx", body)
	default:
		WriteJSON(w, http.StatusOK, rep)
	}
}

func writeDownload(w http.ResponseWriter, mediaType, name string, body []byte) {
	w.Header().Set("Content-Type", mediaType)
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// statsLevelNames are the Chinese column names of the levels of service.StatsLevels.
var statsLevelNames = map[string]string{"instant": "即时办结", "village": "村级", "work_area": "管区", "town": "镇级"}

// StatsTable is the statistics as the table offices exchange (表单报送): a header row of
// Chinese column names, one row per (division, item, month), and a last row 合计 with the
// totals. The CSV and XLSX downloads are this table.
func StatsTable(rep service.StatsReport) [][]string {
	head := []string{"区划代码", "区划名称", "事项代码", "事项名称", "月份", "申请数", "草稿", "已确认待提交", "审核中", "已批准", "不予批准",
		"退回", "即时办结数", "即时办结率"}
	for _, l := range service.StatsLevels {
		head = append(head, statsLevelNames[l]+"办结数", statsLevelNames[l]+"办结时长中位数(小时)", statsLevelNames[l]+"办结时长P90(小时)")
	}
	for _, l := range service.StatsLevels[1:] {
		head = append(head, statsLevelNames[l]+"退回数", statsLevelNames[l]+"不予批准数")
	}
	head = append(head, "主动服务已联系", "主动服务已申请", "主动服务已享受", "退回及不予批准主要原因")
	out := [][]string{head}
	line := func(row service.StatsRow, label string) []string {
		i := strconv.FormatInt
		rec := []string{row.Division, row.DivisionName, row.Item, row.ItemName, row.Month, i(row.Applications, 10), i(row.Draft, 10),
			i(row.Confirmed, 10), i(row.InReview, 10), i(row.Approved, 10), i(row.Rejected, 10), i(row.Returned, 10),
			i(row.Instant, 10), strconv.FormatFloat(row.InstantShare, 'f', 4, 64)}
		if label != "" {
			rec[2], rec[3], rec[4] = "", label, ""
		}
		for _, l := range service.StatsLevels {
			var d service.LevelDuration
			for _, x := range row.Durations {
				if x.Level == l {
					d = x
				}
			}
			rec = append(rec, i(d.Permits, 10), strconv.FormatFloat(d.MedianHours, 'f', 2, 64), strconv.FormatFloat(d.P90Hours, 'f', 2, 64))
		}
		for _, l := range service.StatsLevels[1:] {
			var ret, rej int64
			for _, x := range row.Refusals {
				if x.Level == l && x.Action == "return" {
					ret += x.Count
				}
				if x.Level == l && x.Action == "reject" {
					rej += x.Count
				}
			}
			rec = append(rec, i(ret, 10), i(rej, 10))
		}
		pc := row.ProactiveCoverage
		return append(rec, i(pc.Contacted, 10), i(pc.Applied, 10), i(pc.Enrolled, 10), refusalReasons(row.Refusals))
	}
	for _, row := range rep.Rows {
		out = append(out, line(row, ""))
	}
	return append(out, line(rep.Total, "合计"))
}

// refusalReasons lists the reasons of a row's returns and rejections in one cell:
// "村级退回：材料不全×12、户籍不符×3；镇级不予批准：……".
func refusalReasons(refs []service.RefusalCount) string {
	var parts []string
	for _, r := range refs {
		if len(r.Reasons) == 0 {
			continue
		}
		what := "不予批准"
		if r.Action == "return" {
			what = "退回"
		}
		var rs []string
		for _, x := range r.Reasons {
			reason := x.Reason
			if reason == "" {
				reason = "（未填写）"
			}
			rs = append(rs, reason+"×"+strconv.FormatInt(x.Count, 10))
		}
		name := statsLevelNames[r.Level]
		if name == "" {
			name = r.Level
		}
		parts = append(parts, name+what+"："+strings.Join(rs, "、"))
	}
	return strings.Join(parts, "；")
}

// statsXLSX writes StatsTable as a workbook with one sheet, the counts and shares as numbers.
func statsXLSX(rep service.StatsReport) ([]byte, error) {
	return workbook(sheet{"统计", StatsTable(rep), 5})
}
