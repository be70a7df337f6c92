package irvm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/types"
	"github.com/open-policy-agent/opa/v1/util"
	"go.uber.org/goleak"

	"sanmian/hub/policy/irvm"
)

// diffCase is one module and query evaluated by irvm and by topdown on each of its inputs.
type diffCase struct {
	name   string
	module string // body of `package test` (Rego v1)
	query  string // defaults to data.test.p
	data   string // base documents as JSON; empty for none
	// inputs are JSON documents; the empty string evaluates without input.
	inputs []string
	// wantErr means both evaluators must fail (a conflict at run time).
	wantErr bool
	// unsupported means irvm.Compile must refuse the module (ErrUnsupported), so that the
	// engine evaluates it with topdown: iteration over a document holding both rules and
	// base data, whose order OPA's plan does not share with topdown.
	unsupported bool
	// print compiles the module with print statements enabled (as `opa test` does);
	// otherwise the compiler erases them.
	print bool
}

// diffCases ends with the discrepancies this suite found (now fixed, or refused by Compile).
var diffCases = []diffCase{
	// Complete rules.
	{
		name:   "complete_boolean",
		module: `p if input.x > 1`,
		inputs: []string{`{"x": 2}`, `{"x": 0}`, `{"x": "a"}`, `{}`, ``},
	},
	{
		name:   "complete_value",
		module: `p := input.a + input.b`,
		inputs: []string{`{"a": 1, "b": 2}`, `{"a": 1.5, "b": 2}`, `{"a": 1}`, `{"a": "x", "b": 1}`},
	},
	{
		name: "complete_several_bodies_same_value",
		module: `p := "x" if input.a
p := "x" if input.b`,
		inputs: []string{`{"a": true, "b": true}`, `{"a": true}`, `{}`},
	},
	{
		name: "complete_indexed_rules",
		module: `p := "A" if input.kind == "a"
p := "B" if input.kind == "b"
p := "C" if { input.kind == "c"; input.n > 3 }`,
		inputs: []string{`{"kind": "a"}`, `{"kind": "b"}`, `{"kind": "c", "n": 4}`, `{"kind": "c", "n": 1}`, `{"kind": 1}`},
	},
	{
		name: "complete_rule_reading_rule",
		module: `threshold := 10 if input.strict
threshold := 5 if not input.strict
p := input.n >= threshold`,
		inputs: []string{`{"n": 7, "strict": true}`, `{"n": 7}`, `{"n": 7, "strict": false}`},
	},

	// Default rules.
	{
		name: "default_rule",
		module: `default p := "no"
p := "yes" if input.ok`,
		inputs: []string{`{"ok": true}`, `{"ok": false}`, `{}`, ``},
	},
	{
		name: "default_boolean_with_body_referencing_rule",
		module: `default allow := false
allow if { input.role == "admin" }
allow if { input.role == "user"; not input.banned }
p := {"allow": allow, "role": object.get(input, "role", null)}`,
		inputs: []string{`{"role": "admin"}`, `{"role": "user"}`, `{"role": "user", "banned": true}`, `{}`},
	},
	{
		name: "default_function",
		module: `default f(_) := "other"
f(x) := "small" if x < 10
p := [f(1), f(100), f("s")]`,
		inputs: []string{`{}`},
	},

	// else chains.
	{
		name: "else_chain",
		module: `p := "a" if input.n < 1
else := "b" if input.n < 10
else := "c"`,
		inputs: []string{`{"n": 0}`, `{"n": 5}`, `{"n": 50}`, `{"n": "x"}`, `{}`},
	},
	{
		name: "else_chain_without_final",
		module: `p := "a" if input.n < 1
else := "b" if input.n < 10`,
		inputs: []string{`{"n": 0}`, `{"n": 5}`, `{"n": 50}`},
	},
	{
		name: "else_chain_with_default",
		module: `default p := "d"
p := "a" if input.n == 1
else := "b" if input.n == 2`,
		inputs: []string{`{"n": 1}`, `{"n": 2}`, `{"n": 3}`},
	},
	{
		name: "else_in_function",
		module: `f(x) := "a" if x == 1
else := "b" if x == 2
else := "z"
p := [f(1), f(2), f(3), f(input.n)]`,
		inputs: []string{`{"n": 2}`, `{}`},
	},

	// Functions.
	{
		name: "function_several_bodies",
		module: `sign(x) := "neg" if x < 0
sign(x) := "zero" if x == 0
sign(x) := "pos" if x > 0
p := [sign(n) | some n in input.ns]`,
		inputs: []string{`{"ns": [-2, 0, 3, 0.0, -0.5]}`, `{"ns": []}`, `{"ns": ["a"]}`},
	},
	{
		name: "function_several_arguments",
		module: `g(a, b) := (a * b) + 1
h(x, y, z) := concat("-", [x, y, z])
k(x, y) := true if x == y
p := {"g": g(input.a, input.b), "h": h("a", input.s, "c"), "k": k(input.a, input.a)}`,
		inputs: []string{`{"a": 3, "b": 4, "s": "b"}`, `{"a": 3, "b": 4}`},
	},
	{
		name: "function_undefined_result",
		module: `f(x) := y if { x > 0; y := x * 2 }
p := f(input.x)`,
		inputs: []string{`{"x": 2}`, `{"x": -2}`, `{}`},
	},
	{
		name: "function_destructuring_arguments",
		module: `area([w, h]) := w * h
name({"first": f, "last": l}) := sprintf("%s %s", [f, l])
p := [area(input.rect), name(input.person)]`,
		inputs: []string{`{"rect": [2, 3], "person": {"first": "Ada", "last": "L"}}`, `{"rect": [2], "person": {"first": "Ada", "last": "L"}}`},
	},
	{
		name: "function_calling_rules_and_functions",
		module: `limit := data.cfg.limit
over(x) := x > limit
double(x) := x * 2
p := [x | some x in input.xs; over(double(x))]`,
		data:   `{"cfg": {"limit": 5}}`,
		inputs: []string{`{"xs": [1, 2, 3, 4]}`},
	},
	{
		name: "function_conflict",
		module: `f(x) := 1 if x > 0
f(x) := 2 if x > 1
p := f(input.x)`,
		inputs:  []string{`{"x": 5}`},
		wantErr: true,
	},
	{
		name: "function_no_conflict",
		module: `f(x) := 1 if x > 0
f(x) := 2 if x > 1
p := f(input.x)`,
		inputs: []string{`{"x": 1}`, `{"x": 0}`},
	},

	// Partial set rules.
	{
		name: "partial_set",
		module: `p contains x if { some x in input.xs; x > 1 }
p contains "always"`,
		inputs: []string{`{"xs": [1, 2, 3, 2]}`, `{"xs": []}`, `{}`},
	},
	{
		name:   "partial_set_empty",
		module: `p contains x if { some x in input.xs; x > 100 }`,
		inputs: []string{`{"xs": [1]}`, `{}`},
	},
	{
		name: "partial_set_of_objects_and_count",
		module: `deny contains {"code": "age", "msg": sprintf("age %v", [input.age])} if input.age < 18
deny contains {"code": "name"} if not input.name
p := {"deny": deny, "n": count(deny), "ok": count(deny) == 0}`,
		inputs: []string{`{"age": 10}`, `{"age": 30, "name": "x"}`, `{}`},
	},

	// Partial object rules.
	{
		name:   "partial_object",
		module: `p[k] := v if { some k, v in input.obj; v > 0 }`,
		inputs: []string{`{"obj": {"b": 1, "a": 2, "c": -1}}`, `{"obj": {}}`, `{}`},
	},
	{
		name:   "partial_object_computed_keys",
		module: `p[sprintf("k%d", [i])] := x if some i, x in input.xs`,
		inputs: []string{`{"xs": ["a", "b", "c"]}`},
	},
	{
		name: "partial_object_ref_heads",
		module: `p.a.b := 1
p.a.c := input.c
p.d := 3 if input.d
p.e[k] := true if some k in input.keys`,
		inputs: []string{`{"c": 2, "d": true, "keys": ["x", "y"]}`, `{}`},
	},
	{
		name:    "partial_object_key_conflict",
		module:  `p[k] := v if { some v in input.vs; k := "same" }`,
		inputs:  []string{`{"vs": [1, 2]}`},
		wantErr: true,
	},
	{
		name:   "partial_object_same_key_same_value",
		module: `p[k] := v if { some v in input.vs; k := "same" }`,
		inputs: []string{`{"vs": [1, 1]}`, `{"vs": []}`},
	},

	// some ... in.
	{
		name:   "some_in_array_with_index",
		module: `p := [[i, x] | some i, x in input.xs]`,
		inputs: []string{`{"xs": ["a", "b", "c"]}`, `{"xs": []}`, `{"xs": 3}`, `{"xs": "abc"}`},
	},
	{
		name:   "some_in_object_key_value",
		module: `p := [[k, v] | some k, v in input.obj]`,
		inputs: []string{`{"obj": {"z": 1, "a": 2, "m": 3, "10": 4, "9": 5}}`},
	},
	{
		name: "some_in_set",
		module: `s := {x | some x in input.xs}
p := [[k, v] | some k, v in s]`,
		inputs: []string{`{"xs": [3, 1, "b", 2, 1, "a", null, true, [1], {"k": 1}]}`},
	},
	{
		name: "some_value_only_over_each_collection",
		module: `p := {
	"arr": [x | some x in input.arr],
	"obj": [x | some x in input.obj],
	"set": [x | some x in {y | some y in input.arr}],
}`,
		inputs: []string{`{"arr": [5, 3, 4, 3], "obj": {"b": 2, "a": 1, "c": 0}}`},
	},
	{
		name:   "some_refs_with_wildcards",
		module: `p := {n | n := input.people[_].name}`,
		inputs: []string{`{"people": [{"name": "b"}, {"name": "a"}, {"age": 3}]}`},
	},
	{
		name: "some_with_join",
		module: `p contains [u.name, g.name] if {
	some u in input.users
	some g in input.groups
	u.group == g.id
}`,
		inputs: []string{`{"users": [{"name": "a", "group": 1}, {"name": "b", "group": 2}, {"name": "c", "group": 3}], "groups": [{"id": 1, "name": "g1"}, {"id": 2, "name": "g2"}]}`},
	},

	// Comprehensions.
	{
		name:   "array_comprehension_over_object_order",
		module: `p := [v | some k, v in input.obj; k != "skip"]`,
		inputs: []string{`{"obj": {"zeta": 1, "alpha": 2, "skip": 0, "mid": 3, "Beta": 4}}`},
	},
	{
		name:   "array_comprehension_over_set_order",
		module: `p := [x | some x in {3, "b", 1, "a", 2, false, null, [0], {"o": 1}}]`,
		inputs: []string{`{}`},
	},
	{
		name:   "array_comprehension_over_input_set",
		module: `p := [z | some x in {y | some y in input.xs}; z := x * 10]`,
		inputs: []string{`{"xs": [9, 3, 7, 3, 1, 2.5]}`},
	},
	{
		name:   "set_comprehension",
		module: `p := {lower(s) | some s in input.ss}`,
		inputs: []string{`{"ss": ["A", "a", "B", "c"]}`},
	},
	{
		name:   "object_comprehension",
		module: `p := {k: count(v) | some k, v in input.m}`,
		inputs: []string{`{"m": {"x": [1, 2], "y": "héllo", "z": {}}}`},
	},
	{
		name:   "nested_comprehensions",
		module: `p := {k: [y | some y in v; y > 1] | some k, v in input.m}`,
		inputs: []string{`{"m": {"b": [1, 2, 3], "a": [0], "c": []}}`},
	},
	{
		name:   "nested_comprehensions_set_in_array",
		module: `p := [{x | some x in row} | some row in input.rows]`,
		inputs: []string{`{"rows": [[3, 1, 3], [], ["b", "a"]]}`},
	},
	{
		name:   "comprehension_with_outer_variable",
		module: `p := [[x, [y | some y in input.ys; y > x]] | some x in input.xs]`,
		inputs: []string{`{"xs": [1, 5], "ys": [0, 2, 6]}`},
	},
	{
		name:    "object_comprehension_key_conflict",
		module:  `p := {k: v | some v in input.vs; k := "same"}`,
		inputs:  []string{`{"vs": [1, 2]}`},
		wantErr: true,
	},
	{
		name:   "comprehension_undefined_body_is_empty",
		module: `p := [x | some x in input.missing]`,
		inputs: []string{`{}`},
	},

	// every.
	{
		name:   "every_array",
		module: `p if every x in input.xs { x > 0 }`,
		inputs: []string{`{"xs": [1, 2]}`, `{"xs": [1, -2]}`, `{"xs": []}`, `{}`},
	},
	{
		name:   "every_object_key_value",
		module: `p if every k, v in input.obj { startswith(k, "x"); v < 10 }`,
		inputs: []string{`{"obj": {"xa": 1, "xb": 2}}`, `{"obj": {"xa": 1, "yb": 2}}`, `{"obj": {"xa": 11}}`},
	},
	{
		name:   "every_set_and_nested",
		module: `p if every s in {y | some y in input.xs} { every c in input.cs { s != c } }`,
		inputs: []string{`{"xs": [1, 2], "cs": [3]}`, `{"xs": [1, 2], "cs": [2]}`},
	},

	// not.
	{
		name: "not_variants",
		module: `blocked if input.blocked
f(x) := true if x == "bad"
not_input := [true | not input.flag]
not_rule := [true | not blocked]
p := {
	"not_input": not_input,
	"not_rule": not_rule,
	"not_call": [x | some x in input.xs; not f(x)],
	"not_cmp": [x | some x in input.xs; not x == "a"],
	"not_in": [x | some x in input.xs; not x in {"a"}],
}`,
		inputs: []string{`{"blocked": true, "xs": ["a", "bad", "c"]}`, `{"flag": true, "xs": []}`},
	},
	{
		name: "not_with_rule_bodies",
		module: `q if input.a
r if not q
p if { r; not input.b }`,
		inputs: []string{`{"a": true}`, `{}`, `{"b": 1}`},
	},

	// with.
	{
		name: "with_input_as",
		module: `q := input.x
p := [a, b, c] if {
	a := [x | x := q]
	b := [x | x := q with input as {"x": 2}]
	c := [x | x := q]
}`,
		inputs: []string{`{"x": 1}`, `{}`},
	},
	{
		name: "with_input_path_as",
		module: `q := input.x.y
r := input
p := [
	[x | x := q],
	[x | x := q with input.x.y as 5],
	[x | x := r with input.x as 7],
	[x | x := r with input.z as 1],
	[x | x := q],
]`,
		inputs: []string{`{"x": {"y": 1, "w": 2}}`, `{"x": 1}`, ``},
	},
	{
		name: "with_data_as",
		module: `limit := data.cfg.limit
over(x) := x > limit
p := [
	over(input.n),
	[x | x := over(input.n) with data.cfg.limit as 100],
	[x | x := data.cfg with data.cfg.other as 1],
	[x | x := limit with data.cfg as {"limit": 1}],
	[x | x := data.cfg.limit with data.cfg.limit.deep as 1],
	over(input.n),
]`,
		data:   `{"cfg": {"limit": 5}}`,
		inputs: []string{`{"n": 10}`},
	},
	{
		name: "with_in_rule_body_and_memo",
		module: `ok if input.role == "admin"
both := [a, b] if {
	a := [x | x := ok with input.role as "admin"]
	b := [x | x := ok with input.role as "user"]
}
p := [[x | x := ok], both, [x | x := ok]]`,
		inputs: []string{`{"role": "user"}`, `{"role": "admin"}`},
	},
	{
		name: "with_makes_body_undefined",
		module: `q if input.x == 1
p := "a" if q with input.x as 2
else := "b"`,
		inputs: []string{`{"x": 1}`},
	},

	// Dynamic refs into rules.
	{
		name: "dynamic_ref_partial_set_per_key",
		module: `fail.a contains "a1" if input.n > 1
fail.a contains "a2"
fail.b contains "b1" if input.n > 5
p := fail[input.item]`,
		inputs: []string{`{"item": "a", "n": 2}`, `{"item": "b", "n": 9}`, `{"item": "b", "n": 1}`, `{"item": "c", "n": 1}`, `{"n": 1}`, `{"item": 1, "n": 1}`},
	},
	{
		name: "dynamic_ref_count_and_with",
		module: `fail.a contains "a1" if input.n > 1
fail.b contains "b1" if input.n > 5
failures := fail[input.item]
other := n if n := count(failures) with input.item as "b"
p := {
	"n": count(failures),
	"other": other,
	"again": count(failures),
}`,
		inputs: []string{`{"item": "a", "n": 9}`, `{"item": "b", "n": 2}`},
	},
	{
		name: "dynamic_ref_complete_rules_per_key",
		module: `limit.x := 1
limit.y := 2 if input.big
p := limit[input.k]`,
		inputs: []string{`{"k": "x"}`, `{"k": "y", "big": true}`, `{"k": "y"}`, `{"k": "z"}`},
	},
	{
		name: "dynamic_ref_whole_prefix",
		module: `fail.a contains "a1" if input.n > 1
fail.b contains "b1" if input.n > 5
p := fail`,
		inputs: []string{`{"n": 9}`, `{"n": 2}`, `{"n": 0}`},
	},
	{
		name: "dynamic_ref_iteration",
		module: `fail.a contains "a1" if input.n > 1
fail.b contains "b1" if input.n > 5
p := [[k, v] | some k, v in fail]`,
		inputs: []string{`{"n": 9}`, `{"n": 2}`},
	},

	// Base data mixed with rules.
	{
		name:   "base_data_dynamic_lookup",
		module: `p := data.limits[input.kind] * 2`,
		data:   `{"limits": {"a": 1, "b": 2.5}}`,
		inputs: []string{`{"kind": "a"}`, `{"kind": "b"}`, `{"kind": "c"}`},
	},
	{
		name: "base_data_iteration_and_rules",
		module: `rate := data.rates[input.city]
p := {
	"rate": rate,
	"cities": [c | some c, _ in data.rates],
	"high": {c | some c, r in data.rates; r > rate},
	"names": [x.name | some x in data.people; x.age >= 18],
}`,
		data:   `{"rates": {"sz": 3, "gz": 2, "bj": 5}, "people": [{"name": "a", "age": 20}, {"name": "b", "age": 3}]}`,
		inputs: []string{`{"city": "gz"}`, `{"city": "xx"}`},
	},
	{
		name: "base_data_beside_rules_in_package",
		module: `items.rule_item := {"kind": "rule"}
p := {
	"keys": {k | some k, _ in data.test.items},
	"static": data.test.items.base_item,
	"dynamic": data.test.items[input.k],
	"whole": data.test.items,
}`,
		data:        `{"test": {"items": {"base_item": {"kind": "base"}}}}`,
		inputs:      []string{`{"k": "base_item"}`, `{"k": "rule_item"}`, `{"k": "none"}`},
		unsupported: true,
	},

	{
		name: "dynamic_ref_falls_back_to_base_data",
		module: `fail.a contains "a1" if input.n > 1
p := fail[input.item]`,
		data:        `{"test": {"fail": {"c": ["c1"]}}}`,
		inputs:      []string{`{"item": "a", "n": 2}`, `{"item": "a", "n": 0}`, `{"item": "c", "n": 0}`, `{"item": "d", "n": 0}`},
		unsupported: true,
	},

	// Refs, with, iteration and value edge cases.
	{
		name: "set_lookup_equal_number",
		module: `s contains 1
s contains "a"
p := [[x | x := s[input.k]], [x | x := {1, 2}[input.k]], [x | some x in s; x == input.k]]`,
		inputs: []string{`{"k": 1.0}`, `{"k": 1}`, `{"k": "a"}`, `{"k": 3}`},
	},
	{
		name:   "object_literal_duplicate_keys",
		module: `p := {input.a: "x", input.b: "y"}`,
		inputs: []string{`{"a": 1, "b": 1.0}`, `{"a": "k", "b": "k"}`, `{"a": "k", "b": "j"}`},
	},
	{
		name: "with_rule_mock",
		module: `q := input.x
r := q + 1
p := [r, [x | x := r with data.test.q as 10]]`,
		inputs: []string{`{"x": 1}`},
	},
	{
		name: "with_function_mock",
		module: `f(x) := x + 1
g(x) := x * 100
h(x) := f(x) * 2
p := [h(1), [y | y := h(1) with f as g], [y | y := count(input.xs) with count as 42], [y | y := h(1) with f as 7]]`,
		inputs: []string{`{"xs": [1]}`},
	},
	{
		name: "with_value_from_input",
		module: `q := input.x
p := [[y | y := q with input.x as input.y], [y | not q with input.x as input.y; y := 1]]`,
		inputs: []string{`{"x": 1, "y": 2}`, `{"x": 1}`, `{"x": 1, "y": false}`},
	},
	{
		name:   "old_style_iteration",
		module: `p := [i | some i; input.xs[i] == 2]`,
		inputs: []string{`{"xs": [2, 1, 2]}`, `{"xs": {"a": 2, "b": 3}}`},
	},
	{
		name:   "nested_base_refs",
		module: `p := [[x, y, v] | some x, y; v := data.limits[x][y]; v > input.min]`,
		data:   `{"limits": {"b": {"y": 3, "x": 1}, "a": {"z": 5}}}`,
		inputs: []string{`{"min": 2}`, `{"min": 0}`},
	},
	{
		name: "two_level_dynamic",
		module: `fail.a.x contains "ax" if input.n > 0
fail.a.y := "ay"
fail.b.x contains "bx"
p := [[v | v := fail[input.i][input.j]], [v | v := fail[input.i]], [k | some k, _ in fail[input.i]]]`,
		inputs: []string{`{"i": "a", "j": "x", "n": 1}`, `{"i": "a", "j": "x", "n": 0}`, `{"i": "a", "j": "y"}`, `{"i": "b", "j": "y"}`, `{"i": "c", "j": "x"}`},
	},
	{
		name: "dynamic_mixed_kinds",
		module: `rules.set contains "s" if input.on
rules.obj[k] := 1 if some k in input.keys
rules.val := "v" if input.on
p := [v | v := rules[input.which]]`,
		inputs: []string{`{"which": "set", "on": true}`, `{"which": "set"}`, `{"which": "obj", "keys": ["a"]}`, `{"which": "obj"}`, `{"which": "val"}`, `{"which": "val", "on": true}`},
	},
	{
		name: "partial_set_lookup",
		module: `s contains x if some x in input.xs
p := [[y | y := s[input.k]], [true | s[input.k]], [true | input.k in s]]`,
		inputs: []string{`{"xs": [1, "a"], "k": 1.0}`, `{"xs": [1.0], "k": 1}`, `{"xs": [], "k": 1}`},
	},
	{
		name:   "every_key_array",
		module: `p := [[true | every i, x in input.xs { i < 2; x > 0 }], [true | every k, v in input.o { k != v }]]`,
		inputs: []string{`{"xs": [1, 2], "o": {"a": "b"}}`, `{"xs": [1, 2, 3], "o": {"a": "a"}}`, `{"xs": "str", "o": 1}`},
	},
	{
		name:   "negative_zero_and_big",
		module: `p := [input.z, input.z == 0, input.big, input.big + 1, input.f * 3, input.big > input.f]`,
		inputs: []string{`{"z": -0, "big": 12345678901234567890123, "f": 0.1}`, `{"z": -0.0, "big": 1e400, "f": 1e-400}`},
	},
	{
		name: "package_with_functions",
		module: `f(x) := x
a := f(1)
b[x] := x if some x in input.xs`,
		query:  `data.test`,
		inputs: []string{`{"xs": ["k"]}`},
	},
	{
		name:   "data_root",
		module: `a := 1`,
		query:  `data`,
		data:   `{"x": {"y": [1, {"z": 2}]}}`,
		inputs: []string{`{}`},
	},
	{
		name:   "input_root",
		module: `a := 1`,
		query:  `input`,
		inputs: []string{`{"x": [1.0, {"y": null}]}`, `[1, 2]`, `"s"`, ``},
	},
	{
		name:   "string_keys_unicode_order",
		module: `p := [k | some k, _ in input]`,
		inputs: []string{`{"b": 1, "a": 2, "é": 3, "z": 4, "敬": 5, "A": 6, "": 7, "aa": 8}`},
	},
	{
		name: "object_non_string_keys",
		module: `o := {1: "n", "1": "s", true: "b", null: "z", [1]: "a", 1.5: "f"}
p := [[k, v] | some k, v in o]`,
		inputs: []string{`{}`},
	},
	{
		name: "else_undefined_value",
		module: `p := input.x if input.a
else := input.y`,
		inputs: []string{`{"a": true, "y": 2}`, `{"a": true, "x": 1}`, `{"y": 2}`, `{}`},
	},
	{
		name: "function_else_undefined_value",
		module: `f(x) := input.v if x > 0
else := "neg"
p := [[y | y := f(1)], [y | y := f(-1)]]`,
		inputs: []string{`{"v": 1}`, `{}`},
	},
	{
		name: "function_memo_input_args",
		module: `f(x) := [x, input.n]
q := f(1)
p := [q, [y | y := q with input.n as 2], q, [y | y := f(1) with input.n as 3]]`,
		inputs: []string{`{"n": 1}`},
	},
	{
		name: "with_in_function_body",
		module: `q := input.x
f(v) := r if r := q with input.x as v
p := [f(1), f(2), q]`,
		inputs: []string{`{"x": 0}`},
	},
	{
		name: "with_data_on_partial",
		module: `s contains x if some x in data.xs
p := [[y | y := s with data.xs as [7, 8]], s, [y | y := count(s) with data.xs as []]]`,
		data:   `{"xs": [1, 2]}`,
		inputs: []string{`{}`},
	},
	{
		name:   "comprehension_in_rule_head_key",
		module: `p[count([x | some x in input.xs; x > 1])] := "n"`,
		inputs: []string{`{"xs": [1, 2, 3]}`},
	},
	{
		name:   "sprintf_numbers",
		module: `p := [sprintf("%v|%d|%s|%.1f", [input.a, input.b, input.c, input.d]), sprintf("%v", [input])]`,
		inputs: []string{`{"a": 1.0, "b": 3, "c": [1, "x"], "d": 2.25}`},
	},
	{
		name:   "units_and_strings",
		module: `p := [units.parse_bytes("10KiB"), strings.replace_n({"a": "b"}, "aaa"), strings.reverse("敬老"), trim("xxhixx", "x"), lower("ÉCOLE"), sprintf("%q", ["敬"]), glob.match("a.*", ["."], "a.b"), split("敬,老", ",")]`,
		inputs: []string{`{}`},
	},

	// Built-in functions.
	{
		name: "builtin_count_strings",
		module: `p := {
	"ascii": count(input.a),
	"cjk": count(input.b),
	"accents": count(input.c),
	"emoji": count(input.d),
	"arr": count(input.arr),
	"num": [n | n := count(input.n)],
}`,
		inputs: []string{`{"a": "hello", "b": "敬老补贴", "c": "héllo", "d": "👍🏽x", "arr": [1, 2], "n": 3}`},
	},
	{
		name: "builtin_object_get",
		module: `p := [
	object.get(input, ["a", "b"], "dflt"),
	object.get(input, ["a", "x"], "dflt"),
	object.get(input, ["arr", 1], "dflt"),
	object.get(input, ["arr", 9], "dflt"),
	object.get(input, [], "dflt"),
	object.get(input, "a", "dflt"),
	object.get(input, "zz", {"d": 1}),
	object.get(input.a, "b", 0),
	[x | x := object.get(input.arr, 0, "not_object")],
	object.get(input, ["a", "b", "c"], "through_scalar"),
]`,
		inputs: []string{`{"a": {"b": 1}, "arr": ["x", "y"]}`},
	},
	{
		name: "builtin_arrays_and_strings",
		module: `p := {
	"concat_arrays": array.concat(input.xs, ["z"]),
	"slice": array.slice(input.xs, 1, 2),
	"sorted": sort(input.mixed),
	"sorted_set": sort({x | some x in input.mixed}),
	"joined": concat(", ", input.xs),
	"joined_set": concat("/", {x | some x in input.xs}),
	"fmt": sprintf("%s has %d items, %v, %.2f", ["list", count(input.xs), input.xs, 3.14159]),
	"re": regex.replace(input.phone, "[^0-9]", ""),
	"match": regex.match("^1[3-9][0-9]{9}$", regex.replace(input.phone, "[^0-9]", "")),
	"split": split("a,b,,c", ","),
	"upper": upper("héllo"),
	"sub": substring("敬老补贴", 1, 2),
	"idx": indexof("敬老补贴", "补"),
	"trim": trim_space("  x  "),
	"replace": replace("a-b-c", "-", "+"),
	"fmtint": format_int(255, 16),
	"json": json.marshal({"b": [1, 2], "a": null}),
	"unjson": json.unmarshal("{\"x\": [1, 2.50]}"),
	"b64": base64.encode("三面"),
	"type": [type_name(x) | some x in input.mixed],
}`,
		inputs: []string{`{"xs": ["b", "a"], "mixed": [3, "a", null, [1], {"k": 1}, true, 1.5, false], "phone": "138-0013 8000"}`},
	},
	{
		name: "builtin_numbers_and_sets",
		module: `p := {
	"sum": sum(input.ns),
	"max": max(input.ns),
	"min": min(input.ns),
	"round": round(2.5),
	"div": 1 / 3,
	"big": 100000000000000000000000000000 + 1,
	"mod": 7 % 3,
	"abs": abs(-2),
	"range": numbers.range(1, 4),
	"union": {1, 2} | {x | some x in input.ns},
	"inter": {1, 2, 3} & {x | some x in input.ns},
	"diff": {x | some x in input.ns} - {1},
	"ounion": object.union({"a": 1, "b": {"c": 1}}, {"b": {"d": 2}}),
	"keys": object.keys({"b": 1, "a": 2}),
	"remove": object.remove({"a": 1, "b": 2}, ["a"]),
	"filter": object.filter({"a": 1, "b": 2}, {"b"}),
}`,
		inputs: []string{`{"ns": [3, 1, 2, 1.5]}`},
	},
	{
		name: "builtin_time",
		module: `p := {
	"parse": time.parse_ns("2006-01-02", input.date),
	"rfc": time.parse_rfc3339_ns(input.ts),
	"diff": time.diff(time.parse_ns("2006-01-02", input.date), time.parse_ns("2006-01-02", input.birth)),
	"date": time.date(time.parse_ns("2006-01-02", input.date)),
	"add": time.add_date(time.parse_ns("2006-01-02", input.date), 0, 1, 0),
	"weekday": time.weekday(time.parse_ns("2006-01-02", input.date)),
	"bad": [x | x := time.parse_ns("2006-01-02", input.bad)],
}`,
		inputs: []string{`{"date": "2024-03-01", "birth": "1950-06-15", "ts": "2024-03-01T08:00:00+08:00", "bad": "2024-13-45"}`},
	},
	{
		name: "builtin_errors_are_undefined",
		module: `p := {
	"to_number_bad": [x | x := to_number(input.bad)],
	"to_number_ok": to_number(input.good),
	"to_number_int": to_number("12"),
	"div_zero": [x | x := 1 / input.zero],
	"bad_regex": [x | x := regex.match("(", "a")],
	"bad_json": [x | x := json.unmarshal(input.bad)],
}`,
		inputs: []string{`{"bad": "abc", "good": "12.5", "zero": 0}`},
	},
	{
		name:   "builtin_to_number_bad_input_undefined",
		module: `p := to_number(input.s)`,
		inputs: []string{`{"s": "abc"}`, `{"s": "7"}`, `{"s": null}`, `{"s": true}`, `{"s": [1]}`},
	},
	{
		name: "membership",
		module: `p := {
	"arr": input.x in input.arr,
	"set": input.x in {y | some y in input.arr},
	"obj": input.x in input.obj,
	"obj_key_not_value": "k" in input.obj,
	"kv_obj": ("k", input.x in input.obj),
	"kv_obj_wrong": ("k", "nope" in input.obj),
	"kv_arr": (1, input.x in input.arr),
	"kv_arr_bad_index": ("one", input.x in input.arr),
	"kv_set": (input.x, input.x in {y | some y in input.arr}),
	"kv_set_mismatch": (input.x, 0 in {y | some y in input.arr}),
	"kv_body": [k | some k, 1 in input.obj],
	"not_coll": input.x in "abc",
	"float_int": 1.0 in input.arr,
}`,
		inputs: []string{`{"x": 1, "arr": [0, 1], "obj": {"k": 1}}`, `{"x": "z", "arr": [], "obj": {}}`},
	},
	{
		name:   "membership_in_rule_bodies",
		module: `p := [x | some x in input.xs; x in input.allowed; not x in input.blocked]`,
		inputs: []string{`{"xs": ["a", "b", "c"], "allowed": ["a", "b"], "blocked": {"b": true, "x": "b"}}`},
	},

	// Comparisons.
	{
		name: "comparisons_mixed_types",
		module: `p := [[a < b, a == b, a != b, a > b, a >= b, a <= b] |
	some i, a in input.vals
	some j, b in input.vals
]`,
		inputs: []string{`{"vals": [null, false, true, 0, 1, 1.0, -1.5, "", "a", "B", [], [1], {}, {"a": 1}]}`},
	},
	{
		name: "comparisons_sets_and_numbers",
		module: `p := {
	"int_float_eq": input.one == input.onef,
	"int_float_unify": [true | input.one = input.onef],
	"set_lt_obj": {1} < {"a": 1},
	"set_order": {2} > {1, 3},
	"int_float_set": count({input.one, input.onef}),
	"int_float_key": {input.one: "a"}[input.onef],
	"big_vs_float": 10000000000000000000000 > 9999999999999999999999.5,
	"exp": 1e3 == 1000,
	"echo": [input.one, input.onef, input.exp],
}`,
		inputs: []string{`{"one": 1, "onef": 1.0, "exp": 1e2}`},
	},
	{
		name:   "number_text_preserved",
		module: `p := [input.a, input.b, input.c, input.a + 0, input.b * 1]`,
		inputs: []string{`{"a": 1.0, "b": 2.50, "c": 1e3}`},
	},

	// Undefined propagation.
	{
		name: "undefined_propagation",
		module: `f(x) := x
p := {
	"arr": [x | x := [input.missing]],
	"obj": [x | x := {"a": input.missing}],
	"set": [x | x := {input.missing}],
	"call": [x | x := f(input.missing)],
	"builtin": [x | x := count(input.missing)],
	"cmp": [x | x := input.missing == 1],
	"nested": [x | x := input.a.b.c.d],
	"string_index": [x | x := input.s[0]],
	"array_string_key": [x | x := input.arr.x],
	"array_neg": [x | x := input.arr[-1]],
	"array_float_index": [x | x := input.arr[1.0]],
	"array_float_index_frac": [x | x := input.arr[0.5]],
}`,
		inputs: []string{`{"a": {"b": 1}, "s": "abc", "arr": ["a", "b"]}`},
	},
	{
		name: "undefined_whole_rule",
		module: `q := input.missing
p := [q]`,
		inputs: []string{`{}`},
	},

	// Unification and assignment.
	{
		name: "unification",
		module: `p := {
	"pair": [a | [a, _] := input.pair],
	"obj": [x | {"x": x} := input.o],
	"short": [a | [a, _, _] := input.pair],
	"unify_eq": [x | input.o = {"x": x}],
	"nested": [y | [_, {"y": y}] = input.nested],
}`,
		inputs: []string{`{"pair": [1, 2], "o": {"x": "v"}, "nested": [0, {"y": "deep"}]}`, `{"pair": 1, "o": {"x": "v", "z": 1}, "nested": []}`},
	},

	// Conflicts.
	{
		name:    "complete_rule_conflict",
		module:  `p := x if some x in input.xs`,
		inputs:  []string{`{"xs": [1, 2]}`},
		wantErr: true,
	},
	{
		name:   "complete_rule_no_conflict",
		module: `p := x if some x in input.xs`,
		inputs: []string{`{"xs": [1, 1]}`, `{"xs": []}`},
	},
	{
		// Equal values written differently (1 and 1.0) in a set: topdown keeps the first.
		name:   "set_equal_values_keeps_first",
		module: `p := {v | some v in input.vs}`,
		inputs: []string{`{"vs": [1, 1.0]}`, `{"vs": [1.0, 1]}`},
	},
	{
		// In an object comprehension topdown keeps the last of two equal values
		// (unlike partial object rules, see partial_object_equal_values_keeps_first),
		// and so does irvm.
		name:   "object_comprehension_equal_values_keeps_last",
		module: `p := {k: v | some v in input.vs; k := "same"}`,
		inputs: []string{`{"vs": [1, 1.0]}`, `{"vs": [1.0, 1]}`},
	},
	{
		name: "merge_base_and_rules",
		module: `items.x.b := 2
p := [data.test.items, data.test.items.x, {k | some k, _ in data.test.items.x}]`,
		data:        `{"test": {"items": {"x": {"a": 1}, "y": 3}}}`,
		inputs:      []string{`{}`},
		unsupported: true,
	},
	{
		name: "complete_rule_conflict_across_bodies",
		module: `p := 1 if input.a
p := 2 if input.b`,
		inputs:  []string{`{"a": true, "b": true}`},
		wantErr: true,
	},

	// Queries other than a single rule.
	{
		name: "query_whole_package",
		module: `a := 1
b contains x if some x in input.xs
c[x] := 1 if some x in input.xs`,
		query:  `data.test`,
		inputs: []string{`{"xs": ["k"]}`, `{}`},
	},
	{
		name:   "query_expression",
		module: `a := input.n + 1`,
		query:  `data.test.a * 2`,
		inputs: []string{`{"n": 1}`, `{}`},
	},

	// Known discrepancies between irvm and topdown: these cases fail until irvm (or the
	// plan it runs) is fixed.

	// Equal values written differently (1 and 1.0): topdown keeps the first value of a
	// complete rule or function, as OPA's wasm AssignVarOnceStmt does (it skips the
	// assignment when the values compare equal); irvm's opAssignOnce overwrites it.
	{
		name:   "complete_rule_equal_values_keeps_first",
		module: `p := x if some x in input.xs`,
		inputs: []string{`{"xs": [1, 1.0]}`, `{"xs": [2.0, 2]}`, `{"xs": [[1], [1.0]]}`},
	},
	{
		name: "rule_bodies_equal_values_keeps_first",
		module: `p := 1 if input.a
p := 1.0 if input.b`,
		inputs: []string{`{"a": true, "b": true}`},
	},
	{
		name: "function_equal_values_keeps_first",
		module: `f(x) := 1 if x > 0
f(x) := 1.0 if x > 0
g(x) := 2.0 if x > 0
g(x) := 2 if x > 0
p := [f(1), g(1)]`,
		inputs: []string{`{}`},
	},
	{
		// As above for partial object rules (ObjectInsertOnceStmt). The plan uses the
		// same statement for object comprehensions, where topdown keeps the last value
		// (object_comprehension_equal_values_keeps_last).
		name:   "partial_object_equal_values_keeps_first",
		module: `p[k] := v if { some v in input.vs; k := "same" }`,
		inputs: []string{`{"vs": [1, 1.0]}`, `{"vs": [1.0, 1]}`},
	},
	{
		name:   "partial_object_ref_head_equal_values_keeps_first",
		module: `p.e[k] := v if { some v in input.vs; k := "same" }`,
		inputs: []string{`{"vs": [1, 1.0]}`, `{"vs": [1.0, 1]}`},
	},
	{
		// Iterating a path that holds both base documents and rules: topdown visits the
		// merged object in key order; OPA's plan scans the rules first, then the base
		// documents the rules do not define.
		name: "base_and_rule_iteration_order",
		module: `items.rule_item := 1
p := [k | some k, _ in data.test.items]`,
		data:        `{"test": {"items": {"base_item": 2}}}`,
		inputs:      []string{`{}`},
		unsupported: true,
	},
	{
		name: "base_and_rule_iteration_order_nested",
		module: `items.x.b := 2
p := [k | some k, _ in data.test.items.x]`,
		data:        `{"test": {"items": {"x": {"a": 1}}}}`,
		inputs:      []string{`{}`},
		unsupported: true,
	},

	// Relations (walk) produce several outputs; the plan scans the collection of them the
	// call returns. irvm kept only the last output.
	{
		name:   "relation_walk_all_outputs",
		module: `p := [[path, v] | walk(input, [path, v])]`,
		inputs: []string{`{"a": {"b": [1, 2]}, "c": "x"}`, `[]`, `3`, `{"s": ["q", {"t": null}]}`},
	},
	{
		name: "relation_walk_filtered",
		module: `numbers contains path if { walk(input, [path, v]); is_number(v) }
p := {"numbers": numbers, "leaves": count([v | walk(input.x, [_, v]); not is_object(v)]), "wild": count([1 | walk(input, _)])}`,
		inputs: []string{`{"x": {"y": 1, "z": {"w": 2}}, "n": 3}`, `{"x": 1}`, `{}`},
	},
	{
		// Without its output a relation is, for topdown, a generator of as many solutions
		// as outputs; OPA's plan tests that there is one. Found by FuzzPolicies.
		name:        "relation_without_output_refused",
		module:      `p := [x | some x in input.xs; walk(input.o)]`,
		inputs:      []string{`{"xs": [1, 2], "o": {"a": [1]}}`},
		unsupported: true,
	},
	{
		name: "relation_walk_in_function_and_every",
		module: `depth(x) := max([count(path) | walk(x, [path, _])])
p := {"depth": depth(input), "all_small": [true | every pv in [pv | walk(input, pv)] { count(pv[0]) < 3 }]}`,
		inputs: []string{`{"a": {"b": {"c": 1}}}`, `{"a": 1}`},
	},

	// print is true (its output goes to the print hook, or nowhere); irvm made the rule
	// undefined.
	{
		name: "print_is_true",
		module: `p := {"x": x, "q": q} if {
	x := input.x
	print("x is", x)
	q := [y | some y in input.ys; print(y)]
}`,
		inputs: []string{`{"x": 1, "ys": [1, 2]}`, `{"x": "a", "ys": []}`, `{}`},
		print:  true,
	},
	{
		name: "print_undefined_argument",
		module: `p if {
	print("missing:", input.nothing)
	input.ok
}`,
		inputs: []string{`{"ok": true}`, `{"ok": false}`},
		print:  true,
	},

	// A rule and the base document both define a value at one path (a bundle the engine
	// refuses on load with ast.CheckPathConflicts): topdown keeps the base document's value;
	// OPA's wasm runtime assigns undefined; irvm took the rule's value.
	{
		name: "merge_base_and_rule_conflict_base_wins",
		module: `items.x.b := 2 if input.on
p := [data.test.items, data.test.items.x]`,
		data:   `{"test": {"items": {"x": {"a": 1, "b": 1}, "y": 3}}}`,
		inputs: []string{`{"on": true}`, `{"on": false}`},
	},
	{
		name: "merge_base_and_rule_conflict_nested_objects",
		module: `items.x.b := {"c": 2, "d": 2} if input.on
p := [data.test.items, data.test.items.x.b]`,
		data:   `{"test": {"items": {"x": {"a": 1, "b": {"c": 1}}}}}`,
		inputs: []string{`{"on": true}`, `{}`},
	},
}

