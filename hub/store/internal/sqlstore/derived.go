package sqlstore

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"sanmian/hub/store"
)

// derivedFrom is the FROM of a pass: scan_residents, or when the filters or expressions read
// derived columns (store.HouseholdLastDeath, store.ChildDeceased, store.ChildDisabilityGrade,
// store.HouseholdEnrolledPrefix and an item, store.HouseholdMembersPrefix and a name),
// scan_residents with those, under the same alias, and the arguments the FROM takes. Each
// derived column is a LEFT JOIN of a small aggregate, built from the few rows that can
// contribute (deaths, children deceased or certified disabled), so that a row looks up one
// key instead of its household's members or its children:
//
//   - the household's latest death: the province's deaths (their partial index) grouped by
//     household; a resident without a household has only their own;
//   - the children's deaths and disability grades: the children deceased or holding a valid
//     certificate, joined to their parents by the links of child_links (the licences' and
//     kinship's, and the household relations), grouped by parent. For a delta or a division the
//     parents are those of the pass, read by their keys;
//   - another member on an item's roll: the roll's entries (their item index) counted by
//     household, less the resident's own entry; one aggregate counts every item's;
//   - the other members satisfying a predicate of the scope: the rows satisfying it counted by
//     household, less the resident's own row; one aggregate counts every predicate's.
//
// A delta's or a division's aggregates read only its residents' households: their members
// are listed once (the CTE pm, which SQLite and PostgreSQL materialise, as it is read more
// than once), and each aggregate reads its rows by their keys.
func (r reader) derivedFrom(scope store.PassScope, filters []store.ItemFilter, exprs []string) (string, []any, error) {
	uses := func(col string) bool {
		col = "scan_residents." + col
		return slices.ContainsFunc(exprs, func(x string) bool { return strings.Contains(x, col) }) ||
			slices.ContainsFunc(filters, func(f store.ItemFilter) bool {
				return strings.Contains(f.Eligible, col) || strings.Contains(f.Keeps, col)
			})
	}
	deaths := uses(store.HouseholdLastDeath)
	children := uses(store.ChildDeceased) || uses(store.ChildDisabilityGrade)
	enrolled := derivedRefs(householdEnrolledRef, filters, exprs)
	members := derivedRefs(householdMembersRef, filters, exprs)
	if !deaths && !children && len(enrolled) == 0 && len(members) == 0 {
		return `scan_residents`, nil, nil
	}
	if (deaths || children) && scope.At == "" {
		return "", nil, fmt.Errorf("%w: a pass reading derived columns of a date needs the scan date", store.ErrInvalid)
	}
	var cols, joins []string
	var colArgs, joinArgs []any
	with, withArgs := r.passMembersCTE(scope)
	if len(enrolled) > 0 {
		for k, item := range enrolled {
			n := fmt.Sprintf("he.n%d", k)
			cols = append(cols, `(COALESCE(`+n+`, 0) > CASE WHEN `+n+` IS NULL THEN 0
			WHEN EXISTS (SELECT 1 FROM resident_enrolments e WHERE e.id_number = s.id_number AND e.item = ?) THEN 1 ELSE 0 END) AS `+
				store.HouseholdEnrolledPrefix+item)
			colArgs = append(colArgs, item)
		}
		j, a := r.householdRollJoin(scope, enrolled)
		joins, joinArgs = append(joins, j), append(joinArgs, a...)
	}
	if len(members) > 0 {
		preds := make([]string, len(members))
		for k, name := range members {
			pred, ok := scope.HouseholdMembers[name]
			if !ok || strings.TrimSpace(pred) == "" {
				return "", nil, fmt.Errorf("%w: the pass reads %s%s, whose member predicate the scope does not define", store.ErrInvalid, store.HouseholdMembersPrefix, name)
			}
			n := fmt.Sprintf("hm.n%d", k)
			// The predicate on the resident's own row, whom the household's count includes.
			own := strings.ReplaceAll(pred, "scan_residents.", "s.")
			// CAST: numeric affinity on SQLite, as for the children's grade.
			cols = append(cols, `CAST(COALESCE(`+n+`, 0) - CASE WHEN `+n+` IS NOT NULL AND (`+own+`) THEN 1 ELSE 0 END AS INTEGER) AS `+
				store.HouseholdMembersPrefix+name)
			preds[k] = strings.ReplaceAll(pred, "scan_residents.", "m.")
		}
		joins = append(joins, r.householdMembersJoin(scope, preds))
	}
	if deaths {
		cols = append(cols, `CASE WHEN s.household_id = '' THEN
			CASE WHEN s.deceased_source IN ('province', 'both') AND s.death_date <= ? THEN s.death_date ELSE '' END
			ELSE COALESCE(hd.last_death, '') END AS `+store.HouseholdLastDeath)
		colArgs = append(colArgs, scope.At)
		joins = append(joins, `LEFT JOIN (SELECT h.household_id, MAX(p.death_date) AS last_death
			FROM resident_province p JOIN residents h ON h.id_number = p.id_number
			WHERE p.deceased AND p.death_date <> '' AND p.death_date <= ? AND h.household_id <> ''`+r.passMembers(scope, "p.id_number")+`
			GROUP BY h.household_id) hd ON hd.household_id = s.household_id`)
		joinArgs = append(joinArgs, scope.At)
	}
	if children {
		// CAST: on SQLite a compiled filter compares with a quoted number, which converts only
		// against an expression with numeric affinity.
		cols = append(cols, `(COALESCE(ch.dead, 0) = 1) AS `+store.ChildDeceased,
			`CAST(COALESCE(ch.grade, 0) AS INTEGER) AS `+store.ChildDisabilityGrade)
		j, a := r.childrenJoin(scope)
		joins, joinArgs = append(joins, j), append(joinArgs, a...)
	}
	return `(` + with + `SELECT s.*, ` + strings.Join(cols, ", ") + ` FROM scan_residents s ` + strings.Join(joins, " ") + `) scan_residents`,
		append(append(withArgs, colArgs...), joinArgs...), nil
}

