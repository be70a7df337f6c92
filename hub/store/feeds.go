package store

import "context"

// Feed names under which the sync cursors of the scan data are saved.
const (
	FeedDistrictResidents = "district.residents" // the district's change feed (residents table)
	FeedProvinceBackflow  = "province.backflow"  // the province's backflow (数据回流)
	FeedCityEnrolments    = "city.enrolments"    // the city's enrolment changes
)

// Sources of a parent-child link.
const (
	LinkBirthCertificate = "birth_certificate" // the child's birth certificate names the parent
	LinkOnlyChildHonour  = "only_child_honour" // the parent's only-child honour names the child
	LinkHousehold        = "household"         // household relations on the district roll
)

// ProvinceFacts is what the province's backflow feed says about one resident: the household
// register's hukou type and village, death, and the licences the eligibility rules read.
//
// In a batch given to ApplyProvinceFacts, Deleted marks a withdrawal (the province no longer
// backflows the person): only IDNumber is read, and the row and the links it stated go.
type ProvinceFacts struct {
	IDNumber     string
	HukouType    string // agricultural | non_agricultural
	HukouVillage string // 12-digit village code of the household register
	Deceased     bool
	DeathDate    string // YYYY-MM-DD; may be empty when Deceased
	// The resident's newest disability certificate; all empty/zero without one.
	DisabilityNumber     string
	DisabilityCategory   string // visual, hearing, speech, physical, intellectual, mental, multiple
	DisabilityGrade      int    // 1 (most severe) .. 4
	DisabilityValidUntil string // YYYY-MM-DD; empty when long-term
	DisabilityStatus     string // valid | expired | revoked
	OnlyChildHonour      bool   // holds an only-child parents' honour certificate
	SpouseID             string // spouse named by the newest marriage certificate, unless divorced since
	// Links are the parent-child links this record states (its birth certificate: parents →
	// this resident; its only-child honour: this resident → the child). They replace the
	// links the resident's previous record stated.
	Links      []ChildLink
	UpdatedSeq int64
	Deleted    bool
}

// ChildLink is one parent → child link and where it comes from (a Link* constant).
type ChildLink struct {
	ParentID, ChildID, Source string
}

// CityEnrolment is the city's record of one resident's social insurance.
//
// In a batch given to ApplyCityEnrolments, Deleted marks a removal: only IDNumber is read.
type CityEnrolment struct {
	IDNumber             string
	Pension              string // not_enrolled | enrolled | receiving | suspended
	PensionSince         string // YYYY-MM-DD: enrolment, or start of receipt when receiving
	PensionMonthly       float64
	Medical              string // enrolled | not_enrolled
	MedicalYear          int
	Employment           string // employed | unemployed_registered | not_in_labour_force
	UnemployedSince      string
	EmploymentDifficulty bool
	UpdatedSeq           int64
	Deleted              bool
}

// ScanResident is one row of scan_residents: a resident of the district roll with the
// province's and the city's facts joined (a view on PostgreSQL; on SQLite a table the store
// keeps current with every page a feed applies, so that a pass reads one B-tree). Deceased is true when the province or the
// village roll records the death; DeceasedSource is "province", "district", "both" or "".
type ScanResident struct {
	Resident
	Town           string
	Deceased       bool
	DeceasedSource string
	Province       ProvinceFacts // without Links; zero when ProvinceSynced is false
	City           CityEnrolment // zero when CitySynced is false
	ProvinceSynced bool
	CitySynced     bool
}

// PassScope is what a ScanPass reads: the residents of Division (a code prefix, "" for the
// district), and with Delta only those marked changed after ChangedAfter (ChangedAfterSQL).
// At is the scan date (YYYY-MM-DD) the derived columns are computed as of; a pass whose
// filters or expressions read a derived column that depends on the date needs it.
// HouseholdMembers names predicates over a household member's row (boolean SQL over
// scan_residents, alias scan_residents, as a compiled policy writes them) for the derived
// columns HouseholdMembersPrefix + name.
type PassScope struct {
	Division         string
	Delta            bool
	ChangedAfter     int64
	At               string
	HouseholdMembers map[string]string
}

// Derived columns: facts over other rows than the resident's own that a ScanPass's filters
// and expressions may read as columns of scan_residents (alias scan_residents), computed by
// the store as of PassScope.At. They are not columns of the rows ScanPass passes to fn.
const (
	// HouseholdLastDeath is the latest death date the province records, on or before At,
	// of the resident or a member of their household ("" when none).
	HouseholdLastDeath = "household_last_death"
	// ChildDeceased is true when the province records a child of the resident (a link of
	// ChildLinksOf: licences, kinship or household relations) as deceased.
	ChildDeceased = "child_deceased"
	// ChildDisabilityGrade is the most severe grade (the smallest) of the disability
	// certificates of the resident's children that are valid on At (status valid, not past
	// valid_until), 0 when none.
	ChildDisabilityGrade = "child_disability_grade"
	// HouseholdEnrolledPrefix followed by an item code (lower-case letters, digits and
	// underscores) names a derived column that is true when another member of the resident's
	// household (the same household number, living or not) is on that item's roll. It does
	// not depend on At.
	HouseholdEnrolledPrefix = "household_enrolled_"
	// HouseholdMembersPrefix followed by a name of PassScope.HouseholdMembers (lower-case
	// letters, digits and underscores) names a derived column: the number of the other members
	// of the resident's household whose rows satisfy that predicate (0 without a household).
	// A pass reading it for a name the scope does not define is refused (ErrInvalid).
	HouseholdMembersPrefix = "household_members_"
)