// env is a compiled module with its store, shared by both evaluators.
type env struct {
	compiler *ast.Compiler
	store    storage.Store
	data     ast.Value
}

func newEnv(tb testing.TB, module, data string) *env {
	tb.Helper()
	return newEnvPrint(tb, module, data, false)
}

// newEnvPrint is newEnv with print statements kept (enablePrint) or erased.
func newEnvPrint(tb testing.TB, module, data string, enablePrint bool) *env {
	tb.Helper()
	mod, err := ast.ParseModuleWithOpts("test.rego", "package test\n\n"+module, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		tb.Fatalf("parse: %v", err)
	}
	c := ast.NewCompiler().WithEnablePrintStatements(enablePrint)
	if c.Compile(map[string]*ast.Module{"test.rego": mod}); c.Failed() {
		tb.Fatalf("compile: %v", c.Errors)
	}
	return newEnvFromCompiler(tb, c, data)
}

// newEnvFromCompiler is an env of compiled modules and the base documents data (JSON).
func newEnvFromCompiler(tb testing.TB, c *ast.Compiler, data string) *env {
	tb.Helper()
	raw := map[string]any{}
	if data != "" {
		if err := util.UnmarshalJSON([]byte(data), &raw); err != nil {
			tb.Fatalf("data: %v", err)
		}
	}
	dv, err := ast.InterfaceToValue(raw)
	if err != nil {
		tb.Fatal(err)
	}
	return &env{compiler: c, store: inmem.NewFromObject(raw), data: dv}
}

