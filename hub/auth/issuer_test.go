package auth

import (
	"regexp"
	"testing"
)

func TestDemoSubjectIsFreshEachTime(t *testing.T) {
	for _, tc := range []struct {
		name, role, jurisdiction string
		shape                    *regexp.Regexp
	}{
		{"counter_of_a_village", RoleCounter, "370114001201", regexp.MustCompile(`^counter-370114001201-[0-9a-f]{16}$`)},
		{"department_without_jurisdiction", RoleDepartment, "", regexp.MustCompile(`^department-[0-9a-f]{16}$`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen := map[string]bool{}
			for range 100 {
				s := DemoSubject(tc.role, tc.jurisdiction)
				if !tc.shape.MatchString(s) {
					t.Fatalf("subject %q does not match %s", s, tc.shape)
				}
				if seen[s] {
					t.Fatalf("subject %q given twice", s)
				}
				seen[s] = true
				if err := (Caller{Subject: s, Role: tc.role, Jurisdiction: tc.jurisdiction}).Validate(); err != nil {
					t.Fatalf("subject %q: %v", s, err)
				}
			}
		})
	}
}
