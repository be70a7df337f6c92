package permitverify

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"errors"
	"testing"
)

// The 1-bit example of the IETF Token Status List draft: statuses
// 1,0,0,1,1,1,0,1, 1,1,0,0,0,1,0,1 are the bytes 0xB9 0xA3, "lst"
// "eNrbuRgAAhcBXQ".
func TestDecodeStatusListDraftExample(t *testing.T) {
	l, err := DecodeStatusList("eNrbuRgAAhcBXQ", 1)
	if err != nil {
		t.Fatal(err)
	}
	want := []bool{true, false, false, true, true, true, false, true, true, true, false, false, false, true, false, true}
	if l.Len() != 16 {
		t.Fatalf("Len = %d", l.Len())
	}
	for i, w := range want {
		if got, _ := l.Revoked(i); got != w {
			t.Fatalf("index %d = %v, want %v", i, got, w)
		}
	}
}

func TestStatusListRoundTrip(t *testing.T) {
	l := mustList(t, 0)
	if l.Len() != DefaultStatusListBits {
		t.Fatalf("default Len = %d", l.Len())
	}
	for _, i := range []int{0, 7, 8, 4711, DefaultStatusListBits - 1} {
		if err := l.Set(i, true); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Set(8, false); err != nil {
		t.Fatal(err)
	}
	lst := l.Encode()
	if len(lst) > 400 {
		t.Errorf("mostly empty list encodes to %d bytes", len(lst))
	}
	back, err := DecodeStatusList(lst, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range back.Len() {
		a, _ := l.Revoked(i)
		b, _ := back.Revoked(i)
		if a != b {
			t.Fatalf("index %d differs after round trip", i)
		}
	}
	if r, _ := back.Revoked(4711); !r {
		t.Fatal("4711 not revoked")
	}
	if r, _ := back.Revoked(8); r {
		t.Fatal("8 revoked")
	}
}

func TestStatusListRefusals(t *testing.T) {
	l := mustList(t, 16)
	if err := l.Set(16, true); !errors.Is(err, ErrStatusList) {
		t.Fatalf("Set out of range: %v", err)
	}
	if _, err := l.Revoked(-1); !errors.Is(err, ErrStatusList) {
		t.Fatalf("Revoked(-1): %v", err)
	}
	if _, err := NewStatusList(MaxStatusListBits + 1); !errors.Is(err, ErrStatusList) {
		t.Fatalf("too large: %v", err)
	}
	var bomb bytes.Buffer
	zw := zlib.NewWriter(&bomb)
	_, _ = zw.Write(make([]byte, MaxStatusListBits/8+1))
	_ = zw.Close()
	tests := []struct {
		name string
		lst  string
		bits int
	}{
		{"bits_2", l.Encode(), 2},
		{"not_base64", "!!!", 1},
		{"not_zlib", base64.RawURLEncoding.EncodeToString([]byte("plain")), 1},
		{"empty", func() string {
			var b bytes.Buffer
			w := zlib.NewWriter(&b)
			_ = w.Close()
			return base64.RawURLEncoding.EncodeToString(b.Bytes())
		}(), 1},
		{"decompression_bomb", base64.RawURLEncoding.EncodeToString(bomb.Bytes()), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := DecodeStatusList(tt.lst, tt.bits); !errors.Is(err, ErrStatusList) {
				t.Fatalf("DecodeStatusList: %v", err)
			}
		})
	}
}

func FuzzDecodeStatusList(f *testing.F) {
	f.Add("eNrbuRgAAhcBXQ", 1)
	f.Add(mustList(f, 64).Encode(), 1)
	f.Add("", 1)
	f.Fuzz(func(t *testing.T, lst string, bits int) {
		l, err := DecodeStatusList(lst, bits)
		if err != nil {
			return
		}
		back, err := DecodeStatusList(l.Encode(), 1)
		if err != nil || back.Len() != l.Len() {
			t.Fatalf("re-encoding a decoded list failed: %v", err)
		}
	})
}

func mustList(t testing.TB, n int) *StatusList {
	t.Helper()
	l, err := NewStatusList(n)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
