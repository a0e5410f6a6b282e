package testworld

import (
	"net/http"
	"testing"

	"github.com/jit-access/jit/internal/githubemu"
)

// Open opens a pull request by author from branch adding files, checks
// that the App took every delivery, and returns its number.
func (w *World) Open(t testing.TB, author, branch string, files map[string]string) int {
	t.Helper()
	fs := map[string][]byte{}
	for p, c := range files {
		fs[p] = []byte(c)
	}
	return w.OpenWith(t, author, branch, githubemu.Commit{Author: author, Files: fs})
}

// OpenWith opens a pull request with full control of its first commit.
func (w *World) OpenWith(t testing.TB, author, branch string, c githubemu.Commit) int {
	t.Helper()
	n, err := w.GitHub.OpenPullRequestWith(Org, Repo, author, branch, "request access", "", c)
	w.mustDeliver(t, err)
	return n
}

// Review submits user's review of pull request n (state APPROVED,
// REQUEST_CHANGES or COMMENT) and returns its id.
func (w *World) Review(t testing.TB, n int, user, state, body string) int64 {
	t.Helper()
	id, err := w.GitHub.SubmitReview(Org, Repo, n, user, state, body)
	w.mustDeliver(t, err)
	return id
}

// Push pushes c onto pull request n's branch and returns the new head.
func (w *World) Push(t testing.TB, n int, c githubemu.Commit) string {
	t.Helper()
	sha, err := w.GitHub.PushCommit(Org, Repo, n, c)
	w.mustDeliver(t, err)
	return sha
}

// Comment has user comment body on pull request n.
func (w *World) Comment(t testing.TB, n int, user, body string) {
	t.Helper()
	_, err := w.GitHub.Comment(Org, Repo, n, user, body)
	w.mustDeliver(t, err)
}

// Merge merges pull request n as user, as an admin may without the
// required check, and returns the merge commit.
func (w *World) Merge(t testing.TB, n int, user string) string {
	t.Helper()
	sha, err := w.GitHub.Merge(Org, Repo, n, user)
	w.mustDeliver(t, err)
	return sha
}

// mustDeliver fails the test with err, the error of a driver call, or else
// checks that the App took every delivery the call caused.
func (w *World) mustDeliver(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	w.AssertDelivered(t)
}

// AssertDelivered waits for the deliveries caused so far (the driver's
// event and those the App's own writes caused) and checks that the App
// answered each with 200, or 202 for a redelivery of work already done.
func (w *World) AssertDelivered(t testing.TB) {
	t.Helper()
	w.GitHub.WaitDeliveries()
	ds := w.GitHub.Deliveries()
	if len(ds) == 0 {
		t.Fatal("no webhook was delivered")
	}
	for _, d := range ds {
		if d.Err != nil || (d.StatusCode != http.StatusOK && !(d.Redelivery && d.StatusCode == http.StatusAccepted)) {
			t.Fatalf("delivery %s (%s/%s) answered %d, err %v", d.ID, d.Event, d.Action, d.StatusCode, d.Err)
		}
	}
}

// AssertLastDelivered waits for the deliveries caused so far and checks
// that the App answered the last one with 200, for a test that made earlier
// deliveries fail on purpose.
func (w *World) AssertLastDelivered(t testing.TB) {
	t.Helper()
	w.GitHub.WaitDeliveries()
	d, ok := w.GitHub.LastDelivery()
	if !ok {
		t.Fatal("no webhook was delivered")
	}
	if d.Err != nil || d.StatusCode != http.StatusOK {
		t.Fatalf("delivery %s (%s/%s) answered %d, err %v", d.ID, d.Event, d.Action, d.StatusCode, d.Err)
	}
}

// LastDeliveryOf returns the latest delivery of event that is not a
// redelivery (the App's own writes cause issue_comment and other
// deliveries after the driver's) and, when action is not "", of that
// action (GitHub's own review requests of the code owners follow a pull
// request's opening).
func (w *World) LastDeliveryOf(t testing.TB, event, action string) githubemu.Delivery {
	t.Helper()
	w.GitHub.WaitDeliveries()
	ds := w.GitHub.Deliveries()
	for i := len(ds) - 1; i >= 0; i-- {
		if ds[i].Event == event && (action == "" || ds[i].Action == action) && !ds[i].Redelivery {
			return ds[i]
		}
	}
	t.Fatalf("no %s %s delivery", event, action)
	return githubemu.Delivery{}
}

// Merged opens a pull request by author from branch adding path with body,
// has alice (an owner of payments-prod) approve it, merges it as alice and
// returns its number: a request the reconcile may provision.
func (w *World) Merged(t testing.TB, author, branch, path, body string) int {
	t.Helper()
	n := w.Open(t, author, branch, map[string]string{path: body})
	w.Review(t, n, "alice", "APPROVED", "ok")
	w.Merge(t, n, "alice")
	return n
}
