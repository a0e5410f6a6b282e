package app_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/jit-access/jit/internal/ghrepo"
	"github.com/jit-access/jit/internal/githubemu"
	"github.com/jit-access/jit/internal/gittest"
	"github.com/jit-access/jit/internal/sandbox"
	"github.com/jit-access/jit/internal/testworld"
)

// bobStaging is a request the sandbox's rules approve without a reviewer:
// bob is an SSO admin, and ReadOnlyAccess on payments-staging for 1h is
// auto-approved for SSO admins in working hours (Monday 09:00 UTC).
const bobStaging = "account: payments-staging\npermission_set: ReadOnlyAccess\nduration: 1h\njustification: \"OPS-77: check the staging settlement job\"\n"

// TestFirstEvaluationSeesAnObjection: the first evaluation of a pull
// request just opened does not read its reviews, unless it would approve
// without them; then an objection given before the App saw the pull
// request still stands.
func TestFirstEvaluationSeesAnObjection(t *testing.T) {
	w := testworld.New(t, testworld.Monday, sandbox.Options{})
	// Control: the request is auto-approved on its first evaluation.
	ok := w.Open(t, "bob", "bob/ok", map[string]string{"requests/payments-staging/ok.yaml": bobStaging})
	wantState(t, w.State(t, ok), "success", "success", "jit:approved")

	// The App sees nothing while the pull request is opened and objected
	// to (every request it makes fails, and it restarts, dropping its
	// retries); then GitHub redelivers the opened event.
	remove := w.GitHub.InjectFault(githubemu.Fault{Status: http.StatusForbidden})
	n, err := w.GitHub.OpenPullRequest(org, repo, "bob", "bob/x", "x", map[string][]byte{"requests/payments-staging/x.yaml": []byte(bobStaging)})
	if err != nil {
		t.Fatal(err)
	}
	opened := w.LastDeliveryOf(t, "pull_request", "opened")
	if _, err := w.GitHub.SubmitReview(org, repo, n, "dave", "CHANGES_REQUESTED", "not now"); err != nil {
		t.Fatal(err)
	}
	w.GitHub.WaitDeliveries()
	w.App.Close()
	remove()
	if st := w.State(t, n); st.Approval != "" {
		t.Fatalf("setup: the App judged #%d before the redelivery: %+v", n, st)
	}
	if d, err := w.GitHub.Deliver("pull_request", opened.Body); err != nil || d.StatusCode != http.StatusOK {
		t.Fatalf("redelivering the opened event: status %d, %v", d.StatusCode, err)
	}
	w.GitHub.WaitDeliveries()
	wantState(t, w.State(t, n), "success", "failure", "jit:rejected")
}

// TestStatusCommentLostIsWrittenAgain: the App edits its status comment by
// the id its record names; when GitHub no longer has that comment, it
// lists the comments and keeps one status comment, up to date.
func TestStatusCommentLostIsWrittenAgain(t *testing.T) {
	w := testworld.New(t, testworld.Monday, sandbox.Options{})
	n := w.Open(t, "octocat", "octocat/x", map[string]string{"requests/payments-prod/x.yaml": testworld.StandardRequest})
	remove := w.GitHub.InjectFault(githubemu.Fault{Route: "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}", Status: http.StatusNotFound, Count: 1})
	defer remove()
	w.GitHub.ResetRequests()
	w.Review(t, n, "alice", "APPROVED", "ok")
	if got := w.GitHub.Requests()["GET /repos/{owner}/{repo}/issues/{number}/comments"]; got != 1 {
		t.Errorf("comments listed %d times after the edit failed with 404, want 1", got)
	}
	// One status comment (State fails on a second), up to date.
	wantSaying(t, w, n, "success", "success", "jit:approved", "### jit: approved")
}

// TestUnchangedEventWritesNothing: an event after which the decision, the
// status comment and the labels are as the App's record says costs the
// reads only: no label, comment or check run is written.
func TestUnchangedEventWritesNothing(t *testing.T) {
	w := testworld.New(t, testworld.Monday, sandbox.Options{})
	n := w.Open(t, "octocat", "octocat/x", map[string]string{"requests/payments-prod/x.yaml": testworld.StandardRequest})
	w.Review(t, n, "carol", "COMMENTED", "looking")
	before := w.State(t, n)
	w.GitHub.ResetRequests()
	review := w.LastDeliveryOf(t, "pull_request_review", "")
	if d, err := w.GitHub.Deliver("pull_request_review", review.Body); err != nil || d.StatusCode != http.StatusOK {
		t.Fatalf("redelivering the review: status %d, %v", d.StatusCode, err)
	}
	w.GitHub.WaitDeliveries()
	for route, count := range w.GitHub.Requests() {
		if !strings.HasPrefix(route, "GET ") && count > 0 {
			t.Errorf("%s made %d times for an event that changes nothing", route, count)
		}
	}
	for _, route := range []string{"GET /repos/{owner}/{repo}/issues/{number}/comments", "GET /repos/{owner}/{repo}/issues/{number}/labels"} {
		if got := w.GitHub.Requests()[route]; got != 0 {
			t.Errorf("%s made %d times: the App's record tells what they hold", route, got)
		}
	}
	if after := w.State(t, n); after.Sticky != before.Sticky || after.Approval != before.Approval {
		t.Errorf("state changed: %+v, was %+v", after, before)
	}
}

