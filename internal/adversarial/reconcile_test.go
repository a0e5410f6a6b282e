package adversarial_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/jit-access/jit/action"
	"github.com/jit-access/jit/internal/ghrepo"
	"github.com/jit-access/jit/internal/githubemu"
	"github.com/jit-access/jit/internal/gittest"
	"github.com/jit-access/jit/internal/identitycenter"
	"github.com/jit-access/jit/internal/ledger"
	"github.com/jit-access/jit/internal/sandbox"
	"github.com/jit-access/jit/internal/testworld"
	"github.com/jit-access/jit/schema"
)

// fast is a World whose Identity Center finishes operations quickly and
// does not throttle unless a test asks it to.
var fast = sandbox.Options{AsyncDelay: 20 * time.Millisecond, RequestsPerSecond: -1}

// reconcile runs the reconcile Action once from a fresh clone of main, as
// the scheduled workflow does, with few AWS retries so that trouble shows.
func reconcile(t *testing.T, w *testworld.World) action.Report {
	t.Helper()
	dir := t.TempDir()
	gittest.Output(t, "", "clone", "--quiet", w.GitHub.RepoDir(org, repo), dir)
	lg, err := ledger.Open(dir, ledger.Options{RetryDelay: -1, Clock: w.Clock, Logger: slog.New(slog.DiscardHandler), SigningKey: w.SigningKey})
	if err != nil {
		t.Fatal(err)
	}
	gh, err := w.Client()
	if err != nil {
		t.Fatal(err)
	}
	ic := identitycenter.NewFromConfig(
		aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "not-a-secret", "")},
		identitycenter.Options{Region: "us-east-1", InstanceARN: w.IDC.InstanceARN(), IdentityStoreID: w.IDC.IdentityStoreID(),
			Endpoint: w.IDCURL, RequestsPerSecond: 1000, PollInterval: 5 * time.Millisecond, PollTimeout: 2 * time.Second,
			MaxAttempts: 2, RetryBaseDelay: time.Millisecond, RetryMaxBackoff: 5 * time.Millisecond, Clock: w.Clock,
			Logger: slog.New(slog.DiscardHandler)})
	r, err := action.New(action.Options{
		Ledger: lg, IdentityCenter: ic, GitHub: ghrepo.New(gh, ghrepo.Repo{Owner: org, Name: repo}),
		Bot: w.GitHub.BotLogin(), Clock: w.Clock, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := r.Run(context.Background(), action.RunOptions{})
	if err != nil {
		t.Fatalf("reconcile: %v", err)
	}
	return rep
}

// assignedTo reports whether login holds any assignment in payments-prod.
func assignedTo(w *testworld.World, login string) bool {
	for _, a := range w.IDC.Assignments() {
		if a.AccountID == "111122223333" && a.PrincipalID == w.UserIDs[login] {
			return true
		}
	}
	return false
}

// grantState is the request's status state on main ("" for none).
func grantState(t *testing.T, w *testworld.World, path string) string {
	t.Helper()
	req, err := schema.DecodeRequest(path, []byte(w.MustOnMain(t, path)))
	if err != nil {
		t.Fatal(err)
	}
	if req.Status == nil {
		return ""
	}
	return req.Status.State
}

// reportsError reports whether the run's report has an error on path whose
// reason says reason.
func reportsError(rep action.Report, path, reason string) bool {
	for _, e := range rep.Errors {
		if e.Path == path && strings.Contains(e.Reason, reason) {
			return true
		}
	}
	return false
}

// notProvisioned asserts the safe outcome of a merge that bypassed the
// approval: no access in AWS, and main does not claim any.
func notProvisioned(t *testing.T, w *testworld.World, login, path string, rep action.Report) {
	t.Helper()
	if assignedTo(w, login) {
		t.Fatalf("UNSAFE: %s was given access; report:\n%s", login, rep)
	}
	if st := grantState(t, w, path); st == schema.StateActive || st == "activating" {
		t.Fatalf("UNSAFE: main records the grant as %s", st)
	}
	if len(rep.Activated) != 0 {
		t.Fatalf("UNSAFE: the run reports activations: %v", rep.Activated)
	}
}

// Attack: an admin bypasses branch protection and merges requests that the
// policy did not approve. The reconcile checks the approval again from the
// API and never provisions them.
func TestMergeWithoutApprovalIsNotProvisioned(t *testing.T) {
	w := newWorldWith(t, sandbox.Options{AllowSelfReview: true, AsyncDelay: fast.AsyncDelay, RequestsPerSecond: fast.RequestsPerSecond})
	cases := []struct {
		name, author, path string
		setup              func(n int)
	}{
		{"no review", "octocat", "requests/payments-prod/none.yaml", func(int) {}},
		{"self-approved", "alice", "requests/payments-prod/self.yaml", func(n int) { w.Review(t, n, "alice", "APPROVED", "me") }},
		{"approved then pushed", "octocat", "requests/payments-prod/pushed.yaml", func(n int) {
			w.Review(t, n, "alice", "APPROVED", "1h ok")
			w.Push(t, n, githubemu.Commit{Author: "octocat", Files: map[string][]byte{"requests/payments-prod/pushed.yaml": []byte(withDuration("1d"))}})
		}},
		{"approved by a committer", "carol", "requests/payments-prod/co.yaml", func(n int) {
			w.Push(t, n, githubemu.Commit{Author: "carol", Committer: "alice", Files: map[string][]byte{"requests/payments-prod/co.yaml": []byte(withDuration("2h"))}})
			w.Review(t, n, "alice", "APPROVED", "ok")
		}},
		{"changes requested", "erin", "requests/payments-prod/cr.yaml", func(n int) {
			w.Review(t, n, "bob", "CHANGES_REQUESTED", "no")
			w.Review(t, n, "alice", "APPROVED", "yes")
		}},
		{"rejected by an invalid request", "dave", "requests/payments-prod/bad.yaml", func(n int) {}},
	}
	for i, tc := range cases {
		body := testworld.StandardRequest
		if tc.name == "rejected by an invalid request" {
			body = withDuration("1mo") // over the account's 1d cap
		}
		n := w.Open(t, tc.author, tc.author+"/bypass-"+itoa(i), map[string]string{tc.path: body})
		tc.setup(n)
		notApproved(t, w.State(t, n))
		if _, err := w.GitHub.Merge(org, repo, n, "bob"); err != nil { // the bypass
			t.Fatal(err)
		}
	}
	rep := reconcile(t, w)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			notProvisioned(t, w, tc.author, tc.path, rep)
			// It is recorded as refused, so that auditors see the bypass.
			if st := grantState(t, w, tc.path); st != schema.StateFailed {
				t.Errorf("main records %q, want %q for a merge the policy did not approve", st, schema.StateFailed)
			}
		})
	}
}

