package app_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jit-access/jit/internal/sandbox"
	"github.com/jit-access/jit/internal/testworld"
)

// TestRecheckFlood: 1,000 /jit recheck comments on one pull request,
// delivered as fast as the App answers them, one at a time and 50 at once.
// A stranger's cost a handful of GitHub calls and are answered once; the
// requester's cost at most 3,000, and none is lost: an approval given
// half-way (its own delivery lost) is judged by the rechecks after it.
func TestRecheckFlood(t *testing.T) {
	const rechecks = 1000
	for _, tc := range []struct {
		user       string
		concurrent int
		maxCalls   int
	}{
		{"mallory", 1, 10},
		{"mallory", 50, 10},
		{"octocat", 1, 3000},
		{"octocat", 50, 3000},
	} {
		t.Run(fmt.Sprintf("%s/%d-at-once", tc.user, tc.concurrent), func(t *testing.T) {
			w := testworld.Standard(t)
			n := w.Open(t, "octocat", "octocat/flood", map[string]string{"requests/payments-prod/x.yaml": testworld.StandardRequest})
			bodies := make([][]byte, rechecks)
			for i := range bodies {
				var err error
				if bodies[i], err = w.GitHub.CommentUndelivered(org, repo, n, tc.user, "/jit recheck"); err != nil {
					t.Fatal(err)
				}
			}
			w.GitHub.WaitDeliveries()
			w.GitHub.ResetRequests()
			flood := func(bodies [][]byte) {
				res, err := w.GitHub.Flood("issue_comment", bodies, tc.concurrent)
				if err != nil {
					t.Fatal(err)
				}
				// A recheck evaluated in its delivery can fail on a slow
				// machine (the delivery's 8 s): the App retries it.
				if res.Status[http.StatusOK]+res.Status[http.StatusInternalServerError] != len(bodies) {
					t.Fatalf("deliveries answered %v, want 200 (or 500, retried)", res.Status)
				}
			}
			flood(bodies[:rechecks/2])
			// alice approves; GitHub loses the delivery.
			w.GitHub.SetWebhook("", "")
			if _, err := w.GitHub.SubmitReview(org, repo, n, "alice", "APPROVED", "fine"); err != nil {
				t.Fatal(err)
			}
			w.GitHub.SetWebhook(w.AppURL, string(w.WebhookSecret))
			flood(bodies[rechecks/2:])
			w.App.Wait()
			w.GitHub.WaitDeliveries() // the App's own writes cause deliveries it ignores
			if tc.user == "octocat" {
				waitState(t, w.World, n, "success", "jit:approved")
			}
			calls, byRoute := 0, w.GitHub.Requests()
			for _, c := range byRoute {
				calls += c
			}
			t.Logf("%d rechecks by %s, %d at once: %d GitHub calls, %d counted against the rate limit, %d evaluations: %v",
				rechecks, tc.user, tc.concurrent, calls, w.GitHub.RateLimitedRequests(), byRoute["GET /repos/{owner}/{repo}/commits/{ref}/check-runs"], byRoute)
			if calls > tc.maxCalls {
				t.Errorf("%d rechecks by %s cost %d GitHub calls, want at most %d", rechecks, tc.user, calls, tc.maxCalls)
			}
			s := w.State(t, n)
			refusals := refusalsTo(t, w.World, n, tc.user)
			if tc.user == "mallory" {
				if refusals != 1 {
					t.Errorf("mallory was refused %d times, want once", refusals)
				}
				if s.Approval == "success" {
					t.Errorf("a stranger's recheck judged the pull request: %+v", s)
				}
				return
			}
			if refusals != 0 {
				t.Errorf("the requester was refused %d times", refusals)
			}
			wantState(t, s, "success", "success", "jit:approved")
		})
	}
}

func refusalsTo(t *testing.T, w *sandbox.World, n int, user string) int {
	t.Helper()
	cs, err := w.GitHub.Comments(org, repo, n)
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	for _, c := range cs {
		if strings.Contains(c.GetBody(), "@"+user+" you may not run `/jit recheck`") {
			count++
		}
	}
	return count
}

// waitState waits, up to a minute, for the App's retries to bring the pull
// request's check and label to the decision.
func waitState(t *testing.T, w *sandbox.World, n int, approval, label string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		st, err := w.PRStatus(n)
		if err != nil {
			t.Fatal(err)
		}
		if st.Approval == approval && slices.Contains(st.Labels, label) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}
