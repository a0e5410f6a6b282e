package adversarial_test

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-github/v62/github"

	"time"

	"github.com/jit-access/jit/internal/clock"
	"github.com/jit-access/jit/internal/githubemu"
	"github.com/jit-access/jit/internal/judgment"
	"github.com/jit-access/jit/internal/sandbox"
)

const (
	org  = sandbox.Org
	repo = sandbox.RepoName
)

// testStart is where every world of the suite starts (a Monday morning):
// no test depends on today's date.
var testStart = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// newWorld starts a sandbox World (GitHub emulator, Identity Center emulator
// and the App on loopback). selfReview lets the emulated GitHub accept an
// author's review of their own pull request, which github.com refuses, so
// that jit's own rule is what is tested.
func newWorld(t *testing.T, selfReview bool) *sandbox.World {
	t.Helper()
	w, err := sandbox.Start(context.Background(), sandbox.Options{Dir: t.TempDir(), Clock: clock.At(testStart), AllowSelfReview: selfReview})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	return w
}

const standardRequest = `# yaml-language-server: $schema=../../schema/request.schema.json
account: payments-prod
permission_set: ReadOnlyAccess
duration: 4h
justification: "INC-1234: investigating elevated 5xx rates in the payment API"
`

// withDuration returns the standard request asking for d instead of 4h.
func withDuration(d string) string {
	return strings.Replace(standardRequest, "duration: 4h", "duration: "+d, 1)
}

// open opens a pull request by author adding files and returns its number.
func open(t *testing.T, w *sandbox.World, author, branch string, files map[string]string) int {
	t.Helper()
	fs := map[string][]byte{}
	for p, c := range files {
		fs[p] = []byte(c)
	}
	n, err := w.GitHub.OpenPullRequest(org, repo, author, branch, "request access", fs)
	if err != nil {
		t.Fatal(err)
	}
	assertDelivered(t, w)
	return n
}

// openWith opens a pull request with full control of its first commit.
func openWith(t *testing.T, w *sandbox.World, author, branch string, c githubemu.Commit) int {
	t.Helper()
	n, err := w.GitHub.OpenPullRequestWith(org, repo, author, branch, "request access", "", c)
	if err != nil {
		t.Fatal(err)
	}
	assertDelivered(t, w)
	return n
}

// assertDelivered checks that the App answered every delivery so far with
// success: the driver's event and the events its own writes caused.
func assertDelivered(t *testing.T, w *sandbox.World) {
	t.Helper()
	w.GitHub.WaitDeliveries()
	ds := w.GitHub.Deliveries()
	if len(ds) == 0 {
		t.Fatal("no webhook was delivered")
	}
	for _, d := range ds {
		if d.Err != nil || (d.StatusCode != http.StatusOK && d.StatusCode != http.StatusAccepted) {
			t.Fatalf("delivery %s (%s/%s) answered %d, err %v", d.ID, d.Event, d.Action, d.StatusCode, d.Err)
		}
	}
}

// lastDeliveryOf returns the latest delivery of event (the App's own
// writes cause issue_comment and other deliveries after the driver's).
func lastDeliveryOf(t *testing.T, w *sandbox.World, event string) githubemu.Delivery {
	t.Helper()
	w.GitHub.WaitDeliveries()
	ds := w.GitHub.Deliveries()
	for i := len(ds) - 1; i >= 0; i-- {
		if ds[i].Event == event && !ds[i].Redelivery {
			return ds[i]
		}
	}
	t.Fatalf("no %s delivery", event)
	return githubemu.Delivery{}
}

func review(t *testing.T, w *sandbox.World, n int, user, state, body string) int64 {
	t.Helper()
	id, err := w.GitHub.SubmitReview(org, repo, n, user, state, body)
	if err != nil {
		t.Fatal(err)
	}
	assertDelivered(t, w)
	return id
}

func push(t *testing.T, w *sandbox.World, n int, c githubemu.Commit) string {
	t.Helper()
	sha, err := w.GitHub.PushCommit(org, repo, n, c)
	if err != nil {
		t.Fatal(err)
	}
	assertDelivered(t, w)
	return sha
}