// TestSharedHeadKeepsEachStatusComment: check runs belong to a commit, so
// a pull request pointed at another's head finds that one's record on the
// runs; it keeps its own status comment and leaves the other's alone.
func TestSharedHeadKeepsEachStatusComment(t *testing.T) {
	w := testworld.New(t, testworld.Monday, sandbox.Options{})
	n1 := w.Open(t, "octocat", "octocat/inc", map[string]string{"requests/payments-prod/inc.yaml": testworld.StandardRequest})
	w.Review(t, n1, "alice", "APPROVED", "ok")
	s1 := w.State(t, n1)
	n2 := w.Open(t, "carol", "carol/inc", map[string]string{"requests/payments-prod/carol.yaml": testworld.StandardRequest})
	gittest.Output(t, "", "-C", w.GitHub.RepoDir(org, repo), "update-ref", "refs/heads/carol/inc", s1.Head)
	w.Comment(t, n2, "carol", "/jit recheck")
	s2 := w.State(t, n2)
	if s2.Head != s1.Head {
		t.Fatalf("setup: #%d's head %s, want #%d's %s", n2, s2.Head, n1, s1.Head)
	}
	if !strings.Contains(s2.Sticky, "Evaluated at "+s1.Head) {
		t.Errorf("#%d's status comment is not about the shared head:\n%s", n2, s2.Sticky)
	}
	if got := w.State(t, n1).Sticky; got != s1.Sticky {
		t.Errorf("#%d's evaluation rewrote #%d's status comment:\n%s", n2, n1, got)
	}
}

// TestSweepRestoresTheStatusComment: the App's record says what it wrote,
// not what the pull request shows; the sweep reads the comments, so a
// status comment changed since (here as if through the App's own token) is
// put right.
func TestSweepRestoresTheStatusComment(t *testing.T) {
	w := testworld.New(t, testworld.Monday, sandbox.Options{})
	n := w.Open(t, "octocat", "octocat/x", map[string]string{"requests/payments-prod/x.yaml": testworld.StandardRequest})
	before := w.State(t, n)
	comments, err := w.GitHub.Comments(org, repo, n)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range comments {
		if c.GetBody() == before.Sticky {
			if err := w.GitHub.EditComment(org, repo, c.GetID(), w.GitHub.BotLogin(), "<!-- jit:status -->\nsomething else"); err != nil {
				t.Fatal(err)
			}
		}
	}
	if w.State(t, n).Sticky == before.Sticky {
		t.Fatal("setup: the status comment was not changed")
	}
	res, err := w.App.Sweep(context.Background(), 0, ghrepo.Repo{Owner: org, Name: repo})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(res.Judged, n) {
		t.Errorf("the sweep judged %v, want #%d, whose status comment was changed", res.Judged, n)
	}
	if got := w.State(t, n).Sticky; got != before.Sticky {
		t.Errorf("the status comment after the sweep:\n%s\nwant:\n%s", got, before.Sticky)
	}
}

// TestReviewersAlreadyAskedAreNotAskedAgain: when a pull request comes
// back to waiting for its owners, the owners GitHub still lists as asked
// are not asked again.
func TestReviewersAlreadyAskedAreNotAskedAgain(t *testing.T) {
	w := testworld.New(t, testworld.Monday, sandbox.Options{})
	const path = "requests/payments-prod/x.yaml"
	n := w.Open(t, "octocat", "octocat/x", map[string]string{path: testworld.StandardRequest})
	users, teams, err := w.GitHub.RequestedReviewers(org, repo, n)
	if err != nil || len(users)+len(teams) == 0 {
		t.Fatalf("setup: no owner asked to review (%v, %v, %v)", users, teams, err)
	}
	w.Push(t, n, githubemu.Commit{Author: "octocat", Files: map[string][]byte{path: []byte("account: payments-prod\n")}})
	if st := w.State(t, n); st.Approval != "failure" || !st.HasLabel("jit:invalid") {
		t.Fatalf("setup: the broken request is not invalid: %+v", st)
	}
	w.GitHub.ResetRequests()
	w.Push(t, n, githubemu.Commit{Author: "octocat", Files: map[string][]byte{path: []byte(testworld.StandardRequest + "# fixed\n")}})
	if st := w.State(t, n); !st.HasLabel("jit:pending-owner") {
		t.Fatalf("the fixed request does not wait for its owners: %+v", st)
	}
	if got := w.GitHub.Requests()["POST /repos/{owner}/{repo}/pulls/{number}/requested_reviewers"]; got != 0 {
		t.Errorf("reviewers asked %d times, want none: GitHub still lists them as asked", got)
	}
}