// topdown evaluates query with OPA's evaluator; the value is nil when undefined.
func (e *env) topdown(ctx context.Context, query string, input ast.Value) (ast.Value, error) {
	opts := []func(*rego.Rego){rego.Query(query), rego.Compiler(e.compiler), rego.Store(e.store)}
	pq, err := rego.New(opts...).PrepareForEval(ctx)
	if err != nil {
		return nil, err
	}
	evalOpts := []rego.EvalOption{rego.EvalGenerateJSON(func(t *ast.Term, _ *rego.EvalContext) (any, error) { return t, nil })}
	if input != nil {
		evalOpts = append(evalOpts, rego.EvalParsedInput(input))
	}
	rs, err := pq.Eval(ctx, evalOpts...)
	if err != nil {
		return nil, err
	}
	switch {
	case len(rs) == 0:
		return nil, nil
	case len(rs) > 1 || len(rs[0].Expressions) != 1:
		return nil, fmt.Errorf("topdown: %d results", len(rs))
	}
	t, ok := rs[0].Expressions[0].Value.(*ast.Term)
	if !ok {
		return nil, fmt.Errorf("topdown: result %T", rs[0].Expressions[0].Value)
	}
	return t.Value, nil
}

// topdownUnindexed is topdown without rule indexing, for telling an irvm bug from one of
// topdown's rule index (see TestTopdownRuleIndex).
func (e *env) topdownUnindexed(ctx context.Context, query string, input ast.Value) (ast.Value, error) {
	pq, err := rego.New(rego.Query(query), rego.Compiler(e.compiler), rego.Store(e.store)).PrepareForEval(ctx)
	if err != nil {
		return nil, err
	}
	opts := []rego.EvalOption{rego.EvalRuleIndexing(false),
		rego.EvalGenerateJSON(func(t *ast.Term, _ *rego.EvalContext) (any, error) { return t, nil })}
	if input != nil {
		opts = append(opts, rego.EvalParsedInput(input))
	}
	rs, err := pq.Eval(ctx, opts...)
	if err != nil || len(rs) == 0 {
		return nil, err
	}
	t, ok := rs[0].Expressions[0].Value.(*ast.Term)
	if !ok {
		return nil, fmt.Errorf("topdown: result %T", rs[0].Expressions[0].Value)
	}
	return t.Value, nil
}

