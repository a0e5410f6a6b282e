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
