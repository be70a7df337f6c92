package jsonbody

import "errors"

var (
	// ErrMediaType is returned by CheckMediaType when the Content-Type is missing, is not
	// application/json, or carries a parameter other than charset=utf-8.
	ErrMediaType = errors.New("jsonbody: content type must be application/json")

	// ErrTooLarge is returned by Decode when the body is larger than its limit.
	ErrTooLarge = errors.New("jsonbody: body too large")

	// ErrMalformed is returned (wrapped in *Error) by Decode when the body is not one JSON
	// value of the expected shape.
	ErrMalformed = errors.New("jsonbody: malformed body")
)
