package assembly_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLayers checks the one-way flow of evidence data, platform → connector → assembler →
// evidence model → policy → service, on the packages' build imports (go list -deps, tests
// excluded): the evidence model is a leaf that imports no connector; the hub service imports
// no connector and not the assembler, directly or transitively; no connector imports the
// hub's store, service or the assembler above it.
func TestLayers(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go tool is needed to list imports: %v", err)
	}
	out, err := exec.CommandContext(t.Context(), goTool, "list",
		"-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`,
		"sanmian/hub/evidence", "sanmian/hub/service", "sanmian/connectors/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := map[string][]string{}
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if len(f) > 0 {
			deps[f[0]] = f[1:]
		}
	}
	rules := []struct {
		name      string
		pkg       string // package path; a trailing "/..." means the package and those below
		forbidden []string
	}{
		{"evidence_imports_no_connector", "sanmian/hub/evidence", []string{"sanmian/connectors/...", "sanmian/hub/evidence/assembly"}},
		{"service_imports_no_connector", "sanmian/hub/service", []string{"sanmian/connectors/...", "sanmian/hub/evidence/assembly"}},
		{"connectors_import_no_store_or_service", "sanmian/connectors/...", []string{"sanmian/hub/store/...", "sanmian/hub/service/...", "sanmian/hub/evidence/assembly", "sanmian/hub/app/..."}},
	}
	for _, r := range rules {
		t.Run(r.name, func(t *testing.T) {
			checked := 0
			for pkg, ds := range deps {
				if !matches(r.pkg, pkg) {
					continue
				}
				checked++
				for _, d := range ds {
					for _, f := range r.forbidden {
						if matches(f, d) {
							t.Errorf("%s imports %s", pkg, d)
						}
					}
				}
			}
			if checked == 0 {
				t.Fatalf("go list returned no package matching %s", r.pkg)
			}
		})
	}
}

// matches reports whether path is pattern, or lies below it when pattern ends in "/...".
func matches(pattern, path string) bool {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return path == base || strings.HasPrefix(path, base+"/")
	}
	return path == pattern
}
