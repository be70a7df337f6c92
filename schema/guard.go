package schema

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/graphql-go/graphql"
	"github.com/graphql-go/graphql/gqlerrors"
	"github.com/graphql-go/graphql/language/location"
	"github.com/vektah/gqlparser/v2"
	gqlast "github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/lexer"
	gqlparse "github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// A document reaches graphql-go (parser, validation, executor) only after the screen of this
// file has passed it. graphql-go v0.8.1 does not survive every document on its own:
//
//   - its OverlappingFieldsCanBeMerged rule follows fragment spreads without a visited set, so a
//     fragment cycle (`fragment A on Query { ...B } fragment B on Query { ...A }`) recurses until
//     the Go stack overflows, a fatal error that no recover catches: one request stops the
//     process;
//   - the same rule compares fields pairwise and compares their arguments by printing them
//     (through a JSON round trip of the syntax tree, ~0.1 ms a pair): 5,000 copies of one field
//     took ~0.16 s of CPU, 240 copies of one field with a variable argument 43 s; it also walks
//     every path through the fragment graph (a DAG of fragments that spread each other twice
//     per layer is exponential);
//   - its parser, visitor and value checks recurse once per bracket, and checking deeply nested
//     inline fragments or input objects is superlinear (3,000 and 5,000 levels: 24 s and 45 s).
//
// The screen is linear in the size of the document (but for step 4's pairwise field comparison,
// bounded by the field and fragment-chain limits) and recurses only as deep as the document is
// nested (bounded by its first step) or as long as a chain of fragments is (bounded in step 2):
//
//  1. the lexer alone counts the tokens (TOKEN_LIMIT) and the nesting of brackets (DEPTH_LIMIT);
//  2. gqlparser parses the document, and the fields are counted with each fragment expanded
//     where it is spread and each spread counted as one more (memoised per fragment, cycles
//     cut) (FIELD_LIMIT); chains of fragments spread inside each other are bounded like the
//     brackets (DEPTH_LIMIT), for gqlparser's validation walks every fragment definition with
//     the fragments it reaches (quadratic in the length of a chain) and compares fields along
//     the way (cubic: a chain or cycle of 250 fragments took 0.1-0.2 s);
//  3. the alias and depth limits (checkStatic, on graphql-go's parse);
//  4. gqlparser's implementation of the specification's validation rules checks the document
//     against the schema's SDL (schema.graphql); its NoFragmentCycles rule refuses every cycle,
//     and its OverlappingFieldsCanBeMerged terminates on cycles and compares values directly.
//
// graphql-go then validates with its own rules but OverlappingFieldsCanBeMerged (graphqlGoRules).
// Step 4 leaves out gqlparser's MaxIntrospectionDepth, which graphql-go does not have: the
// introspection complexity budget covers what it guards, and leaving it out keeps the error
// codes of introspection queries as they were.

// graphqlGoRules are graphql-go's specified validation rules without OverlappingFieldsCanBeMerged,
// which gqlparser has checked in step 4 (see above for why graphql-go's must not run).
var graphqlGoRules = func() []graphql.ValidationRuleFn {
	skip := reflect.ValueOf(graphql.OverlappingFieldsCanBeMergedRule).Pointer()
	var out []graphql.ValidationRuleFn
	for _, r := range graphql.SpecifiedRules {
		if reflect.ValueOf(r).Pointer() != skip {
			out = append(out, r)
		}
	}
	return out
}()

// gate holds what the screen needs from the schema; built once with the compiled schema.
type gate struct {
	schema *gqlast.Schema
	rules  *rules.Rules
}

func newGate() (*gate, error) {
	s, err := gqlparser.LoadSchema(&gqlast.Source{Name: "schema.graphql", Input: SDL})
	if err != nil {
		return nil, fmt.Errorf("schema: load schema.graphql: %w", err)
	}
	r := rules.NewDefaultRules()
	r.RemoveRule(rules.MaxIntrospectionDepth.Name)
	return &gate{schema: s, rules: r}, nil
}

// nesting is how deep the brackets of a document may nest: fields nest at most MaxDepth deep,
// and inline fragments, arguments, lists and input objects add a few levels.
func (l Limits) nesting() int { return 2*l.MaxDepth + 10 }

// scan is step 1: tokens and bracket nesting, from the lexer alone. A lexical error ends the
// scan without an error; the parser reports it.
func scan(query string, lim Limits) error {
	lx := lexer.New(&gqlast.Source{Name: "GraphQL request", Input: query})
	tokens, depth := 0, 0
	for {
		tok, err := lx.ReadToken()
		if err != nil || tok.Kind == lexer.EOF {
			return nil
		}
		switch tok.Kind {
		case lexer.Comment:
			continue
		case lexer.BraceL, lexer.BracketL, lexer.ParenL:
			depth++
			if depth > lim.nesting() {
				return limitErr(CodeDepthLimit, fmt.Sprintf("document is nested too deeply: more than %d brackets 文档嵌套过深", lim.nesting()), lim.nesting(), depth)
			}
		case lexer.BraceR, lexer.BracketR, lexer.ParenR:
			depth--
		}
		tokens++
		if tokens > lim.MaxTokens {
			return limitErr(CodeTokenLimit, fmt.Sprintf("document is too long: more than %d tokens 查询过长", lim.MaxTokens), lim.MaxTokens, tokens)
		}
	}
}