// childrenJoin is the join of the children's facts by parent (ch: parent_id, dead, grade) and
// its arguments. The children that count (deceased, or holding a valid certificate) are
// joined to their parents by the links (the licences' and kinship's) and by the household
// relations, which are child_links' own: a son or daughter of the head is a child of the head
// and of the head's spouse; the head is a child of the head's parents. A pass over the
// district reads those children once (m) and starts from them (CROSS JOIN keeps SQLite's join
// order: left to itself it read the whole link index and looked each link's child up, a pass
// of the whole district with this one screen took 7.4 s against 3.6-4.7 s). A delta or a
// division starts from its own parents, by their keys: from the district's children, a
// village's pass read every certificate and death of the district, and as a condition
// "l.parent_id IN (the division's residents)" on those children's links SQLite probed the
// link index once per child and division resident (a town of 29,693 residents in the full
// district did not finish its pass in ten minutes).
func (r reader) childrenJoin(scope store.PassScope) (string, []any) {
	const dead = `c.deceased_source IN ('province', 'both')`
	const valid = `c.disability_number <> '' AND c.disability_status = 'valid' AND (c.disability_valid_until = '' OR c.disability_valid_until >= ?)`
	const household = `rc.household_id <> '' AND ((rc.relation IN ('son', 'daughter') AND p.relation IN ('head', 'spouse'))
				OR (rc.relation = 'head' AND p.relation IN ('father', 'mother', 'parent')))`
	facts := `CASE WHEN ` + dead + ` THEN 1 ELSE 0 END AS dead, CASE WHEN ` + valid + ` THEN c.disability_grade END AS grade`
	counts := `(` + dead + ` OR (` + valid + `))`
	var parents string
	var parentArgs []any
	switch {
	case scope.Delta:
		parents, parentArgs = ` IN (SELECT id_number FROM scan_changes WHERE seq > ?)`, []any{scope.ChangedAfter}
	case scope.Division != "":
		cond, a := r.divisionOf("pr", scope.Division)
		parents, parentArgs = ` IN (SELECT pr.id_number FROM residents pr WHERE `+cond+`)`, a
	}
	if parents != "" {
		// Each arm takes the date (facts), the parents' arguments, the date (counts), in order.
		arm := append(append([]any{scope.At}, parentArgs...), scope.At)
		return `LEFT JOIN (SELECT parent_id, MAX(dead) AS dead, MIN(grade) AS grade FROM (
			SELECT l.parent_id AS parent_id, ` + facts + ` FROM resident_child_links l JOIN scan_residents c ON c.id_number = l.child_id
			WHERE l.parent_id` + parents + ` AND ` + counts + `
			UNION ALL
			SELECT p.id_number, ` + facts + ` FROM residents p JOIN residents rc ON rc.household_id = p.household_id AND rc.id_number <> p.id_number
				JOIN scan_residents c ON c.id_number = rc.id_number
			WHERE p.id_number` + parents + ` AND ` + household + ` AND ` + counts + `
		) x GROUP BY parent_id) ch ON ch.parent_id = s.id_number`, append(slices.Clone(arm), arm...)
	}
	arms := `SELECT l.parent_id AS parent_id, m.dead, m.grade FROM m CROSS JOIN resident_child_links l
			WHERE l.child_id = m.id_number
		UNION ALL
		SELECT p.id_number, m.dead, m.grade FROM m CROSS JOIN residents rc CROSS JOIN residents p
		WHERE rc.id_number = m.id_number AND p.household_id = rc.household_id AND p.id_number <> rc.id_number
			AND ` + household
	counted := `SELECT c.id_number, ` + facts + ` FROM scan_residents c WHERE ` + counts
	return `LEFT JOIN (WITH m AS (` + counted + `)
		SELECT parent_id, MAX(dead) AS dead, MIN(grade) AS grade FROM (` + arms + `) x GROUP BY parent_id) ch ON ch.parent_id = s.id_number`, []any{scope.At, scope.At}
}

