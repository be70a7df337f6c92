package policy

import (
	"reflect"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"sanmian/hub/evidence"
)

// The decision input repeats a small vocabulary: the JSON field names of the evidence model,
// the provenance keys of the applicant's fields, platform and endpoint names and common
// values; the results' keys are looked up by name. OPA shares interned strings instead of allocating a value for each occurrence when
// it converts the input (ast.InterfaceToValue), which is a good part of a decision's Go-side
// cost. OPA allows interning only at initialisation.
func init() {
	ast.InternStringTerm(vocabulary()...)
}

func vocabulary() []string {
	words := []string{
		"now", "item", "evidence", "caller", "sub", "role", "jurisdiction", "scope",
		"counter", "reviewer", "department", "auditor", "admin",
		string(evidence.Province), string(evidence.City), string(evidence.District), "hub",
		"rkjc/query", "dzzz/query", "qsgx/query", "insured-persons:batchGet", "insured-persons", "residents", "households",
		evidence.HukouAgricultural, evidence.HukouNonAgricultural, "M", "F",
		"head", "spouse", "son", "daughter", "father", "mother", "grandson", "granddaughter", "other",
		"married", "unmarried", "divorced", "widowed", "valid", "expired", "revoked",
		"id_card", "disability", "only_child_honour", "category", "grade",
		// Keys of the decision and access results, read back by decodeDecision and decodeAccess.
		"eligible", "reasons", "autofill", "unmasked", "instant", "proactive", "amount",
		"review_levels", "facts", "code", "rule", "zh", "en", "allow", "reason", "unmask_id",
		"action", "resource", "division", "level",
	}
	seen := map[string]bool{}
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[prefix+t.Name()] {
			return
		}
		seen[prefix+t.Name()] = true
		for i := range t.NumField() {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			words = append(words, name)
			if prefix != "" {
				words = append(words, prefix+name)
			}
			walk(t.Field(i).Type, "")
		}
	}
	walk(reflect.TypeFor[evidence.Bundle](), "")
	walk(reflect.TypeFor[evidence.Person](), "applicant.")
	return words
}
