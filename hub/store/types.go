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
}
