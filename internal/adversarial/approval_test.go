package adversarial_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-github/v62/github"

	"github.com/jit-access/jit/internal/githubemu"
	"github.com/jit-access/jit/internal/testworld"
)

const reqPath = "requests/payments-prod/inc-1234.yaml"

// Attack: alice owns payments-prod and approves her own request (GitHub
// refuses this, but a misconfigured GitHub Enterprise or a future API change
// must not be what stands between alice and production).
func TestSelfApprovalNeverCounts(t *testing.T) {
	w := newWorldWith(t, selfReview)
	n := w.Open(t, "alice", "alice/self", map[string]string{reqPath: testworld.StandardRequest})
	w.Review(t, n, "alice", "APPROVED", "lgtm")
	refusedUntilAdmin(t, w, n, "alice")
}

// Attack: an owner pushes a commit to the requester's branch (or commits it
// through someone else's push as committer) and then approves: the person
// who wrote part of the change must not be its approver.
func TestApprovalByCommitAuthorOrCommitterNeverCounts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name              string
		author, committer string
	}{
		{"author", "alice", "octocat"},
		{"committer", "octocat", "alice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			n := w.Open(t, "octocat", "octocat/co", map[string]string{reqPath: testworld.StandardRequest})
			w.Push(t, n, githubemu.Commit{Author: tc.author, Committer: tc.committer,
				Files: map[string][]byte{reqPath: []byte(withDuration("2h"))}})
			w.Review(t, n, "alice", "APPROVED", "ok")
			refusedUntilAdmin(t, w, n, "alice")
		})
	}
}

// Attack: get a short request approved, then push a longer duration and
// merge on the old approval.
func TestPushAfterApprovalRaisingDurationSendsBack(t *testing.T) {
	w := newWorld(t)
	if err := w.GitHub.SetRequiredChecks(org, repo, "jit/approval"); err != nil {
		t.Fatal(err)
	}
	n := w.Open(t, "octocat", "octocat/raise", map[string]string{reqPath: withDuration("1h")})
	w.Review(t, n, "alice", "APPROVED", "1h is fine")
	approved(t, w.State(t, n))

	w.Push(t, n, githubemu.Commit{Author: "octocat", Files: map[string][]byte{reqPath: []byte(withDuration("1d"))}})
	s := w.State(t, n)
	notApproved(t, s)
	if !s.HasLabel("jit:pending-owner") {
		t.Errorf("labels %v, want jit:pending-owner after the push", s.Labels)
	}
	// Branch protection refuses the merge: the approval check on the new
	// head is not green.
	if _, err := w.GitHub.MergeProtected(org, repo, n, "octocat"); err == nil {
		t.Fatal("UNSAFE: the pull request merged on an approval of an older commit")
	}
}

// Attack: push, then have the reviewer approve the older (harmless) commit
// through the API with commit_id set to it.
func TestApprovalOfAnOldCommitNeverCounts(t *testing.T) {
	w := newWorld(t)
	n := w.Open(t, "octocat", "octocat/old", map[string]string{reqPath: withDuration("1h")})
	old := w.State(t, n).Head
	w.Push(t, n, githubemu.Commit{Author: "octocat", Files: map[string][]byte{reqPath: []byte(withDuration("1d"))}})

	c := w.UserClient(t, "alice")
	_, _, err := c.PullRequests.CreateReview(context.Background(), org, repo, n, &github.PullRequestReviewRequest{
		CommitID: github.String(old), Event: github.String("APPROVE"), Body: github.String("the 1h one is fine"),
	})
	if err != nil {
		t.Fatal(err)
	}
	w.AssertDelivered(t)
	s := w.State(t, n)
	notApproved(t, s)
	if !strings.Contains(s.Sticky, "older commit") {
		t.Errorf("the sticky comment does not say the approval was of an older commit:\n%s", s.Sticky)
	}
}

