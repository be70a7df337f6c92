package province

import (
	"cmp"
	"strconv"

	"sanmian/connectors"
	"sanmian/connectors/internal/wire"
	"sanmian/hub/evidence"
)

// rkjcPerson is one person of rkjc/query. Pointers distinguish missing fields from empty
// ones: every field is required.
type rkjcPerson struct {
	Xm    *string `json:"xm"`
	Sfzh  *string `json:"sfzh"`
	Xb    *string `json:"xb"`
	Mz    *string `json:"mz"`
	Csrq  *string `json:"csrq"`
	Hjdz  *string `json:"hjdz"`
	Hjqh  *string `json:"hjqh"`
	Hklx  *string `json:"hklx"`
	Hyzk  *string `json:"hyzk"`
	Hh    *string `json:"hh"`
	Yhzgx *string `json:"yhzgx"`
	Swbz  *string `json:"swbz"`
	Swrq  *string `json:"swrq"`
}

func perr(format string, args ...any) error {
	return connectors.DecodeError(Platform, EndpointPersons, format, args...)
}

func (x rkjcPerson) record() (evidence.ProvinceRecord, error) {
	var r evidence.ProvinceRecord
	for name, f := range map[string]*string{"xm": x.Xm, "sfzh": x.Sfzh, "xb": x.Xb, "mz": x.Mz, "csrq": x.Csrq,
		"hjqh": x.Hjqh, "hklx": x.Hklx, "hyzk": x.Hyzk, "hh": x.Hh, "yhzgx": x.Yhzgx, "swbz": x.Swbz} {
		if f == nil {
			return r, perr("person: field %s missing", name)
		}
	}
	id, err := wire.IDNumber(*x.Sfzh)
	if err != nil {
		return r, perr("person: sfzh: %v", err)
	}
	if *x.Xm == "" {
		return r, perr("person: xm empty")
	}
	p := evidence.Person{IDNumber: id, Name: *x.Xm}
	switch *x.Xb {
	case "1":
		p.Sex = "M"
	case "2":
		p.Sex = "F"
	default:
		return r, perr("person: xb: unknown code")
	}
	var ok bool
	if p.Ethnicity, ok = ethnicities[*x.Mz]; !ok {
		return r, perr("person: mz: unknown code")
	}
	if p.BirthDate, err = wire.CompactDate(*x.Csrq); err != nil {
		return r, perr("person: csrq: %v", err)
	}
	switch *x.Hklx {
	case "1":
		p.HukouType = evidence.HukouAgricultural
	case "2":
		p.HukouType = evidence.HukouNonAgricultural
	default:
		return r, perr("person: hklx: unknown code")
	}
	if p.Marital, ok = marital[*x.Hyzk]; !ok {
		return r, perr("person: hyzk: unknown code")
	}
	switch *x.Swbz {
	case "0":
		if x.Swrq != nil && *x.Swrq != "" {
			return r, perr("person: swrq set while swbz is 0")
		}
	case "1":
		p.Deceased = true
		if x.Swrq != nil && *x.Swrq != "" {
			if p.DeathDate, err = wire.CompactDate(*x.Swrq); err != nil {
				return r, perr("person: swrq: %v", err)
			}
		}
	default:
		return r, perr("person: swbz: unknown code")
	}
	if r.HukouVillage, err = wire.DivisionCode(*x.Hjqh); err != nil {
		return r, perr("person: hjqh: %v", err)
	}
	if r.Relation, ok = relationOf(*x.Yhzgx); !ok {
		return r, perr("person: yhzgx: unknown code")
	}
	r.Person = p
	r.HouseholdID = *x.Hh
	r.Person.HouseholdID = "" // the district is authoritative for household membership
	r.Provenance = evidence.Provenance{Platform: evidence.Province, Endpoint: EndpointPersons, Record: wire.Mask(id)}
	return r, nil
}

