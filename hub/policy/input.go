package policy

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"sanmian/hub/evidence"
)

// zone is the decision clock's calendar: dates are taken in China Standard Time (UTC+8).
var zone = time.FixedZone("CST", 8*3600)

// DecisionDate is the calendar date ("YYYY-MM-DD") of t in China Standard Time: input.now.
func DecisionDate(t time.Time) string { return t.In(zone).Format(time.DateOnly) }

// minimise returns the subset of ev the item declares, as the AST object the policy reads as
// input.evidence: the applicant's and household members' needed fields and licence types, the
// provenance entries and conflicts that touch those needs, and the missing evidence kinds the
// item depends on. It is built as an AST value directly (no map[string]any and no
// ast.InterfaceToValue in between: that conversion was a fifth of a decision's cost), and the
// record's input is written from the same value (appendASTJSON), so the two cannot differ.
func (s *selector) minimise(ev *evidence.Bundle) *ast.Term {
	kv := make([][2]*ast.Term, 0, 5)
	kv = append(kv, pair("applicant", s.person(&ev.Applicant, s.applicant, s.licences, true)))
	if s.anyHH {
		hh := make([]*ast.Term, len(ev.Household))
		for i := range ev.Household {
			hh[i] = s.person(&ev.Household[i], s.household, s.hhLicences, false)
		}
		kv = append(kv, pair("household", ast.ArrayTerm(hh...)))
	}
	// Provenance entries of fields from one record are equal: share one value (AST values are
	// immutable).
	var prov [][2]*ast.Term
	seen := make(map[evidence.Provenance]*ast.Term, 4)
	for k, p := range ev.Provenance {
		if !s.relevant(k) {
			continue
		}
		t, ok := seen[p]
		if !ok {
			t = provenanceTerm(p)
			seen[p] = t
		}
		prov = append(prov, [2]*ast.Term{ast.InternedTerm(k), t})
	}
	kv = append(kv, pair("provenance", ast.ObjectTerm(prov...)))
	var conflicts []*ast.Term
	for _, c := range ev.Conflicts {
		if s.relevant(c.Field) {
			conflicts = append(conflicts, conflictTerm(c))
		}
	}
	kv = append(kv, pair("conflicts", ast.ArrayTerm(conflicts...)))
	var missing []*ast.Term
	for _, m := range ev.Missing {
		if s.kinds[m] {
			missing = append(missing, ast.InternedTerm(m))
		}
	}
	kv = append(kv, pair("missing", ast.ArrayTerm(missing...)))
	return ast.ObjectTerm(kv...)
}

// pair is one key and value of an object; key is usually interned (intern.go).
func pair(key string, v *ast.Term) [2]*ast.Term { return [2]*ast.Term{ast.InternedTerm(key), v} }

func str(s string) *ast.Term { return ast.InternedTerm(s) }

// person copies the selected fields of p. Insurance and rolls are copied only for the
// applicant and only when selected; absent (nil) stays absent, which the policies read as
// "not obtained". Empty optional strings are left out as the evidence model's omitempty does.
func (s *selector) person(p *evidence.Person, fields, licTypes map[string]bool, applicant bool) *ast.Term {
	kv := make([][2]*ast.Term, 0, len(fields)+3)
	for f := range fields {
		switch f {
		case "id_number":
			kv = append(kv, pair(f, str(p.IDNumber)))
		case "name":
			kv = append(kv, pair(f, str(p.Name)))
		case "sex":
			kv = append(kv, pair(f, str(p.Sex)))
		case "birth_date":
			kv = append(kv, pair(f, str(p.BirthDate)))
		case "ethnicity":
			kv = append(kv, pair(f, str(p.Ethnicity)))
		case "hukou_type":
			kv = append(kv, pair(f, str(p.HukouType)))
		case "village":
			kv = append(kv, pair(f, str(p.Village)))
		case "household_id":
			kv = append(kv, pair(f, str(p.HouseholdID)))
		case "relation":
			kv = append(kv, pair(f, str(p.Relation)))
		case "marital":
			if p.Marital != "" { // omitempty in the evidence contract
				kv = append(kv, pair(f, str(p.Marital)))
			}
		case "deceased":
			kv = append(kv, pair(f, ast.InternedTerm(p.Deceased)))
		case "death_date":
			if p.DeathDate != "" {
				kv = append(kv, pair(f, str(p.DeathDate)))
			}
		}
	}
	if len(licTypes) > 0 {
		var lics []*ast.Term
		for i := range p.Licences {
			if licTypes[p.Licences[i].Type] {
				lics = append(lics, licenceTerm(&p.Licences[i]))
			}
		}
		kv = append(kv, pair("licences", ast.ArrayTerm(lics...)))
	}
	if !applicant {
		return ast.ObjectTerm(kv...)
	}
	if len(s.insurance) > 0 && p.Insurance != nil {
		kv = append(kv, pair("insurance", s.insuranceTerm(p.Insurance)))
	}
	if len(s.rolls) > 0 && p.Rolls != nil {
		kv = append(kv, pair("rolls", s.rollsTerm(p.Rolls)))
	}
	return ast.ObjectTerm(kv...)
}

