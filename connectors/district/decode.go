package district

import (
	"errors"
	"fmt"
	"strings"

	"sanmian/connectors/internal/wire"
	"sanmian/hub/evidence"
)

// resident is the wire form of a resident record. Every documented field is required;
// nullable ones are pointers checked for presence through the raw decoder below.
type resident struct {
	IDNo               *string   `json:"id_no"`
	Name               *string   `json:"name"`
	VillageCode        *string   `json:"village_code"`
	HouseholdNo        *string   `json:"household_no"`
	Relation           *string   `json:"relation"`
	Dibao              *string   `json:"dibao"`
	Tekun              *string   `json:"tekun"`
	DisabilityCategory *string   `json:"disability_category"`
	DisabilityGrade    *int      `json:"disability_grade"`
	Veteran            *string   `json:"veteran"`
	VeteranType        *string   `json:"veteran_type"`
	InSchool           *string   `json:"in_school"`
	SchoolLevel        *string   `json:"school_level"`
	CollectiveMember   *string   `json:"collective_member"`
	Deceased           *string   `json:"deceased"`
	Programs           *[]string `json:"programs"`
	// Optional fields some feed versions carry.
	HukouType  *string      `json:"hukou_type"`
	LandMu     *float64     `json:"land_mu"`
	Homestead  *homestead   `json:"homestead"`
	OtherRolls *[]rollEntry `json:"other_rolls"`
}

// rollEntry is the wire form of one entry of another village's subsidy roll.
type rollEntry struct {
	VillageCode *string `json:"village_code"`
	Program     *string `json:"program"`
}

// otherRolls decodes the other villages' roll entries: each a village code and a known
// programme.
func otherRolls(in []rollEntry) ([]RollEntry, error) {
	out := make([]RollEntry, 0, len(in))
	for _, e := range in {
		if e.VillageCode == nil || e.Program == nil {
			return nil, errors.New("village_code and program are required")
		}
		v, err := wire.DivisionCode(*e.VillageCode)
		if err != nil {
			return nil, fmt.Errorf("village_code: %w", err)
		}
		code, ok := programmes[*e.Program]
		if !ok {
			return nil, errors.New("program: unknown programme")
		}
		out = append(out, RollEntry{Item: code, Village: v})
	}
	return out, nil
}

// homestead is the wire form of a household's homestead record.
type homestead struct {
	AreaM2     *float64 `json:"area_m2"`
	HouseGrade *string  `json:"house_grade"`
}

func (hs homestead) record() (*evidence.Homestead, error) {
	if hs.AreaM2 == nil || hs.HouseGrade == nil || *hs.AreaM2 < 0 {
		return nil, errors.New("area_m2 and house_grade are required")
	}
	switch *hs.HouseGrade {
	case "A", "B", "C", "D", "":
	default:
		return nil, errors.New("house_grade: unknown value")
	}
	return &evidence.Homestead{AreaM2: *hs.AreaM2, HouseGrade: *hs.HouseGrade}, nil
}

// relations maps the district's Chinese relation terms to the hub's codes. "父母" (parent,
// unspecified) maps to "parent"; the assembler refines it with the province's sex.
var relations = map[string]string{
	"户主": "head", "本人": "head", "配偶": "spouse", "子": "son", "女": "daughter",
	"父亲": "father", "母亲": "mother", "父母": "parent", "孙子": "grandson", "孙女": "granddaughter",
	"儿媳": "daughter_in_law", "女婿": "son_in_law", "其他": "other",
}

// disabilityCategories maps the district roll's categories (with or without 残疾).
var disabilityCategories = map[string]string{
	"视力": "visual", "听力": "hearing", "言语": "speech", "肢体": "physical",
	"智力": "intellectual", "精神": "mental", "多重": "multiple",
}

var veteranTypes = map[string]string{
	"conscript_family": "conscript_family", "disabled_veteran": "disabled_veteran",
	"martyr_family": "martyr_family", "demobilised": "demobilised",
}

var schoolLevels = map[string]string{
	"primary": "primary", "junior": "junior", "senior": "senior", "vocational": "vocational", "university": "university",
}

