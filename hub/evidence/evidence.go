// Package evidence is the hub's model of what the data platforms say about a resident:
// facts with provenance (which platform, which endpoint, which record, when fetched, whether
// stale), conflicts between platforms kept side by side, and the list of evidence that could
// not be obtained. Connectors produce it; the policy engine reads it as input; the application
// form is filled from it.
//
// The package is a leaf of the hub: besides the model (Bundle and its parts) it declares the
// records and source interfaces each platform's connector implements (sources.go), the
// per-request options of an assembly (options.go) and the failure kinds callers classify
// (errors.go), and it imports no connector. The data flows one way: platform → connector
// (connectors/*) → assembler (hub/evidence/assembly) → evidence → policy → service.
//
// The JSON form of Bundle is the `evidence` part of the policy input (see policies/README.md)
// and is therefore a contract between the connectors and the Rego policies: field names change
// only together with the policies and their tests.
package evidence

import (
	"strings"
	"time"
)

// Platform names one of the three data platforms the hub pulls from.
type Platform string

// The platforms. Each field of the evidence model has one authoritative platform (see
// Authority).
const (
	Province Platform = "province" // 省一体化大数据平台: population base data and e-licences
	City     Platform = "city"     // 市大数据平台: social insurance and employment
	District Platform = "district" // 区数据要素融合赋能平台: households, rolls, land
)

// Provenance says where one fact came from.
type Provenance struct {
	Platform  Platform  `json:"platform"`
	Endpoint  string    `json:"endpoint"`   // e.g. "rkjc/query", "insured-persons:batchGet"
	Record    string    `json:"record"`     // record id or GB/T 36904 licence identifier
	FetchedAt time.Time `json:"fetched_at"` // when the hub received it from the platform
	Stale     bool      `json:"stale"`      // served from cache after the platform failed
}

// Conflict records two or more platforms disagreeing on one field. Conflicts are never
// resolved silently: the authoritative platform's value is used in the record, and the
// conflict stays on the bundle so policy can return "undetermined" and a cadre can see it.
type Conflict struct {
	Field     string          `json:"field"`     // dotted path, e.g. "applicant.deceased", "applicant.village"
	Authority Platform        `json:"authority"` // platform whose value the record carries
	Values    []ConflictValue `json:"values"`
}

// ConflictValue is one platform's version of a conflicting field.
type ConflictValue struct {
	Platform Platform `json:"platform"`
	Value    any      `json:"value"`
	Record   string   `json:"record,omitempty"`
}

// Hukou types (户口性质).
const (
	HukouAgricultural    = "agricultural"     // 农业户口
	HukouNonAgricultural = "non_agricultural" // 非农业户口
)

// Person is the merged record of one resident. Dates are "YYYY-MM-DD"; an empty string means
// the platform holds no value (never a zero value passed on as a fact).
type Person struct {
	IDNumber    string `json:"id_number"` // full 18-character ID; masked before it leaves the hub
	Name        string `json:"name"`
	Sex         string `json:"sex"` // "M" or "F"
	BirthDate   string `json:"birth_date"`
	Ethnicity   string `json:"ethnicity,omitempty"`
	HukouType   string `json:"hukou_type"`             // HukouAgricultural or HukouNonAgricultural
	Village     string `json:"village"`                // 12-digit village code (district roll is authoritative)
	HouseholdID string `json:"household_id,omitempty"` // 户号 at the district platform
	Relation    string `json:"relation,omitempty"`     // to the household head: head, spouse, son, daughter, father, mother, grandson, granddaughter, daughter_in_law, son_in_law, other
	Marital     string `json:"marital,omitempty"`      // single, married, divorced, widowed
	Deceased    bool   `json:"deceased"`
	DeathDate   string `json:"death_date,omitempty"`

	Licences  []Licence  `json:"licences"`            // e-licences held (province)
	Insurance *Insurance `json:"insurance,omitempty"` // city; nil when not obtained
	Rolls     *Rolls     `json:"rolls,omitempty"`     // district; nil when not obtained
}

// Licence is one e-licence (电子证照) from the province platform.
type Licence struct {
	ID         string `json:"id"`          // GB/T 36904-2018 identifier
	Type       string `json:"type"`        // id_card, household_register, marriage, divorce, disability, only_child_honour, birth, death, real_estate
	Number     string `json:"number"`      // 证照编号
	Issuer     string `json:"issuer"`      // issuing office name
	IssuerUSCC string `json:"issuer_uscc"` // GB 32100-2015 code of the issuer
	IssuedOn   string `json:"issued_on"`
	ValidUntil string `json:"valid_until,omitempty"` // empty = long-term (长期)
	Status     string `json:"status"`                // valid, expired, revoked
	// Type-specific attributes:
	//   disability: category (visual, hearing, speech, physical, intellectual, mental, multiple), grade 1-4
	//   marriage / divorce: spouse_id_number
	//   only_child_honour: child_id_number
	//   birth: child_id_number, mother_id_number, father_id_number
	//   death: death_date
	//   real_estate: address, area_m2
	Attrs map[string]any `json:"attrs,omitempty"`
}

