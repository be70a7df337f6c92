package policy

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Item is one catalogue entry as the bundle defines it (data.sanmian.catalogue.items).
type Item struct {
	Code         string   `json:"code"`
	ZH           string   `json:"zh"`
	EN           string   `json:"en"`
	Category     string   `json:"category"`
	Basis        Basis    `json:"basis"`
	ReviewLevels []string `json:"review_levels"`
	Instant      bool     `json:"instant"`
	Proactive    bool     `json:"proactive"`
	StaleAllowed bool     `json:"stale_allowed"`
	// StaleKinds, with StaleAllowed, narrows the evidence kinds (Needs keys) that may be
	// served stale after a platform failure; empty means every kind the item needs.
	StaleKinds []string `json:"stale_kinds,omitempty"`
	Recurring  bool     `json:"recurring"`
	Repeatable bool     `json:"repeatable"` // may be applied for again while held (policies/README.md)
	// BenefitSubject is whom the benefit is for, and so what an application holds:
	// SubjectApplicant, SubjectHousehold or SubjectDeceased (policies/README.md).
	BenefitSubject string              `json:"benefit_subject"`
	Needs          map[string][]string `json:"needs"` // evidence kind → needs paths
	Form           []FormField         `json:"form"`
	Params         map[string]any      `json:"params,omitempty"`
	// EntryOnly are the failure codes of conditions to join the item, not to stay on it:
	// supervision ignores them on a resident already on the roll (policies/README.md).
	EntryOnly []string `json:"entry_only,omitempty"`
}

// OwnRecord reports whether failure code does not make a resident on the item's roll
// ineligible to stay: the item's own record (*already_enrolled) or an entry-only condition.
func (it *Item) OwnRecord(code string) bool {
	return strings.HasSuffix(code, "already_enrolled") || slices.Contains(it.EntryOnly, code)
}

// Benefit subjects (Item.BenefitSubject): whom an item's benefit is for.
const (
	SubjectApplicant = "applicant" // the applicant in person (the default)
	SubjectHousehold = "household" // the applicant's household (户): granted once per household
	SubjectDeceased  = "deceased"  // one person's death: granted once per deceased, to a relative
)

// Basis is an item's legal basis: a short citation and full texts.
type Basis struct {
	Cite string `json:"cite"`
	ZH   string `json:"zh"`
	EN   string `json:"en"`
}

// FormField is one field of an item's application form. Path is the evidence path its value
// comes from ("" when the applicant enters it); Mask is "id" for identity numbers, "none"
// otherwise.
type FormField struct {
	Name     string `json:"name"`
	ZH       string `json:"zh"`
	EN       string `json:"en"`
	Path     string `json:"path"`
	Autofill bool   `json:"autofill"`
	Mask     string `json:"mask"`
}

// parseCatalogue decodes the items and derives the minimisation selector of each.
func parseCatalogue(cat map[string]any) (map[string]*selector, []Item, error) {
	raw, err := json.Marshal(cat["items"])
	if err != nil {
		return nil, nil, fmt.Errorf("%w: catalogue items: %v", ErrBundle, err)
	}
	var items map[string]Item
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, nil, fmt.Errorf("%w: catalogue items: %v", ErrBundle, err)
	}
	if len(items) == 0 {
		return nil, nil, fmt.Errorf("%w: empty catalogue", ErrBundle)
	}
	reasons, _ := cat["reasons"].(map[string]any)
	sels := make(map[string]*selector, len(items))
	list := make([]Item, 0, len(items))
	for code, it := range items {
		it.Code = code
		switch it.BenefitSubject {
		case "":
			it.BenefitSubject = SubjectApplicant
		case SubjectApplicant, SubjectHousehold, SubjectDeceased:
		default:
			return nil, nil, fmt.Errorf("%w: item %s: unknown benefit_subject %q", ErrBundle, code, it.BenefitSubject)
		}
		if len(it.StaleKinds) > 0 && !it.StaleAllowed {
			return nil, nil, fmt.Errorf("%w: item %s: stale_kinds without stale_allowed", ErrBundle, code)
		}
		for _, k := range it.StaleKinds {
			if _, ok := it.Needs[k]; !ok {
				return nil, nil, fmt.Errorf("%w: item %s: stale_kinds names %q, which the item does not need", ErrBundle, code, k)
			}
		}
		for _, c := range it.EntryOnly {
			if _, ok := reasons[c]; !ok {
				return nil, nil, fmt.Errorf("%w: item %s: entry_only names %q, which is not a reason code", ErrBundle, code, c)
			}
		}
		s, err := newSelector(it.Needs)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: item %s: %v", ErrBundle, code, err)
		}
		sels[code] = s
		list = append(list, it)
	}
	slices.SortFunc(list, func(a, b Item) int { return strings.Compare(a.Code, b.Code) })
	return sels, list, nil
}