// TestTopdownRuleIndex records where topdown's rule index (OPA v1.22.3) answers differently
// from topdown evaluating every rule, found by FuzzPolicies; irvm, which has no rule index,
// agrees with the latter. When a case fails, OPA has changed its index: update the case (and
// the matching skip in FuzzPolicies).
func TestTopdownRuleIndex(t *testing.T) {
	tests := []struct {
		name   string
		module string
		// indexed is topdown's answer with its index ("error" for an error); irvm and
		// topdown without the index give want.
		indexed, want string
	}{
		{
			// A wrong answer: a variable bound by `some v in data.x`, tested with
			// `v in data.x` and then compared with `v == 1`, makes the index drop the rule.
			name: "membership_then_equality_drops_rule",
			module: `b if {
	some v in data.base.allowed
	v in data.base.allowed
	v == 1
}

p := [x | x := b]`,
			indexed: "[]", want: "[true]",
		},
		{
			// The index skips a rule whose head value (input.a) is undefined, and with it
			// the conflict its body raises (f has two values for one argument).
			name: "undefined_head_skips_body_conflict",
			module: `f(_) := 1 if input.no
else := 0

f(_) := 2

r := input.a if v := f(1)

p := [y | y := r]`,
			indexed: "[]", want: "error",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.module, `{"base": {"allowed": ["x", "y", 1]}}`)
			ctx := t.Context()
			prog, err := irvm.Compile(ctx, e.compiler, e.store, "data.test.p")
			if err != nil {
				t.Fatal(err)
			}
			show := func(v ast.Value, err error) string {
				if err != nil {
					return "error"
				}
				return v.String()
			}
			input := ast.NewObject()
			if got := show(prog.Eval(ctx, input, e.data, irvm.Options{})); got != tc.want {
				t.Fatalf("irvm: %s, want %s", got, tc.want)
			}
			if got := show(e.topdownUnindexed(ctx, "data.test.p", input)); got != tc.want {
				t.Fatalf("topdown without its rule index: %s, want %s", got, tc.want)
			}
			if got := show(e.topdown(ctx, "data.test.p", input)); got != tc.indexed {
				t.Fatalf("topdown with its rule index now gives %s (was %s): update this case", got, tc.indexed)
			}
		})
	}
}

