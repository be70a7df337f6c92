package policy

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"sanmian/hub/division"
	"sanmian/hub/evidence"
)

// DecisionDate is the calendar date ("YYYY-MM-DD") of t in China Standard Time: input.now.
func DecisionDate(t time.Time) string { return t.In(division.Zone).Format(time.DateOnly) }

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
			hh[i] = s.member(&ev.Household[i])
		}
		kv = append(kv, pair("household", ast.ArrayTerm(hh...)))
	}
	// The claimant is part of the request, not of a platform's record: it is carried whenever
	// the service sets it (an application naming the deceased as its subject).
	if ev.Claimant != nil {
		kv = append(kv, pair("claimant", ast.ObjectTerm(pair("id_number", str(ev.Claimant.IDNumber)))))
	}
	if s.anyChild {
		cs := make([]*ast.Term, len(ev.Children))
		for i := range ev.Children {
			cs[i] = s.child(&ev.Children[i])
		}
		kv = append(kv, pair("children", ast.ArrayTerm(cs...)))
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

// The fields of the evidence model a policy input can carry, by JSON name, each with the
// term it contributes; nil leaves the field out (an empty optional string, a nil pointer, as
// the evidence model's omitempty does). The catalogue's needs paths are checked against the
// same tables (catalogue.go).
var (
	personFields = map[string]func(*evidence.Person) *ast.Term{
		"id_number":    func(p *evidence.Person) *ast.Term { return str(p.IDNumber) },
		"name":         func(p *evidence.Person) *ast.Term { return str(p.Name) },
		"sex":          func(p *evidence.Person) *ast.Term { return str(p.Sex) },
		"birth_date":   func(p *evidence.Person) *ast.Term { return str(p.BirthDate) },
		"ethnicity":    func(p *evidence.Person) *ast.Term { return str(p.Ethnicity) },
		"hukou_type":   func(p *evidence.Person) *ast.Term { return str(p.HukouType) },
		"village":      func(p *evidence.Person) *ast.Term { return str(p.Village) },
		"household_id": func(p *evidence.Person) *ast.Term { return str(p.HouseholdID) },
		"relation":     func(p *evidence.Person) *ast.Term { return str(p.Relation) },
		"marital":      func(p *evidence.Person) *ast.Term { return optional(p.Marital) },
		"deceased":     func(p *evidence.Person) *ast.Term { return ast.InternedTerm(p.Deceased) },
		"death_date":   func(p *evidence.Person) *ast.Term { return optional(p.DeathDate) },
	}
	insuranceFields = map[string]func(*evidence.Insurance) *ast.Term{
		"pension":               func(in *evidence.Insurance) *ast.Term { return str(in.Pension) },
		"pension_since":         func(in *evidence.Insurance) *ast.Term { return optional(in.PensionSince) },
		"pension_monthly":       func(in *evidence.Insurance) *ast.Term { return nonZero(in.PensionMonthly) },
		"medical":               func(in *evidence.Insurance) *ast.Term { return str(in.Medical) },
		"medical_year":          func(in *evidence.Insurance) *ast.Term { return nonZero(float64(in.MedicalYear)) },
		"employment":            func(in *evidence.Insurance) *ast.Term { return str(in.Employment) },
		"unemployed_since":      func(in *evidence.Insurance) *ast.Term { return optional(in.UnemployedSince) },
		"employment_difficulty": func(in *evidence.Insurance) *ast.Term { return ast.InternedTerm(in.EmploymentDifficulty) },
	}
	// childFields are the fields a child carries besides those of a person.
	childFields = map[string]func(*evidence.Child) *ast.Term{
		"links":            func(c *evidence.Child) *ast.Term { return strTerms(c.Links) },
		"mother_id_number": func(c *evidence.Child) *ast.Term { return optional(c.MotherIDNumber) },
		"father_id_number": func(c *evidence.Child) *ast.Term { return optional(c.FatherIDNumber) },
	}
	rollsFields = map[string]func(*evidence.Rolls) *ast.Term{
		"dibao":             func(r *evidence.Rolls) *ast.Term { return ast.InternedTerm(r.Dibao) },
		"tekun":             func(r *evidence.Rolls) *ast.Term { return ast.InternedTerm(r.Tekun) },
		"enrolled":          func(r *evidence.Rolls) *ast.Term { return strTerms(r.Enrolled) },
		"veteran":           func(r *evidence.Rolls) *ast.Term { return optional(r.Veteran) },
		"in_school":         func(r *evidence.Rolls) *ast.Term { return optional(r.InSchool) },
		"collective_member": func(r *evidence.Rolls) *ast.Term { return ast.InternedTerm(r.CollectiveMember) },
		"land_mu": func(r *evidence.Rolls) *ast.Term {
			if r.LandMu == nil { // the household record was not read
				return nil
			}
			return number(*r.LandMu)
		},
		"homestead": func(r *evidence.Rolls) *ast.Term {
			if r.Homestead == nil {
				return nil
			}
			return ast.ObjectTerm(pair("area_m2", number(r.Homestead.AreaM2)), pair("house_grade", str(r.Homestead.HouseGrade)))
		},
		"deceased": func(r *evidence.Rolls) *ast.Term { return ast.InternedTerm(r.Deceased) },
	}
)

// object is the AST object of the selected fields of v, by the table's accessors.
func object[T any](v *T, selected map[string]bool, table map[string]func(*T) *ast.Term, extra int) [][2]*ast.Term {
	kv := make([][2]*ast.Term, 0, len(selected)+extra)
	for f := range selected {
		if t := table[f](v); t != nil {
			kv = append(kv, pair(f, t))
		}
	}
	return kv
}

func optional(s string) *ast.Term {
	if s == "" {
		return nil
	}
	return str(s)
}

func nonZero(f float64) *ast.Term {
	if f == 0 {
		return nil
	}
	return number(f)
}

func strTerms(ss []string) *ast.Term {
	ts := make([]*ast.Term, len(ss))
	for i, s := range ss {
		ts[i] = str(s)
	}
	return ast.ArrayTerm(ts...)
}

// person copies the selected fields of p. Insurance and rolls are copied only for the
// applicant and only when selected; absent (nil) stays absent, which the policies read as
// "not obtained".
func (s *selector) person(p *evidence.Person, fields, licTypes map[string]bool, applicant bool) *ast.Term {
	kv := object(p, fields, personFields, 3)
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
		kv = append(kv, pair("insurance", ast.ObjectTerm(object(p.Insurance, s.insurance, insuranceFields, 0)...)))
	}
	if len(s.rolls) > 0 && p.Rolls != nil {
		kv = append(kv, pair("rolls", ast.ObjectTerm(object(p.Rolls, s.rolls, rollsFields, 0)...)))
	}
	return ast.ObjectTerm(kv...)
}

