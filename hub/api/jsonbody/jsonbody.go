// Package jsonbody is the hub's one strict decoder of JSON request bodies, shared by the REST
// API and the GraphQL door: the media type must be application/json (a charset parameter, if
// any, must be UTF-8), the body is bounded, a single JSON value, valid UTF-8, with object
// member names matched exactly (no case folding), duplicate names refused and, unless the
// caller allows them, unknown members refused. Errors describe the problem without echoing
// the body.
package jsonbody

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"
	"unicode/utf8"

	json "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Error is a decoding failure: Detail says what is wrong in words safe to show the caller
// (member names cut short, no values), Field names the offending member as a JSON pointer
// when there is one.
type Error struct {
	Field  string
	Detail string
	err    error
}

func (e *Error) Error() string { return "jsonbody: " + e.Detail }

// Unwrap returns ErrMalformed.
func (e *Error) Unwrap() error { return ErrMalformed }

// CheckMediaType accepts "application/json" with an optional charset=utf-8 parameter (any
// case) and nothing else; it returns ErrMediaType otherwise.
func CheckMediaType(contentType string) error {
	if contentType == "" {
		return ErrMediaType
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/json" {
		return ErrMediaType
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return ErrMediaType
		}
	}
	return nil
}

// Options tune Decode.
type Options struct {
	// AllowUnknown lets object members the destination has no field for pass (they are
	// ignored); by default they are refused.
	AllowUnknown bool
}

// Decode reads exactly one JSON value from r into dst (a non-nil pointer), reading at most
// limit bytes; see the package comment for what it refuses. It returns ErrTooLarge, or an
// *Error wrapping ErrMalformed.
func Decode(r io.Reader, limit int64, dst any, o Options) error {
	lr := &limitedReader{r: r, n: limit}
	err := json.UnmarshalRead(lr, dst,
		json.RejectUnknownMembers(!o.AllowUnknown),
		json.MatchCaseInsensitiveNames(false),
		jsontext.AllowDuplicateNames(false),
		jsontext.AllowInvalidUTF8(false))
	if lr.over {
		return ErrTooLarge
	}
	if err != nil {
		return describe(err)
	}
	return nil
}

// limitedReader reads at most n bytes and remembers whether the source had more.
type limitedReader struct {
	r    io.Reader
	n    int64
	over bool
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		// One byte more tells a body of exactly the limit from a longer one.
		var b [1]byte
		n, err := l.r.Read(b[:])
		if n > 0 {
			l.over = true
			return 0, ErrTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// describe turns a decoding error into an *Error without the body's values.
func describe(err error) *Error {
	e := &Error{err: err}
	var sem *json.SemanticError
	var syn *jsontext.SyntacticError
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		e.Detail = "the body is empty or ends early"
	case errors.As(err, &syn):
		e.Field = shortPointer(string(syn.JSONPointer))
		switch {
		case errors.Is(syn.Err, jsontext.ErrDuplicateName):
			e.Detail = "duplicate member name " + quoteOr(e.Field)
		case syn.Err != nil && strings.Contains(syn.Err.Error(), "UTF-8"):
			e.Detail = fmt.Sprintf("invalid UTF-8 at byte %d", syn.ByteOffset)
		default:
			e.Detail = fmt.Sprintf("invalid JSON at byte %d", syn.ByteOffset)
		}
	case errors.As(err, &sem):
		e.Field = shortPointer(string(sem.JSONPointer))
		switch {
		case errors.Is(sem.Err, json.ErrUnknownName):
			e.Detail = "unknown member " + quoteOr(e.Field)
		case sem.GoType != nil && sem.JSONKind != 0:
			e.Detail = fmt.Sprintf("member %s: a JSON %s cannot be %s", quoteOr(e.Field), kindName(sem.JSONKind), goKind(sem.GoType.Kind().String()))
		default:
			e.Detail = "member " + quoteOr(e.Field) + " has the wrong type or value"
		}
	default:
		e.Detail = "the body is not the expected JSON object"
	}
	return e
}

// maxPointer bounds a JSON pointer quoted back to the caller, in characters.
const maxPointer = 64

// shortPointer keeps a JSON pointer short and printable.
func shortPointer(p string) string {
	p = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return '?'
		}
		return r
	}, p)
	if utf8.RuneCountInString(p) > maxPointer {
		p = string([]rune(p)[:maxPointer-1]) + "…"
	}
	return p
}

func quoteOr(p string) string {
	if p == "" {
		return "(top level)"
	}
	return fmt.Sprintf("%q", p)
}

func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 't', 'f':
		return "boolean"
	case '"':
		return "string"
	case '0':
		return "number"
	case '{':
		return "object"
	case '[':
		return "array"
	}
	return "value"
}

func goKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "struct", "map":
		return "an object"
	case "slice", "array":
		return "an array"
	case "bool":
		return "a boolean"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64":
		return "a number"
	}
	return "that type"
}
