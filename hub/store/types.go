package store

// Resident is one row of the resident snapshot synced from the district platform (used by the proactive scan).
type Resident struct {
	IDNumber, Name, Sex /*M|F*/, BirthDate /*YYYY-MM-DD*/, HukouType, Village, HouseholdID, Relation string
	Deceased, Dibao, Tekun                                                                           bool
	DisabilityCategory                                                                               string
	DisabilityGrade                                                                                  int
	Veteran                                                                                          string
	Enrolled                                                                                         []string /*item codes*/
	LandMu                                                                                           float64
	UpdatedSeq                                                                                       int64
}
