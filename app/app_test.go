package app_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/jit-access/jit/internal/clock"
	"github.com/jit-access/jit/internal/ghrepo"
	"github.com/jit-access/jit/internal/githubemu"
	"github.com/jit-access/jit/internal/sandbox"
)

const (
	org  = sandbox.Org
	repo = sandbox.RepoName
)

// testStart is where every world of these tests starts (a Monday
// morning): no test depends on today's date.
var testStart = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func newWorld(t *testing.T, selfReview bool) *sandbox.World {
	t.Helper()
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	w, err := sandbox.Start(context.Background(), sandbox.Options{Dir: t.TempDir(), AllowSelfReview: selfReview, Logger: log, Clock: clock.At(testStart)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	return w
}

// testWriter sends the App's warnings and errors to the test log, so that a
// failing delivery says why.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

const standardRequest = `# yaml-language-server: $schema=../../schema/request.schema.json
account: payments-prod
permission_set: ReadOnlyAccess
duration: 4h
justification: "INC-1234: investigating elevated 5xx rates in the payment API"
`

const customRequest = `# yaml-language-server: $schema=../../schema/request.schema.json
account: payments-prod
custom_permission_set:
  name: S3Read
  session_duration: 1h
  inline_policy:
    Version: "2012-10-17"
    Statement:
      - Effect: Allow
        Action: [s3:GetObject, iam:PassRole]
        Resource: ["arn:aws:s3:::payments-exports/*"]
duration: 2h
justification: "INC-1300: read the payment exports for the incident review"
`

// open opens a PR by author adding files and returns its number.
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

// assertDelivered checks that the App answered the last delivery with 200.
func assertDelivered(t *testing.T, w *sandbox.World) {
	t.Helper()
	d, ok := w.GitHub.LastDelivery()
	if !ok {
		t.Fatal("no webhook was delivered")
	}
	if d.Err != nil || d.StatusCode != http.StatusOK {
		t.Fatalf("delivery %s (%s) answered %d, err %v", d.ID, d.Event, d.StatusCode, d.Err)
	}
}

func review(t *testing.T, w *sandbox.World, n int, user, state, body string) {
	t.Helper()
	if _, err := w.GitHub.SubmitReview(org, repo, n, user, state, body); err != nil {
		t.Fatal(err)
	}
	assertDelivered(t, w)
}

type prState struct {
	validate, approval string // conclusions on the head SHA
	labels             []string
	sticky             string
	annotations        []*github.CheckRunAnnotation
	validateSummary    string
}

func state(t *testing.T, w *sandbox.World, n int) prState {
	t.Helper()
	pr, err := w.GitHub.PullRequest(org, repo, n)
	if err != nil {
		t.Fatal(err)
	}
	runs, err := w.GitHub.CheckRuns(org, repo, pr.GetHead().GetSHA())
	if err != nil {
		t.Fatal(err)
	}
	var s prState
	for _, r := range runs {
		switch r.GetName() {
		case "jit/validate":
			s.validate = r.GetConclusion()
			s.annotations = r.GetOutput().Annotations
			s.validateSummary = r.GetOutput().GetSummary()
		case "jit/approval":
			s.approval = r.GetConclusion()
		}
	}
	if s.labels, err = w.GitHub.Labels(org, repo, n); err != nil {
		t.Fatal(err)
	}
	comments, err := w.GitHub.Comments(org, repo, n)
	if err != nil {
		t.Fatal(err)
	}
	stickies := 0
	for _, c := range comments {
		if strings.Contains(c.GetBody(), "<!-- jit:status -->") {
			stickies++
			s.sticky = c.GetBody()
		}
	}
	if stickies > 1 {
		t.Errorf("PR #%d has %d sticky comments, want one updated in place", n, stickies)
	}
	return s
}

func wantState(t *testing.T, got prState, validate, approval, label string) {
	t.Helper()
	if got.validate != validate || got.approval != approval || len(got.labels) != 1 || got.labels[0] != label {
		t.Fatalf("got validate=%q approval=%q labels=%v, want validate=%q approval=%q labels=[%s]\nsticky:\n%s",
			got.validate, got.approval, got.labels, validate, approval, label, got.sticky)
	}
}

func TestValidStandardRequestAsksOwners(t *testing.T) {
	w := newWorld(t, false)
	n := open(t, w, "octocat", "octocat/inc-1234", map[string]string{"requests/payments-prod/inc-1234.yaml": standardRequest})
	s := state(t, w, n)
	wantState(t, s, "success", "failure", "jit:pending-owner")
	users, teams, err := w.GitHub.RequestedReviewers(org, repo, n)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 0 || len(teams) != 1 || teams[0] != "payments-leads" {
		t.Fatalf("requested reviewers users=%v teams=%v, want the payments-leads team", users, teams)
	}
	for _, want := range []string{"payments-prod", "ReadOnlyAccess", "4h", "INC-1234"} {
		if !strings.Contains(s.validateSummary, want) {
			t.Errorf("validate summary lacks %q:\n%s", want, s.validateSummary)
		}
	}

	review(t, w, n, "alice", "APPROVED", "ok for INC-1234")
	wantState(t, state(t, w, n), "success", "success", "jit:approved")
}

func TestInvalidRequestGetsLineAnnotation(t *testing.T) {
	w := newWorld(t, false)
	bad := strings.Replace(standardRequest, "duration: 4h", "duration: 5h", 1)
	n := open(t, w, "octocat", "octocat/bad", map[string]string{"requests/payments-prod/bad.yaml": bad})
	s := state(t, w, n)
	wantState(t, s, "failure", "failure", "jit:invalid")
	found := false
	for _, a := range s.annotations {
		if a.GetPath() == "requests/payments-prod/bad.yaml" && a.GetStartLine() == 4 && a.GetAnnotationLevel() == "failure" {
			found = true
		}
	}
	if !found {
		t.Fatalf("no failure annotation on line 4 of the request; got %v", s.annotations)
	}
	// An approval of an invalid request never counts.
	review(t, w, n, "alice", "APPROVED", "")
	wantState(t, state(t, w, n), "failure", "failure", "jit:invalid")
}

func TestCustomRequestTwoStages(t *testing.T) {
	w := newWorld(t, false)
	n := open(t, w, "octocat", "octocat/custom", map[string]string{"requests/payments-prod/s3.yaml": customRequest})
	s := state(t, w, n)
	wantState(t, s, "success", "failure", "jit:pending-owner")
	if !strings.Contains(s.sticky, "iam:PassRole") {
		t.Errorf("the sticky comment does not show the privilege-escalation warning to approvers:\n%s", s.sticky)
	}
	// An admin alone does not complete a custom request.
	review(t, w, n, "bob", "APPROVED", "admin first")
	wantState(t, state(t, w, n), "success", "failure", "jit:pending-owner")
	// The owner completes stage 1; with the earlier admin approval it is
	// approved: two different people.
	review(t, w, n, "alice", "APPROVED", "owner ok")
	wantState(t, state(t, w, n), "success", "success", "jit:approved")
}

func TestCustomRequestOwnerThenAdminRequestsAdmins(t *testing.T) {
	w := newWorld(t, false)
	n := open(t, w, "octocat", "octocat/custom", map[string]string{"requests/payments-prod/s3.yaml": customRequest})
	review(t, w, n, "alice", "APPROVED", "owner ok")
	wantState(t, state(t, w, n), "success", "failure", "jit:pending-admin")
	_, teams, err := w.GitHub.RequestedReviewers(org, repo, n)
	if err != nil {
		t.Fatal(err)
	}
	if !contains(teams, "sso-admins") {
		t.Fatalf("after the owner stage the SSO admins are not requested: teams %v", teams)
	}
	review(t, w, n, "dave", "APPROVED", "admin ok")
	wantState(t, state(t, w, n), "success", "success", "jit:approved")
}

func TestSelfApprovalDoesNotCount(t *testing.T) {
	w := newWorld(t, true)
	// alice owns payments-prod but requests for herself.
	n := open(t, w, "alice", "alice/self", map[string]string{"requests/payments-prod/self.yaml": standardRequest})
	review(t, w, n, "alice", "APPROVED", "lgtm")
	s := state(t, w, n)
	wantState(t, s, "success", "failure", "jit:pending-owner")
	if !strings.Contains(s.sticky, "alice") {
		t.Fatalf("the sticky comment does not explain the ignored review:\n%s", s.sticky)
	}
}

func TestApprovalThenPushSendsBack(t *testing.T) {
	w := newWorld(t, false)
	n := open(t, w, "octocat", "octocat/push", map[string]string{"requests/payments-prod/p.yaml": standardRequest})
	review(t, w, n, "alice", "APPROVED", "")
	wantState(t, state(t, w, n), "success", "success", "jit:approved")
	longer := strings.Replace(standardRequest, "duration: 4h", "duration: 1d", 1)
	if _, err := w.GitHub.Push(org, repo, n, "octocat", map[string][]byte{"requests/payments-prod/p.yaml": []byte(longer)}); err != nil {
		t.Fatal(err)
	}
	assertDelivered(t, w)
	wantState(t, state(t, w, n), "success", "failure", "jit:pending-owner")
}

func TestPRThatAlsoEditsConfigNeedsAdmin(t *testing.T) {
	for _, extra := range []string{".github/jit.yaml", ".github/workflows/reconcile.yml"} {
		t.Run(extra, func(t *testing.T) {
			w := newWorld(t, false)
			n := open(t, w, "octocat", "octocat/sneaky", map[string]string{
				"requests/payments-prod/p.yaml": standardRequest,
				extra:                           "# changed\n",
			})
			s := state(t, w, n)
			if s.approval != "failure" {
				t.Fatalf("approval = %q", s.approval)
			}
			if !strings.Contains(s.validateSummary, "not a plain access request") {
				t.Fatalf("validate summary does not say it is not a request:\n%s", s.validateSummary)
			}
			// An account owner's approval is not enough for an admin change.
			review(t, w, n, "alice", "APPROVED", "")
			if got := state(t, w, n).approval; got != "failure" {
				t.Fatalf("owner approval passed an admin change: approval = %q", got)
			}
		})
	}
}

func TestApproverWhoIsNotAnOwner(t *testing.T) {
	w := newWorld(t, false)
	n := open(t, w, "octocat", "octocat/x", map[string]string{"requests/payments-prod/x.yaml": standardRequest})
	review(t, w, n, "mallory", "APPROVED", "sure")
	s := state(t, w, n)
	wantState(t, s, "success", "failure", "jit:pending-owner")
	if !strings.Contains(s.sticky, "mallory") {
		t.Fatalf("the sticky comment does not list mallory's ignored review:\n%s", s.sticky)
	}
}

func TestWebhookSignatures(t *testing.T) {
	w := newWorld(t, false)
	body := []byte(`{"action":"opened","installation":{"id":1}}`)
	post := func(h map[string]string, body []byte) int {
		req, _ := http.NewRequest(http.MethodPost, w.AppURL, bytes.NewReader(body))
		req.Header.Set("X-GitHub-Event", "pull_request")
		req.Header.Set("X-GitHub-Delivery", "d-1")
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	mac := hmac.New(sha1.New, w.WebhookSecret)
	mac.Write(body)
	tests := []struct {
		name string
		h    map[string]string
		body []byte
		want int
	}{
		{"no signature", nil, body, http.StatusUnauthorized},
		{"bad signature", map[string]string{"X-Hub-Signature-256": githubemu.Sign256([]byte("wrong"), body)}, body, http.StatusUnauthorized},
		{"sha1 only", map[string]string{"X-Hub-Signature": "sha1=" + hex.EncodeToString(mac.Sum(nil))}, body, http.StatusUnauthorized},
		{"oversized", map[string]string{"X-Hub-Signature-256": "sha256=" + strings.Repeat("00", 32)}, bytes.Repeat([]byte("a"), 26<<20), http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		if got := post(tt.h, tt.body); got != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, got, tt.want)
		}
	}
	resp, err := http.Get(strings.TrimSuffix(w.AppURL, "/webhook") + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
}

func TestReplayedDeliveryIsHarmless(t *testing.T) {
	w := newWorld(t, false)
	n := open(t, w, "octocat", "octocat/r", map[string]string{"requests/payments-prod/r.yaml": standardRequest})
	first, _ := w.GitHub.LastDelivery()
	before := state(t, w, n)
	w.GitHub.ResetRequests()
	d, err := w.GitHub.Redeliver(first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.StatusCode != http.StatusAccepted {
		t.Fatalf("replayed delivery answered %d, want 202", d.StatusCode)
	}
	if reqs := w.GitHub.Requests(); len(reqs) != 0 {
		t.Fatalf("a replayed delivery made API requests: %v", reqs)
	}
	after := state(t, w, n)
	if before.sticky != after.sticky || before.approval != after.approval {
		t.Fatalf("a replay changed the PR")
	}
}

func TestRevokeByComment(t *testing.T) {
	w := newWorld(t, false)
	path := "requests/payments-prod/rv.yaml"
	n := open(t, w, "octocat", "octocat/rv", map[string]string{path: standardRequest})
	review(t, w, n, "alice", "APPROVED", "ok")
	if _, err := w.GitHub.Merge(org, repo, n, "alice"); err != nil {
		t.Fatal(err)
	}

	// mallory is neither requester, owner nor admin.
	if _, err := w.GitHub.Comment(org, repo, n, "mallory", "/jit revoke because"); err != nil {
		t.Fatal(err)
	}
	assertDelivered(t, w)
	if got := mainFile(t, w, path); strings.Contains(got, "revoking") {
		t.Fatalf("mallory's revoke was recorded:\n%s", got)
	}
	if c := lastComment(t, w, n); !strings.Contains(c, "may not revoke") {
		t.Fatalf("mallory was not told why: %q", c)
	}

	if _, err := w.GitHub.Comment(org, repo, n, "octocat", "/jit revoke done with the incident"); err != nil {
		t.Fatal(err)
	}
	assertDelivered(t, w)
	got := mainFile(t, w, path)
	for _, want := range []string{"state: revoking", "revoked_by: octocat", "done with the incident", "justification:"} {
		if !strings.Contains(got, want) {
			t.Fatalf("main's request file lacks %q:\n%s", want, got)
		}
	}
	// A second revoke is answered, not recorded twice.
	if _, err := w.GitHub.Comment(org, repo, n, "alice", "/jit revoke"); err != nil {
		t.Fatal(err)
	}
	assertDelivered(t, w)
	if c := lastComment(t, w, n); !strings.Contains(c, "already under way") {
		t.Fatalf("second revoke answered %q", c)
	}
}

func mainFile(t *testing.T, w *sandbox.World, path string) string {
	t.Helper()
	c, err := w.Client()
	if err != nil {
		t.Fatal(err)
	}
	fc, _, _, err := c.Repositories.GetContents(context.Background(), org, repo, path, &github.RepositoryContentGetOptions{Ref: "main"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := fc.GetContent()
	if err != nil {
		t.Fatal(err)
	}
	return s
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

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// A pull request into another branch is never approvable: that branch's
// rules are whatever its pusher made them, and the check it earned could be
// reused by a pull request into main with the same head.
func TestPullRequestIntoAnotherBranchIsNotApprovable(t *testing.T) {
	w := newWorld(t, false)
	n := open(t, w, "octocat", "octocat/elsewhere", map[string]string{"requests/payments-prod/e.yaml": standardRequest})
	if err := w.GitHub.RetargetPullRequest(org, repo, n, "octocat", "release"); err != nil {
		t.Fatal(err)
	}
	assertDelivered(t, w)
	review(t, w, n, "alice", "APPROVED", "ok")
	s := state(t, w, n)
	if s.approval != "failure" || !strings.Contains(s.validateSummary, "jit decides only pull requests into main") {
		t.Fatalf("a PR into release: approval %q\n%s", s.approval, s.validateSummary)
	}
}

// TestApprovalCheckIsWrittenLast: when GitHub fails part-way through the
// effects of an approval, jit/approval is not green beside a label or
// comment that still say otherwise; the redelivery brings all in line.
func TestApprovalCheckIsWrittenLast(t *testing.T) {
	w := newWorld(t, false)
	n := open(t, w, "octocat", "octocat/x", map[string]string{"requests/payments-prod/x.yaml": standardRequest})
	// Editing the sticky comment fails (a refusal the transport does not
	// retry), after the label was already changed.
	remove := w.GitHub.InjectFault(githubemu.Fault{Route: "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}", Status: http.StatusForbidden})
	if _, err := w.GitHub.SubmitReview(org, repo, n, "bob", "APPROVED", "ok"); err != nil {
		t.Fatal(err)
	}
	d, _ := w.GitHub.LastDelivery()
	if d.StatusCode != http.StatusInternalServerError {
		t.Fatalf("the failed delivery answered %d", d.StatusCode)
	}
	s := state(t, w, n)
	if s.approval == "success" {
		t.Fatalf("jit/approval is green although the effects failed part-way: labels %v, comment:\n%s", s.labels, s.sticky)
	}
	remove()
	if _, err := w.GitHub.Redeliver(d.ID); err != nil {
		t.Fatal(err)
	}
	assertDelivered(t, w)
	s = state(t, w, n)
	wantState(t, s, "success", "success", "jit:approved")
	if !strings.Contains(s.sticky, "bob") {
		t.Errorf("the comment does not show bob's approval:\n%s", s.sticky)
	}
}

// TestFailedEvaluationIsRetriedInProcess: GitHub refuses every call while
// a review arrives; once it answers again, the App's own retry judges the
// pull request, with no redelivery.
func TestFailedEvaluationIsRetriedInProcess(t *testing.T) {
	w := newWorld(t, false)
	n := open(t, w, "octocat", "octocat/x", map[string]string{"requests/payments-prod/x.yaml": standardRequest})
	// A refusal the transport does not retry, on every route: the
	// delivery fails at once.
	remove := w.GitHub.InjectFault(githubemu.Fault{Status: http.StatusForbidden})
	if _, err := w.GitHub.SubmitReview(org, repo, n, "bob", "APPROVED", "ok"); err != nil {
		t.Fatal(err)
	}
	if d, _ := w.GitHub.LastDelivery(); d.StatusCode != http.StatusInternalServerError {
		t.Fatalf("the delivery during the outage answered %d", d.StatusCode)
	}
	time.Sleep(3 * time.Second) // the outage lasts past the first retry
	remove()
	deadline := time.Now().Add(time.Minute)
	for {
		s := state(t, w, n)
		if s.approval == "success" {
			wantState(t, s, "success", "success", "jit:approved")
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not judged within a minute of the recovery: %+v", s)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestSweepJudgesWhatWasLost: a review whose delivery failed, and whose
// retries were stopped (a restart), is judged by the next sweep.
func TestSweepJudgesWhatWasLost(t *testing.T) {
	w := newWorld(t, false)
	n := open(t, w, "octocat", "octocat/x", map[string]string{"requests/payments-prod/x.yaml": standardRequest})
	other := open(t, w, "octocat", "octocat/y", map[string]string{"requests/payments-prod/y.yaml": standardRequest})
	remove := w.GitHub.InjectFault(githubemu.Fault{Status: http.StatusForbidden})
	if _, err := w.GitHub.SubmitReview(org, repo, n, "bob", "APPROVED", "ok"); err != nil {
		t.Fatal(err)
	}
	w.App.Close() // the App restarts: its pending retries are gone
	remove()
	if s := state(t, w, n); s.approval == "success" {
		t.Fatalf("judged before the sweep: %+v", s)
	}
	res, err := w.App.Sweep(context.Background(), 0, ghrepo.Repo{Owner: org, Name: repo})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Judged, []int{n}) {
		t.Errorf("judged again %v, want only #%d (#%d shows its decision)", res.Judged, n, other)
	}
	wantState(t, state(t, w, n), "success", "success", "jit:approved")
}

// TestRerunFromTheChecksTab: "Re-run" can arrive without pull_requests;
// the App judges the open pull request whose head is the check's commit.
func TestRerunFromTheChecksTab(t *testing.T) {
	w := newWorld(t, false)
	n := open(t, w, "octocat", "octocat/x", map[string]string{"requests/payments-prod/x.yaml": standardRequest})
	// The approval's delivery is lost: the check still asks for owners.
	remove := w.GitHub.InjectFault(githubemu.Fault{Status: http.StatusForbidden})
	if _, err := w.GitHub.SubmitReview(org, repo, n, "bob", "APPROVED", "ok"); err != nil {
		t.Fatal(err)
	}
	w.App.Close()
	remove()
	pr, err := w.GitHub.PullRequest(org, repo, n)
	if err != nil {
		t.Fatal(err)
	}
	payload := fmt.Sprintf(`{"action":"rerequested","installation":{"id":%d},"repository":{"name":%q,"owner":{"login":%q}},"sender":{"login":"octocat"},"check_run":{"name":"jit/approval","head_sha":%q,"pull_requests":[]}}`,
		w.InstallationID, repo, org, pr.GetHead().GetSHA())
	if _, err := w.GitHub.Deliver("check_run", []byte(payload)); err != nil {
		t.Fatal(err)
	}
	assertDelivered(t, w)
	wantState(t, state(t, w, n), "success", "success", "jit:approved")
}

// TestRecheckListsCommentsOnce: one /jit recheck reads the comments once,
// for the command and the status comment together.
func TestRecheckListsCommentsOnce(t *testing.T) {
	w := newWorld(t, false)
	n := open(t, w, "octocat", "octocat/x", map[string]string{"requests/payments-prod/x.yaml": standardRequest})
	w.GitHub.ResetRequests()
	if _, err := w.GitHub.Comment(org, repo, n, "octocat", "/jit recheck"); err != nil {
		t.Fatal(err)
	}
	assertDelivered(t, w)
	if got := w.GitHub.Requests()["GET /repos/{owner}/{repo}/issues/{number}/comments"]; got != 1 {
		t.Errorf("comments listed %d times for one recheck, want 1", got)
	}
}

// TestPullRequestBeyondGitHubsListingIsNotApprovable: GitHub lists 250
// commits of a pull request; with 252 an approver's commit could hide
// beyond them, so the owner's approval does not make it approvable.
func TestPullRequestBeyondGitHubsListingIsNotApprovable(t *testing.T) {
	w := newWorld(t, false)
	n := open(t, w, "octocat", "octocat/x", map[string]string{"requests/payments-prod/x.yaml": standardRequest})
	for i := range 250 {
		if _, err := w.GitHub.CommitToBranch(org, repo, "octocat/x", githubemu.Commit{Author: "octocat",
			Files: map[string][]byte{"requests/payments-prod/x.yaml": []byte(standardRequest + fmt.Sprintf("# %d\n", i))}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.GitHub.Push(org, repo, n, "octocat", map[string][]byte{"requests/payments-prod/x.yaml": []byte(standardRequest)}); err != nil {
		t.Fatal(err)
	}
	assertDelivered(t, w)
	review(t, w, n, "bob", "APPROVED", "ok")
	s := state(t, w, n)
	if s.approval == "success" {
		t.Fatalf("a pull request of 252 commits was approved: %+v", s)
	}
	if !strings.Contains(s.sticky, "252 commits") || !strings.Contains(s.sticky, "first 250") {
		t.Errorf("the status comment does not say why:\n%s", s.sticky)
	}
	// The sweep, which lists pull requests without their totals, agrees.
	res, err := w.App.Sweep(context.Background(), 0, ghrepo.Repo{Owner: org, Name: repo})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Judged) != 0 || state(t, w, n).approval == "success" {
		t.Errorf("the sweep judged it again: %+v, %+v", res, state(t, w, n))
	}
}

// TestRecheckByAStrangerIsRefusedCheaply: only the requester, owners and
// SSO admins may recheck; a stranger is told once, and a flood of their
// rechecks costs no further API call.
func TestRecheckByAStrangerIsRefusedCheaply(t *testing.T) {
	w := newWorld(t, false)
	n := open(t, w, "octocat", "octocat/x", map[string]string{"requests/payments-prod/x.yaml": standardRequest})
	if _, err := w.GitHub.Comment(org, repo, n, "mallory", "/jit recheck"); err != nil {
		t.Fatal(err)
	}
	assertDelivered(t, w)
	if c := lastComment(t, w, n); !strings.Contains(c, "@mallory you may not run `/jit recheck`") {
		t.Fatalf("no refusal:\n%s", c)
	}
	w.GitHub.WaitDeliveries()
	w.GitHub.ResetRequests()
	for range 100 {
		if _, err := w.GitHub.Comment(org, repo, n, "mallory", "/jit recheck"); err != nil {
			t.Fatal(err)
		}
	}
	w.GitHub.WaitDeliveries()
	calls := 0
	for route, c := range w.GitHub.Requests() {
		if !strings.HasPrefix(route, "POST /repos/{owner}/{repo}/issues/{number}/comments") {
			calls += c
		}
	}
	if calls != 0 {
		t.Errorf("100 refused rechecks cost %d API calls: %v", calls, w.GitHub.Requests())
	}
	// The requester may: the recheck runs an evaluation (check runs read).
	w.GitHub.ResetRequests()
	if _, err := w.GitHub.Comment(org, repo, n, "octocat", "/jit recheck"); err != nil {
		t.Fatal(err)
	}
	assertDelivered(t, w)
	if w.GitHub.Requests()["GET /repos/{owner}/{repo}/commits/{ref}/check-runs"] == 0 {
		t.Errorf("the requester's recheck evaluated nothing: %v", w.GitHub.Requests())
	}
	if c := lastComment(t, w, n); strings.Contains(c, "@octocat you may not") {
		t.Errorf("the requester was refused:\n%s", c)
	}
}
