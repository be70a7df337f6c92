package policy

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"time"

	"sanmian/hub/evidence"
)

// zone is the decision clock's calendar: dates are taken in China Standard Time (UTC+8).
var zone = time.FixedZone("CST", 8*3600)

// DecisionDate is the calendar date ("YYYY-MM-DD") of t in China Standard Time: input.now.
func DecisionDate(t time.Time) string { return t.In(zone).Format(time.DateOnly) }

// minimise returns the JSON-ready subset of ev the item declares: the applicant's and
// household members' needed fields and licence types, the provenance entries and conflicts
// that touch those needs, and the missing evidence kinds the item depends on.
func (s *selector) minimise(ev *evidence.Bundle) map[string]any {
	out := map[string]any{"applicant": s.person(&ev.Applicant, s.applicant, s.licences, true)}
	if s.anyHH {
		hh := make([]any, 0, len(ev.Household))
		for i := range ev.Household {
			hh = append(hh, s.person(&ev.Household[i], s.household, s.hhLicences, false))
		}
		out["household"] = hh
	}
	prov := map[string]any{}
	for k, p := range ev.Provenance {
		if s.relevant(k) {
			prov[k] = provenanceMap(p)
		}
	}
	out["provenance"] = prov
	conflicts := []any{}
	for _, c := range ev.Conflicts {
		if s.relevant(c.Field) {
			conflicts = append(conflicts, conflictMap(c))
		}
	}
	out["conflicts"] = conflicts
	missing := []any{}
	for _, m := range ev.Missing {
		if s.kinds[m] {
			missing = append(missing, m)
		}
	}
	out["missing"] = missing
	return out
}

// person copies the selected fields of p. Insurance and rolls are copied only for the
// applicant and only when selected; absent (nil) stays absent, which the policies read as
// "not obtained".
func (s *selector) person(p *evidence.Person, fields, licTypes map[string]bool, applicant bool) map[string]any {
	m := make(map[string]any, len(fields)+3)
	for f := range fields {
		switch f {
		case "id_number":
			m[f] = p.IDNumber
		case "name":
			m[f] = p.Name
		case "sex":
			m[f] = p.Sex
		case "birth_date":
			m[f] = p.BirthDate
		case "ethnicity":
			m[f] = p.Ethnicity
		case "hukou_type":
			m[f] = p.HukouType
		case "village":
			m[f] = p.Village
		case "household_id":
			m[f] = p.HouseholdID
		case "relation":
			m[f] = p.Relation
		case "marital":
			if p.Marital != "" { // omitempty in the evidence contract
				m[f] = p.Marital
			}
		case "deceased":
			m[f] = p.Deceased
		case "death_date":
			if p.DeathDate != "" {
				m[f] = p.DeathDate
			}
		}
	}
	if len(licTypes) > 0 {
		lics := make([]any, 0, len(p.Licences))
		for i := range p.Licences {
			if licTypes[p.Licences[i].Type] {
				lics = append(lics, licenceMap(&p.Licences[i]))
			}
		}
		m["licences"] = lics
	}
	if !applicant {
		return m
	}
	if len(s.insurance) > 0 && p.Insurance != nil {
		in := p.Insurance
		im := make(map[string]any, len(s.insurance))
		for f := range s.insurance {
			switch f {
			case "pension":
				im[f] = in.Pension
			case "pension_since":
				if in.PensionSince != "" {
					im[f] = in.PensionSince
				}
			case "pension_monthly":
				if in.PensionMonthly != 0 {
					im[f] = number(in.PensionMonthly)
				}
			case "medical":
				im[f] = in.Medical
			case "medical_year":
				if in.MedicalYear != 0 {
					im[f] = in.MedicalYear
				}
			case "employment":
				im[f] = in.Employment
			case "unemployed_since":
				if in.UnemployedSince != "" {
					im[f] = in.UnemployedSince
				}
			case "employment_difficulty":
				im[f] = in.EmploymentDifficulty
			}
		}
		m["insurance"] = im
	}
	if len(s.rolls) > 0 && p.Rolls != nil {
		r := p.Rolls
		rm := make(map[string]any, len(s.rolls))
		for f := range s.rolls {
			switch f {
			case "dibao":
				rm[f] = r.Dibao
			case "tekun":
				rm[f] = r.Tekun
			case "enrolled":
				en := make([]any, len(r.Enrolled))
				for i, c := range r.Enrolled {
					en[i] = c
				}
				rm[f] = en
			case "veteran":
				if r.Veteran != "" {
					rm[f] = r.Veteran
				}
			case "in_school":
				if r.InSchool != "" {
					rm[f] = r.InSchool
				}
			case "collective_member":
				rm[f] = r.CollectiveMember
			case "land_mu":
				rm[f] = number(r.LandMu)
			case "homestead":
				if r.Homestead != nil {
					rm[f] = map[string]any{"area_m2": number(r.Homestead.AreaM2), "house_grade": r.Homestead.HouseGrade}
				}
			case "deceased":
				rm[f] = r.Deceased
			}
		}
		m["rolls"] = rm
	}
	return m
}

// The minimised input is built from plain maps, slices, strings, booleans and json.Number so
// that ast.InterfaceToValue converts it directly and the JSON encoding in the record decodes
// to the identical value on replay. Field names and omitempty behaviour follow the JSON tags
// of package evidence.

// number encodes f as encoding/json does, so the value and its JSON text agree.
func number(f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return json.Number("0")
	}
	abs := math.Abs(f)
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		return json.Number(strconv.FormatFloat(f, 'e', -1, 64))
	}
	return json.Number(strconv.FormatFloat(f, 'f', -1, 64))
}

func licenceMap(l *evidence.Licence) map[string]any {
	m := map[string]any{
		"id": l.ID, "type": l.Type, "number": l.Number, "issuer": l.Issuer,
		"issuer_uscc": l.IssuerUSCC, "issued_on": l.IssuedOn, "status": l.Status,
	}
	if l.ValidUntil != "" {
		m["valid_until"] = l.ValidUntil
	}
	if len(l.Attrs) > 0 {
		a := make(map[string]any, len(l.Attrs))
		for k, v := range l.Attrs {
			a[k] = plain(v)
		}
		m["attrs"] = a
	}
	return m
}

func provenanceMap(p evidence.Provenance) map[string]any {
	fetched, _ := p.FetchedAt.MarshalText()
	return map[string]any{
		"platform": string(p.Platform), "endpoint": p.Endpoint, "record": p.Record,
		"fetched_at": string(fetched), "stale": p.Stale,
	}
}

func conflictMap(c evidence.Conflict) map[string]any {
	vals := make([]any, 0, len(c.Values))
	for _, v := range c.Values {
		vm := map[string]any{"platform": string(v.Platform), "value": plain(v.Value)}
		if v.Record != "" {
			vm["record"] = v.Record
		}
		vals = append(vals, vm)
	}
	return map[string]any{"field": c.Field, "authority": string(c.Authority), "values": vals}
}

// plain converts an attribute or conflict value to the JSON data model.
func plain(v any) any {
	switch x := v.(type) {
	case nil, string, bool, json.Number:
		return x
	case float64:
		return number(x)
	case float32:
		return number(float64(x))
	case int:
		return json.Number(strconv.Itoa(x))
	case int64:
		return json.Number(strconv.FormatInt(x, 10))
	case int32:
		return json.Number(strconv.FormatInt(int64(x), 10))
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if d.Decode(&out) != nil {
		return nil
	}
	return out
}
