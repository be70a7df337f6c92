package config

import (
	"bufio"
	"os"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// settingPaths walks t's yaml fields and returns the dotted path of every leaf setting
// (slices of structs as "name[]").
func settingPaths(t reflect.Type, prefix string) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		p := prefix + name
		ft := f.Type
		switch {
		case ft == reflect.TypeFor[time.Duration]():
			out = append(out, p)
		case ft.Kind() == reflect.Struct:
			out = append(out, settingPaths(ft, p+".")...)
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			out = append(out, settingPaths(ft.Elem(), p+"[].")...)
		default:
			out = append(out, p)
		}
	}
	return out
}

// documentedSettings returns the first column of the settings table in doc.go.
func documentedSettings(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	row := regexp.MustCompile(`^//\t(\S+)\s+\S`)
	var keys []string
	in := false
	for sc := bufio.NewScanner(f); sc.Scan(); {
		line := sc.Text()
		if strings.Contains(line, "Every setting and the code that reads it") {
			in = true
			continue
		}
		if m := row.FindStringSubmatch(line); in && m != nil {
			keys = append(keys, m[1])
		}
	}
	if len(keys) == 0 {
		t.Fatal("no settings table in doc.go")
	}
	return keys
}

func matchSetting(pattern, setting string) bool {
	esc := func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "[]", "#"), ".", "/") }
	ok, err := path.Match(esc(pattern), esc(setting))
	return err == nil && ok
}

// TestEverySettingIsListed: every hub.yaml setting (every yaml field of Config, walked) has a
// row in the package doc's table naming the code that reads it, every row names a setting
// that exists, and the README's hub.yaml section documents every row.
func TestEverySettingIsListed(t *testing.T) {
	settings := settingPaths(reflect.TypeFor[Config](), "")
	table := documentedSettings(t)
	for _, s := range settings {
		if !slices.ContainsFunc(table, func(p string) bool { return matchSetting(p, s) }) {
			t.Errorf("setting %s has no row in the doc.go table (which code reads it?)", s)
		}
	}
	for _, p := range table {
		if !slices.ContainsFunc(settings, func(s string) bool { return matchSetting(p, s) }) {
			t.Errorf("doc.go lists %s, which is no setting", p)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Configuration: hub.yaml\n")
	if !ok {
		t.Fatal("README has no \"## Configuration: hub.yaml\" section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	for _, p := range table {
		if !strings.Contains(section, "`"+p+"`") {
			t.Errorf("README's hub.yaml section does not document `%s`", p)
		}
	}
}

// TestREADMEExampleLoads: the production hub.yaml the README shows is valid.
func TestREADMEExampleLoads(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "A production file:\n\n")
	if !ok {
		t.Fatal("README shows no production hub.yaml")
	}
	example, _, _ := strings.Cut(rest, "\n\n")
	var b strings.Builder
	for line := range strings.SplitSeq(example, "\n") {
		b.WriteString(strings.TrimPrefix(line, "    ") + "\n")
	}
	for _, v := range []string{"SANMIAN_PROVINCE_SECRET", "SANMIAN_CITY_SECRET", "SANMIAN_DISTRICT_KEY"} {
		t.Setenv(v, "secret-of-"+v)
	}
	c, err := Load(writeYAML(t, b.String()))
	if err != nil {
		t.Fatalf("README example: %v\n%s", err, b.String())
	}
	if c.Upstreams.District.Resilience.RateLimit != 50 || c.Policy.KeyAlgorithm != "ES256" || c.Upstreams.City.ClientSecret != "secret-of-SANMIAN_CITY_SECRET" {
		t.Fatalf("README example read as %+v", c)
	}
}
