package schema

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/language/ast"
)

// Limits bound what one GraphQL request may cost. Every limit is checked before execution
// (and before the specification's validation, which is itself superlinear in the number of
// fields), so an abusive document is refused in time proportional to its size.
type Limits struct {
	// MaxBodyBytes bounds the request body (POST) or the query parameters (GET).
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// MaxDepth bounds the nesting of fields, fragments expanded (DEPTH_LIMIT). The brackets of
	// the document ({, [ and ( together) may nest at most 2*MaxDepth+10 deep (DEPTH_LIMIT too),
	// checked by the lexer before any parser or validator recurses over the document, and so
	// may chains of fragments spread inside fragments.
	MaxDepth int `yaml:"max_depth"`
	// MaxAliases bounds the number of aliased fields in the document (ALIAS_LIMIT).
	MaxAliases int `yaml:"max_aliases"`
	// MaxComplexity bounds the operation's cost: each field costs 1, and a list field
	// multiplies its selection's cost by its `first` argument (paged lists) or by 10 (other
	// lists) (COMPLEXITY_LIMIT).
	MaxComplexity int `yaml:"max_complexity"`
	// MaxIntrospectionComplexity is the separate budget of __schema/__type selections; 0 means
	// twice the cost of the standard introspection query the explorer sends.
	MaxIntrospectionComplexity int `yaml:"max_introspection_complexity"`
	// MaxList bounds `first` and every list argument, literal or variable (LIST_LIMIT).
	MaxList int `yaml:"max_list"`
	// MaxTokens bounds the lexical tokens of the document, comments not counted (TOKEN_LIMIT).
	// It is checked first, by the lexer alone. 0 means the default, 4000 (the explorer's
	// introspection query has 155).
	MaxTokens int `yaml:"max_tokens"`
	// MaxFields bounds the fields of the document, each fragment counted once for every place
	// it is spread and each spread as one field more (FIELD_LIMIT). Validation compares the
	// fields and spreads of a selection set pairwise, so its cost grows with the square of this
	// number; the check runs before validation. 0 means the default, 500 (the introspection
	// query counts about 200).
	MaxFields int `yaml:"max_fields"`
}

const (
	defaultMaxTokens = 4000
	defaultMaxFields = 500
)

// DefaultLimits are the limits Handler uses unless WithLimits says otherwise.
func DefaultLimits() Limits {
	return Limits{
		MaxBodyBytes:  64 << 10,
		MaxDepth:      15,
		MaxAliases:    50,
		MaxComplexity: 10000,
		MaxList:       100,
		MaxTokens:     defaultMaxTokens,
		MaxFields:     defaultMaxFields,
	}
}

// withDefaults fills the limits whose zero value means "the default".
func (l Limits) withDefaults() Limits {
	if l.MaxTokens == 0 {
		l.MaxTokens = defaultMaxTokens
	}
	if l.MaxFields == 0 {
		l.MaxFields = defaultMaxFields
	}
	return l
}

// Validate reports a limit that is out of range.
func (l Limits) Validate() error {
	switch {
	case l.MaxBodyBytes <= 0:
		return fmt.Errorf("schema: limits: max_body_bytes must be positive")
	case l.MaxDepth <= 0:
		return fmt.Errorf("schema: limits: max_depth must be positive")
	case l.MaxAliases < 0:
		return fmt.Errorf("schema: limits: max_aliases must not be negative")
	case l.MaxComplexity <= 0:
		return fmt.Errorf("schema: limits: max_complexity must be positive")
	case l.MaxIntrospectionComplexity < 0:
		return fmt.Errorf("schema: limits: max_introspection_complexity must not be negative")
	case l.MaxList <= 0:
		return fmt.Errorf("schema: limits: max_list must be positive")
	case l.MaxTokens < 0:
		return fmt.Errorf("schema: limits: max_tokens must not be negative")
	case l.MaxFields < 0:
		return fmt.Errorf("schema: limits: max_fields must not be negative")
	}
	return nil
}

