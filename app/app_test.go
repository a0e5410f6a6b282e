package app_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jit-access/jit/internal/ghrepo"
	"github.com/jit-access/jit/internal/githubemu"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/internal/sandbox"
	"github.com/jit-access/jit/internal/testworld"
)

const (
	org  = testworld.Org
	repo = testworld.Repo
)

func wantState(t *testing.T, got testworld.PRState, validate, approval, label string) {
	t.Helper()
	if got.Validate != validate || got.Approval != approval || len(got.Labels) != 1 || got.Labels[0] != label {
		t.Fatalf("got validate=%q approval=%q labels=%v, want validate=%q approval=%q labels=[%s]\nsticky:\n%s",
			got.Validate, got.Approval, got.Labels, validate, approval, label, got.Sticky)
	}
}

// wantSaying is wantState for pull request n, whose sticky comment (or,
// when validation fails, the validation summary) also says says.
func wantSaying(t *testing.T, w *testworld.World, n int, validate, approval, label, says string) {
	t.Helper()
	s := w.State(t, n)
	wantState(t, s, validate, approval, label)
	text := s.Sticky
	if validate == "failure" {
		text = s.ApprovalSummary
	}
	if !strings.Contains(text, says) {
		t.Fatalf("PR #%d does not say %q:\n%s", n, says, text)
	}
}

func TestValidStandardRequestAsksOwners(t *testing.T) {
	w := testworld.Standard(t)
	n := w.Open(t, "octocat", "octocat/inc-1234", map[string]string{"requests/payments-prod/inc-1234.yaml": testworld.StandardRequest})
	s := w.State(t, n)
	wantState(t, s, "success", "failure", "jit:pending-owner")
	users, teams, err := w.GitHub.RequestedReviewers(org, repo, n)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 0 || len(teams) != 1 || teams[0] != "payments-leads" {
		t.Fatalf("requested reviewers users=%v teams=%v, want the payments-leads team", users, teams)
	}
	for _, want := range []string{"payments-prod", "ReadOnlyAccess", "4h", "INC-1234"} {
		if !strings.Contains(s.ApprovalSummary, want) {
			t.Errorf("validate summary lacks %q:\n%s", want, s.ApprovalSummary)
		}
	}

	w.Review(t, n, "alice", "APPROVED", "ok for INC-1234")
	wantState(t, w.State(t, n), "success", "success", "jit:approved")
}

func TestInvalidRequestGetsLineAnnotation(t *testing.T) {
	w := testworld.Standard(t)
	bad := strings.Replace(testworld.StandardRequest, "duration: 4h", "duration: 5h", 1)
	n := w.Open(t, "octocat", "octocat/bad", map[string]string{"requests/payments-prod/bad.yaml": bad})
	s := w.State(t, n)
	wantState(t, s, "failure", "failure", "jit:invalid")
	found := false
	for _, a := range s.Annotations {
		if a.GetPath() == "requests/payments-prod/bad.yaml" && a.GetStartLine() == 4 && a.GetAnnotationLevel() == "failure" {
			found = true
		}
	}
	if !found {
		t.Fatalf("no failure annotation on line 4 of the request; got %v", s.Annotations)
	}
	// The one check run says first that the request is invalid.
	if want := "Invalid: 1 error in requests/payments-prod/bad.yaml"; s.ApprovalTitle != want {
		t.Errorf("jit/approval is titled %q, want %q", s.ApprovalTitle, want)
	}
	// An approval of an invalid request never counts.
	w.Review(t, n, "alice", "APPROVED", "")
	wantState(t, w.State(t, n), "failure", "failure", "jit:invalid")
	// GitHub adds the annotations of each update of a run to those it
	// has: a recheck, which writes the run again, annotates nothing twice.
	w.Comment(t, n, "octocat", "/jit recheck")
	if again := w.State(t, n); len(again.Annotations) != len(s.Annotations) {
		t.Errorf("after a recheck jit/approval has %d annotations, want the %d it had", len(again.Annotations), len(s.Annotations))
	}
}

func TestCustomRequestTwoStages(t *testing.T) {
	w := testworld.Standard(t)
	n := w.Open(t, "octocat", "octocat/custom", map[string]string{"requests/payments-prod/s3.yaml": testworld.CustomRequest})
	wantSaying(t, w, n, "success", "failure", "jit:pending-owner", "iam:PassRole")
	// An admin alone does not complete a custom request.
	w.Review(t, n, "bob", "APPROVED", "admin first")
	wantState(t, w.State(t, n), "success", "failure", "jit:pending-owner")
	// The owner completes stage 1; with the earlier admin approval it is
	// approved: two different people.
	w.Review(t, n, "alice", "APPROVED", "owner ok")
	wantState(t, w.State(t, n), "success", "success", "jit:approved")
}

