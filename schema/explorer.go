package schema

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
)

// IntrospectionQuery is the standard full introspection query (the one GraphiQL and the
// explorer send). Its cost sets the default introspection budget of Limits.
const IntrospectionQuery = `query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) {
    name description
    args { ...InputValue }
    type { ...TypeRef }
    isDeprecated deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue {
  name description
  type { ...TypeRef }
  defaultValue
}
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
}`

// explorerPage is the assembled explorer page and its Content-Security-Policy.
var explorerPage = sync.OnceValues(func() ([]byte, string) {
	read := func(name string) string {
		b, err := explorerFS.ReadFile("explorer/" + name)
		if err != nil {
			panic(err) // embedded at build time: cannot fail
		}
		return string(b)
	}
	html, js, css := read("explorer.html"), read("explorer.js"), read("explorer.css")
	q, _ := json.Marshal(IntrospectionQuery)
	// The query is data, not script: a JSON block the CSP does not execute.
	data := strings.ReplaceAll(string(q), "<", `\u003c`)
	page := strings.NewReplacer(
		"{{style}}", "<style>"+css+"</style>",
		"{{script}}", "<script>"+js+"</script>",
		"{{introspection}}", `<script type="application/json" id="introspection-query">`+data+`</script>`,
	).Replace(html)
	hash := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	csp := "default-src 'none'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; " +
		"script-src " + hash(js) + "; style-src " + hash(css)
	return []byte(page), csp
})

// serveExplorer writes the explorer page.
func serveExplorer(w http.ResponseWriter, r *http.Request) {
	page, csp := explorerPage()
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-cache")
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(page)
}
