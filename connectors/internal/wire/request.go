package wire

import (
	"encoding/json"
	"errors"
	"fmt"

	"sanmian/connectors"
)

// DedupeIDs returns ids without repeats, in first-seen order, refusing (as a request error of
// platform) anything that is not 18 characters long before it is sent anywhere.
func DedupeIDs(platform string, ids []string) ([]string, error) {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if len(id) != 18 {
			return nil, &connectors.Error{Platform: platform, Kind: connectors.ErrInvalidRequest, Err: errors.New("ID number is not 18 characters")}
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}

// JSONError describes a decoding error without quoting values: the field and JSON type for a
// type mismatch, the offset for a syntax error, a connector error's own message.
func JSONError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("field %q: wrong JSON type %s", te.Field, te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at offset %d", se.Offset)
	}
	var ce *connectors.Error
	if errors.As(err, &ce) {
		return ce.Err.Error()
	}
	return "invalid JSON"
}
