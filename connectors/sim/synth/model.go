package synth

import (
	"fmt"
	"sync"
	"time"

	"sanmian/hub/division"
)

// DefaultResidents is the size of the demo district when Config.Residents is zero: small
// enough that the simulators start in a second or two.
const DefaultResidents = 3000

// FullDistrictResidents is the registered population of Zhangqiu district, the size of the
// whole synthetic district.
const FullDistrictResidents = 1075784

// DefaultReference is the synthetic world's "today" when Config.Reference is zero.
var DefaultReference = time.Date(2026, time.November, 1, 0, 0, 0, 0, time.UTC)

// Config selects a synthetic district. The same Config always yields the same data,
// whatever the wall clock says: every age and validity is computed against Reference.
type Config struct {
	Residents int       `yaml:"residents"` // number of persons, living and recently deceased; 0 = DefaultResidents
	Seed      int64     `yaml:"seed"`      // generator seed
	Reference time.Time `yaml:"reference"` // the synthetic "today"; zero = DefaultReference
}

// Date is a calendar date packed as YYYYMMDD (20261101); 0 means none.
type Date int32

// DateOf returns the calendar date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date(y*10000 + int(m)*100 + d)
}

// Year, Month and Day return the parts of d (0 for the zero Date).
func (d Date) Year() int { return int(d) / 10000 }

// Month returns the month of d, 1-12 (0 for the zero Date).
func (d Date) Month() int { return int(d) / 100 % 100 }

// Day returns the day of the month of d (0 for the zero Date).
func (d Date) Day() int { return int(d) % 100 }

// IsZero reports whether d is the zero Date ("none").
func (d Date) IsZero() bool { return d == 0 }

// Time returns midnight UTC on d; the zero time for the zero Date.
func (d Date) Time() time.Time {
	if d == 0 {
		return time.Time{}
	}
	return time.Date(d.Year(), time.Month(d.Month()), d.Day(), 0, 0, 0, 0, time.UTC)
}

// String formats d as "2006-01-02"; "" for the zero Date.
func (d Date) String() string {
	if d == 0 {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year(), d.Month(), d.Day())
}

// Compact formats d as "20060102"; "" for the zero Date.
func (d Date) Compact() string {
	if d == 0 {
		return ""
	}
	return fmt.Sprintf("%08d", int(d))
}

// Ethnicity is a person's registered ethnic group (民族).
type Ethnicity uint8

// Ethnicities present in the synthetic district.
const (
	Han    Ethnicity = iota // 汉族
	Hui                     // 回族
	Manchu                  // 满族
)

var ethnicityNames = [...]string{"汉族", "回族", "满族"}

// String returns the Chinese name, e.g. "汉族".
func (e Ethnicity) String() string {
	if int(e) < len(ethnicityNames) {
		return ethnicityNames[e]
	}
	return "汉族"
}

// Relation is a member's relation to the household head (与户主关系).
type Relation uint8

// Relations to the head of household.
const (
	Head Relation = iota
	Spouse
	Son
	Daughter
	Father
	Mother
	Grandson
	Granddaughter
	DaughterInLaw
	SonInLaw
	OtherRelation
)

var relationNames = [...]string{"head", "spouse", "son", "daughter", "father", "mother",
	"grandson", "granddaughter", "daughter_in_law", "son_in_law", "other"}

var relationNamesZH = [...]string{"户主", "配偶", "子", "女", "父亲", "母亲", "孙子", "孙女", "儿媳", "女婿", "其他"}

// String returns the snake_case code, e.g. "daughter_in_law".
func (r Relation) String() string {
	if int(r) < len(relationNames) {
		return relationNames[r]
	}
	return "other"
}

// Chinese returns the household-register term, e.g. "儿媳".
func (r Relation) Chinese() string {
	if int(r) < len(relationNamesZH) {
		return relationNamesZH[r]
	}
	return "其他"
}

// Marital is a person's marital status (婚姻状况).
type Marital uint8

// Marital statuses.
const (
	Single Marital = iota
	Married
	Divorced
	Widowed
)

var maritalNames = [...]string{"single", "married", "divorced", "widowed"}
var maritalNamesZH = [...]string{"未婚", "已婚", "离婚", "丧偶"}

// String returns the code: single, married, divorced or widowed.
func (m Marital) String() string {
	if int(m) < len(maritalNames) {
		return maritalNames[m]
	}
	return "single"
}

// Chinese returns the Chinese term, e.g. "丧偶".
func (m Marital) Chinese() string {
	if int(m) < len(maritalNamesZH) {
		return maritalNamesZH[m]
	}
	return "未婚"
}