// parseInput reads a JSON document as OPA does; the empty string is no input.
func parseInput(tb testing.TB, s string) ast.Value {
	tb.Helper()
	if s == "" {
		return nil
	}
	var x any
	if err := util.UnmarshalJSON([]byte(s), &x); err != nil {
		tb.Fatalf("input: %v", err)
	}
	v, err := ast.InterfaceToValue(x)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// canonical renders a result for comparison: "undefined", or its JSON with object keys and
// sets sorted and numbers as written.
func canonical(v ast.Value) string {
	if v == nil {
		return "undefined"
	}
	x, err := ast.JSONWithOpt(v, ast.JSONOpt{SortSets: true})
	if err != nil {
		return "json error: " + err.Error()
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(x); err != nil {
		return "json error: " + err.Error()
	}
	return fmt.Sprintf("%s %s", bytes.TrimSpace(buf.Bytes()), v)
}

// same reports whether two results agree: both undefined, or equal values (ast.Compare,
// which tells sets from arrays and orders array elements) with the same canonical text.
func same(a, b ast.Value) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return ast.Compare(a, b) == 0 && canonical(a) == canonical(b)
}

func TestDifferential(t *testing.T) {
	seen := map[string]bool{}
	for _, tc := range diffCases {
		if seen[tc.name] {
			t.Fatalf("duplicate case name %s", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			query := tc.query
			if query == "" {
				query = "data.test.p"
			}
			e := newEnvPrint(t, tc.module, tc.data, tc.print)
			prog, err := irvm.Compile(ctx, e.compiler, e.store, query)
			if tc.unsupported {
				if !errors.Is(err, irvm.ErrUnsupported) {
					t.Fatalf("irvm.Compile: got %v, want ErrUnsupported", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("irvm.Compile: %v", err)
			}
			for i, in := range tc.inputs {
				input := parseInput(t, in)
				got, gotErr := prog.Eval(ctx, input, e.data, irvm.Options{})
				want, wantErr := e.topdown(ctx, query, input)
				switch {
				case tc.wantErr:
					if gotErr == nil || wantErr == nil {
						t.Errorf("input %d %s: want both to fail\nirvm:    %s, %v\ntopdown: %s, %v", i, in, canonical(got), gotErr, canonical(want), wantErr)
					}
				case gotErr != nil || wantErr != nil:
					t.Errorf("input %d %s: unexpected error\nirvm:    %v\ntopdown: %v", i, in, gotErr, wantErr)
				case !same(got, want):
					t.Errorf("input %d %s: results differ\nirvm:    %s\ntopdown: %s", i, in, canonical(got), canonical(want))
				}
			}
		})
	}
}

func TestCompileUnsupported(t *testing.T) {
	tests := []struct {
		name   string
		module string
	}{
		{
			name:   "nondeterministic_time_now",
			module: `p := time.now_ns()`,
		},
		{
			name:   "nondeterministic_http_send",
			module: `p := http.send({"method": "get", "url": "http://127.0.0.1:1"})`,
		},
		{
			name:   "nondeterministic_rand",
			module: `p := rand.intn("k", 10)`,
		},
		{
			// The planner plans data.test.a (a ref with a variable) as one function and
			// cannot evaluate a rule of it that refers back into that prefix.
			name: "planner_same_prefix_reference",
			module: `a[x].b := 1 if some x in ["k"]
a.c.d := data.test.a.k.b
p := a.c.d`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.module, "")
			_, err := irvm.Compile(t.Context(), e.compiler, e.store, "data.test.p")
			if !errors.Is(err, irvm.ErrUnsupported) {
				t.Fatalf("irvm.Compile: got %v, want ErrUnsupported", err)
			}
		})
	}
	t.Run("builtin_unknown_to_planner", func(t *testing.T) {
		// Declared to the compiler only: the planner, which knows OPA's built-in functions
		// (and rego.Function ones), cannot plan the call.
		decl := &ast.Builtin{Name: "sanmian_test.undeclared", Decl: types.NewFunction(types.Args(types.S), types.S)}
		mod, err := ast.ParseModuleWithOpts("test.rego", "package test\n\np := sanmian_test.undeclared(input.s)\n",
			ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Fatal(err)
		}
		c := ast.NewCompiler().WithCapabilities(&ast.Capabilities{Builtins: append(ast.CapabilitiesForThisVersion().Builtins, decl)})
		if c.Compile(map[string]*ast.Module{"test.rego": mod}); c.Failed() {
			t.Fatal(c.Errors)
		}
		_, err = irvm.Compile(t.Context(), c, inmem.New(), "data.test.p")
		if !errors.Is(err, irvm.ErrUnsupported) {
			t.Fatalf("irvm.Compile: got %v, want ErrUnsupported", err)
		}
	})
	t.Run("builtin_without_implementation", func(t *testing.T) {
		// Planned, but topdown has no implementation irvm could call.
		e := newEnv(t, `p := sanmian_test.unimplemented(input.s)`, "")
		_, err := irvm.Compile(t.Context(), e.compiler, e.store, "data.test.p")
		if !errors.Is(err, irvm.ErrUnsupported) {
			t.Fatalf("irvm.Compile: got %v, want ErrUnsupported", err)
		}
	})
}

// unimplemented is a built-in function declared to OPA (ast.BuiltinMap, so the planner
// plans calls to it) without an implementation in topdown.
var unimplemented = &ast.Builtin{
	Name: "sanmian_test.unimplemented",
	Decl: types.NewFunction(types.Args(types.S), types.S),
}

// init registers unimplemented before any test runs: ast.RegisterBuiltin writes OPA's
// global tables.
func init() { ast.RegisterBuiltin(unimplemented) }

// concurrencyModule exercises memoised rules, with frames, dynamic calls and comprehensions,
// all of which keep per-evaluation state.
const concurrencyModule = `
fail.a contains "too_young" if input.age < 18
fail.a contains "no_name" if not input.name
fail.b contains "too_old" if input.age > 60
failures := fail[input.item]
score := sum([w | some k, w in data.weights; k in input.tags])
other := n if n := count(failures) with input.item as "b"
p := {
	"item": input.item,
	"failures": failures,
	"n": count(failures),
	"other": other,
	"score": score,
	"names": [upper(n) | some n in input.names],
}`

func TestConcurrentEval(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx := t.Context()
	e := newEnv(t, concurrencyModule, `{"weights": {"x": 1, "y": 2, "z": 4}}`)
	prog, err := irvm.Compile(ctx, e.compiler, e.store, "data.test.p")
	if err != nil {
		t.Fatal(err)
	}
	const n = 16
	inputs := make([]ast.Value, n)
	wants := make([]ast.Value, n)
	for i := range n {
		items := []string{"a", "b"}
		in := fmt.Sprintf(`{"item": %q, "age": %d, "tags": ["x", "z"], "names": ["n%d", "m"]}`, items[i%2], 10+i*5, i)
		if i%3 == 0 {
			in = fmt.Sprintf(`{"item": %q, "age": %d, "name": "x", "tags": ["y"], "names": []}`, items[i%2], 10+i*5)
		}
		inputs[i] = parseInput(t, in)
		if wants[i], err = e.topdown(ctx, "data.test.p", inputs[i]); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Go(func() {
			for r := range 50 {
				i := (g + r) % n
				got, err := prog.Eval(ctx, inputs[i], e.data, irvm.Options{})
				if err != nil {
					t.Errorf("goroutine %d: %v", g, err)
					return
				}
				if !same(got, wants[i]) {
					t.Errorf("goroutine %d input %d:\nirvm:    %s\ntopdown: %s", g, i, canonical(got), canonical(wants[i]))
					return
				}
			}
		})
	}
	wg.Wait()
}

// fuzzModule is a fixed policy of the shape the hub evaluates: indexed complete rules,
// partial sets per item, default and else chains, comprehensions over every collection kind,
// with, every and a handful of built-in functions over whatever the input holds.
const fuzzModule = `
default tier := "none"
tier := "gold" if input.score >= 90
else := "silver" if input.score >= 50
else := "bronze" if is_number(input.score)

fail.a contains "age" if input.age < 18
fail.a contains "name" if not is_string(input.name)
fail.b contains sprintf("tag %v", [t]) if { some t in input.tags; not t in data.allowed }
fail.c contains k if { some k, v in input; v == null }

label(x) := "num" if is_number(x)
else := "str" if is_string(x)
else := type_name(x)

# Every member is defined whatever the input: a possibly undefined value is wrapped
# in an array comprehension.
p := {
	"tier": tier,
	"fail": [f | f := fail[input.item]],
	"all": [[k, count(v)] | some k, v in fail],
	"keys": [k | some k, _ in input],
	"values": [v | some v in input],
	"labels": {k: label(v) | some k, v in input},
	"tagset": [t | some t in {u | some u in input.tags}],
	"tagpairs": [[i, t] | some i, t in input.tags],
	"every_small": [true | every x in input.tags { count(x) < 5 }],
	"with_item": [n | n := count(fail[input.item]) with input.item as "a"],
	"with_tags": [f | f := fail.b with input.tags as ["z"]],
	"sorted_keys": [s | s := sort([k | some k, _ in input])],
	"name_len": [n | n := count(input.name)],
	"name_upper": [n | n := upper(input.name)],
	"get": [g | g := object.get(input, ["nested", "x"], "dflt")],
	"num": [n | n := to_number(input.score)],
	"in_tags": [b | b := "x" in input.tags],
	"cmp": [c | c := [input.age < input.score, input.age == input.score]],
	"nested": [[k, [x | some x in v]] | some k, v in input; is_object(v)],
	"merged": [o | o := object.union(input, {"item": "fixed"})],
	"arith": [n | n := input.age + input.score],
	"str": [s | s := concat(",", [label(v) | some v in input])],
}
`

func FuzzDifferential(f *testing.F) {
	for _, s := range []string{
		`{"item": "a", "age": 10, "score": 95, "tags": ["x", "y"], "name": "敬老"}`,
		`{"item": "b", "age": 30, "score": 55.5, "tags": ["x", "q", "long_tag"], "name": null}`,
		`{"item": "c", "score": "77", "tags": {"k": "x"}, "nested": {"x": [1]}}`,
		`{"item": 1, "age": "old", "score": 1e2, "tags": "x"}`,
		`[1, 2, 3]`,
		`"scalar"`,
		`{}`,
	} {
		f.Add([]byte(s))
	}
	e := newEnv(f, fuzzModule, `{"allowed": ["x", "y"]}`)
	prog, err := irvm.Compile(f.Context(), e.compiler, e.store, "data.test.p")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var x any
		if err := util.UnmarshalJSON(b, &x); err != nil {
			t.Skip()
		}
		input, err := ast.InterfaceToValue(x)
		if err != nil {
			t.Skip()
		}
		ctx := t.Context()
		got, gotErr := prog.Eval(ctx, input, e.data, irvm.Options{})
		want, wantErr := e.topdown(ctx, "data.test.p", input)
		if (gotErr != nil) != (wantErr != nil) {
			t.Fatalf("input %s: errors differ\nirvm:    %v\ntopdown: %v", b, gotErr, wantErr)
		}
		if gotErr == nil && !same(got, want) {
			t.Fatalf("input %s: results differ\nirvm:    %s\ntopdown: %s", b, canonical(got), canonical(want))
		}
	})
}
