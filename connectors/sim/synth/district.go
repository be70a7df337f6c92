package synth

import (
	"sanmian/hub/division"
)

// PersonByID returns the person with the given ID number and its index. The pointer is
// into Persons and must not be modified.
func (d *District) PersonByID(id string) (*Person, int32, bool) {
	i, ok := d.byID[id]
	if !ok {
		return nil, -1, false
	}
	return &d.Persons[i], i, true
}

// HouseholdByNo returns the household with the given 户号.
func (d *District) HouseholdByNo(no string) (*Household, bool) {
	i, ok := d.byHousehold[no]
	if !ok {
		return nil, false
	}
	return &d.Households[i], true
}

// Village returns the village of p's household as the district platform holds it.
func (d *District) Village(p *Person) division.Division {
	return d.villages[d.Households[p.Household].Village]
}

// HukouVillage returns p's village in the province's household register; it differs from
// Village(p) for a household that moved between villages.
func (d *District) HukouVillage(p *Person) division.Division {
	return d.villages[p.HukouVillage]
}

// VillageAt returns the village with the given index (Household.Village, Person.HukouVillage).
func (d *District) VillageAt(i int16) division.Division {
	return d.villages[i]
}

// Age returns p's age in whole years on the reference date (at death for the deceased).
func (d *District) Age(p *Person) int {
	on := DateOf(d.Config.Reference)
	if p.Death != 0 {
		on = p.Death
	}
	return ageOn(p.Birth, on)
}

// ageOn returns the age in whole years of someone born on birth, on the date on.
func ageOn(birth, on Date) int {
	a := on.Year() - birth.Year()
	if on.Month()*100+on.Day() < birth.Month()*100+birth.Day() {
		a--
	}
	return a
}

// Changes returns up to limit entries of the change feed with Seq > after, in Seq order.
// The feed starts with every person once, in index order, as OpUpsert (Seq = index+1), and
// continues with the changes recorded by Record. Safe for concurrent use.
func (d *District) Changes(after uint64, limit int) []Change {
	if limit <= 0 {
		return nil
	}
	n := uint64(len(d.Persons))
	var out []Change
	for s := after + 1; s <= n && len(out) < limit; s++ {
		out = append(out, Change{Seq: s, Person: int32(s - 1), Op: OpUpsert})
	}
	if len(out) == limit {
		return out
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	start := uint64(0)
	if after > n {
		start = after - n
	}
	for i := start; i < uint64(len(d.extra)) && len(out) < limit; i++ {
		out = append(out, d.extra[i])
	}
	return out
}

// LastSeq returns the sequence number of the newest change in the feed.
func (d *District) LastSeq() uint64 {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return uint64(len(d.Persons)) + uint64(len(d.extra))
}

// Record appends a change for person to the feed and returns its sequence number. The
// simulators call it when they change a person's data. Safe for concurrent use.
func (d *District) Record(person int32, op string) uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	seq := uint64(len(d.Persons)) + uint64(len(d.extra)) + 1
	d.extra = append(d.extra, Change{Seq: seq, Person: person, Op: op})
	if d.latest == nil {
		d.latest = map[int32]uint64{}
	}
	d.latest[person] = seq
	return seq
}

// PersonSeq returns the sequence number of the newest change of person i (its version for
// the district platform's snapshot sync). Safe for concurrent use.
func (d *District) PersonSeq(i int32) uint64 {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if s, ok := d.latest[i]; ok {
		return s
	}
	return uint64(i) + 1
}

// OtherRoll is one entry of another village's roll naming a person: the programme (index in
// Programs) and the village (index, as Household.Village) that still pays it.
type OtherRoll struct {
	Program int
	Village int16
}

// villagePaidPrograms are the allowances a village pays a person from its own roll (not a
// household's, not a death's, not an insurance registration): the rolls a village that a
// person moved away from may fail to update.
var villagePaidPrograms = []int{ProgElderlyAllowance, ProgRuralFamilyPlanningReward, ProgFamilyPlanningSpecialSupport,
	ProgOnlyChildParentReward, ProgHardshipDisabilitySubsidy, ProgSevereDisabilityCareSubsidy}

// OtherRolls returns the entries of other villages' rolls that name person i (derived, not
// stored): for about half of the living persons of a household that moved between villages,
// the old village (the one the province's register still shows) never took them off its
// rolls, so each village-paid allowance they receive in their new village is paid by the old
// one too (InconsistencyRollInTwoVillages). nil for everyone else.
func (d *District) OtherRolls(i int32) []OtherRoll {
	p := &d.Persons[i]
	if p.Death != 0 || p.Household < 0 || p.HukouVillage == d.Households[p.Household].Village {
		return nil
	}
	if d.hashRand(i, 0x6f72).IntN(2) != 0 {
		return nil
	}
	var out []OtherRoll
	for _, pr := range villagePaidPrograms {
		if p.IsEnrolled(pr) {
			out = append(out, OtherRoll{Program: pr, Village: p.HukouVillage})
		}
	}
	return out
}