// Insurance is what the city platform holds about a resident.
type Insurance struct {
	Pension              string  `json:"pension"` // not_enrolled, enrolled (paying), receiving, suspended
	PensionSince         string  `json:"pension_since,omitempty"`
	PensionMonthly       float64 `json:"pension_monthly,omitempty"` // yuan, when receiving
	Medical              string  `json:"medical"`                   // not_enrolled, enrolled
	MedicalYear          int     `json:"medical_year,omitempty"`    // last year paid
	Employment           string  `json:"employment"`                // employed, unemployed_registered, not_in_labour_force, unknown
	UnemployedSince      string  `json:"unemployed_since,omitempty"`
	EmploymentDifficulty bool    `json:"employment_difficulty"` // 就业困难人员 already recognised
}

// Rolls is what the district platform holds: village membership, assistance rolls, current
// subsidy enrolments, land and homestead. LandMu and Homestead come from the district
// household record only: nil when that record was not read (AssembleOptions.SkipHouseholdRecord)
// or could not be, so a LandMu of 0 is a fact (a household without contracted land), never a
// default.
type Rolls struct {
	Dibao            bool       `json:"dibao"`               // household on the 低保 (minimum living allowance) roll
	Tekun            bool       `json:"tekun"`               // person in 特困供养 (extreme poverty support)
	Enrolled         []string   `json:"enrolled"`            // item codes the person currently receives
	Veteran          string     `json:"veteran,omitempty"`   // 优抚 category: conscript_family, disabled_veteran, martyr_family, demobilised, "" none
	InSchool         string     `json:"in_school,omitempty"` // primary, junior, senior, vocational, university, "" none
	CollectiveMember bool       `json:"collective_member"`   // 集体经济组织成员 recorded
	LandMu           *float64   `json:"land_mu,omitempty"`   // contracted farmland, mu; nil when not obtained
	Homestead        *Homestead `json:"homestead,omitempty"`
	Deceased         bool       `json:"deceased"` // the village roll's view (may lag the province)
}

// Homestead is a household's 宅基地 record.
type Homestead struct {
	AreaM2     float64 `json:"area_m2"`
	HouseGrade string  `json:"house_grade"` // safety grade A (safe) .. D (dangerous)
}

// Links of a child to the applicant (Child.Links): how the platforms know them as parent and
// child.
const (
	LinkHousehold        = "household"         // the district household: a son or daughter of the head and spouse, or the head of the head's parents
	LinkOnlyChildHonour  = "only_child_honour" // the applicant's only-child parents' honour certificate names the child
	LinkBirthCertificate = "birth_certificate" // a birth certificate names the applicant as mother or father (province kinship record)
	LinkPopulationBase   = "population_base"   // the province population base links parent and child (kinship record without a certificate)
)

// Child is one child of the applicant as the platforms link them, wherever the child lives:
// the child's own province record and licences (death, disability) and how each platform
// links the child to the applicant.
type Child struct {
	Person
	Links          []string `json:"links"`                      // Link* values, sorted, at least one
	MotherIDNumber string   `json:"mother_id_number,omitempty"` // the child's mother per the kinship record or birth certificate
	FatherIDNumber string   `json:"father_id_number,omitempty"`
}

// Bundle is the evidence for one application: the applicant, the household, provenance per
// field, conflicts and what is missing. Safe to share read-only between goroutines once built.
type Bundle struct {
	Applicant Person   `json:"applicant"`
	Household []Person `json:"household"` // other members of the applicant's household (district view), each with licences
	// Children are the applicant's children wherever they live (household, honour certificate,
	// province kinship records); read only when the options ask for province.kinship, else
	// empty. A child living in the household appears in Household too.
	Children []Child `json:"children"`
	// Provenance maps a dotted field path ("applicant.birth_date", "applicant.rolls.dibao",
	// "household.1.licences.0") to where it came from.
	Provenance map[string]Provenance `json:"provenance"`
	Conflicts  []Conflict            `json:"conflicts"`
	// Missing lists evidence that could not be obtained, as "<platform>.<kind>": province.person,
	// province.licences, province.kinship, city.insurance, district.household, district.rolls.
	Missing []string `json:"missing"`
	// Stale is true when any part was served from cache after a platform failure.
	Stale bool `json:"stale"`
	// Claimant is set by the service, not the assembler, when the bundle is the evidence of a
	// benefit's subject other than the applicant (the deceased of a funeral subsidy): the
	// person who applies for it. Nil otherwise.
	Claimant *Claimant `json:"claimant,omitempty"`
	// Failures maps each Missing entry to the error that caused it (for logs, metrics and
	// the cadre's screen: "connectors: province: circuit open"). Not part of the policy
	// input; the errors carry no personal data.
	Failures map[string]error `json:"-"`
}

// Claimant is the person who applies for a benefit whose subject is someone else.
type Claimant struct {
	IDNumber string `json:"id_number"`
}

// Authority names the authoritative platform per top-level field of Person.
var Authority = map[string]Platform{
	"id_number":    Province,
	"name":         Province,
	"sex":          Province,
	"birth_date":   Province,
	"ethnicity":    Province,
	"hukou_type":   Province,
	"deceased":     Province,
	"death_date":   Province,
	"marital":      Province,
	"licences":     Province,
	"village":      District,
	"household_id": District,
	"relation":     District,
	"insurance":    City,
	"rolls":        District,
}

// ProvenanceOf returns the provenance of a dotted field path, falling back to the nearest
// recorded ancestor ("applicant.rolls.dibao" -> "applicant.rolls").
func (b Bundle) ProvenanceOf(path string) (Provenance, bool) {
	for p := path; p != ""; {
		if pv, ok := b.Provenance[p]; ok {
			return pv, true
		}
		i := strings.LastIndexByte(p, '.')
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return Provenance{}, false
}