func TestCustomRequestOwnerThenAdminRequestsAdmins(t *testing.T) {
	w := testworld.Standard(t)
	n := w.Open(t, "octocat", "octocat/custom", map[string]string{"requests/payments-prod/s3.yaml": testworld.CustomRequest})
	w.Review(t, n, "alice", "APPROVED", "owner ok")
	wantState(t, w.State(t, n), "success", "failure", "jit:pending-admin")
	_, teams, err := w.GitHub.RequestedReviewers(org, repo, n)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(teams, "sso-admins") {
		t.Fatalf("after the owner stage the SSO admins are not requested: teams %v", teams)
	}
	w.Review(t, n, "dave", "APPROVED", "admin ok")
	wantState(t, w.State(t, n), "success", "success", "jit:approved")
}

// An approval by the requester, or by someone who is neither an owner nor
// an SSO admin, leaves the request pending, and the sticky comment lists
// the ignored review.
func TestApprovalsThatDoNotCount(t *testing.T) {
	for _, tc := range []struct {
		name, author, reviewer string
		selfReview             bool
	}{
		{"self-approval", "alice", "alice", true}, // alice owns payments-prod but requests for herself
		{"not an owner", "octocat", "mallory", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := testworld.New(t, testworld.Monday, sandbox.Options{AllowSelfReview: tc.selfReview})
			n := w.Open(t, tc.author, tc.author+"/x", map[string]string{"requests/payments-prod/x.yaml": testworld.StandardRequest})
			w.Review(t, n, tc.reviewer, "APPROVED", "lgtm")
			wantSaying(t, w, n, "success", "failure", "jit:pending-owner", tc.reviewer)
		})
	}
}

func TestApprovalThenPushSendsBack(t *testing.T) {
	w := testworld.Standard(t)
	n := w.Open(t, "octocat", "octocat/push", map[string]string{"requests/payments-prod/p.yaml": testworld.StandardRequest})
	w.Review(t, n, "alice", "APPROVED", "")
	wantState(t, w.State(t, n), "success", "success", "jit:approved")
	longer := strings.Replace(testworld.StandardRequest, "duration: 4h", "duration: 1d", 1)
	if _, err := w.GitHub.Push(org, repo, n, "octocat", map[string][]byte{"requests/payments-prod/p.yaml": []byte(longer)}); err != nil {
		t.Fatal(err)
	}
	w.AssertDelivered(t)
	wantState(t, w.State(t, n), "success", "failure", "jit:pending-owner")
}

// TestStalePayloadIsNotBelieved: the App takes the pull request from an
// event's payload only while its head is still the head. An approval's
// event delivered again after a push (a late redelivery, or an in-process
// retry) must judge the new head, where the approval does not count.
func TestStalePayloadIsNotBelieved(t *testing.T) {
	w := testworld.Standard(t)
	const path = "requests/payments-prod/s.yaml"
	n := w.Open(t, "octocat", "octocat/stale", map[string]string{path: testworld.StandardRequest})
	w.GitHub.WaitDeliveries()
	w.GitHub.ResetRequests()
	w.Review(t, n, "alice", "APPROVED", "")
	wantState(t, w.State(t, n), "success", "success", "jit:approved")
	if got := w.GitHub.Requests()["GET /repos/{owner}/{repo}/pulls/{number}"]; got != 0 {
		t.Errorf("a current review event read the pull request %d times, want 0: the payload has it", got)
	}
	approval := w.LastDeliveryOf(t, "pull_request_review", "").Body
	longer := strings.Replace(testworld.StandardRequest, "duration: 4h", "duration: 1d", 1)
	w.Push(t, n, githubemu.Commit{Author: "octocat", Files: map[string][]byte{path: []byte(longer)}})
	wantState(t, w.State(t, n), "success", "failure", "jit:pending-owner")
	w.GitHub.WaitDeliveries()
	w.GitHub.ResetRequests()
	if d, err := w.GitHub.Deliver("pull_request_review", approval); err != nil || d.StatusCode != http.StatusOK {
		t.Fatalf("delivering the stale approval: status %d, err %v", d.StatusCode, err)
	}
	wantState(t, w.State(t, n), "success", "failure", "jit:pending-owner")
	if got := w.GitHub.Requests()["GET /repos/{owner}/{repo}/pulls/{number}"]; got == 0 {
		t.Error("the stale payload was believed: the pull request was not read")
	}
}