func comment(t *testing.T, w *sandbox.World, n int, user, body string) {
	t.Helper()
	if _, err := w.GitHub.Comment(org, repo, n, user, body); err != nil {
		t.Fatal(err)
	}
	assertDelivered(t, w)
}

// prState is what a reviewer and branch protection see on a pull request.
type prState struct {
	head               string
	validate, approval string // conclusions of the latest runs on the head SHA
	labels             []string
	sticky             string
	annotations        []*github.CheckRunAnnotation
	validateSummary    string
	approvalSummary    string
	validateTitle      string
}

func state(t *testing.T, w *sandbox.World, n int) prState {
	t.Helper()
	pr, err := w.GitHub.PullRequest(org, repo, n)
	if err != nil {
		t.Fatal(err)
	}
	s := prState{head: pr.GetHead().GetSHA()}
	runs, err := w.GitHub.CheckRuns(org, repo, s.head)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs { // oldest first: the last of each name wins
		switch r.GetName() {
		case judgment.CheckValidate:
			s.validate = r.GetConclusion()
			s.annotations = r.GetOutput().Annotations
			s.validateSummary = r.GetOutput().GetSummary()
			s.validateTitle = r.GetOutput().GetTitle()
		case judgment.CheckApproval:
			s.approval = r.GetConclusion()
			s.approvalSummary = r.GetOutput().GetSummary()
		}
	}
	if s.labels, err = w.GitHub.Labels(org, repo, n); err != nil {
		t.Fatal(err)
	}
	comments, err := w.GitHub.Comments(org, repo, n)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range comments {
		if strings.Contains(c.GetBody(), "<!-- jit:status -->") {
			s.sticky = c.GetBody()
		}
	}
	return s
}

// notApproved asserts the safe outcome of every attack on the approval: the
// required check is not green and the PR is not labelled approved.
func notApproved(t *testing.T, s prState) {
	t.Helper()
	if s.approval == "success" || slices.Contains(s.labels, "jit:approved") {
		t.Fatalf("UNSAFE: approved: approval=%q labels=%v\nsticky:\n%s", s.approval, s.labels, s.sticky)
	}
	if s.approval == "" {
		t.Fatalf("no %s check run on head %s", judgment.CheckApproval, s.head)
	}
}

func approved(t *testing.T, s prState) {
	t.Helper()
	if s.approval != "success" || !slices.Contains(s.labels, "jit:approved") {
		t.Fatalf("want approved, got approval=%q labels=%v\nsticky:\n%s", s.approval, s.labels, s.sticky)
	}
}

func hasLabel(s prState, l string) bool { return slices.Contains(s.labels, l) }

// mainFile reads path on main through the API.
func mainFile(t *testing.T, w *sandbox.World, path string) (string, bool) {
	t.Helper()
	c, err := w.Client()
	if err != nil {
		t.Fatal(err)
	}
	fc, _, resp, err := c.Repositories.GetContents(context.Background(), org, repo, path, &github.RepositoryContentGetOptions{Ref: "main"})
	if resp != nil && resp.StatusCode == http.StatusNotFound {
		return "", false
	}
	if err != nil {
		t.Fatal(err)
	}
	s, err := fc.GetContent()
	if err != nil {
		t.Fatal(err)
	}
	return s, true
}

func lastComment(t *testing.T, w *sandbox.World, n int) string {
	t.Helper()
	cs, err := w.GitHub.Comments(org, repo, n)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) == 0 {
		return ""
	}
	return cs[len(cs)-1].GetBody()
}

// userClient is a go-github client acting as login through the emulator's
// personal access tokens, for what a person does through the API.
func userClient(t *testing.T, w *sandbox.World, login string) *github.Client {
	t.Helper()
	tok, err := w.GitHub.UserToken(login)
	if err != nil {
		t.Fatal(err)
	}
	c, err := github.NewClient(nil).WithAuthToken(tok).WithEnterpriseURLs(w.GitHubURL, w.GitHubURL)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func itoa(i int) string { return strconv.Itoa(i) }

// knownBug skips a test at the point where it found an unsafe outcome that
// this package cannot fix (the fix belongs to another package). Once the bug
// is fixed the test passes without reaching here.
func knownBug(t *testing.T, what string) {
	t.Helper()
	t.Skip("BUG: " + what + ", see the adversarial suite's report")
}
