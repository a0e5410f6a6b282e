package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jit-access/jit/internal/testworld"
)

// An extension shows the approvers the grant's current end and the new
// one, and one for another requester's grant is refused at its extends:
// line.
func TestExtensionShowsBothEnds(t *testing.T) {
	w := testworld.Standard(t)
	const orig = "requests/payments-prod/octo.yaml"
	n := w.Open(t, "octocat", "octocat/inc", map[string]string{orig: testworld.StandardRequest})
	w.Review(t, n, "alice", "APPROVED", "ok")
	w.Merge(t, n, "alice")
	if rep, err := w.Reconcile(context.Background(), 0); err != nil || len(rep.Activated) != 1 {
		t.Fatalf("reconcile: %v\n%s", err, rep)
	}
	end := testworld.Monday.Add(4 * time.Hour).UTC()
	w.Clock.Advance(3 * time.Hour)

	ext := strings.Replace(testworld.StandardRequest, "duration: 4h\n", "extends: "+orig+"\nduration: 8h\n", 1)
	m := w.Open(t, "octocat", "octocat/more", map[string]string{"requests/payments-prod/octo-more.yaml": ext})
	s := w.State(t, m)
	wantState(t, s, "success", "failure", "jit:pending-owner")
	for _, want := range []string{
		"| Extends | `" + orig + "` (#1) |",
		"| Current end | " + end.Format("2006-01-02T15:"),
		"| New end | " + testworld.Monday.Add(11*time.Hour).UTC().Format("2006-01-02T15:"),
	} {
		if !strings.Contains(s.ApprovalSummary, want) || !strings.Contains(s.Sticky, want) {
			t.Errorf("the summary and the status comment should show %q:\n%s\n---\n%s", want, s.ApprovalSummary, s.Sticky)
		}
	}
	w.Review(t, m, "alice", "APPROVED", "ok, more time")
	wantState(t, w.State(t, m), "success", "success", "jit:approved")

	// mallory cannot extend octocat's grant.
	theirs := w.Open(t, "mallory", "mallory/more", map[string]string{"requests/payments-prod/mallory-more.yaml": ext})
	s = w.State(t, theirs)
	wantState(t, s, "failure", "failure", "jit:invalid")
	found := false
	for _, a := range s.Annotations {
		if a.GetPath() == "requests/payments-prod/mallory-more.yaml" && a.GetStartLine() == 4 && a.GetStartColumn() == 10 &&
			strings.Contains(a.GetMessage(), "is octocat's grant: only its requester can extend it") {
			found = true
		}
	}
	if !found {
		t.Errorf("no annotation at the extends: line: %+v", s.Annotations)
	}
}
