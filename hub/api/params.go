package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"sanmian/hub/ident"
)

// Page sizes of the paged routes: a limit above the maximum is refused, none means the
// default of the service.
const (
	maxApplicationsPage = 200
	maxAuditPage        = 1000
	maxDataUsePage      = 1000
	maxFindingsPage     = 200
)

// queryParams reads the named query parameters of r, each at most once. A repeated parameter
// or a query string that does not parse is answered with a 400 problem (ok false). The
// values are the caller's: they are validated where used and never logged.
func queryParams(w http.ResponseWriter, r *http.Request, names ...string) (map[string]string, bool) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		writeParamProblem(w, r, "query", "the query string is not well formed")
		return nil, false
	}
	out := make(map[string]string, len(names))
	for _, n := range names {
		vs := q[n]
		if len(vs) > 1 {
			writeParamProblem(w, r, n, "given more than once")
			return nil, false
		}
		if len(vs) == 1 {
			out[n] = vs[0]
		}
	}
	return out, true
}

// limitParam parses a page size: "" is 0 (the default), otherwise a whole number 1..max
// written in decimal digits only.
func limitParam(w http.ResponseWriter, r *http.Request, s string, max int) (int, bool) {
	if s == "" {
		return 0, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || !allDigits(s) || n < 1 || n > max {
		writeParamProblem(w, r, "limit", fmt.Sprintf("must be a whole number from 1 to %d", max))
		return 0, false
	}
	return n, true
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// writeParamProblem answers 400 for an invalid query parameter, naming it without echoing
// its value.
func writeParamProblem(w http.ResponseWriter, r *http.Request, name, detail string) {
	WriteProblem(w, r, Problem{Type: "invalid-request", Status: http.StatusBadRequest,
		Title: "Invalid request / 请求参数有误", Detail: name + ": " + detail,
		Errors: []FieldError{{Field: name, Detail: detail}}})
}

// maxLogText bounds an error text written to the log, in characters.
const maxLogText = 500

// logText is an error as the log may carry it: redacted (ID numbers, phone numbers) and
// bounded, since error texts can quote caller input.
func logText(err error) string {
	s := ident.RedactText(err.Error())
	if r := []rune(s); len(r) > maxLogText {
		s = string(r[:maxLogText-1]) + "…"
	}
	return s
}