// TestExecutableRequestFileIsRefused: the mode of a request file comes from
// its folder's tree, so an executable one is told apart from a regular one,
// as `jit validate` does from git.
func TestExecutableRequestFileIsRefused(t *testing.T) {
	w := testworld.Standard(t)
	const path = "requests/payments-prod/x.yaml"
	n := w.OpenWith(t, "octocat", "octocat/x", githubemu.Commit{
		Files: map[string][]byte{path: []byte(testworld.StandardRequest)},
		Modes: map[string]string{path: "100755"},
	})
	w.Review(t, n, "alice", "APPROVED", "ok")
	s := w.State(t, n)
	if s.Validate != "failure" || s.Approval == "success" || !strings.Contains(s.ApprovalSummary, "executable") {
		t.Errorf("an executable request file: validate %q, approval %q, want failure naming it:\n%s", s.Validate, s.Approval, s.ApprovalSummary)
	}
}

func TestPRThatAlsoEditsConfigNeedsAdmin(t *testing.T) {
	for _, extra := range []string{layout.ConfigPath, ".github/workflows/reconcile.yml"} {
		t.Run(extra, func(t *testing.T) {
			w := testworld.Standard(t)
			n := w.Open(t, "octocat", "octocat/sneaky", map[string]string{
				"requests/payments-prod/p.yaml": testworld.StandardRequest,
				extra:                           "# changed\n",
			})
			s := w.State(t, n)
			if s.Approval != "failure" {
				t.Fatalf("approval = %q", s.Approval)
			}
			if !strings.Contains(s.ApprovalSummary, "not a plain access request") {
				t.Fatalf("validate summary does not say it is not a request:\n%s", s.ApprovalSummary)
			}
			// An account owner's approval is not enough for an admin change.
			w.Review(t, n, "alice", "APPROVED", "")
			if got := w.State(t, n).Approval; got != "failure" {
				t.Fatalf("owner approval passed an admin change: approval = %q", got)
			}
		})
	}
}

func TestWebhookSignatures(t *testing.T) {
	w := testworld.Standard(t)
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
	w := testworld.Standard(t)
	n := w.Open(t, "octocat", "octocat/r", map[string]string{"requests/payments-prod/r.yaml": testworld.StandardRequest})
	first, _ := w.GitHub.LastDelivery()
	before := w.State(t, n)
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
	after := w.State(t, n)
	if before.Sticky != after.Sticky || before.Approval != after.Approval {
		t.Fatalf("a replay changed the PR")
	}
}

func TestRevokeByComment(t *testing.T) {
	w := testworld.Standard(t)
	path := "requests/payments-prod/rv.yaml"
	n := w.Merged(t, "octocat", "octocat/rv", path, testworld.StandardRequest)

	// mallory is neither requester, owner nor admin.
	if _, err := w.GitHub.Comment(org, repo, n, "mallory", "/jit revoke because"); err != nil {
		t.Fatal(err)
	}
	w.AssertDelivered(t)
	if got := w.MustOnMain(t, path); strings.Contains(got, "revoking") {
		t.Fatalf("mallory's revoke was recorded:\n%s", got)
	}
	if c := w.LastComment(t, n); !strings.Contains(c, "may not revoke") {
		t.Fatalf("mallory was not told why: %q", c)
	}

	if _, err := w.GitHub.Comment(org, repo, n, "octocat", "/jit revoke done with the incident"); err != nil {
		t.Fatal(err)
	}
	w.AssertDelivered(t)
	got := w.MustOnMain(t, path)
	for _, want := range []string{"state: revoking", "revoked_by: octocat", "done with the incident", "justification:"} {
		if !strings.Contains(got, want) {
			t.Fatalf("main's request file lacks %q:\n%s", want, got)
		}
	}
	// A second revoke is answered, not recorded twice.
	if _, err := w.GitHub.Comment(org, repo, n, "alice", "/jit revoke"); err != nil {
		t.Fatal(err)
	}
	w.AssertDelivered(t)
	if c := w.LastComment(t, n); !strings.Contains(c, "already under way") {
		t.Fatalf("second revoke answered %q", c)
	}
}