func (s *selector) insuranceTerm(in *evidence.Insurance) *ast.Term {
	kv := make([][2]*ast.Term, 0, len(s.insurance))
	for f := range s.insurance {
		switch f {
		case "pension":
			kv = append(kv, pair(f, str(in.Pension)))
		case "pension_since":
			if in.PensionSince != "" {
				kv = append(kv, pair(f, str(in.PensionSince)))
			}
		case "pension_monthly":
			if in.PensionMonthly != 0 {
				kv = append(kv, pair(f, number(in.PensionMonthly)))
			}
		case "medical":
			kv = append(kv, pair(f, str(in.Medical)))
		case "medical_year":
			if in.MedicalYear != 0 {
				kv = append(kv, pair(f, ast.InternedTerm(in.MedicalYear)))
			}
		case "employment":
			kv = append(kv, pair(f, str(in.Employment)))
		case "unemployed_since":
			if in.UnemployedSince != "" {
				kv = append(kv, pair(f, str(in.UnemployedSince)))
			}
		case "employment_difficulty":
			kv = append(kv, pair(f, ast.InternedTerm(in.EmploymentDifficulty)))
		}
	}
	return ast.ObjectTerm(kv...)
}

func (s *selector) rollsTerm(r *evidence.Rolls) *ast.Term {
	kv := make([][2]*ast.Term, 0, len(s.rolls))
	for f := range s.rolls {
		switch f {
		case "dibao":
			kv = append(kv, pair(f, ast.InternedTerm(r.Dibao)))
		case "tekun":
			kv = append(kv, pair(f, ast.InternedTerm(r.Tekun)))
		case "enrolled":
			en := make([]*ast.Term, len(r.Enrolled))
			for i, c := range r.Enrolled {
				en[i] = str(c)
			}
			kv = append(kv, pair(f, ast.ArrayTerm(en...)))
		case "veteran":
			if r.Veteran != "" {
				kv = append(kv, pair(f, str(r.Veteran)))
			}
		case "in_school":
			if r.InSchool != "" {
				kv = append(kv, pair(f, str(r.InSchool)))
			}
		case "collective_member":
			kv = append(kv, pair(f, ast.InternedTerm(r.CollectiveMember)))
		case "land_mu":
			// nil: the household record was not read; absent, as the JSON tag omits it.
			if r.LandMu != nil {
				kv = append(kv, pair(f, number(*r.LandMu)))
			}
		case "homestead":
			if r.Homestead != nil {
				kv = append(kv, pair(f, ast.ObjectTerm(
					pair("area_m2", number(r.Homestead.AreaM2)), pair("house_grade", str(r.Homestead.HouseGrade)))))
			}
		case "deceased":
			kv = append(kv, pair(f, ast.InternedTerm(r.Deceased)))
		}
	}
	return ast.ObjectTerm(kv...)
}

// Numbers in the input are written as encoding/json writes them, so the value and the
// record's JSON text agree and replay decodes the identical input. Field names and omitempty
// behaviour follow the JSON tags of package evidence.

// number encodes f as encoding/json does.
func number(f float64) *ast.Term {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return ast.InternedTerm(0)
	}
	abs := math.Abs(f)
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		return ast.NumberTerm(json.Number(strconv.FormatFloat(f, 'e', -1, 64)))
	}
	if f == math.Trunc(f) && abs < 1<<20 && !math.Signbit(f) {
		return ast.InternedTerm(int(f))
	}
	return ast.NumberTerm(json.Number(strconv.FormatFloat(f, 'f', -1, 64)))
}

func licenceTerm(l *evidence.Licence) *ast.Term {
	kv := make([][2]*ast.Term, 0, 9)
	kv = append(kv, pair("id", str(l.ID)), pair("type", str(l.Type)), pair("number", str(l.Number)),
		pair("issuer", str(l.Issuer)), pair("issuer_uscc", str(l.IssuerUSCC)), pair("issued_on", str(l.IssuedOn)),
		pair("status", str(l.Status)))
	if l.ValidUntil != "" {
		kv = append(kv, pair("valid_until", str(l.ValidUntil)))
	}
	if len(l.Attrs) > 0 {
		a := make([][2]*ast.Term, 0, len(l.Attrs))
		for k, v := range l.Attrs {
			a = append(a, pair(k, plain(v)))
		}
		kv = append(kv, pair("attrs", ast.ObjectTerm(a...)))
	}
	return ast.ObjectTerm(kv...)
}

func provenanceTerm(p evidence.Provenance) *ast.Term {
	fetched, _ := p.FetchedAt.MarshalText()
	return ast.ObjectTerm(pair("platform", str(string(p.Platform))), pair("endpoint", str(p.Endpoint)),
		pair("record", str(p.Record)), pair("fetched_at", ast.StringTerm(string(fetched))), pair("stale", ast.InternedTerm(p.Stale)))
}

func conflictTerm(c evidence.Conflict) *ast.Term {
	vals := make([]*ast.Term, 0, len(c.Values))
	for _, v := range c.Values {
		kv := [][2]*ast.Term{pair("platform", str(string(v.Platform))), pair("value", plain(v.Value))}
		if v.Record != "" {
			kv = append(kv, pair("record", str(v.Record)))
		}
		vals = append(vals, ast.ObjectTerm(kv...))
	}
	return ast.ObjectTerm(pair("field", str(c.Field)), pair("authority", str(string(c.Authority))), pair("values", ast.ArrayTerm(vals...)))
}

// plain converts an attribute or conflict value to an AST term of the JSON data model.
func plain(v any) *ast.Term {
	switch x := v.(type) {
	case nil:
		return ast.NullTerm()
	case string:
		return str(x)
	case bool:
		return ast.InternedTerm(x)
	case json.Number:
		return ast.NumberTerm(x)
	case float64:
		return number(x)
	case float32:
		return number(float64(x))
	case int:
		return ast.InternedTerm(x)
	case int64:
		return ast.NumberTerm(json.Number(strconv.FormatInt(x, 10)))
	case int32:
		return ast.InternedTerm(int(x))
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return ast.NullTerm()
	}
	val, err := ast.ValueFromReader(bytes.NewReader(raw))
	if err != nil {
		return ast.NullTerm()
	}
	return ast.NewTerm(val)
}
