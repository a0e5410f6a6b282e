package editdistance

import "testing"

// Each pair's exact distance is checked both ways round: without a limit
// (-1), at a limit equal to it (still exact), and at a limit one below,
// where the distance gives up and is limit+1, the distance again.
func TestStrings(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"getobject", "getobjekt", 1},
		{"kitten", "sitting", 3},
		{"", "abc", 3},
		{"abcdefgh", "zzzzzzzz", 8},
		{"a", "abcdef", 5},
		{"acount", "account", 1},
		{"café", "cafe", 1}, // one rune, not two bytes
		{"same", "same", 0},
	} {
		calls := [][2]string{{tc.a, tc.b}, {tc.b, tc.a}}
		for _, limit := range []int{-1, tc.want, tc.want - 1} {
			for _, ab := range calls {
				if got := Strings(ab[0], ab[1], limit); got != tc.want {
					t.Errorf("Strings(%q, %q, %d) = %d, want %d", ab[0], ab[1], limit, got, tc.want)
				}
			}
		}
	}
}