// programmes maps the district's programme names to the item codes of the small-power list.
var programmes = map[string]string{
	"高龄老人补贴": "elderly_allowance", "老年人优待证": "senior_card",
	"农村部分计划生育家庭奖励扶助": "rural_family_planning_reward", "计划生育特别扶助": "family_planning_special_support",
	"独生子女父母奖励": "only_child_parent_reward", "生育登记": "birth_registration",
	"困难残疾人生活补贴": "hardship_disability_subsidy", "重度残疾人护理补贴": "severe_disability_care_subsidy",
	"残疾人证换领": "disability_certificate_renewal", "残疾人辅助器具适配": "assistive_device_fitting",
	"最低生活保障": "minimum_living_allowance", "特困人员救助供养": "extreme_poverty_support",
	"临时救助": "temporary_assistance", "医疗救助": "medical_assistance",
	"困难家庭学生资助": "student_aid", "困难群众冬季取暖补贴": "winter_heating_subsidy",
	"城乡居民养老保险待遇领取": "resident_pension_claim", "城乡居民养老保险参保登记": "pension_insurance_enrolment",
	"城乡居民医保参保登记": "medical_insurance_enrolment", "惠民殡葬补贴": "funeral_subsidy",
	"居住证明": "residence_certificate", "亲属关系证明": "kinship_certificate",
	"义务兵家庭优待金": "conscript_family_allowance", "重点优抚对象定期抚恤补助": "entitled_group_pension",
	"农村宅基地申请": "homestead_application", "农村危房改造": "dilapidated_house_renovation",
	"集体经济组织成员确认": "collective_membership", "耕地地力保护补贴": "farmland_protection_subsidy",
	"公益性岗位申请": "public_welfare_job", "就业困难人员认定": "employment_difficulty_recognition",
}

func (x resident) record(endpoint string) (evidence.DistrictResident, error) {
	var r evidence.DistrictResident
	bad := func(format string, args ...any) (evidence.DistrictResident, error) {
		return evidence.DistrictResident{}, derr(endpoint, format, args...)
	}
	for name, f := range map[string]*string{"id_no": x.IDNo, "name": x.Name, "village_code": x.VillageCode,
		"household_no": x.HouseholdNo, "relation": x.Relation, "dibao": x.Dibao, "tekun": x.Tekun,
		"veteran": x.Veteran, "in_school": x.InSchool, "collective_member": x.CollectiveMember, "deceased": x.Deceased} {
		if f == nil {
			return bad("resident: field %s missing", name)
		}
	}
	if x.Programs == nil {
		return bad("resident: field programs missing")
	}
	var err error
	if r.IDNumber, err = wire.IDNumber(*x.IDNo); err != nil {
		return bad("resident: id_no: %v", err)
	}
	if *x.Name == "" {
		return bad("resident: name empty")
	}
	r.Name = *x.Name
	if r.Village, err = wire.DivisionCode(*x.VillageCode); err != nil {
		return bad("resident: village_code: %v", err)
	}
	r.HouseholdID = *x.HouseholdNo
	var ok bool
	if r.Relation, ok = relations[*x.Relation]; !ok {
		return bad("resident: relation: unknown value")
	}
	flags := []struct {
		name string
		v    *string
		dst  *bool
	}{
		{"dibao", x.Dibao, &r.Rolls.Dibao}, {"tekun", x.Tekun, &r.Rolls.Tekun},
		{"collective_member", x.CollectiveMember, &r.Rolls.CollectiveMember}, {"deceased", x.Deceased, &r.Rolls.Deceased},
	}
	for _, f := range flags {
		if *f.dst, err = wire.YN(*f.v); err != nil {
			return bad("resident: %s: %v", f.name, err)
		}
	}
	veteran, err := wire.YN(*x.Veteran)
	if err != nil {
		return bad("resident: veteran: %v", err)
	}
	if veteran {
		r.Rolls.Veteran = "unspecified"
		if x.VeteranType != nil {
			if r.Rolls.Veteran, ok = veteranTypes[*x.VeteranType]; !ok {
				return bad("resident: veteran_type: unknown value")
			}
		}
	}
	inSchool, err := wire.YN(*x.InSchool)
	if err != nil {
		return bad("resident: in_school: %v", err)
	}
	if inSchool {
		r.Rolls.InSchool = "unspecified"
		if x.SchoolLevel != nil {
			if r.Rolls.InSchool, ok = schoolLevels[*x.SchoolLevel]; !ok {
				return bad("resident: school_level: unknown value")
			}
		}
	}
	if (x.DisabilityCategory == nil) != (x.DisabilityGrade == nil) {
		return bad("resident: disability_category and disability_grade must both be set or both null")
	}
	if x.DisabilityCategory != nil {
		cat := strings.TrimSuffix(*x.DisabilityCategory, "残疾")
		if r.DisabilityCategory, ok = disabilityCategories[cat]; !ok {
			return bad("resident: disability_category: unknown value")
		}
		if *x.DisabilityGrade < 1 || *x.DisabilityGrade > 4 {
			return bad("resident: disability_grade must be 1-4")
		}
		r.DisabilityGrade = *x.DisabilityGrade
	}
	r.Rolls.Enrolled = make([]string, 0, len(*x.Programs))
	for _, name := range *x.Programs {
		code, ok := programmes[name]
		if !ok {
			return bad("resident: programs: unknown programme")
		}
		r.Rolls.Enrolled = append(r.Rolls.Enrolled, code)
	}
	r.Provenance = evidence.Provenance{Platform: evidence.District, Endpoint: endpoint, Record: wire.Mask(r.IDNumber)}
	return r, nil
}

