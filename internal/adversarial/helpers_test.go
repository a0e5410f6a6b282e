package adversarial_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/jit-access/jit/internal/judgment"
	"github.com/jit-access/jit/internal/testworld"
)

const (
	org  = testworld.Org
	repo = testworld.Repo
)

// withDuration returns the standard request asking for d instead of 4h.
func withDuration(d string) string {
	return strings.Replace(testworld.StandardRequest, "duration: 4h", "duration: "+d, 1)
}

// notApproved asserts the safe outcome of every attack on the approval: the
// required check is not green and the PR is not labelled approved.
func notApproved(t *testing.T, s testworld.PRState) {
	t.Helper()
	if s.Approval == "success" || s.HasLabel("jit:approved") {
		t.Fatalf("UNSAFE: approved: approval=%q labels=%v\nsticky:\n%s", s.Approval, s.Labels, s.Sticky)
	}
	if s.Approval == "" {
		t.Fatalf("no %s check run on head %s", judgment.CheckApproval, s.Head)
	}
}

func approved(t *testing.T, s testworld.PRState) {
	t.Helper()
	if s.Approval != "success" || !s.HasLabel("jit:approved") {
		t.Fatalf("want approved, got approval=%q labels=%v\nsticky:\n%s", s.Approval, s.Labels, s.Sticky)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// knownBug skips a test at the point where it found an unsafe outcome that
// this package cannot fix (the fix belongs to another package). Once the bug
// is fixed the test passes without reaching here.
func knownBug(t *testing.T, what string) {
	t.Helper()
	t.Skip("BUG: " + what + ", see the adversarial suite's report")
}
