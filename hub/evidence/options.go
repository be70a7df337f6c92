package evidence

import (
	"slices"
	"strings"
)

// Missing entries (Bundle.Missing).
const (
	MissingProvincePerson    = "province.person"
	MissingProvinceLicences  = "province.licences"
	MissingCityInsurance     = "city.insurance"
	MissingDistrictHousehold = "district.household"
	MissingDistrictRolls     = "district.rolls"
	MissingProvinceKinship   = "province.kinship"
)

// AssembleOptions are the per-request choices of an evidence assembly (what to read from
// the platforms), usually derived from the item's policy with NeedsOptions.
type AssembleOptions struct {
	// AllowStale lets the Assembler serve cached evidence past its TTL, marked stale, when
	// a platform fails (within the kind's max_stale); otherwise a failed platform's kinds are
	// Missing.
	AllowStale bool
	// StaleKinds, with AllowStale, narrows it to these evidence kinds (Missing names); nil
	// or empty means every kind. The district resident record carries the village
	// (district.household) and the rolls (district.rolls), so it is served stale only when
	// district.household is listed, and district.rolls too when Kinds asks for it.
	StaleKinds []string
	// ApplicantOnly skips the other household members (the applicant's household record is
	// still read for household-level rolls).
	ApplicantOnly bool
	// SkipHouseholdRecord, with ApplicantOnly, does not read the household record either:
	// the applicant's resident record still gives the village, relation and rolls, but the
	// household's land and homestead (Rolls.LandMu, Rolls.Homestead) are then absent. When
	// the resident record cannot be read, both district.rolls and district.household are
	// Missing, as without this option.
	SkipHouseholdRecord bool
	// Kinds lists the evidence kinds (the Missing names: province.person, province.licences,
	// city.insurance, district.household, district.rolls) the caller needs; nil or empty means
	// all. Only the optional kinds are ever skipped: province.licences (the dzzz/query call)
	// and city.insurance (the city token and batchGet). The person records of the province
	// and the district and the household record are always read, because they carry the
	// village, the relation and the cross-level conflicts (deceased, village, name) the
	// policies rely on. A skipped kind is neither fetched nor reported Missing; the bundle
	// then carries no licences (empty list, no provenance) or no insurance (nil).
	// province.kinship (the applicant's children wherever they live: the qsgx/query call and
	// the children's own records) is read only when Kinds lists it, never by default.
	Kinds []string
}

// StaleOK reports whether evidence of kind (a Missing name) may be served stale.
func (o AssembleOptions) StaleOK(kind string) bool {
	return o.AllowStale && (len(o.StaleKinds) == 0 || slices.Contains(o.StaleKinds, kind))
}

// WantsChildren reports whether the options ask for the applicant's children
// (province.kinship), which are never read by default.
func (o AssembleOptions) WantsChildren() bool {
	return slices.Contains(o.Kinds, MissingProvinceKinship)
}

// Wants reports whether the options ask for the evidence kind (a Missing name): every kind
// when Kinds is empty.
func (o AssembleOptions) Wants(kind string) bool {
	return len(o.Kinds) == 0 || slices.Contains(o.Kinds, kind)
}

// NeedsOptions derives the per-request options from an item's declared needs (evidence kind
// → needs paths, as in the policy catalogue) and any further evidence paths the caller reads
// (form fields): Kinds are the declared kinds plus province.licences for a licences path and
// city.insurance for an insurance path; ApplicantOnly is set when no path reads the
// household ("household." prefix), and SkipHouseholdRecord too when no path reads the
// household's land or homestead. With no needs at all everything is fetched.
func NeedsOptions(needs map[string][]string, paths ...string) AssembleOptions {
	if len(needs) == 0 {
		return AssembleOptions{}
	}
	var o AssembleOptions
	household, land := false, false
	add := func(k string) {
		if !slices.Contains(o.Kinds, k) {
			o.Kinds = append(o.Kinds, k)
		}
	}
	see := func(p string) {
		seg := strings.Split(p, ".")
		if len(seg) > 0 && seg[0] == "household" {
			household = true
		}
		if slices.Contains(seg, "land_mu") || slices.Contains(seg, "homestead") {
			land = true
		}
		if slices.Contains(seg, "licences") {
			add(MissingProvinceLicences)
		}
		if slices.Contains(seg, "insurance") {
			add(MissingCityInsurance)
		}
	}
	for k, ps := range needs {
		add(k)
		for _, p := range ps {
			see(p)
		}
	}
	for _, p := range paths {
		if p != "" {
			see(p)
		}
	}
	slices.Sort(o.Kinds)
	o.ApplicantOnly = !household
	o.SkipHouseholdRecord = !household && !land
	return o
}