// Attack: the shared-head-commit trick end to end. Even when carol's PR is
// merged on the check octocat's approval turned green, the reconcile reads
// her PR's own reviews and refuses.
func TestSharedHeadCommitMergeIsNotProvisioned(t *testing.T) {
	w := newWorldWith(t, fast)
	n1 := w.Open(t, "octocat", "octocat/inc", map[string]string{reqPath: testworld.StandardRequest})
	w.Review(t, n1, "alice", "APPROVED", "ok for octocat")
	head := w.State(t, n1).Head
	n2 := w.Open(t, "carol", "carol/inc", map[string]string{"requests/payments-prod/carol.yaml": testworld.StandardRequest})
	gittest.Output(t, "", "-C", w.GitHub.RepoDir(org, repo), "update-ref", "refs/heads/carol/inc", head)
	w.Comment(t, n2, "carol", "/jit recheck")
	w.Merge(t, n2, "carol")
	rep := reconcile(t, w)
	notProvisioned(t, w, "carol", reqPath, rep)
	if assignedTo(w, "octocat") {
		t.Fatalf("UNSAFE: octocat got access through carol's unapproved merge")
	}
}

// Attack: someone who can push to main directly (an admin bypassing
// protection, a leaked deploy key) re-adds a request that was approved long
// ago, in a commit whose subject names the old pull request, hoping the
// reconcile borrows that approval.
func TestDirectPushBorrowingAnOldApprovalIsNotProvisioned(t *testing.T) {
	w := newWorldWith(t, fast)
	const path = "requests/payments-prod/old.yaml"
	n := w.Merged(t, "octocat", "octocat/old", path, testworld.StandardRequest)
	if rep := reconcile(t, w); len(rep.Activated) != 1 {
		t.Fatalf("setup: the approved request was not activated: %s", rep)
	}
	// Expire it: four hours and a bit later.
	w.Clock.Advance(4*time.Hour + time.Minute)
	reconcile(t, w)
	if st := grantState(t, w, path); st != schema.StateExpired || assignedTo(w, "octocat") {
		t.Fatalf("setup: grant is %q after its expiry", st)
	}
	// The direct pushes: remove the spent file, then add it again fresh
	// with a subject that names the old, approved pull request.
	if _, err := w.GitHub.CommitToBranch(org, repo, "main", githubemu.Commit{Author: "bob", Message: "tidy", Files: map[string][]byte{path: nil}}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.GitHub.CommitToBranch(org, repo, "main", githubemu.Commit{Author: "bob",
		Message: "Merge pull request #" + itoa(n) + " from octocat/old",
		Files:   map[string][]byte{path: []byte(testworld.StandardRequest)}}); err != nil {
		t.Fatal(err)
	}
	rep := reconcile(t, w)
	if assignedTo(w, "octocat") || len(rep.Activated) != 0 {
		knownBug(t, "action: checkMerged falls back to the PR number in the commit subject when the API associates no pull request "+
			"with the commit that added the file, so a direct push to main with a forged subject re-provisions a request on an old approval")
	}
}

// Attack (by AWS): a revocation asked for with /jit revoke, carried out by
// reconcile runs while Identity Center throttles and fails. Main must say
// "revoked" only once the assignment is really gone.
func TestRevocationRecordedOnlyWhenAWSConfirms(t *testing.T) {
	w := newWorldWith(t, fast)
	const path = "requests/payments-prod/rv.yaml"
	n := w.Merged(t, "octocat", "octocat/rv", path, testworld.StandardRequest)
	if rep := reconcile(t, w); len(rep.Activated) != 1 || !assignedTo(w, "octocat") {
		t.Fatalf("setup: not activated: %s", rep)
	}
	w.Comment(t, n, "octocat", "/jit revoke done")

	w.IDC.SetFaultRate(0.5)
	w.IDC.SetRequestsPerSecond(3)
	for run := 1; run <= 30; run++ {
		rep := reconcile(t, w)
		st := grantState(t, w, path)
		if st == schema.StateRevoked && assignedTo(w, "octocat") {
			t.Fatalf("UNSAFE: run %d recorded the revocation but AWS still has the assignment; report:\n%s", run, rep)
		}
		if st == schema.StateRevoked {
			t.Logf("revoked on run %d", run)
			return
		}
		if len(rep.Revoked) != 0 {
			t.Fatalf("run %d reports a revocation main does not record", run)
		}
		w.Clock.Advance(time.Second) // refill the emulator's bucket between runs
	}
	// Calm again: the next run must finish it.
	w.IDC.SetFaultRate(0)
	w.IDC.SetRequestsPerSecond(-1)
	reconcile(t, w)
	if st := grantState(t, w, path); st != schema.StateRevoked || assignedTo(w, "octocat") {
		t.Fatalf("after the storm: state %q, assigned %v", st, assignedTo(w, "octocat"))
	}
}
