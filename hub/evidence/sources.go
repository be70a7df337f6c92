package evidence

import "context"

// The records below are what each platform's connector returns, already mapped from the
// vendor's wire format into the hub's model, each with the provenance of the record it came
// from. The assembler (hub/evidence/assembly) merges them into a Bundle. Provenance.Record
// carries the masked ID number for person records (never the full number), the household
// number for household records and the GB/T 36904 identifier for licences.

// ProvinceRecord is the province's population base record (人口基础信息) of one person.
type ProvinceRecord struct {
	// Person carries the fields the province is authoritative for: IDNumber, Name, Sex,
	// BirthDate, Ethnicity, HukouType, Marital, Deceased, DeathDate. Licences, Insurance
	// and Rolls are empty.
	Person       Person
	HukouVillage string // 户籍区划: the village of the household register (12 digits)
	HouseholdID  string // 户号 in the household register
	Relation     string // relation to the household head per the register (Person.Relation codes)
	Provenance   Provenance
}

// LicenceRecord is one e-licence with its provenance (Record = the licence identifier).
type LicenceRecord struct {
	Holder     string // holder's ID number
	Licence    Licence
	Provenance Provenance
}

// CityRecord is what the city platform holds about one insured person.
type CityRecord struct {
	IDNumber   string
	Name       string
	Insurance  Insurance
	Provenance Provenance
}

// DistrictResident is the district platform's record of one resident (village roll).
type DistrictResident struct {
	IDNumber           string
	Name               string
	Village            string // 12-digit village code
	HouseholdID        string
	Relation           string // Person.Relation codes
	Rolls              Rolls  // person-level rolls; LandMu and Homestead come from the household
	DisabilityCategory string // district disability roll (the province licence is authoritative)
	DisabilityGrade    int
	Provenance         Provenance
}

// DistrictHousehold is the district platform's record of one household (户).
type DistrictHousehold struct {
	HouseholdID string
	Village     string
	HukouType   string // of the household head
	Members     []HouseholdMember
	Dibao       bool
	LandMu      float64
	Homestead   *Homestead
	Provenance  Provenance
}

// HouseholdMember is one member as listed by the district household record.
type HouseholdMember struct {
	IDNumber string
	Name     string
	Relation string
}

// ProvinceSource is the province platform as the Assembler uses it. Both methods take up to
// any number of ID numbers and batch them; IDs the province does not know are absent from
// the result (not an error).
type ProvinceSource interface {
	Persons(ctx context.Context, ids []string) (map[string]ProvinceRecord, error)
	Licences(ctx context.Context, holders []string) (map[string][]LicenceRecord, error)
	// Children returns the children the province links to each parent (register and birth
	// certificates), wherever they live; parents without children are absent.
	Children(ctx context.Context, parents []string) (map[string][]KinshipRecord, error)
}

// KinshipRecord is one parent-child link the province holds (亲属关系: the population base
// register and birth certificates).
type KinshipRecord struct {
	Parent         string // the ID number asked about
	Child          string // the child's ID number
	Name           string // the child's name
	Sex            string // "M" or "F"
	Certificate    string // GB/T 36904 identifier of the birth certificate; "" when the link is the register's
	MotherIDNumber string // the child's mother and father per the record ("" when not named)
	FatherIDNumber string
	Provenance     Provenance
}

// CitySource is the city platform as the Assembler uses it: a batch get; unknown IDs are
// absent from the result.
type CitySource interface {
	Insurance(ctx context.Context, ids []string) (map[string]CityRecord, error)
}

// DistrictSource is the district platform as the Assembler uses it: one call per resident
// and per household (the platform has no batch endpoint). An unknown resident or household
// is an error matching ErrNotFound (errors.Is).
type DistrictSource interface {
	Resident(ctx context.Context, id string) (DistrictResident, error)
	Household(ctx context.Context, householdID string) (DistrictHousehold, error)
}

// HouseholdIndex is an optional local index of household membership, typically the
// resident snapshot synced from the district change feed. With it the Assembler asks all
// three platforms for the whole household at once (cost: the slowest platform) instead of
// first asking the district who the members are. It is only a hint: the district's live
// answer decides membership, and members the hint missed are fetched afterwards.
type HouseholdIndex interface {
	// HouseholdMembers returns the household number and member ID numbers (the resident
	// included) of the household id belongs to; ok is false when id is not in the index.
	HouseholdMembers(ctx context.Context, id string) (householdID string, members []string, ok bool, err error)
}
