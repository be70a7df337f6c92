package client

// The client is generated from the hub's OpenAPI document by oapi-codegen (a tool of the
// module, see go.mod); TestGeneratedCodeIsCurrent fails when the two drift apart.
//go:generate go tool oapi-codegen -config oapi-codegen.yaml -o client.gen.go ../../schema/openapi.yaml