// Attack: one owner objects, the requester finds a friendlier owner. A
// request for changes by an eligible reviewer blocks until withdrawn.
func TestChangesRequestedBlocksLaterApprovalUntilWithdrawn(t *testing.T) {
	w := newWorld(t)
	// payments-staging is owned by @acme/payments-team (carol) and
	// @acme/payments-leads (alice).
	path := "requests/payments-staging/load.yaml"
	n := w.Open(t, "octocat", "octocat/cr", map[string]string{path: strings.Replace(testworld.StandardRequest, "payments-prod", "payments-staging", 1)})
	carol := w.Review(t, n, "carol", "CHANGES_REQUESTED", "not during the freeze")
	w.Review(t, n, "alice", "APPROVED", "fine by me")
	s := w.State(t, n)
	notApproved(t, s)
	if !s.HasLabel("jit:rejected") {
		t.Errorf("labels %v, want jit:rejected while carol's request for changes stands", s.Labels)
	}
	// A push does not wash the objection away either.
	w.Push(t, n, githubemu.Commit{Author: "octocat", Files: map[string][]byte{path: []byte(strings.Replace(withDuration("2h"), "payments-prod", "payments-staging", 1))}})
	w.Review(t, n, "alice", "APPROVED", "still fine")
	notApproved(t, w.State(t, n))

	// Withdrawn (dismissed): alice's approval of the head now counts.
	if err := w.GitHub.DismissReview(org, repo, n, carol, "bob", "freeze is over"); err != nil {
		t.Fatal(err)
	}
	w.AssertDelivered(t)
	approved(t, w.State(t, n))
}

// Attack: an approver (or someone editing their review) writes a longer
// duration into the review than the request asked for.
func TestApprovalDirectiveNeverLengthens(t *testing.T) {
	w := newWorld(t)
	n := w.Open(t, "octocat", "octocat/len", map[string]string{reqPath: withDuration("4h")})
	w.Review(t, n, "alice", "APPROVED", "ok\njit: duration 1w")
	s := w.State(t, n)
	approved(t, s) // the approval still counts, at the requested duration
	if !strings.Contains(s.ApprovalSummary, "**Access duration:** `4h`") {
		t.Errorf("approval summary does not keep the duration at 4h:\n%s", s.ApprovalSummary)
	}
	if strings.Contains(s.ApprovalSummary, "`1w` (requested") {
		t.Errorf("UNSAFE: the duration was lengthened:\n%s", s.ApprovalSummary)
	}
	if !strings.Contains(s.ApprovalSummary, "jit: duration 1w") {
		t.Errorf("the ignored directive is not shown:\n%s", s.ApprovalSummary)
	}
}

// Attack: the PR author is mallory, who has no Identity Center user in the
// config; or a request names someone else as the user to grant.
func TestRequesterCannotNameAnotherUser(t *testing.T) {
	w := newWorld(t)
	t.Run("unknown key", func(t *testing.T) {
		for _, key := range []string{"requester", "user", "user_name", "principal"} {
			body := testworld.StandardRequest + key + ": alice\n"
			n := w.Open(t, "octocat", "octocat/"+key, map[string]string{"requests/payments-prod/" + key + ".yaml": body})
			w.Review(t, n, "alice", "APPROVED", "ok")
			s := w.State(t, n)
			notApproved(t, s)
			if s.Validate != "failure" || !annotated(s, 6, key) {
				t.Errorf("%s: validate=%q, want failure with an annotation on line 6 naming %q: %v", key, s.Validate, key, annotationTexts(s))
			}
		}
	})
	t.Run("author not in users", func(t *testing.T) {
		n := w.Open(t, "mallory", "mallory/x", map[string]string{"requests/payments-prod/mallory.yaml": testworld.StandardRequest})
		w.Review(t, n, "alice", "APPROVED", "ok")
		w.Review(t, n, "bob", "APPROVED", "ok")
		s := w.State(t, n)
		notApproved(t, s)
		if s.Validate != "failure" || !strings.Contains(s.ApprovalSummary, "mallory") {
			t.Errorf("validate=%q, want a failure naming mallory:\n%s", s.Validate, s.ApprovalSummary)
		}
	})
}

// annotated reports whether a failure annotation sits on line and mentions
// word.
func annotated(s testworld.PRState, line int, word string) bool {
	for _, a := range s.Annotations {
		if a.GetStartLine() == line && a.GetAnnotationLevel() == "failure" && strings.Contains(a.GetMessage(), word) {
			return true
		}
	}
	return false
}

func annotationTexts(s testworld.PRState) []string {
	var out []string
	for _, a := range s.Annotations {
		out = append(out, a.GetPath()+":"+itoa(a.GetStartLine())+": "+a.GetAnnotationLevel()+": "+a.GetMessage())
	}
	return out
}
