# METADATA
# title: Proactive scan
# description: |
#   One evaluation per resident returns every proactive item the resident is likely eligible for
#   (主动服务 / 免申即享) and those that are undetermined. Input: {"now", "evidence"} as for
#   eligibility, without "item".
package sanmian.scan

import data.sanmian.catalogue
import data.sanmian.eligibility

verdicts := {code: eligibility.verdict_of(code) | some code, it in catalogue.items; it.proactive}

result := {
	"eligible": sort([code | some code, v in verdicts; v == true]),
	"undetermined": sort([code | some code, v in verdicts; v == null]),
}