// checkStatic checks the limits that depend only on the document text: aliases over the
// whole document and depth of every operation. The result is cached with the document.
func checkStatic(doc *ast.Document, lim Limits) error {
	frags := fragments(doc)
	aliases := 0
	var count func(ss *ast.SelectionSet) bool
	count = func(ss *ast.SelectionSet) bool {
		if ss == nil {
			return true
		}
		for _, sel := range ss.Selections {
			switch s := sel.(type) {
			case *ast.Field:
				if s.Alias != nil && s.Alias.Value != "" {
					aliases++
					if aliases > lim.MaxAliases {
						return false
					}
				}
				if !count(s.SelectionSet) {
					return false
				}
			case *ast.InlineFragment:
				if !count(s.SelectionSet) {
					return false
				}
			}
		}
		return true
	}
	for _, def := range doc.Definitions {
		var ok bool
		switch d := def.(type) {
		case *ast.OperationDefinition:
			ok = count(d.SelectionSet)
		case *ast.FragmentDefinition:
			ok = count(d.SelectionSet)
		default:
			ok = true
		}
		if !ok {
			return limitErr(CodeAliasLimit, fmt.Sprintf("too many aliases: more than %d 别名过多", lim.MaxAliases), lim.MaxAliases, aliases)
		}
	}

	memo := map[string]int{}
	visiting := map[string]bool{}
	var depth func(ss *ast.SelectionSet, level int) int
	depth = func(ss *ast.SelectionSet, level int) int {
		if ss == nil || level > lim.MaxDepth {
			return level
		}
		deepest := level
		for _, sel := range ss.Selections {
			var d int
			switch s := sel.(type) {
			case *ast.Field:
				d = depth(s.SelectionSet, level+1)
			case *ast.InlineFragment:
				d = depth(s.SelectionSet, level)
			case *ast.FragmentSpread:
				name := s.Name.Value
				if visiting[name] {
					continue // a cycle; validation rejects it
				}
				rel, ok := memo[name]
				if !ok {
					f := frags[name]
					if f == nil {
						continue
					}
					visiting[name] = true
					rel = depth(f.SelectionSet, 0)
					visiting[name] = false
					memo[name] = rel
				}
				d = level + rel
			}
			deepest = max(deepest, d)
			if deepest > lim.MaxDepth {
				return deepest
			}
		}
		return deepest
	}
	for _, def := range doc.Definitions {
		if op, ok := def.(*ast.OperationDefinition); ok {
			if d := depth(op.SelectionSet, 0); d > lim.MaxDepth {
				return limitErr(CodeDepthLimit, fmt.Sprintf("query is too deep: more than %d levels 查询嵌套过深", lim.MaxDepth), lim.MaxDepth, d)
			}
		}
	}
	return nil
}

func limitErr(code, msg string, limit, got int) *codedError {
	return &codedError{code: code, msg: msg, extra: map[string]any{"limit": limit, "atLeast": got}}
}

func fragments(doc *ast.Document) map[string]*ast.FragmentDefinition {
	m := map[string]*ast.FragmentDefinition{}
	for _, def := range doc.Definitions {
		if f, ok := def.(*ast.FragmentDefinition); ok && f.Name != nil {
			m[f.Name.Value] = f
		}
	}
	return m
}

// operation returns the operation named name, or the only one when name is "".
func operation(doc *ast.Document, name string) *ast.OperationDefinition {
	var found *ast.OperationDefinition
	for _, def := range doc.Definitions {
		op, ok := def.(*ast.OperationDefinition)
		if !ok {
			continue
		}
		if name == "" {
			if found != nil {
				return nil
			}
			found = op
		} else if op.Name != nil && op.Name.Value == name {
			return op
		}
	}
	return found
}

// cost is the result of the complexity analysis of one operation.
type cost struct {
	fields        int  // ordinary fields, with multipliers
	introspection int  // __schema / __type selections, with multipliers
	varDependent  bool // a multiplier or list length came from a variable
}

// analyzer computes the complexity of one operation and checks list arguments.
type analyzer struct {
	schema *graphql.Schema
	costs  fieldCosts
	frags  map[string]*ast.FragmentDefinition
	vars   map[string]any
	defs   map[string]ast.Value // variable defaults
	lim    Limits
	budget int

	memo     map[string]int
	visiting map[string]bool
	dep      bool
	err      error
}

