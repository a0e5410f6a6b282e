package editdistance

import "testing"

func TestStrings(t *testing.T) {
	tests := []struct {
		a, b  string
		limit int
		want  int
	}{
		{"getobject", "getobjekt", 5, 1},
		{"kitten", "sitting", 5, 3},
		{"", "abc", 5, 3},
		{"abcdefgh", "zzzzzzzz", 2, 3}, // gives up past the limit
		{"a", "abcdef", 2, 3},
		{"acount", "account", -1, 1},
		{"café", "cafe", -1, 1}, // one rune, not two bytes
		{"abcdefgh", "zzzzzzzz", -1, 8},
	}
	for _, tc := range tests {
		if got := Strings(tc.a, tc.b, tc.limit); got != tc.want {
			t.Errorf("Strings(%q, %q, %d) = %d, want %d", tc.a, tc.b, tc.limit, got, tc.want)
		}
	}
}