// member copies the selected fields of a household member: person fields, licences and,
// when the item reads them, the member's rolls (absent when not obtained).
func (s *selector) member(p *evidence.Person) *ast.Term {
	t := s.person(p, s.household, s.hhLicences, false)
	if len(s.hhRolls) == 0 || p.Rolls == nil {
		return t
	}
	obj := t.Value.(ast.Object)
	obj.Insert(ast.InternedTerm("rolls"), ast.ObjectTerm(object(p.Rolls, s.hhRolls, rollsFields, 0)...))
	return t
}

// child copies the selected fields of a child: person fields, licences and the child's own
// fields (links, the mother's and father's ID numbers).
func (s *selector) child(c *evidence.Child) *ast.Term {
	kv := make([][2]*ast.Term, 0, len(s.children)+1)
	for f := range s.children {
		var t *ast.Term
		if acc := personFields[f]; acc != nil {
			t = acc(&c.Person)
		} else {
			t = childFields[f](c)
		}
		if t != nil {
			kv = append(kv, pair(f, t))
		}
	}
	if len(s.chLicences) > 0 {
		var lics []*ast.Term
		for i := range c.Licences {
			if s.chLicences[c.Licences[i].Type] {
				lics = append(lics, licenceTerm(&c.Licences[i]))
			}
		}
		kv = append(kv, pair("licences", ast.ArrayTerm(lics...)))
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