// Disability is the category on a disability certificate (残疾类别); NoDisability when the
// person holds none.
type Disability uint8

// Disability categories (GB/T 26341-2010).
const (
	NoDisability Disability = iota
	Visual                  // 视力残疾
	Hearing                 // 听力残疾
	Speech                  // 言语残疾
	Physical                // 肢体残疾
	Intellectual            // 智力残疾
	Mental                  // 精神残疾
	Multiple                // 多重残疾
)

var disabilityNames = [...]string{"none", "visual", "hearing", "speech", "physical", "intellectual", "mental", "multiple"}
var disabilityNamesZH = [...]string{"", "视力残疾", "听力残疾", "言语残疾", "肢体残疾", "智力残疾", "精神残疾", "多重残疾"}

// String returns the code, e.g. "physical"; "none" for NoDisability.
func (d Disability) String() string {
	if int(d) < len(disabilityNames) {
		return disabilityNames[d]
	}
	return "none"
}

// Chinese returns the Chinese category name, e.g. "肢体残疾"; "" for NoDisability.
func (d Disability) Chinese() string {
	if int(d) < len(disabilityNamesZH) {
		return disabilityNamesZH[d]
	}
	return ""
}

// Pension is a person's status in the urban-rural resident pension scheme (城乡居民养老保险).
type Pension uint8

// Pension statuses.
const (
	PensionNotEnrolled Pension = iota
	PensionEnrolled            // 参保缴费
	PensionReceiving           // 领取待遇
	PensionSuspended           // 暂停
)

var pensionNames = [...]string{"not_enrolled", "enrolled", "receiving", "suspended"}

// String returns the code: not_enrolled, enrolled, receiving or suspended.
func (p Pension) String() string {
	if int(p) < len(pensionNames) {
		return pensionNames[p]
	}
	return "not_enrolled"
}

// Employment is a person's registered employment status.
type Employment uint8

// Employment statuses.
const (
	NotInLabourForce     Employment = iota
	Employed                        // 就业
	UnemployedRegistered            // 登记失业
)

var employmentNames = [...]string{"not_in_labour_force", "employed", "unemployed_registered"}

// String returns the code: employed, unemployed_registered or not_in_labour_force.
func (e Employment) String() string {
	if int(e) < len(employmentNames) {
		return employmentNames[e]
	}
	return "not_in_labour_force"
}

// Veteran is a person's entitled-group category (优抚对象类别).
type Veteran uint8

// Veteran categories.
const (
	NoVeteran       Veteran = iota
	ConscriptFamily         // 义务兵家庭
	DisabledVeteran         // 残疾军人
	MartyrFamily            // 烈士遗属
	Demobilised             // 退役军人 (带病回乡/在乡复员)
)

var veteranNames = [...]string{"none", "conscript_family", "disabled_veteran", "martyr_family", "demobilised"}

// String returns the code, e.g. "martyr_family"; "none" for NoVeteran.
func (v Veteran) String() string {
	if int(v) < len(veteranNames) {
		return veteranNames[v]
	}
	return "none"
}

// School is the level a child or young person is enrolled at.
type School uint8

// School levels.
const (
	NoSchool   School = iota
	Primary           // 小学
	Junior            // 初中
	Senior            // 高中
	Vocational        // 中职
	University        // 高校
)

var schoolNames = [...]string{"none", "primary", "junior", "senior", "vocational", "university"}

// String returns the code, e.g. "junior"; "none" for NoSchool.
func (s School) String() string {
	if int(s) < len(schoolNames) {
		return schoolNames[s]
	}
	return "none"
}

// LongTerm is the IDCardValidUntil (and Licence.ValidUntil) value meaning 长期 (no expiry).
const LongTerm Date = 0

