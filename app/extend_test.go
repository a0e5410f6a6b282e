package app_test

import (
	"context"
	"strings"
	"testing"
	"time"
)

// An extension shows the approvers the grant's current end and the new
// one, and one for another requester's grant is refused at its extends:
// line.
func TestExtensionShowsBothEnds(t *testing.T) {
	w := newWorld(t, false)
	const orig = "requests/payments-prod/octo.yaml"
	n := open(t, w, "octocat", "octocat/inc", map[string]string{orig: standardRequest})
	review(t, w, n, "alice", "APPROVED", "ok")
	if _, err := w.GitHub.Merge(org, repo, n, "alice"); err != nil {
		t.Fatal(err)
	}
	if rep, err := w.Reconcile(context.Background(), 0); err != nil || len(rep.Activated) != 1 {
		t.Fatalf("reconcile: %v\n%s", err, rep)
	}
	end := testStart.Add(4 * time.Hour).UTC()
	w.Clock.Advance(3 * time.Hour)

	ext := strings.Replace(standardRequest, "duration: 4h\n", "extends: "+orig+"\nduration: 8h\n", 1)
	m := open(t, w, "octocat", "octocat/more", map[string]string{"requests/payments-prod/octo-more.yaml": ext})
	s := state(t, w, m)
	wantState(t, s, "success", "failure", "jit:pending-owner")
	for _, want := range []string{
		"| Extends | `" + orig + "` (#1) |",
		"| Current end | " + end.Format("2006-01-02T15:"),
		"| New end | " + testStart.Add(11*time.Hour).UTC().Format("2006-01-02T15:"),
	} {
		if !strings.Contains(s.validateSummary, want) || !strings.Contains(s.sticky, want) {
			t.Errorf("the summary and the status comment should show %q:\n%s\n---\n%s", want, s.validateSummary, s.sticky)
		}
	}
	review(t, w, m, "alice", "APPROVED", "ok, more time")
	wantState(t, state(t, w, m), "success", "success", "jit:approved")

	// mallory cannot extend octocat's grant.
	theirs := open(t, w, "mallory", "mallory/more", map[string]string{"requests/payments-prod/mallory-more.yaml": ext})
	s = state(t, w, theirs)
	wantState(t, s, "failure", "failure", "jit:invalid")
	found := false
	for _, a := range s.annotations {
		if a.GetPath() == "requests/payments-prod/mallory-more.yaml" && a.GetStartLine() == 4 && a.GetStartColumn() == 10 &&
			strings.Contains(a.GetMessage(), "is octocat's grant: only its requester can extend it") {
			found = true
		}
	}
	if !found {
		t.Errorf("no annotation at the extends: line: %+v", s.annotations)
	}
}
