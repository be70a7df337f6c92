package policy

import (
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Canonical JSON for records: object keys sorted, no insignificant space, numbers as written.
// Inputs and results are written straight from OPA's AST values (the engine builds inputs as
// AST values, input.go), without converting them to Go values first. Replay uses the same
// writer, so byte equality of results is exact.

func appendASTJSON(b []byte, v ast.Value) ([]byte, error) {
	switch x := v.(type) {
	case ast.Null:
		return append(b, "null"...), nil
	case ast.Boolean:
		return strconv.AppendBool(b, bool(x)), nil
	case ast.Number:
		return append(b, x...), nil
	case ast.String:
		return appendJSONString(b, string(x)), nil
	case *ast.Array:
		b = append(b, '[')
		var err error
		for i := range x.Len() {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendASTJSON(b, x.Elem(i).Value); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case ast.Object:
		// Keys and Get rather than Iter: a closure per object would be allocated (the
		// argument of an interface method escapes); Keys is one slice, in sorted order.
		b = append(b, '{')
		var err error
		for i, k := range x.Keys() {
			ks, ok := k.Value.(ast.String)
			if !ok {
				return nil, fmt.Errorf("canonical json: non-string key %v", k)
			}
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, string(ks))
			b = append(b, ':')
			if b, err = appendASTJSON(b, x.Get(k).Value); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case ast.Set:
		// A set is written as its sorted array (OPA's JSON form of a set).
		return appendASTJSON(b, x.Sorted())
	}
	return nil, fmt.Errorf("canonical json: unsupported value %T", v)
}

// appendJSONString writes s as a JSON string: quotes, backslashes and control characters
// escaped, invalid UTF-8 replaced by U+FFFD, everything else as UTF-8.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				switch c {
				case '\n':
					b = append(b, '\\', 'n')
				case '\r':
					b = append(b, '\\', 'r')
				case '\t':
					b = append(b, '\\', 't')
				default:
					b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
				}
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
