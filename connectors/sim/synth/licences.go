package synth

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"

	"sanmian/hub/division"
	"sanmian/hub/ident"
)

// Licence types.
const (
	LicenceIDCard            = "id_card"
	LicenceHouseholdRegister = "household_register"
	LicenceMarriage          = "marriage"
	LicenceDivorce           = "divorce"
	LicenceDisability        = "disability"
	LicenceOnlyChildHonour   = "only_child_honour"
	LicenceBirth             = "birth"
	LicenceDeath             = "death"
	LicenceRealEstate        = "real_estate"
)

// LicenceType describes one kind of licence: its GB/T 36904 type code (the defining
// national authority's USCC followed by a 3-digit serial), its Chinese name and the office
// that issues it in the district.
type LicenceType struct {
	Type     string
	TypeName string
	TypeCode string
	Issuer   Office
}

// offices and licence types are fixed; their codes are built once with ident.
var catalogue = sync.OnceValues(func() (map[string]LicenceType, error) {
	office := func(name string, kind byte, base string) (Office, error) {
		u, err := ident.NewUSCC('1', kind, division.DistrictCode, orgCode(base))
		return Office{Name: name, USCC: u}, err
	}
	national := func(base string) (string, error) {
		return ident.NewUSCC('1', '1', "100000", orgCode(base))
	}
	var errs []error
	must := func(o Office, err error) Office { errs = append(errs, err); return o }
	mustS := func(s string, err error) string { errs = append(errs, err); return s }
	police := must(office("济南市公安局章丘区分局", '1', "00432417"))
	civil := must(office("章丘区民政局", '1', "00432425"))
	cdpf := must(office("章丘区残疾人联合会", '3', "00432433"))
	health := must(office("章丘区卫生健康局", '1', "00432441"))
	land := must(office("济南市自然资源和规划局章丘分局", '1', "00432458"))
	mps := mustS(national("00001312"))   // 公安部
	mca := mustS(national("00001314"))   // 民政部
	cdpfN := mustS(national("00001773")) // 中国残疾人联合会
	nhc := mustS(national("00001338"))   // 国家卫生健康委员会
	mnr := mustS(national("00001317"))   // 自然资源部
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("%w: office codes: %w", ErrIdentifier, err)
		}
	}
	types := []LicenceType{
		{LicenceIDCard, "居民身份证", mps + "001", police},
		{LicenceHouseholdRegister, "居民户口簿", mps + "002", police},
		{LicenceMarriage, "结婚证", mca + "001", civil},
		{LicenceDivorce, "离婚证", mca + "002", civil},
		{LicenceDisability, "中华人民共和国残疾人证", cdpfN + "001", cdpf},
		{LicenceOnlyChildHonour, "独生子女父母光荣证", nhc + "011", health},
		{LicenceBirth, "出生医学证明", nhc + "001", health},
		{LicenceDeath, "居民死亡医学证明(推断)书", nhc + "002", health},
		{LicenceRealEstate, "不动产权证书", mnr + "001", land},
	}
	m := make(map[string]LicenceType, len(types))
	for _, t := range types {
		m[t.Type] = t
	}
	return m, nil
})

// initOffices builds the catalogue, reporting an identifier error once.
func initOffices() error {
	_, err := catalogue()
	return err
}

// LicenceTypes returns the licence types the province holds, keyed by Type.
// The map is a fresh copy the caller may modify.
func LicenceTypes() map[string]LicenceType {
	m, _ := catalogue()
	return maps.Clone(m)
}

// Offices returns the issuing offices, one per licence type that has it, without duplicates,
// in a fixed order.
func Offices() []Office {
	var out []Office
	seen := map[string]bool{}
	m := LicenceTypes()
	for _, t := range []string{LicenceIDCard, LicenceMarriage, LicenceDisability, LicenceBirth, LicenceRealEstate} {
		if o := m[t].Issuer; !seen[o.USCC] {
			seen[o.USCC] = true
			out = append(out, o)
		}
	}
	return out
}

// orgCode appends the GB 11714 check character to an 8-digit organisation code body.
func orgCode(base string) string {
	w := [8]int{3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := range 8 {
		sum += int(base[i]-'0') * w[i]
	}
	c := 11 - sum%11
	switch c {
	case 10:
		return base + "X"
	case 11:
		return base + "0"
	}
	return base + strconv.Itoa(c)
}

// hashRand is a tiny deterministic stream for derived attributes (dates of marriage,
// certificate serials) that are not stored.
func (d *District) hashRand(i int32, salt uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(d.Config.Seed)^salt, uint64(i)))
}

