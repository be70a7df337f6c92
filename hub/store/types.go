package store

// Resident is one row of the resident snapshot synced from the district platform (used by the proactive scan).
//
// In a batch given to Store.ApplySnapshot, Deleted marks a removal from the snapshot instead
// of an upsert: only IDNumber is read, and the resident's row and enrolments are deleted.
// Rows read from the store never have Deleted set.
type Resident struct {
	IDNumber, Name, Sex /*M|F*/, BirthDate /*YYYY-MM-DD*/, HukouType, Village, HouseholdID, Relation string
	Deceased, Dibao, Tekun                                                                           bool
	DisabilityCategory                                                                               string
	DisabilityGrade                                                                                  int
	Veteran                                                                                          string
	Enrolled                                                                                         []string /*item codes*/
	LandMu                                                                                           float64
	// The roll's school level, collective membership and the household's homestead; the store
	// derives the town (the village code's 9-digit prefix) from Village.
	InSchool         string
	CollectiveMember bool
	HomesteadM2      float64
	HouseGrade       string
	UpdatedSeq       int64
	Deleted          bool
	// OtherRolls are the entries of other villages' rolls that still name the resident
	// (Enrolled is their own village's); replaced with the row.
	OtherRolls []RollEntry
}

// RollEntry is one entry of a village's subsidy roll: the item and the village (12-digit
// code) whose roll it is.
type RollEntry struct {
	Item, Village string
}

// OtherRoll is a resident's entry on another village's roll as the supervision scan reads it,
// with the resident's own village and whether that village's roll has them on the item too.
type OtherRoll struct {
	IDNumber string
	RollEntry
	HomeVillage  string
	HomeEnrolled bool
}
