package policy

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Canonical JSON for records: object keys sorted, no insignificant space, numbers as written.
// Inputs are written from the JSON-model Go values the engine builds (map[string]any, []any,
// string, bool, nil, json.Number); results straight from OPA's AST values, without converting
// them to Go values first. Replay uses the same writers, so byte equality of results is exact.

func appendGoJSON(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case string:
		return appendJSONString(b, x), nil
	case json.Number:
		return append(b, x...), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case []any:
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendGoJSON(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			var err error
			if b, err = appendGoJSON(b, x[k]); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	}
	return nil, fmt.Errorf("canonical json: unsupported type %T", v)
}

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
		b = append(b, '{')
		first := true
		err := x.Iter(func(k, val *ast.Term) error {
			ks, ok := k.Value.(ast.String)
			if !ok {
				return fmt.Errorf("canonical json: non-string key %v", k)
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = appendJSONString(b, string(ks))
			b = append(b, ':')
			var err error
			b, err = appendASTJSON(b, val.Value)
			return err
		})
		if err != nil {
			return nil, err
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
