package app_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/jit-access/jit/internal/githubemu"
	"github.com/jit-access/jit/internal/testworld"
)

// With 5% of GitHub's answers failing, every one of 20 owner approvals
// still turns its check green, and each label agrees with its check: the
// transport retries, a failed evaluation is retried in-process, and the
// check that gates the merge is written last.
func TestNoDecisionLostWhenGitHubFailsFivePercent(t *testing.T) {
	w := testworld.Standard(t)
	const n = 20
	prs := make([]int, n)
	for i := range prs {
		prs[i] = w.Open(t, "octocat", fmt.Sprintf("octocat/r%d", i),
			map[string]string{fmt.Sprintf("requests/payments-prod/octocat-r%d.yaml", i): testworld.StandardRequest})
	}
	remove := w.GitHub.InjectFault(githubemu.Fault{Status: http.StatusInternalServerError, Rate: 0.05, Seed: 7})
	defer remove()
	for _, pr := range prs {
		// The delivery itself may be answered 500 when its evaluation
		// failed: the App then retries on its own, so no assertDelivered.
		if _, err := w.GitHub.SubmitReview(org, repo, pr, "alice", "APPROVED", "ok"); err != nil {
			t.Fatal(err)
		}
	}
	// Decisions arrive by themselves; the deadline is for a loaded machine.
	deadline := time.Now().Add(90 * time.Second)
	for {
		var lost []string
		for _, pr := range prs {
			st, err := w.PRStatus(pr)
			if err != nil {
				t.Fatal(err)
			}
			if st.Approval != "success" || !slices.Contains(st.Labels, "jit:approved") || slices.Contains(st.Labels, "jit:pending-owner") {
				lost = append(lost, fmt.Sprintf("#%d: jit/approval %q, labels %v", pr, st.Approval, st.Labels))
			}
		}
		if len(lost) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d approvals not decided, or their labels disagree:\n%v", len(lost), n, lost)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if hits := w.GitHub.FaultHits(); len(hits) != 1 || hits[0] == 0 {
		t.Fatalf("the fault never fired (%v): the test proves nothing", hits)
	}
	t.Logf("20 of 20 approvals green with labels agreeing; %d GitHub answers failed", w.GitHub.FaultHits()[0])
}

// A first evaluation writes the status comment at once with the labels
// (apply). When the labels cannot be written, the evaluation fails after
// the comment was added and before any check run; its retry must not take
// itself for a first evaluation again, which would add a second comment.
func TestRetryOfAFailedFirstEvaluationAddsNoSecondComment(t *testing.T) {
	w := testworld.Standard(t)
	// 422 is final: the transport does not retry it, the App does, later.
	remove := w.GitHub.InjectFault(githubemu.Fault{Route: "POST /repos/{owner}/{repo}/issues/{number}/labels", Status: http.StatusUnprocessableEntity, Count: 1})
	defer remove()
	n, err := w.GitHub.OpenPullRequest(org, repo, "octocat", "octocat/retry", "retry",
		map[string][]byte{"requests/payments-prod/retry.yaml": []byte(testworld.StandardRequest)})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		st := w.State(t, n) // fails the test on a second status comment
		if st.Approval == "failure" && st.HasLabel("jit:pending-owner") && st.Sticky != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the retry did not judge the pull request: %+v", st)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if hits := w.GitHub.FaultHits(); len(hits) != 1 || hits[0] != 1 {
		t.Fatalf("the fault fired %v times, want once: the test proves nothing", hits)
	}
	w.GitHub.WaitDeliveries()
	comments, err := w.GitHub.Comments(org, repo, n)
	if err != nil {
		t.Fatal(err)
	}
	if len(comments) != 1 {
		t.Fatalf("%d comments after the retry, want the one status comment", len(comments))
	}
}