// householdEnrolledRef and householdMembersRef match a reference to a derived column
// store.HouseholdEnrolledPrefix and an item code, store.HouseholdMembersPrefix and a name.
var (
	householdEnrolledRef = regexp.MustCompile(`scan_residents\.` + store.HouseholdEnrolledPrefix + `([a-z0-9_]+)`)
	householdMembersRef  = regexp.MustCompile(`scan_residents\.` + store.HouseholdMembersPrefix + `([a-z0-9_]+)`)
)

// derivedRefs returns the names (the group of ref) the filters or expressions read, sorted,
// each once.
func derivedRefs(ref *regexp.Regexp, filters []store.ItemFilter, exprs []string) []string {
	var names []string
	add := func(x string) {
		for _, m := range ref.FindAllStringSubmatch(x, -1) {
			names = append(names, m[1])
		}
	}
	for _, x := range exprs {
		add(x)
	}
	for _, f := range filters {
		add(f.Eligible)
		add(f.Keeps)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// householdRollJoin is the join (alias he) of the number of entries on each of items' rolls
// per household (household_id, n0, n1, ... in the order of items) and its arguments: one read
// of the rolls for every item. A delta's or a division's entries are read by the keys of its
// households' members, not by the item: on SQLite the item's index otherwise led, and a delta
// of 6,761 residents of the full district read all 305,200 entries of the farmland roll
// (0.33 s of the pass's 0.81 s in the sqlite3 shell; 0.07 s by the members' keys).
func (r reader) householdRollJoin(scope store.PassScope, items []string) (string, []any) {
	var counts []string
	var args []any
	for k, item := range items {
		counts = append(counts, fmt.Sprintf("SUM(CASE WHEN e.item = ? THEN 1 ELSE 0 END) AS n%d", k))
		args = append(args, item)
	}
	for _, item := range items {
		args = append(args, item)
	}
	return `LEFT JOIN (SELECT h.household_id, ` + strings.Join(counts, ", ") + `
			FROM resident_enrolments e JOIN residents h ON h.id_number = e.id_number
			WHERE e.item IN ` + placeholders(len(items)) + ` AND h.household_id <> ''` + r.passMembers(scope, "e.id_number") + `
			GROUP BY h.household_id) he ON he.household_id = s.household_id`, args
}

// householdMembersJoin is the join (alias hm) of the number of rows of scan_residents (alias
// m) satisfying each of preds per household (household_id, n0, n1, ... in the order of preds):
// one read of the members for every predicate. A delta's or a division's members are read by
// their keys, through the household index of residents (on SQLite scan_residents has none: a
// condition on its household_id read the whole table). A household none of whose members
// satisfies a predicate counts 0 or is absent, which the columns read alike.
func (r reader) householdMembersJoin(scope store.PassScope, preds []string) string {
	counts := make([]string, len(preds))
	for k, pred := range preds {
		counts[k] = fmt.Sprintf("SUM(CASE WHEN (%s) THEN 1 ELSE 0 END) AS n%d", pred, k)
	}
	return `LEFT JOIN (SELECT m.household_id, ` + strings.Join(counts, ", ") + ` FROM scan_residents m
			WHERE m.household_id <> ''` + r.passMembers(scope, "m.id_number") + ` AND ((` + strings.Join(preds, ") OR (") + `))
			GROUP BY m.household_id) hm ON hm.household_id = s.household_id`
}

// passMembersCTE is the WITH clause listing the members of a delta's or a division's
// households (pm: id_number) and its arguments ("" for the district).
func (r reader) passMembersCTE(scope store.PassScope) (string, []any) {
	households, args := r.passHouseholds(scope, "hh")
	if households == "" {
		return "", nil
	}
	return `WITH pm AS (SELECT hh.id_number FROM residents hh WHERE hh.household_id <> ''` + households + `) `, args
}

// passMembers is the condition on the ID number col that keeps a delta's or a division's
// household aggregates to the members of its own residents' households (pm, of
// passMembersCTE; "" for the district).
func (r reader) passMembers(scope store.PassScope, col string) string {
	if !scoped(scope) {
		return ""
	}
	return ` AND ` + col + ` IN (SELECT id_number FROM pm)`
}

// passHouseholds is the condition on alias's household_id that keeps a delta's or a
// division's household aggregates to the households of its own residents ("" for the
// district), and its arguments.
func (r reader) passHouseholds(scope store.PassScope, alias string) (string, []any) {
	switch {
	case !scoped(scope):
		return "", nil
	case scope.Delta:
		return ` AND ` + alias + `.household_id IN (SELECT hc.household_id FROM residents hc
			WHERE hc.id_number IN (SELECT id_number FROM scan_changes WHERE seq > ?))`, []any{scope.ChangedAfter}
	default:
		cond, a := r.divisionOf("hc", scope.Division)
		return ` AND ` + alias + `.household_id IN (SELECT hc.household_id FROM residents hc WHERE ` + cond + `)`, a
	}
}

// scoped reports whether a pass is a delta's or a division's, whose household aggregates read
// only its own residents' households.
func scoped(scope store.PassScope) bool { return scope.Delta || scope.Division != "" }