// proactiveSelector is the selector of the proactive items' needs together: what one scan
// evaluation of all of them (Engine.ScanItems) gives the policy, each item reading within it
// the part its own selector gives a decision.
func proactiveSelector(catalog []Item) (*selector, error) {
	needs := map[string][]string{}
	for _, it := range catalog {
		if !it.Proactive {
			continue
		}
		for kind, paths := range it.Needs {
			have := needs[kind]
			for _, p := range paths {
				if !slices.Contains(have, p) {
					have = append(have, p)
				}
			}
			needs[kind] = have // the kind is needed even with no path
		}
	}
	s, err := newSelector(needs)
	if err != nil {
		return nil, fmt.Errorf("%w: proactive items: %v", ErrBundle, err)
	}
	return s, nil
}

// selector is the part of an evidence bundle one item may see (its declared needs).
type selector struct {
	kinds      map[string]bool // evidence kinds ("district.rolls") the item needs
	needs      []string        // every needs path
	applicant  map[string]bool // applicant scalar fields
	licences   map[string]bool // applicant licence types
	insurance  map[string]bool
	rolls      map[string]bool
	household  map[string]bool // household member scalar fields
	hhLicences map[string]bool // household member licence types
	hhRolls    map[string]bool // household member rolls fields
	anyHH      bool
	children   map[string]bool // child scalar fields (person fields and childFields)
	chLicences map[string]bool // child licence types
	anyChild   bool
}

func newSelector(needs map[string][]string) (*selector, error) {
	s := &selector{
		kinds: map[string]bool{}, applicant: map[string]bool{}, licences: map[string]bool{},
		insurance: map[string]bool{}, rolls: map[string]bool{}, household: map[string]bool{},
		hhLicences: map[string]bool{}, hhRolls: map[string]bool{}, children: map[string]bool{}, chLicences: map[string]bool{},
	}
	for kind, paths := range needs {
		s.kinds[kind] = true
		for _, p := range paths {
			s.needs = append(s.needs, p)
			seg := strings.Split(p, ".")
			switch {
			case len(seg) == 2 && seg[0] == "applicant" && personFields[seg[1]] != nil:
				s.applicant[seg[1]] = true
			case len(seg) == 3 && seg[0] == "applicant" && seg[1] == "licences":
				s.licences[seg[2]] = true
			case len(seg) == 3 && seg[0] == "applicant" && seg[1] == "insurance" && insuranceFields[seg[2]] != nil:
				s.insurance[seg[2]] = true
			case len(seg) == 3 && seg[0] == "applicant" && seg[1] == "rolls" && rollsFields[seg[2]] != nil:
				s.rolls[seg[2]] = true
			case len(seg) == 2 && seg[0] == "household" && personFields[seg[1]] != nil:
				s.household[seg[1]] = true
				s.anyHH = true
			case len(seg) == 3 && seg[0] == "household" && seg[1] == "rolls" && rollsFields[seg[2]] != nil:
				s.hhRolls[seg[2]] = true
				s.anyHH = true
			case len(seg) == 3 && seg[0] == "household" && seg[1] == "licences":
				s.hhLicences[seg[2]] = true
				s.anyHH = true
			case len(seg) == 2 && seg[0] == "children" && (personFields[seg[1]] != nil || childFields[seg[1]] != nil):
				s.children[seg[1]] = true
				s.anyChild = true
			case len(seg) == 3 && seg[0] == "children" && seg[1] == "licences":
				s.chLicences[seg[2]] = true
				s.anyChild = true
			default:
				return nil, fmt.Errorf("unsupported needs path %q", p)
			}
		}
	}
	slices.Sort(s.needs)
	return s, nil
}

// normField maps a provenance or conflict path to the needs grammar, exactly as lib.norm in
// the policies does: numeric segments are dropped and a path into a licence stops at
// "licences". Paths without either (the common case) are returned as they are.
func normField(f string) string {
	if !strings.ContainsAny(f, "0123456789") && !strings.Contains(f, ".licences.") {
		return f
	}
	seg := strings.Split(f, ".")
	out := make([]string, 0, len(seg))
	for i, s := range seg {
		if i > 0 && isDigits(s) {
			continue
		}
		out = append(out, s)
		if s == "licences" && len(out) > 1 && i < len(seg)-1 {
			break
		}
	}
	return strings.Join(out, ".")
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// related mirrors lib.related: the paths overlap (equal, or one is a dotted prefix of the
// other).
func related(f, n string) bool {
	return f == n || dottedPrefix(f, n) || dottedPrefix(n, f)
}

// dottedPrefix reports whether p + "." is a prefix of s.
func dottedPrefix(p, s string) bool {
	return len(s) > len(p) && s[len(p)] == '.' && s[:len(p)] == p
}

// relevant reports whether an evidence path (provenance key or conflict field) touches one of
// the item's needs.
func (s *selector) relevant(field string) bool {
	f := normField(field)
	for _, n := range s.needs {
		if related(f, n) {
			return true
		}
	}
	return false
}