// A pull request into another branch is never approvable: that branch's
// rules are whatever its pusher made them, and the check it earned could be
// reused by a pull request into main with the same head.
func TestPullRequestIntoAnotherBranchIsNotApprovable(t *testing.T) {
	w := testworld.Standard(t)
	n := w.Open(t, "octocat", "octocat/elsewhere", map[string]string{"requests/payments-prod/e.yaml": testworld.StandardRequest})
	if err := w.GitHub.RetargetPullRequest(org, repo, n, "octocat", "release"); err != nil {
		t.Fatal(err)
	}
	w.AssertDelivered(t)
	w.Review(t, n, "alice", "APPROVED", "ok")
	s := w.State(t, n)
	if s.Approval != "failure" || !strings.Contains(s.ApprovalSummary, "jit decides only pull requests into main") {
		t.Fatalf("a PR into release: approval %q\n%s", s.Approval, s.ApprovalSummary)
	}
}

// TestApprovalCheckIsWrittenLast: when GitHub fails part-way through the
// effects of an approval, jit/approval is not green beside a label or
// comment that still say otherwise; the redelivery brings all in line.
func TestApprovalCheckIsWrittenLast(t *testing.T) {
	w := testworld.Standard(t)
	n := w.Open(t, "octocat", "octocat/x", map[string]string{"requests/payments-prod/x.yaml": testworld.StandardRequest})
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
	s := w.State(t, n)
	if s.Approval == "success" {
		t.Fatalf("jit/approval is green although the effects failed part-way: labels %v, comment:\n%s", s.Labels, s.Sticky)
	}
	remove()
	if _, err := w.GitHub.Redeliver(d.ID); err != nil {
		t.Fatal(err)
	}
	w.AssertLastDelivered(t)
	s = w.State(t, n)
	wantState(t, s, "success", "success", "jit:approved")
	if !strings.Contains(s.Sticky, "bob") {
		t.Errorf("the comment does not show bob's approval:\n%s", s.Sticky)
	}
}

// TestFailedEvaluationIsRetriedInProcess: GitHub refuses every call while
// a review arrives; once it answers again, the App's own retry judges the
// pull request, with no redelivery.
// approvedDuringOutage opens octocat's standard request, then bob approves
// it while GitHub refuses every call of the App with a 403, a refusal the
// transport does not retry: the approval's delivery fails at once. remove
// ends the outage.
func approvedDuringOutage(t *testing.T, w *testworld.World) (n int, remove func()) {
	t.Helper()
	n = w.Open(t, "octocat", "octocat/x", map[string]string{"requests/payments-prod/x.yaml": testworld.StandardRequest})
	remove = w.GitHub.InjectFault(githubemu.Fault{Status: http.StatusForbidden})
	if _, err := w.GitHub.SubmitReview(org, repo, n, "bob", "APPROVED", "ok"); err != nil {
		t.Fatal(err)
	}
	return n, remove
}

