package approval

import (
	"fmt"
	"testing"
)

// BenchmarkEvaluate measures a busy custom request: 50 reviewers, each with
// a comment, a stale approval and a current approval.
func BenchmarkEvaluate(b *testing.B) {
	var reviews []Review
	for i := range 50 {
		user := fmt.Sprintf("user%d", i)
		reviews = append(reviews,
			rv(int64(3*i), user, ReviewCommented, old, i),
			rv(int64(3*i+1), user, ReviewApproved, old, i+1, "jit: duration 2h"),
			approve(int64(3*i+2), user, i+2, "ok", "jit: duration 1h"))
	}
	reviews = append(reviews, approve(1000, "olivia", 100), approve(1001, "ada", 101))
	p := pr(reviews...)
	in := baseInput(KindCustom)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Evaluate(in, p, org()); err != nil {
			b.Fatal(err)
		}
	}
}
