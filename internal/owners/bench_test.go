package owners

import (
	"fmt"
	"strings"
	"testing"
)

// codeownersFile is a CODEOWNERS of n accounts plus a catch-all, as a large
// organisation's access repository would have.
func codeownersFile(n int) []byte {
	var b strings.Builder
	b.WriteString("# access repository\n* @acme/sso-admins\n")
	for i := range n {
		fmt.Fprintf(&b, "/requests/account-%d/ @acme/team-%d @lead-%d\n", i, i, i)
	}
	return []byte(b.String())
}

func BenchmarkParse1000(b *testing.B) {
	data := codeownersFile(1000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(path, data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOwners1000 looks up the first account, the worst case: every
// later rule is tried first.
func BenchmarkOwners1000(b *testing.B) {
	r, err := Parse(path, codeownersFile(1000))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if o := r.Owners("requests/account-0/alice.yaml"); len(o) != 2 {
			b.Fatalf("owners = %v", o)
		}
	}
}