// Licences returns the electronic licences the province holds for person i, derived on
// demand from the person's data (nothing is stored). Identifiers are valid GB/T 36904
// identifiers; issuers carry valid USCCs.
func (d *District) Licences(i int32) []Licence {
	cat, _ := catalogue()
	p := &d.Persons[i]
	hh := &d.Households[p.Household]
	ref := DateOf(d.Config.Reference)
	var out []Licence
	add := func(typ, number, idNumber string, issued, until Date, attrs map[string]string) {
		t := cat[typ]
		id, err := ident.NewLicenceID(t.TypeCode, t.Issuer.USCC, idNumber, "001")
		if err != nil {
			return // cannot happen: numbers are built from [0-9A-Z]
		}
		status := LicenceValid
		switch {
		case p.Death != 0 && (typ == LicenceIDCard || typ == LicenceDisability):
			status = LicenceRevoked
		case until != 0 && until < ref:
			status = LicenceExpired
		}
		out = append(out, Licence{ID: id, Type: typ, TypeName: t.TypeName, Number: number, Holder: i,
			Issuer: t.Issuer, Issued: issued, ValidUntil: until, Status: status, Attrs: attrs})
	}
	village := d.villages[p.HukouVillage]
	address := division.FullName(village.Code) + strconv.Itoa(1+int(hh.HomesteadM2)%97) + "号"

	if p.IDCardIssued != 0 {
		add(LicenceIDCard, p.ID, p.ID, p.IDCardIssued, p.IDCardValidUntil, nil)
	}
	if p.Relation == Head {
		r := d.hashRand(i, 0x686b)
		issued := dateOfDay(max(p.Birth.day()+1, daysFromCivil(2016, 9, 1)+r.IntN(3000)))
		add(LicenceHouseholdRegister, hh.No, hh.No, issued, 0,
			map[string]string{AttrHouseholdNo: hh.No, AttrAddress: address})
	}
	if p.Spouse >= 0 {
		sp := &d.Persons[p.Spouse]
		h, w := p, sp
		if p.Sex == 'F' {
			h, w = sp, p
		}
		lo := min(i, p.Spouse)
		r := d.hashRand(lo, 0x6d61)
		start := max(h.Birth.addYears(22).day(), w.Birth.addYears(20).day())
		wed := start + r.IntN(1500)
		for _, c := range d.Children(lo) {
			wed = min(wed, d.Persons[c].Birth.day()-300-r.IntN(300))
		}
		wed = max(wed, start-400)
		wd := dateOfDay(min(wed, d.view().refDay-1))
		no := fmt.Sprintf("J370114-%04d-%06d", wd.Year(), lo%1000000)
		add(LicenceMarriage, no, strings.ReplaceAll(no, "-", "")+sexSuffix(p), wd, 0,
			map[string]string{AttrSpouseID: sp.ID})
	}
	if p.Marital == Divorced {
		r := d.hashRand(i, 0x6c69)
		dd := dateOfDay(max(p.Birth.addYears(25).day(), d.view().refDay-1-r.IntN(5000)))
		no := fmt.Sprintf("L370114-%04d-%06d", dd.Year(), i%1000000)
		add(LicenceDivorce, no, strings.ReplaceAll(no, "-", ""), dd, 0, map[string]string{})
	}
	if p.Disability != NoDisability {
		no := p.ID + strconv.Itoa(int(p.Disability)) + strconv.Itoa(int(p.DisabilityGrade))
		add(LicenceDisability, no, no, p.DisabilityIssued, p.DisabilityValidUntil, map[string]string{
			AttrDisabilityCategory: p.Disability.String(),
			AttrDisabilityGrade:    strconv.Itoa(int(p.DisabilityGrade)),
		})
	}
	if p.OnlyChildHonour {
		if ks := d.Children(i); len(ks) == 1 {
			c := &d.Persons[ks[0]]
			r := d.hashRand(ks[0], 0x6f63)
			issued := dateOfDay(min(c.Birth.day()+30+r.IntN(1500), d.view().refDay-1))
			no := fmt.Sprintf("DZ370181%04d%06d", issued.Year(), ks[0]%1000000)
			add(LicenceOnlyChildHonour, no, no+sexSuffix(p), issued, 0, map[string]string{AttrChildID: c.ID})
		}
	}
	if p.Birth >= 19960101 {
		r := d.hashRand(i, 0x6263)
		no := fmt.Sprintf("%c37%07d", 'K'+byte((p.Birth.Year()-1996)%14), r.IntN(10000000))
		attrs := map[string]string{AttrChildID: p.ID}
		if p.Mother >= 0 {
			attrs[AttrMotherID] = d.Persons[p.Mother].ID
		}
		if p.Father >= 0 {
			attrs[AttrFatherID] = d.Persons[p.Father].ID
		}
		add(LicenceBirth, no, no, p.Birth, 0, attrs)
	}
	if p.Death != 0 {
		no := fmt.Sprintf("370114%04d%07d", p.Death.Year(), i%10000000)
		add(LicenceDeath, no, no, p.Death, 0, map[string]string{AttrDeathDate: p.Death.String()})
	}
	if p.Relation == Head && hh.RealEstate {
		r := d.hashRand(i, 0x7265)
		y := 2016 + r.IntN(10)
		serial := r.IntN(10000000)
		no := fmt.Sprintf("鲁(%d)章丘区不动产权第%07d号", y, serial)
		area := hh.HomesteadM2
		if area == 0 {
			area = float32(60 + r.IntN(90))
		}
		add(LicenceRealEstate, no, fmt.Sprintf("370114%d%07d", y, serial), dateOfDay(daysFromCivil(y, 1, 1)+r.IntN(365)), 0,
			map[string]string{AttrAddress: address, AttrAreaM2: strconv.FormatFloat(float64(area), 'f', 1, 32)})
	}
	return out
}

// sexSuffix tells apart the two copies of a certificate a couple shares.
func sexSuffix(p *Person) string {
	if p.Sex == 'F' {
		return "02"
	}
	return "01"
}