// dzzzLicence is one licence of dzzz/query.
type dzzzLicence struct {
	Zzbs   *string           `json:"zzbs"`
	Zzlxdm *string           `json:"zzlxdm"`
	Zzlx   *string           `json:"zzlx"`
	Zzbh   *string           `json:"zzbh"`
	Czzt   *string           `json:"czzt"`
	Czztdm *string           `json:"czztdm"`
	Fzjg   *string           `json:"fzjg"`
	Fzjgdm *string           `json:"fzjgdm"`
	Fzrq   *string           `json:"fzrq"`
	Yxqz   *string           `json:"yxqz"`
	Zzzt   *string           `json:"zzzt"`
	Kzxx   map[string]string `json:"kzxx"`
}

func lerr(format string, args ...any) error {
	return connectors.DecodeError(Platform, EndpointLicences, format, args...)
}

func (x dzzzLicence) record() (evidence.LicenceRecord, error) {
	var r evidence.LicenceRecord
	for name, f := range map[string]*string{"zzbs": x.Zzbs, "zzlx": x.Zzlx, "zzbh": x.Zzbh, "czztdm": x.Czztdm,
		"fzjg": x.Fzjg, "fzjgdm": x.Fzjgdm, "fzrq": x.Fzrq, "yxqz": x.Yxqz, "zzzt": x.Zzzt} {
		if f == nil {
			return r, lerr("licence: field %s missing", name)
		}
	}
	holder, err := wire.IDNumber(*x.Czztdm)
	if err != nil {
		return r, lerr("licence: czztdm: %v", err)
	}
	if *x.Zzbs == "" {
		return r, lerr("licence: zzbs empty")
	}
	l := evidence.Licence{ID: *x.Zzbs, Number: *x.Zzbh, Issuer: *x.Fzjg, IssuerUSCC: *x.Fzjgdm}
	var ok bool
	if l.Type, ok = licenceTypeOf(*x.Zzlx); !ok {
		return r, lerr("licence: zzlx: unknown licence type")
	}
	if l.IssuedOn, err = wire.CompactDate(*x.Fzrq); err != nil {
		return r, lerr("licence: fzrq: %v", err)
	}
	if *x.Yxqz != "长期" {
		if l.ValidUntil, err = wire.CompactDate(*x.Yxqz); err != nil {
			return r, lerr("licence: yxqz: %v", err)
		}
	}
	if l.Status, ok = licenceStatus[*x.Zzzt]; !ok {
		return r, lerr("licence: zzzt: unknown code")
	}
	if l.Attrs, err = attrs(l.Type, x.Kzxx); err != nil {
		return r, err
	}
	r.Holder = holder
	r.Licence = l
	r.Provenance = evidence.Provenance{Platform: evidence.Province, Endpoint: EndpointLicences, Record: l.ID}
	return r, nil
}

