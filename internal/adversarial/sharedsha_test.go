package adversarial_test

import (
	"os/exec"
	"testing"

	"github.com/jit-access/jit/internal/testworld"
)

// Attack: check runs belong to a commit, not to a pull request. carol wants
// the access alice approved for octocat: she points her own branch at
// octocat's approved commit and opens a pull request from it. Her PR is
// unapproved (its reviews are its own), but branch protection only looks at
// the jit/approval check of the head commit — the same commit as octocat's
// approved PR. Re-checking octocat's PR (anyone may comment /jit recheck)
// must not make the shared check green while carol's PR is open and
// unapproved, or carol merges a request authored by her that nobody approved.
func TestSharedHeadCommitAcrossPullRequests(t *testing.T) {
	w := newWorld(t)
	if err := w.GitHub.SetRequiredChecks(org, repo, "jit/approval"); err != nil {
		t.Fatal(err)
	}
	n1 := w.Open(t, "octocat", "octocat/inc", map[string]string{reqPath: testworld.StandardRequest})
	w.Review(t, n1, "alice", "APPROVED", "ok for octocat")
	s1 := w.State(t, n1)
	approved(t, s1)

	// carol opens a PR, then force-pushes her branch to octocat's commit.
	n2 := w.Open(t, "carol", "carol/inc", map[string]string{"requests/payments-prod/carol.yaml": testworld.StandardRequest})
	cmd := exec.Command("git", "-C", w.GitHub.RepoDir(org, repo), "update-ref", "refs/heads/carol/inc", s1.Head)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git update-ref: %v\n%s", err, out)
	}
	w.Comment(t, n2, "carol", "/jit recheck")
	s2 := w.State(t, n2)
	if s2.Head != s1.Head {
		t.Fatalf("setup: carol's head %s, want octocat's %s", s2.Head, s1.Head)
	}
	notApproved(t, s2)

	// carol asks the App to look at octocat's PR again.
	w.Comment(t, n1, "carol", "/jit recheck")
	if s := w.State(t, n2); s.Approval == "success" {
		if _, err := w.GitHub.MergeProtected(org, repo, n2, "carol"); err == nil {
			knownBug(t, "app: jit/approval is a check of the head commit, shared by every PR with that head; "+
				"re-evaluating an approved PR made it green, and carol merged her own unapproved PR on it")
		}
		t.Fatalf("UNSAFE: jit/approval is green on carol's unapproved PR (shared head commit %s)", s.Head)
	}
}