// parseScreened is steps 1 and 2: it returns gqlparser's parse of a document whose tokens,
// nesting and expanded field count are within the limits.
func parseScreened(query string, lim Limits) (*gqlast.QueryDocument, []gqlerrors.FormattedError) {
	if err := scan(query, lim); err != nil {
		return nil, []gqlerrors.FormattedError{formatted(err)}
	}
	doc, err := gqlparse.ParseQuery(&gqlast.Source{Name: "GraphQL request", Input: query})
	if err != nil {
		var ge *gqlerror.Error
		if errors.As(err, &ge) {
			return nil, fromGQLParser(gqlerror.List{ge}, CodeParseFailed)
		}
		return nil, []gqlerrors.FormattedError{formatted(coded(CodeParseFailed, "syntax error 语法错误"))}
	}
	n, chain := countFields(doc, lim.MaxFields)
	if n > lim.MaxFields {
		return nil, []gqlerrors.FormattedError{formatted(limitErr(CodeFieldLimit,
			fmt.Sprintf("too many fields: more than %d, fragments counted where they are spread 字段过多", lim.MaxFields), lim.MaxFields, n))}
	}
	if chain > lim.nesting() {
		return nil, []gqlerrors.FormattedError{formatted(limitErr(CodeDepthLimit,
			fmt.Sprintf("fragments are spread inside each other more than %d deep 片段嵌套过深", lim.nesting()), lim.nesting(), chain))}
	}
	return doc, nil
}

// validate is step 4.
func (g *gate) validate(doc *gqlast.QueryDocument) []gqlerrors.FormattedError {
	if errs := validator.ValidateWithRules(g.schema, doc, g.rules); len(errs) > 0 {
		return fromGQLParser(errs, CodeValidationFailed)
	}
	return nil
}

// countFields returns the number of fields validation will see: those of doc's operations with
// every fragment expanded where it is spread and each spread counted as one field more, plus
// those of the fragments no operation spreads (expanded alike); and the longest chain of fragments spread inside each other. It stops
// counting once the count exceeds limit. Each fragment is expanded once (memoised); a spread
// inside its own expansion (a cycle, refused by validation) counts nothing more.
func countFields(doc *gqlast.QueryDocument, limit int) (fields, chain int) {
	c := &fieldCounter{frags: map[string]*gqlast.FragmentDefinition{}, memo: map[string]expansion{}, visiting: map[string]bool{}, limit: limit}
	for _, f := range doc.Fragments {
		c.frags[f.Name] = f
	}
	for _, op := range doc.Operations {
		e := c.set(op.SelectionSet)
		fields, chain = sat(fields+e.fields), max(chain, e.chain)
		if fields > limit {
			return fields, chain
		}
	}
	used := make(map[string]bool, len(c.memo))
	for name := range c.memo {
		used[name] = true
	}
	for _, f := range doc.Fragments {
		if used[f.Name] {
			continue
		}
		e := c.fragment(f.Name)
		fields, chain = sat(fields+e.fields), max(chain, e.chain+1)
		if fields > limit {
			return fields, chain
		}
	}
	return fields, chain
}

// expansion is what a selection set holds with its fragments expanded.
type expansion struct {
	fields int // fields, each fragment counted where it is spread, each spread as one more
	chain  int // longest chain of fragments spread inside each other
}

type fieldCounter struct {
	frags    map[string]*gqlast.FragmentDefinition
	memo     map[string]expansion
	visiting map[string]bool
	limit    int
}

func (c *fieldCounter) set(ss gqlast.SelectionSet) expansion {
	var e expansion
	for _, sel := range ss {
		var sub expansion
		switch s := sel.(type) {
		case *gqlast.Field:
			sub = c.set(s.SelectionSet)
			sub.fields = sat(sub.fields + 1)
		case *gqlast.InlineFragment:
			sub = c.set(s.SelectionSet)
		case *gqlast.FragmentSpread:
			sub = c.fragment(s.Name)
			sub.fields = sat(sub.fields + 1) // validation compares each spread with its siblings too
			sub.chain++
		}
		e.fields, e.chain = sat(e.fields+sub.fields), max(e.chain, sub.chain)
		if e.fields > c.limit {
			return e
		}
	}
	return e
}

func (c *fieldCounter) fragment(name string) expansion {
	if e, ok := c.memo[name]; ok {
		return e
	}
	f := c.frags[name]
	if f == nil || c.visiting[name] {
		return expansion{}
	}
	c.visiting[name] = true
	e := c.set(f.SelectionSet)
	delete(c.visiting, name)
	c.memo[name] = e
	return e
}

// fromGQLParser turns gqlparser's errors into GraphQL errors with code.
func fromGQLParser(errs gqlerror.List, code string) []gqlerrors.FormattedError {
	out := make([]gqlerrors.FormattedError, 0, len(errs))
	for _, e := range errs {
		locs := make([]location.SourceLocation, 0, len(e.Locations))
		for _, l := range e.Locations {
			locs = append(locs, location.SourceLocation{Line: l.Line, Column: l.Column})
		}
		out = append(out, gqlerrors.FormattedError{Message: e.Message, Locations: locs, Extensions: map[string]any{"code": code}})
	}
	return out
}