func TestFailedEvaluationIsRetriedInProcess(t *testing.T) {
	w := testworld.Standard(t)
	n, remove := approvedDuringOutage(t, w)
	if d, _ := w.GitHub.LastDelivery(); d.StatusCode != http.StatusInternalServerError {
		t.Fatalf("the delivery during the outage answered %d", d.StatusCode)
	}
	time.Sleep(3 * time.Second) // the outage lasts past the first retry
	remove()
	deadline := time.Now().Add(time.Minute)
	for {
		s := w.State(t, n)
		if s.Approval == "success" {
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
	w := testworld.Standard(t)
	n := w.Open(t, "octocat", "octocat/x", map[string]string{"requests/payments-prod/x.yaml": testworld.StandardRequest})
	other := w.Open(t, "octocat", "octocat/y", map[string]string{"requests/payments-prod/y.yaml": testworld.StandardRequest})
	remove := w.GitHub.InjectFault(githubemu.Fault{Status: http.StatusForbidden})
	if _, err := w.GitHub.SubmitReview(org, repo, n, "bob", "APPROVED", "ok"); err != nil {
		t.Fatal(err)
	}
	w.App.Close() // the App restarts: its pending retries are gone
	remove()
	if s := w.State(t, n); s.Approval == "success" {
		t.Fatalf("judged before the sweep: %+v", s)
	}
	res, err := w.App.Sweep(context.Background(), 0, ghrepo.Repo{Owner: org, Name: repo})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Judged, []int{n}) {
		t.Errorf("judged again %v, want only #%d (#%d shows its decision)", res.Judged, n, other)
	}
	wantState(t, w.State(t, n), "success", "success", "jit:approved")
}

// TestRerunFromTheChecksTab: "Re-run" can arrive without pull_requests;
// the App judges the open pull request whose head is the check's commit.
func TestRerunFromTheChecksTab(t *testing.T) {
	w := testworld.Standard(t)
	// The approval's delivery is lost: the check still asks for owners.
	n, remove := approvedDuringOutage(t, w)
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
	w.AssertLastDelivered(t)
	wantState(t, w.State(t, n), "success", "success", "jit:approved")
}

// TestRecheckListsCommentsOnce: one /jit recheck reads the comments at most
// once, for the command and the status comment together; none when the
// App's record on the head names its status comment.
func TestRecheckListsCommentsOnce(t *testing.T) {
	w := testworld.Standard(t)
	n := w.Open(t, "octocat", "octocat/x", map[string]string{"requests/payments-prod/x.yaml": testworld.StandardRequest})
	w.GitHub.ResetRequests()
	if _, err := w.GitHub.Comment(org, repo, n, "octocat", "/jit recheck"); err != nil {
		t.Fatal(err)
	}
	w.AssertDelivered(t)
	if got := w.GitHub.Requests()["GET /repos/{owner}/{repo}/issues/{number}/comments"]; got != 0 {
		t.Errorf("comments listed %d times for one recheck, want none", got)
	}
}

// TestPullRequestBeyondGitHubsListingIsNotApprovable: GitHub lists 250
// commits of a pull request; with 252 an approver's commit could hide
// beyond them, so the owner's approval does not make it approvable.
func TestPullRequestBeyondGitHubsListingIsNotApprovable(t *testing.T) {
	w := testworld.Standard(t)
	n := w.Open(t, "octocat", "octocat/x", map[string]string{"requests/payments-prod/x.yaml": testworld.StandardRequest})
	for i := range 250 {
		if _, err := w.GitHub.CommitToBranch(org, repo, "octocat/x", githubemu.Commit{Author: "octocat",
			Files: map[string][]byte{"requests/payments-prod/x.yaml": []byte(testworld.StandardRequest + fmt.Sprintf("# %d\n", i))}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.GitHub.Push(org, repo, n, "octocat", map[string][]byte{"requests/payments-prod/x.yaml": []byte(testworld.StandardRequest)}); err != nil {
		t.Fatal(err)
	}
	w.AssertDelivered(t)
	w.Review(t, n, "bob", "APPROVED", "ok")
	s := w.State(t, n)
	if s.Approval == "success" {
		t.Fatalf("a pull request of 252 commits was approved: %+v", s)
	}
	if !strings.Contains(s.Sticky, "252 commits") || !strings.Contains(s.Sticky, "first 250") {
		t.Errorf("the status comment does not say why:\n%s", s.Sticky)
	}
	// The sweep, which lists pull requests without their totals, agrees.
	res, err := w.App.Sweep(context.Background(), 0, ghrepo.Repo{Owner: org, Name: repo})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Judged) != 0 || w.State(t, n).Approval == "success" {
		t.Errorf("the sweep judged it again: %+v, %+v", res, w.State(t, n))
	}
}

// TestRecheckByAStrangerIsRefusedCheaply: only the requester, owners and
// SSO admins may recheck; a stranger is told once, and a flood of their
// rechecks costs no further API call.
func TestRecheckByAStrangerIsRefusedCheaply(t *testing.T) {
	w := testworld.Standard(t)
	n := w.Open(t, "octocat", "octocat/x", map[string]string{"requests/payments-prod/x.yaml": testworld.StandardRequest})
	if _, err := w.GitHub.Comment(org, repo, n, "mallory", "/jit recheck"); err != nil {
		t.Fatal(err)
	}
	w.AssertDelivered(t)
	if c := w.LastComment(t, n); !strings.Contains(c, "@mallory you may not run `/jit recheck`") {
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
	w.AssertDelivered(t)
	if w.GitHub.Requests()["GET /repos/{owner}/{repo}/commits/{ref}/check-runs"] == 0 {
		t.Errorf("the requester's recheck evaluated nothing: %v", w.GitHub.Requests())
	}
	if c := w.LastComment(t, n); strings.Contains(c, "@octocat you may not") {
		t.Errorf("the requester was refused:\n%s", c)
	}
}
