package synth

import (
	"fmt"

	"sanmian/hub/division"
	"sanmian/hub/ident"
)

// merge concatenates the chunks in order, rebasing their local indexes.
func merge(cfg Config, villages []division.Division, chunks []*gen) *District {
	np, nh, nm := 0, 0, 0
	for _, g := range chunks {
		np += len(g.persons)
		nh += len(g.hh)
		nm += len(g.members)
	}
	d := &District{
		Config:     cfg,
		Persons:    make([]Person, 0, np),
		Households: make([]Household, 0, nh),
		villages:   villages,
	}
	members := make([]int32, 0, nm)
	addr := make([]uint8, 0, np)
	for ci, g := range chunks {
		po, ho := int32(len(d.Persons)), int32(len(d.Households))
		rebase := func(x int32) int32 {
			if x < 0 {
				return x
			}
			return x + po
		}
		for i := range g.persons {
			p := g.persons[i]
			p.Household += ho
			p.Spouse, p.Father, p.Mother = rebase(p.Spouse), rebase(p.Father), rebase(p.Mother)
			d.Persons = append(d.Persons, p)
		}
		addr = append(addr, g.addr...)
		for _, h := range g.hh {
			start := len(members)
			for _, m := range h.Members {
				members = append(members, m+po)
			}
			h.Members = members[start:len(members):len(members)]
			d.Households = append(d.Households, h)
		}
		chunks[ci] = nil // let the chunk go
	}
	d.kidStart, d.kidList = childIndex(d.Persons)
	d.addr = addr
	return d
}

// assignIdentifiers gives every person a unique ID number (sequence drawn at random per
// address code and birth date, redrawn on collision, odd for men) and every household its
// 户号, then builds the lookup indexes. It runs sequentially in person order, so it is
// deterministic.
func (d *District) assignIdentifiers() error {
	r := newStream(d.Config.Seed, 0x6964656e74)
	used := make(map[uint64]*[16]uint64, 1<<16)
	d.byID = make(map[string]int32, len(d.Persons))
	for i := range d.Persons {
		p := &d.Persons[i]
		key := uint64(d.addr[i])<<32 | uint64(uint32(p.Birth))
		bits := used[key]
		if bits == nil {
			bits = new([16]uint64)
			used[key] = bits
		}
		male := 0
		if p.Sex == 'M' {
			male = 1
		}
		seq := -1
		for try := 0; try < 32; try++ {
			s := 2*r.IntN(500) + male
			if bits[s/64]&(1<<(s%64)) == 0 {
				seq = s
				break
			}
		}
		if seq < 0 {
			for s := male; s < 1000; s += 2 {
				if bits[s/64]&(1<<(s%64)) == 0 {
					seq = s
					break
				}
			}
		}
		if seq < 0 {
			return fmt.Errorf("%w: sequence space exhausted for one birth date", ErrIdentifier)
		}
		bits[seq/64] |= 1 << (seq % 64)
		id, err := ident.NewIDNumber(addressCodes[d.addr[i]], p.Birth.Time(), seq)
		if err != nil {
			return fmt.Errorf("%w: person %d: %w", ErrIdentifier, i, err)
		}
		if _, dup := d.byID[id]; dup {
			return fmt.Errorf("%w: duplicate ID number for person %d", ErrIdentifier, i)
		}
		p.ID = id
		d.byID[id] = int32(i)
	}
	d.addr = nil

	serial := make([]int, len(d.villages))
	d.byHousehold = make(map[string]int32, len(d.Households))
	for h := range d.Households {
		hh := &d.Households[h]
		serial[hh.Village]++
		if serial[hh.Village] > 999999 {
			return fmt.Errorf("%w: more than 999999 households in one village", ErrIdentifier)
		}
		hh.No = formatHouseholdNo(int(hh.Village), serial[hh.Village])
		d.byHousehold[hh.No] = int32(h)
	}
	return nil
}

// view returns the eligibility view of the whole district.
func (d *District) view() *view {
	ref := DateOf(d.Config.Reference)
	return &view{persons: d.Persons, hh: d.Households, kidStart: d.kidStart, kidList: d.kidList, ref: ref, refDay: ref.day()}
}

// Children returns the indexes of person i's children, eldest first, including deceased
// ones. The slice must not be modified.
func (d *District) Children(i int32) []int32 { return d.kidList[d.kidStart[i]:d.kidStart[i+1]] }

// LikelyEligible returns the codes of the programs person i is likely eligible for, by the
// simple heuristics that shape the synthetic rolls. The hub's policy bundle makes the real
// decision; this only tells a demo which items are worth trying.
func (d *District) LikelyEligible(i int32) []string {
	return codes(d.view().likelyNow(i))
}

// codes lists the program codes of the bits set in mask, in Programs order.
func codes(mask uint32) []string {
	var out []string
	for k, p := range Programs {
		if mask&(1<<k) != 0 {
			out = append(out, p.Code)
		}
	}
	return out
}