// attrs maps the type-specific 扩展信息 into the evidence attributes documented on
// evidence.Licence. Keys the hub does not model are dropped.
func attrs(typ string, kz map[string]string) (map[string]any, error) {
	out := map[string]any{}
	id := func(key, name string) error {
		if v, ok := kz[key]; ok && v != "" {
			n, err := wire.IDNumber(v)
			if err != nil {
				return lerr("licence: kzxx.%s: %v", key, err)
			}
			out[name] = n
		}
		return nil
	}
	switch typ {
	case "disability":
		cat, ok := disabilityCategory[kz["cjlb"]]
		if !ok {
			return nil, lerr("licence: kzxx.cjlb: unknown disability category")
		}
		g, err := strconv.Atoi(kz["cjdj"])
		if err != nil || g < 1 || g > 4 {
			return nil, lerr("licence: kzxx.cjdj: grade must be 1-4")
		}
		out["category"], out["grade"] = cat, g
	case "marriage", "divorce":
		if err := id("pofh", "spouse_id_number"); err != nil {
			return nil, err
		}
	case "only_child_honour":
		if err := id("znsfzh", "child_id_number"); err != nil {
			return nil, err
		}
	case "birth":
		for _, k := range [][2]string{{"znsfzh", "child_id_number"}, {"mqsfzh", "mother_id_number"}, {"fqsfzh", "father_id_number"}} {
			if err := id(k[0], k[1]); err != nil {
				return nil, err
			}
		}
	case "death":
		if v, ok := kz["swrq"]; ok && v != "" {
			d, err := wire.CompactDate(v)
			if err != nil {
				return nil, lerr("licence: kzxx.swrq: %v", err)
			}
			out["death_date"] = d
		}
	case "real_estate":
		if v, ok := kz["dz"]; ok {
			out["address"] = v
		}
		if v, ok := kz["mj"]; ok && v != "" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 {
				return nil, lerr("licence: kzxx.mj: not an area")
			}
			out["area_m2"] = f
		}
	case "household_register":
		if v, ok := kz["hh"]; ok {
			out["household_no"] = v
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// qsgxRelative is one kinship row of qsgx/query. Every field is required.
type qsgxRelative struct {
	Sfzh    *string `json:"sfzh"`
	Gxrsfzh *string `json:"gxrsfzh"`
	Gxrxm   *string `json:"gxrxm"`
	Gxrxb   *string `json:"gxrxb"`
	Gxrcsrq *string `json:"gxrcsrq"`
	Gx      *string `json:"gx"`
	Sjly    *string `json:"sjly"`
	Zzbs    *string `json:"zzbs"`
	Mqsfzh  *string `json:"mqsfzh"`
	Fqsfzh  *string `json:"fqsfzh"`
}

func kerr(format string, args ...any) error {
	return connectors.DecodeError(Platform, EndpointKinship, format, args...)
}

// kinshipRow is a decoded row: a child link (child is true) or a parent link, which the
// client drops (it asks for children only, but a platform may answer more).
type kinshipRow struct {
	child  bool
	record evidence.KinshipRecord
}

func (x qsgxRelative) record() (kinshipRow, error) {
	var out kinshipRow
	for name, f := range map[string]*string{"sfzh": x.Sfzh, "gxrsfzh": x.Gxrsfzh, "gxrxm": x.Gxrxm, "gxrxb": x.Gxrxb,
		"gx": x.Gx, "sjly": x.Sjly, "zzbs": x.Zzbs, "mqsfzh": x.Mqsfzh, "fqsfzh": x.Fqsfzh} {
		if f == nil {
			return out, kerr("kinship: field %s missing", name)
		}
	}
	parent, err := wire.IDNumber(*x.Sfzh)
	if err != nil {
		return out, kerr("kinship: sfzh: %v", err)
	}
	rel, err := wire.IDNumber(*x.Gxrsfzh)
	if err != nil {
		return out, kerr("kinship: gxrsfzh: %v", err)
	}
	r := evidence.KinshipRecord{Parent: parent, Child: rel, Name: *x.Gxrxm}
	switch *x.Gxrxb {
	case "1":
		r.Sex = "M"
	case "2":
		r.Sex = "F"
	default:
		return out, kerr("kinship: gxrxb: unknown code")
	}
	switch *x.Gx {
	case "20", "30":
		out.child = true
	case "51", "52":
	default:
		return out, kerr("kinship: gx: unknown code")
	}
	switch *x.Sjly {
	case "01":
	case "02":
		if *x.Zzbs == "" {
			return out, kerr("kinship: zzbs empty for a birth certificate")
		}
		r.Certificate = *x.Zzbs
	default:
		return out, kerr("kinship: sjly: unknown code")
	}
	for _, f := range []struct {
		v   string
		dst *string
	}{{*x.Mqsfzh, &r.MotherIDNumber}, {*x.Fqsfzh, &r.FatherIDNumber}} {
		if f.v == "" {
			continue
		}
		if *f.dst, err = wire.IDNumber(f.v); err != nil {
			return out, kerr("kinship: parent ID number: %v", err)
		}
	}
	r.Provenance = evidence.Provenance{Platform: evidence.Province, Endpoint: EndpointKinship, Record: cmp.Or(r.Certificate, wire.Mask(rel))}
	out.record = r
	return out, nil
}