// complexity analyses op. It returns an error with code LIST_LIMIT when a list argument is too
// long, COMPLEXITY_LIMIT when the cost exceeds its budget.
func complexity(s *graphql.Schema, costs fieldCosts, doc *ast.Document, op *ast.OperationDefinition, vars map[string]any, lim Limits, introLimit int) (cost, error) {
	a := &analyzer{schema: s, costs: costs, frags: fragments(doc), vars: vars, lim: lim, defs: map[string]ast.Value{}}
	for _, vd := range op.VariableDefinitions {
		if vd.Variable != nil && vd.Variable.Name != nil && vd.DefaultValue != nil {
			a.defs[vd.Variable.Name.Value] = vd.DefaultValue
		}
	}
	var root graphql.Type
	switch op.Operation {
	case ast.OperationTypeMutation:
		if s.MutationType() != nil {
			root = s.MutationType()
		}
	default:
		root = s.QueryType()
	}
	var c cost
	if root == nil || op.SelectionSet == nil {
		return c, nil
	}
	// Split root selections into introspection and the rest, each with its own budget.
	for _, sel := range op.SelectionSet.Selections {
		intro := false
		if f, ok := sel.(*ast.Field); ok && f.Name != nil && strings.HasPrefix(f.Name.Value, "__") {
			intro = true
		}
		one := &ast.SelectionSet{Selections: []ast.Selection{sel}}
		a.memo, a.visiting = map[string]int{}, map[string]bool{}
		if intro {
			a.budget = introLimit - c.introspection
			c.introspection = sat(c.introspection + a.selection(one, root))
		} else {
			a.budget = lim.MaxComplexity - c.fields
			c.fields = sat(c.fields + a.selection(one, root))
		}
		if a.err != nil {
			return c, a.err
		}
		if c.fields > lim.MaxComplexity {
			return c, limitErr(CodeComplexityLimit, fmt.Sprintf("query is too complex: cost above %d 查询过于复杂", lim.MaxComplexity), lim.MaxComplexity, c.fields)
		}
		if c.introspection > introLimit {
			return c, limitErr(CodeComplexityLimit, fmt.Sprintf("introspection query is too complex: cost above %d 自省查询过于复杂", introLimit), introLimit, c.introspection)
		}
	}
	c.varDependent = a.dep
	return c, nil
}

func sat(n int) int { return min(n, math.MaxInt32) }

// selection returns the cost of ss on type t; it stops early (returning more than the budget)
// once the budget is exceeded.
func (a *analyzer) selection(ss *ast.SelectionSet, t graphql.Type) int {
	if ss == nil || a.err != nil {
		return 0
	}
	total := 0
	for _, sel := range ss.Selections {
		switch s := sel.(type) {
		case *ast.Field:
			total = sat(total + a.field(s, t))
		case *ast.InlineFragment:
			tt := t
			if s.TypeCondition != nil && s.TypeCondition.Name != nil {
				if nt := a.schema.Type(s.TypeCondition.Name.Value); nt != nil {
					tt = nt
				}
			}
			total = sat(total + a.selection(s.SelectionSet, tt))
		case *ast.FragmentSpread:
			name := s.Name.Value
			if a.visiting[name] {
				continue
			}
			c, ok := a.memo[name]
			if !ok {
				f := a.frags[name]
				if f == nil || f.TypeCondition == nil || f.TypeCondition.Name == nil {
					continue
				}
				tt := a.schema.Type(f.TypeCondition.Name.Value)
				if tt == nil {
					continue
				}
				a.visiting[name] = true
				c = a.selection(f.SelectionSet, tt)
				a.visiting[name] = false
				a.memo[name] = c
			}
			total = sat(total + c)
		}
		if total > a.budget || a.err != nil {
			return total
		}
	}
	return total
}

