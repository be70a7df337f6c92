package schema

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"

	"gopkg.in/yaml.v3"
)

// OpenAPIYAML is the OpenAPI 3.1 document of the REST contract (DESIGN.md section 3), as
// written by hand. Served as JSON at /openapi.json; see OpenAPIJSON.
//
//go:embed openapi.yaml
var OpenAPIYAML []byte

var (
	openapiOnce sync.Once
	openapiJSON []byte
	openapiErr  error
)

// OpenAPIJSON returns the OpenAPI document as JSON, converted once.
func OpenAPIJSON() ([]byte, error) {
	openapiOnce.Do(func() {
		var doc any
		if err := yaml.Unmarshal(OpenAPIYAML, &doc); err != nil {
			openapiErr = fmt.Errorf("schema: openapi.yaml: %w", err)
			return
		}
		openapiJSON, openapiErr = json.MarshalIndent(doc, "", "  ")
	})
	return openapiJSON, openapiErr
}
