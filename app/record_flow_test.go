package app_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/jit-access/jit/internal/githubemu"
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
	opened := w.LastDeliveryOf(t, "pull_request")
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
	review := w.LastDeliveryOf(t, "pull_request_review")
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