// ItemFilter is one item's compiled filters for ScanBulkReader.ScanPass: Eligible and Keeps
// are boolean SQL expressions over the scan_residents view (alias scan_residents).
type ItemFilter struct {
	Item     string // the item whose roll is consulted
	Eligible string // the resident is eligible, the roll aside
	Keeps    string // an enrolment needs no supervision check; "" selects no enrolment (a screen)
}

// FeedCounts are the row counts of the synced scan data.
type FeedCounts struct {
	Residents, Province, City, ChildLinks int64
}

// ResidentFeedStore is where the district's change feed is synced (residents, enrolments).
type ResidentFeedStore interface {
	// SyncCursor returns the saved cursor of a feed ("" if never synced).
	SyncCursor(ctx context.Context, feed string) (string, error)
	// ApplySnapshot: see Store.ApplySnapshot.
	ApplySnapshot(ctx context.Context, feed string, rows []Resident, nextCursor string) error
}

// BackflowStore is where the province's backflow feed is synced.
type BackflowStore interface {
	SyncCursor(ctx context.Context, feed string) (string, error)
	// ApplyProvinceFacts applies rows and saves nextCursor for feed in one transaction: a row
	// upserts the resident's province facts and replaces the child links the resident's
	// record states; a row with Deleted set removes both (nothing to remove is not an error).
	// When an ID number occurs more than once, its last row decides. Applying the same batch
	// twice leaves the same state. Rows need no district row: the feeds sync independently.
	ApplyProvinceFacts(ctx context.Context, feed string, rows []ProvinceFacts, nextCursor string) error
}

// EnrolmentStore is where the city's enrolment feed is synced.
type EnrolmentStore interface {
	SyncCursor(ctx context.Context, feed string) (string, error)
	// ApplyCityEnrolments applies rows and saves nextCursor for feed in one transaction, with
	// the same upsert, delete, last-row-wins and replay rules as ApplyProvinceFacts.
	ApplyCityEnrolments(ctx context.Context, feed string, rows []CityEnrolment, nextCursor string) error
}

// ScanDataReader reads the synced scan data back.
type ScanDataReader interface {
	// GetProvinceFacts returns a resident's province facts with the links their record
	// states, or ErrNotFound.
	GetProvinceFacts(ctx context.Context, idNumber string) (ProvinceFacts, error)
	// GetCityEnrolment returns a resident's city record, or ErrNotFound.
	GetCityEnrolment(ctx context.Context, idNumber string) (CityEnrolment, error)
	// GetScanResident returns the resident's scan_residents row, or ErrNotFound when the
	// resident is not on the synced district roll.
	GetScanResident(ctx context.Context, idNumber string) (ScanResident, error)
	// ChildrenOf returns the links from parentID in the child_links view (licences and
	// household relations), ordered by child and source.
	ChildrenOf(ctx context.Context, parentID string) ([]ChildLink, error)
	// CountFeeds counts the synced rows.
	CountFeeds(ctx context.Context) (FeedCounts, error)
	ScanBulkReader
}

// ScanBulkReader reads the synced scan data in bulk for the district scans.
type ScanBulkReader interface {
	// EachScanResident calls fn for every scan_residents row whose village starts with
	// division ("" for all), ordered by ID number, with the items the resident is enrolled
	// in (sorted). The row passed to fn is reused: fn copies what it keeps. An error from fn
	// stops the walk and is returned.
	EachScanResident(ctx context.Context, division string, fn func(r *ScanResident, enrolled []string) error) error
	// EachScanResidentOf is EachScanResident restricted to the residents ids in division
	// (named true) and, as context for their evidence (named false), the other members of
	// their households and the children linked to them, wherever these live (a live decision
	// reads them so); ordered by ID number. An ID number not on the roll or outside division
	// is not named.
	EachScanResidentOf(ctx context.Context, division string, ids []string, fn func(r *ScanResident, enrolled []string, named bool) error) error
	// AllChildLinks returns every link of the child_links view.
	AllChildLinks(ctx context.Context) ([]ChildLink, error)
	// ChildLinksOf returns the child_links rows (licences and household relations) whose
	// parent is one of parents, ordered by parent, child and source.
	ChildLinksOf(ctx context.Context, parents []string) ([]ChildLink, error)
	// FilterScanResidents returns the ID numbers and villages of the scan_residents rows
	// (alias scan_residents) in division that satisfy where, a boolean SQL expression over the
	// view's columns in the store's dialect (as compiled from a policy), ordered by ID number.
	// where is trusted code, never user input.
	FilterScanResidents(ctx context.Context, division, where string) (ids, villages []string, err error)
	// ScanPass runs the compiled filters of several items in one pass over the
	// scan_residents rows in division: it selects the rows that are on some filter's worklist
	// (Eligible holds, the resident is not on Item's roll) or supervision list (on Item's roll,
	// Keeps does not hold; no enrolment when Keeps is ""), and calls fn for each, ordered by
	// ID number, with its enrolments (sorted) and the values of exprs (boolean SQL
	// expressions over the view, evaluated on the selected rows only). A division of a town
	// or finer reads that town's data only (on PostgreSQL its partition). The row passed to
	// fn is reused. Filters and exprs are trusted code, never user input.
	ScanPass(ctx context.Context, scope PassScope, filters []ItemFilter, exprs []string, fn func(r *ScanResident, enrolled []string, vals []bool) error) error
	// CountScanResidents counts the scan_residents rows in division.
	CountScanResidents(ctx context.Context, division string) (int, error)
	// OtherRolls returns the entries of other villages' rolls (Resident.OtherRolls) of the
	// residents whose own village is in division, ordered by ID number, item and village.
	OtherRolls(ctx context.Context, division string) ([]OtherRoll, error)
}
