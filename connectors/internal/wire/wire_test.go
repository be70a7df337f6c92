package wire

import "testing"

func TestParsers(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func(string) (string, error)
		in   string
		want string
		ok   bool
	}{
		{"compact", CompactDate, "19520315", "1952-03-15", true},
		{"compact_impossible", CompactDate, "19520230", "", false},
		{"compact_iso_shape", CompactDate, "1952-03-15", "", false},
		{"compact_short", CompactDate, "1952031", "", false},
		{"iso", ISODate, "2011-07-01", "2011-07-01", true},
		{"iso_compact_shape", ISODate, "20110701", "", false},
		{"iso_impossible", ISODate, "2011-02-29", "", false},
		{"division", DivisionCode, "370114001201", "370114001201", true},
		{"division_short", DivisionCode, "370114", "", false},
		{"division_letters", DivisionCode, "37011400120A", "", false},
		{"id", IDNumber, "11010119900307425x", "", false},
		{"id_valid", IDNumber, "110101199003074258", "110101199003074258", true},
	} {
		got, err := tc.f(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("%s: %q, %v", tc.name, got, err)
		}
	}
	for in, want := range map[string]bool{"Y": true, "N": false} {
		if got, err := YN(in); err != nil || got != want {
			t.Errorf("YN(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"y", "", "true", "1"} {
		if _, err := YN(in); err == nil {
			t.Errorf("YN(%q) accepted", in)
		}
	}
	if SexOf("110101199003074258") != "M" || BirthOf("110101199003074258") != "1990-03-07" {
		t.Error("SexOf/BirthOf")
	}
}
