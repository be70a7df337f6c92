package service

import (
	"encoding/json"
	"strconv"
	"strings"

	"sanmian/hub/evidence"
	"sanmian/hub/ident"
)

// buildForm fills the item's form from the evidence: only fields the item declares and the
// decision lists as auto-fillable get a value (data minimisation); every value carries its
// provenance. Other fields are left for manual entry.
func buildForm(item Item, b *evidence.Bundle, d Decision) Form {
	allowed := make(map[string]bool, len(d.Autofill))
	for _, f := range d.Autofill {
		allowed[f] = true
	}
	// Form paths start at "applicant." or "household."; the lookup document holds just those
	// two parts (marshalling the whole bundle, provenance map included, was the largest single
	// CPU cost of creating an application).
	var doc any
	if raw, err := json.Marshal(struct {
		Applicant evidence.Person   `json:"applicant"`
		Household []evidence.Person `json:"household"`
	}{b.Applicant, b.Household}); err == nil {
		_ = json.Unmarshal(raw, &doc)
	}
	form := Form{Fields: make([]Field, 0, len(item.Fields))}
	for _, spec := range item.Fields {
		f := Field{Name: spec.Name, Label: spec.Label}
		switch v, derived := d.Values[spec.Name]; {
		case !spec.Autofill || !allowed[spec.Name]:
			f.Manual = true
		case derived:
			f.Value = v
			f.Source = &Source{Platform: "policy", Record: d.ID, FetchedAt: d.At}
		default:
			v, concrete, ok := lookupPath(doc, spec.Path)
			if !ok || v == nil {
				f.Manual = true
				f.Note = "平台未提供该项数据，请人工录入 (no platform holds this value; enter it manually)"
				break
			}
			f.Value = v
			if spec.Mask == "id" && !d.Unmasked[spec.Name] {
				if s, ok := v.(string); ok {
					f.Value = ident.MaskIDNumber(s)
				}
			}
			if p, ok := provenanceFor(b.Provenance, concrete); ok {
				f.Source = &Source{Platform: string(p.Platform), Endpoint: p.Endpoint, Record: p.Record,
					FetchedAt: p.FetchedAt, Stale: p.Stale}
			}
		}
		form.Fields = append(form.Fields, f)
	}
	return form
}

// lookupPath walks a dotted path through decoded JSON. A segment is a key, an array index,
// a selector "key=value" that picks the first array element whose key equals value
// (e.g. "applicant.licences.type=disability.attrs.grade"), or a bare name that selects by
// type ("applicant.licences.disability.attrs.grade"). It also returns the concrete path
// with selectors replaced by indices ("applicant.licences.2.attrs.grade").
func lookupPath(doc any, path string) (any, string, bool) {
	if path == "" {
		return nil, "", false
	}
	cur := doc
	segs := strings.Split(path, ".")
	concrete := make([]string, 0, len(segs))
	for _, seg := range segs {
		switch node := cur.(type) {
		case map[string]any:
			v, ok := node[seg]
			if !ok {
				return nil, "", false
			}
			cur = v
			concrete = append(concrete, seg)
		case []any:
			if i, err := strconv.Atoi(seg); err == nil {
				if i < 0 || i >= len(node) {
					return nil, "", false
				}
				cur = node[i]
				concrete = append(concrete, seg)
				continue
			}
			k, want, ok := strings.Cut(seg, "=")
			if !ok {
				// A bare name selects by type, as the catalogue writes licence paths
				// ("applicant.licences.disability.number").
				k, want = "type", seg
			}
			// The first match wins, except that a valid licence is preferred over an expired
			// or revoked one of the same type.
			found := -1
			for i, el := range node {
				m, ok := el.(map[string]any)
				if s, _ := m[k].(string); !ok || s != want {
					continue
				}
				if found < 0 || (m["status"] == "valid" && node[found].(map[string]any)["status"] != "valid") {
					found = i
				}
			}
			if found >= 0 {
				cur = node[found]
				concrete = append(concrete, strconv.Itoa(found))
			}
			if found < 0 {
				return nil, "", false
			}
		default:
			return nil, "", false
		}
	}
	return cur, strings.Join(concrete, "."), true
}

// provenanceFor returns the provenance recorded for path or for its longest recorded prefix.
func provenanceFor(prov map[string]evidence.Provenance, path string) (evidence.Provenance, bool) {
	for p := path; p != ""; {
		if v, ok := prov[p]; ok {
			return v, true
		}
		i := strings.LastIndexByte(p, '.')
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return evidence.Provenance{}, false
}