type household struct {
	HouseholdNo *string `json:"household_no"`
	VillageCode *string `json:"village_code"`
	HukouType   *string `json:"hukou_type"`
	Members     *[]struct {
		IDNo     *string `json:"id_no"`
		Name     *string `json:"name"`
		Relation *string `json:"relation"`
	} `json:"members"`
	Dibao     *string    `json:"dibao"`
	LandMu    *float64   `json:"land_mu"`
	Homestead *homestead `json:"homestead"`
}

func hukouType(s string) (string, error) {
	switch s {
	case "agricultural":
		return evidence.HukouAgricultural, nil
	case "non_agricultural":
		return evidence.HukouNonAgricultural, nil
	}
	return "", errors.New("unknown value")
}

func (x household) record() (evidence.DistrictHousehold, error) {
	bad := func(format string, args ...any) (evidence.DistrictHousehold, error) {
		return evidence.DistrictHousehold{}, derr(EndpointHousehold, format, args...)
	}
	if x.HouseholdNo == nil || x.VillageCode == nil || x.HukouType == nil || x.Members == nil || x.Dibao == nil || x.LandMu == nil {
		return bad("household: household_no, village_code, hukou_type, members, dibao and land_mu are required")
	}
	var h evidence.DistrictHousehold
	var err error
	h.HouseholdID = *x.HouseholdNo
	if h.HouseholdID == "" {
		return bad("household: household_no empty")
	}
	if h.Village, err = wire.DivisionCode(*x.VillageCode); err != nil {
		return bad("household: village_code: %v", err)
	}
	if h.HukouType, err = hukouType(*x.HukouType); err != nil {
		return bad("household: hukou_type: %v", err)
	}
	if h.Dibao, err = wire.YN(*x.Dibao); err != nil {
		return bad("household: dibao: %v", err)
	}
	if *x.LandMu < 0 {
		return bad("household: land_mu negative")
	}
	h.LandMu = *x.LandMu
	if x.Homestead != nil {
		if h.Homestead, err = x.Homestead.record(); err != nil {
			return bad("household: homestead: %v", err)
		}
	}
	if len(*x.Members) == 0 {
		return bad("household: no members")
	}
	for _, m := range *x.Members {
		if m.IDNo == nil || m.Name == nil || m.Relation == nil {
			return bad("household: member: id_no, name and relation are required")
		}
		id, err := wire.IDNumber(*m.IDNo)
		if err != nil {
			return bad("household: member id_no: %v", err)
		}
		rel, ok := relations[*m.Relation]
		if !ok {
			return bad("household: member relation: unknown value")
		}
		h.Members = append(h.Members, evidence.HouseholdMember{IDNumber: id, Name: *m.Name, Relation: rel})
	}
	h.Provenance = evidence.Provenance{Platform: evidence.District, Endpoint: EndpointHousehold, Record: h.HouseholdID}
	return h, nil
}