func (a *analyzer) field(f *ast.Field, parent graphql.Type) int {
	name := f.Name.Value
	if name == "__typename" {
		return 1
	}
	def := fieldDef(a.schema, parent, name)
	if def == nil {
		return 1 // unknown field: validation reports it
	}
	mult := 1
	listArg := -1 // length of a list argument, the size of the answer for batch lookups
	hint, hinted := a.costs[parent.Name()+"."+name]
	for _, arg := range f.Arguments {
		n, isList, ok := a.argSize(arg.Value)
		if !ok {
			continue
		}
		if isList && n > a.lim.MaxList {
			a.err = limitErr(CodeListLimit, fmt.Sprintf("argument %s has more than %d elements 列表参数过长", arg.Name.Value, a.lim.MaxList), a.lim.MaxList, n)
			return 0
		}
		if isList {
			listArg = max(listArg, n)
		}
		if arg.Name.Value == "first" && !isList {
			if n > a.lim.MaxList || n < 0 {
				a.err = limitErr(CodeListLimit, fmt.Sprintf("first must be between 0 and %d first 须在 0 到 %d 之间", a.lim.MaxList, a.lim.MaxList), a.lim.MaxList, n)
				return 0
			}
			if hint.paged {
				mult = max(n, 1)
			}
		}
	}
	if hint.paged && !hasArg(f, "first") {
		mult = defaultFirst
	}
	if (hinted && hint.list) || (!hinted && isList(def.Type)) {
		mult = listCost
		if listArg >= 0 {
			mult = max(listArg, 1)
		}
	}
	if f.SelectionSet == nil {
		return 1
	}
	return sat(1 + mult*a.selection(f.SelectionSet, namedType(def.Type)))
}

func hasArg(f *ast.Field, name string) bool {
	for _, a := range f.Arguments {
		if a.Name != nil && a.Name.Value == name {
			return true
		}
	}
	return false
}

// argSize returns the integer value of an Int argument, or the length of a list argument
// (nested input objects searched for their longest list), resolving variables.
func (a *analyzer) argSize(v ast.Value) (n int, list bool, ok bool) {
	switch x := v.(type) {
	case *ast.IntValue:
		i, err := strconv.Atoi(x.Value)
		if err != nil {
			return math.MaxInt32, false, true
		}
		return i, false, true
	case *ast.ListValue:
		return len(x.Values), true, true
	case *ast.ObjectValue:
		longest, found := 0, false
		for _, f := range x.Fields {
			if n, l, ok := a.argSize(f.Value); ok && l {
				longest, found = max(longest, n), true
			}
		}
		return longest, found, found
	case *ast.Variable:
		a.dep = true
		val, present := a.vars[x.Name.Value]
		if !present {
			if d, ok := a.defs[x.Name.Value]; ok {
				return a.argSize(d)
			}
			return 0, false, false
		}
		return valueSize(val)
	}
	return 0, false, false
}

// valueSize is argSize for a JSON-decoded variable value.
func valueSize(v any) (int, bool, bool) {
	switch x := v.(type) {
	case float64:
		if x > math.MaxInt32 || x < math.MinInt32 {
			return math.MaxInt32, false, true
		}
		return int(x), false, true
	case int:
		return x, false, true
	case json.Number:
		i, err := x.Int64()
		if err != nil || i > math.MaxInt32 || i < math.MinInt32 {
			return math.MaxInt32, false, true
		}
		return int(i), false, true
	case []any:
		return len(x), true, true
	case map[string]any:
		longest, found := 0, false
		for _, f := range x {
			if n, l, ok := valueSize(f); ok && l {
				longest, found = max(longest, n), true
			}
		}
		return longest, found, found
	}
	return 0, false, false
}

func fieldDef(s *graphql.Schema, parent graphql.Type, name string) *graphql.FieldDefinition {
	if parent == s.QueryType() {
		switch name {
		case "__schema":
			return graphql.SchemaMetaFieldDef
		case "__type":
			return graphql.TypeMetaFieldDef
		}
	}
	switch t := parent.(type) {
	case *graphql.Object:
		return t.Fields()[name]
	case *graphql.Interface:
		return t.Fields()[name]
	}
	return nil
}

func namedType(t graphql.Type) graphql.Type {
	for {
		switch x := t.(type) {
		case *graphql.NonNull:
			t = x.OfType
		case *graphql.List:
			t = x.OfType
		default:
			return t
		}
	}
}