// Person is one resident of the synthetic district, living or recently deceased. Index
// fields (Household, Spouse, Father, Mother) point into District.Persons/Households; -1 means
// none. The struct is compact on purpose: the full district holds over a million of them.
type Person struct {
	ID        string    // 18-character ID number (GB 11643-1999)
	Name      string    // Chinese name, 2-3 characters
	Sex       byte      // 'M' or 'F'
	Ethnicity Ethnicity // mostly Han
	Birth     Date

	Agricultural bool     // hukou type: agricultural (农业) or non-agricultural
	Relation     Relation // relation to the household head
	Marital      Marital
	Household    int32 // index into District.Households
	Spouse       int32 // -1 none
	Father       int32 // -1 none (not in the district)
	Mother       int32 // -1 none (not in the district)

	Death              Date  // date of death as known to the province; 0 = living
	DeathOnVillageRoll bool  // false while the village roll has not recorded the death (inconsistency)
	HukouVillage       int16 // village index in the province's household register; may differ from the household's (moved between villages)

	Disability           Disability // NoDisability when no certificate
	DisabilityGrade      uint8      // 1 (most severe) .. 4; 0 without certificate
	DisabilityIssued     Date
	DisabilityValidUntil Date // certificates are valid 10 years; some are expired

	OnlyChildHonour bool // holds the only-child parents' honour certificate (独生子女父母光荣证)

	Pension        Pension
	PensionSince   Date  // enrolment date, or start of receipt when receiving
	PensionMonthly int32 // yuan per month while receiving

	Medical     bool  // enrolled in resident medical insurance for MedicalYear
	MedicalYear int16 // e.g. 2026; 0 when never enrolled

	Employment           Employment
	UnemployedSince      Date
	EmploymentDifficulty bool // recognised as a person with employment difficulty (就业困难人员)

	Tekun            bool // in extreme-poverty support (特困供养)
	Veteran          Veteran
	School           School
	CollectiveMember bool   // member of the village collective economic organisation
	Enrolled         uint32 // bit i set: currently receives Programs[i]

	IDCardIssued     Date // 0 when no card (young children)
	IDCardValidUntil Date // LongTerm (0) for 长期 when IDCardIssued is set
}

// Living reports whether the province knows of no death.
func (p *Person) Living() bool { return p.Death == 0 }

// IsEnrolled reports whether p currently receives Programs[program].
func (p *Person) IsEnrolled(program int) bool {
	return program >= 0 && program < 32 && p.Enrolled&(1<<uint(program)) != 0
}

// EnrolledCodes returns the codes of the programs p currently receives, in Programs order.
func (p *Person) EnrolledCodes() []string {
	var out []string
	for i, pr := range Programs {
		if p.IsEnrolled(i) {
			out = append(out, pr.Code)
		}
	}
	return out
}

// Household is one 户 as the district platform holds it.
type Household struct {
	No          string  // 户号: "370114" + 9 digits
	Village     int16   // index into division.Villages(): the district roll's village
	Members     []int32 // person indexes, head first; includes deceased members still registered
	Dibao       bool    // 低保 household
	LandMu      float32 // contracted farmland, mu
	HomesteadM2 float32 // homestead area, m²
	HouseGrade  byte    // house safety grade 'A' (safe) .. 'D' (dangerous)
	RealEstate  bool    // holds a real-estate certificate for the homestead house
}

// Office is an issuing authority with its unified social credit code (GB 32100-2015).
type Office struct {
	Name string
	USCC string
}

// Licence is an electronic licence (电子证照) as the province holds it. Licences are derived
// on demand from a Person by District.Licences and never stored.
type Licence struct {
	ID         string            // GB/T 36904-2018 identifier
	Type       string            // id_card, household_register, marriage, divorce, disability, only_child_honour, birth, death, real_estate
	TypeName   string            // 居民身份证, 居民户口簿, ...
	Number     string            // the number printed on the certificate
	Holder     int32             // person index
	Issuer     Office            //
	Issued     Date              //
	ValidUntil Date              // LongTerm (0) = 长期
	Status     string            // valid, expired, revoked
	Attrs      map[string]string // type-specific: see the Attr* constants
}

// Licence statuses.
const (
	LicenceValid   = "valid"
	LicenceExpired = "expired"
	LicenceRevoked = "revoked"
)

// Licence attribute keys.
const (
	AttrDisabilityCategory = "disability_category" // Disability.String()
	AttrDisabilityGrade    = "disability_grade"    // "1".."4"
	AttrSpouseID           = "spouse_id"           // marriage, divorce
	AttrChildID            = "child_id"            // only_child_honour, birth
	AttrMotherID           = "mother_id"           // birth
	AttrFatherID           = "father_id"           // birth
	AttrDeathDate          = "death_date"          // death, "2006-01-02"
	AttrAddress            = "address"             // real_estate, household_register
	AttrAreaM2             = "area_m2"             // real_estate
	AttrHouseholdNo        = "household_no"        // household_register
)

// Program is one of the district's subsidy rolls, named by the item code of DESIGN.md
// section 5. Its index in Programs is its bit in Person.Enrolled and never changes.
type Program struct {
	Code string
	Name string
}

// Programs lists the items in the order of DESIGN.md section 5 (row by row, left column
// first). Append only: the index is the Person.Enrolled bit.
var Programs = []Program{
	{Code: "elderly_allowance", Name: "高龄老人补贴"},
	{Code: "senior_card", Name: "老年人优待证"},
	{Code: "rural_family_planning_reward", Name: "农村部分计划生育家庭奖励扶助"},
	{Code: "family_planning_special_support", Name: "计划生育特别扶助"},
	{Code: "only_child_parent_reward", Name: "独生子女父母奖励"},
	{Code: "birth_registration", Name: "生育登记"},
	{Code: "hardship_disability_subsidy", Name: "困难残疾人生活补贴"},
	{Code: "severe_disability_care_subsidy", Name: "重度残疾人护理补贴"},
	{Code: "disability_certificate_renewal", Name: "残疾人证换领"},
	{Code: "assistive_device_fitting", Name: "残疾人辅助器具适配"},
	{Code: "minimum_living_allowance", Name: "最低生活保障"},
	{Code: "extreme_poverty_support", Name: "特困人员救助供养"},
	{Code: "temporary_assistance", Name: "临时救助"},
	{Code: "medical_assistance", Name: "医疗救助"},
	{Code: "student_aid", Name: "困难家庭学生资助"},
	{Code: "winter_heating_subsidy", Name: "困难群众冬季取暖补贴"},
	{Code: "resident_pension_claim", Name: "城乡居民养老保险待遇领取"},
	{Code: "pension_insurance_enrolment", Name: "城乡居民养老保险参保登记"},
	{Code: "medical_insurance_enrolment", Name: "城乡居民医保参保登记"},
	{Code: "funeral_subsidy", Name: "惠民殡葬补贴"},
	{Code: "residence_certificate", Name: "居住证明"},
	{Code: "kinship_certificate", Name: "亲属关系证明"},
	{Code: "conscript_family_allowance", Name: "义务兵家庭优待金"},
	{Code: "entitled_group_pension", Name: "重点优抚对象定期抚恤补助"},
	{Code: "homestead_application", Name: "农村宅基地申请"},
	{Code: "dilapidated_house_renovation", Name: "农村危房改造"},
	{Code: "collective_membership", Name: "集体经济组织成员确认"},
	{Code: "farmland_protection_subsidy", Name: "耕地地力保护补贴"},
	{Code: "public_welfare_job", Name: "公益性岗位申请"},
	{Code: "employment_difficulty_recognition", Name: "就业困难人员认定"},
}

// Program indexes into Programs (and bits of Person.Enrolled).
const (
	ProgElderlyAllowance = iota
	ProgSeniorCard
	ProgRuralFamilyPlanningReward
	ProgFamilyPlanningSpecialSupport
	ProgOnlyChildParentReward
	ProgBirthRegistration
	ProgHardshipDisabilitySubsidy
	ProgSevereDisabilityCareSubsidy
	ProgDisabilityCertificateRenewal
	ProgAssistiveDeviceFitting
	ProgMinimumLivingAllowance
	ProgExtremePovertySupport
	ProgTemporaryAssistance
	ProgMedicalAssistance
	ProgStudentAid
	ProgWinterHeatingSubsidy
	ProgResidentPensionClaim
	ProgPensionInsuranceEnrolment
	ProgMedicalInsuranceEnrolment
	ProgFuneralSubsidy
	ProgResidenceCertificate
	ProgKinshipCertificate
	ProgConscriptFamilyAllowance
	ProgEntitledGroupPension
	ProgHomesteadApplication
	ProgDilapidatedHouseRenovation
	ProgCollectiveMembership
	ProgFarmlandProtectionSubsidy
	ProgPublicWelfareJob
	ProgEmploymentDifficultyRecognition
)

// ProgramIndex returns the index of the program with the given item code in Programs, or -1.
func ProgramIndex(code string) int {
	for i, p := range Programs {
		if p.Code == code {
			return i
		}
	}
	return -1
}

// Change feed operations.
const (
	OpUpsert = "upsert" // the person's (and their household's) record is new or changed
	OpDelete = "delete" // the person left the district roll
)

// Change is one entry of the district platform's change feed.
type Change struct {
	Seq    uint64 // strictly increasing, starting at 1
	Person int32  // person index
	Op     string // OpUpsert or OpDelete
}

// District is a generated synthetic district. After Generate returns, Persons and
// Households are read-only and District is safe for concurrent use; the change feed may be
// extended with Record, which is also safe for concurrent use.
type District struct {
	Config     Config // with defaults applied
	Persons    []Person
	Households []Household

	byID        map[string]int32 // ID number → person index
	byHousehold map[string]int32 // household No → household index
	villages    []division.Division
	kidStart    []int32 // children of person i: kidList[kidStart[i]:kidStart[i+1]]
	kidList     []int32
	addr        []uint8 // address-code index per person, only during Generate

	mu     sync.RWMutex
	extra  []Change         // changes recorded after generation; seqs continue after len(Persons)
	latest map[int32]uint64 // newest seq of each person changed by Record
}
