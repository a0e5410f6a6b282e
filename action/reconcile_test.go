package action_test

import (
	"context"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jit-access/jit/action"
	"github.com/jit-access/jit/internal/githubemu"
	"github.com/jit-access/jit/internal/gittest"
	"github.com/jit-access/jit/internal/identitycenter"
	"github.com/jit-access/jit/internal/identitycenter/idcemu"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/internal/ledger"
	"github.com/jit-access/jit/schema"
)

func paths(es []action.Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Path)
	}
	return out
}

func TestMergeActivatesWithApprovals(t *testing.T) {
	e := newEnv(t, envOptions{})
	n, path := e.merge(t, "alice", "alice-ro", request("ReadOnlyAccess", "4h"), "bob", "ok for INC-1234\n\njit: duration 2h")
	before := e.clk.Now()
	rep := e.run(t, 0)
	if diff := cmp.Diff([]string{path}, paths(rep.Activated)); diff != "" {
		t.Fatalf("activated (-want +got):\n%s\nreport:\n%s", diff, rep)
	}
	if !rep.OK() {
		t.Errorf("report not OK:\n%s", rep)
	}
	if got := e.assignments(e.readOnly, "alice"); got != 1 {
		t.Fatalf("alice has %d ReadOnlyAccess assignments, want 1", got)
	}
	st := e.status(t, path)
	if st.State != schema.StateActive || st.PullRequest != n || st.Requester != "alice" || st.Duration != "2h" ||
		st.PermissionSetARN != e.readOnly || st.Preexisting || st.ActivatedAt == nil || st.ExpiresAt == nil || st.MergedAt == nil {
		t.Fatalf("status = %+v", st)
	}
	if len(st.Approvals) != 1 || st.Approvals[0].By != "bob" || st.Approvals[0].Stage != "owner" || st.Approvals[0].Note != "ok for INC-1234" {
		t.Errorf("approvals = %+v", st.Approvals)
	}
	if d := st.ExpiresAt.Sub(before); d < 2*time.Hour-time.Second || d > 2*time.Hour+time.Minute {
		t.Errorf("expires %s after the run started, want the shortened 2h", d)
	}
	if left := rep.Activated[0].TimeLeft; left < time.Hour || left > 2*time.Hour {
		t.Errorf("time left = %s", left)
	}
	wantLog := strings.Join([]string{
		"jit: activate payments-prod/ReadOnlyAccess for alice (#1)",
		"Jit-Request: " + path,
		"Jit-Event: activated",
		"Jit-Pull-Request: 1",
		"",
		"jit: start activation of payments-prod/ReadOnlyAccess for alice (#1)",
		"Jit-Request: " + path,
		"Jit-Event: activating",
		"Jit-Pull-Request: 1",
		"",
		"Request alice-ro", // the requester's commit on the PR branch
		"",
		"",
	}, "\n")
	if diff := cmp.Diff(wantLog, e.log(t)); diff != "" {
		t.Errorf("audit log (-want +got):\n%s", diff)
	}

	// A second run has nothing to do and reports the grant as active.
	rep = e.run(t, 0)
	if len(rep.Activated)+len(rep.Expired)+len(rep.Failed)+len(rep.Drift) != 0 || len(rep.Active) != 1 {
		t.Errorf("second run:\n%s", rep)
	}
	if got := e.assignments(e.readOnly, "alice"); got != 1 {
		t.Errorf("after a second run alice has %d assignments, want 1", got)
	}
	if !strings.Contains(rep.Markdown(), "| active | `payments-prod/ReadOnlyAccess` | alice | #1 |") {
		t.Errorf("summary lacks the active grant:\n%s", rep.Markdown())
	}
}

func TestExpiryOnTimeAndLate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		after time.Duration
	}{
		{"on time", 2*time.Hour + time.Second},
		{"a run delayed by an hour", 3 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, _, path := aliceActive(t, "2h")
			e.clk.Advance(time.Hour)
			if rep := e.run(t, 0); len(rep.Expired) != 0 {
				t.Fatalf("expired early:\n%s", rep)
			}
			rep := e.expireAfter(t, tc.after-time.Hour, path)
			if got := e.assignments(e.readOnly, "alice"); got != 0 {
				t.Errorf("alice still has %d assignments", got)
			}
			st := e.status(t, path)
			if st.State != schema.StateExpired || st.EndedAt == nil || len(st.Notes) == 0 {
				t.Errorf("status = %+v", st)
			}
			if lag := rep.Expired[0].Lag(); lag < tc.after-2*time.Hour-time.Minute {
				t.Errorf("lag %s, want about %s", lag, tc.after-2*time.Hour)
			}
			if !strings.HasPrefix(e.log(t), "jit: expire payments-prod/ReadOnlyAccess for alice (#1)\nJit-Request: "+path+"\nJit-Event: expired\n") {
				t.Errorf("log:\n%s", e.log(t))
			}
		})
	}
}

func TestLookaheadRevokesAtTheExactTime(t *testing.T) {
	e, _, path := aliceActive(t, "1h")
	exp := *e.status(t, path).ExpiresAt
	// On a clock held at the run's start that moves only to what the run
	// waits for: the run waits for expires_at and revokes exactly then,
	// however slowly the machine runs.
	rep, waits := e.runAt(t, exp.Add(-1500*time.Millisecond), 2*time.Second)
	if diff := cmp.Diff([]wait{{"expiry", exp}}, waits); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{path}, paths(rep.Expired)); diff != "" {
		t.Fatalf("expired (-want +got):\n%s\n%s", diff, rep)
	}
	if lag := rep.Expired[0].Lag(); lag != 0 {
		t.Errorf("revoked %s after expires_at, want at it", lag)
	}
	if got := e.assignments(e.readOnly, "alice"); got != 0 {
		t.Errorf("alice still has %d assignments", got)
	}
}

func TestRevokeRequestedIsCarriedOutAtOnce(t *testing.T) {
	e, n, path := aliceActive(t, "8h")
	// What the App's /jit revoke writes through the contents API.
	dir := e.clone(t)
	st := e.status(t, path)
	now := e.clk.Now().UTC()
	st.State, st.RevokedBy, st.RevokeRequestedAt, st.Reason = schema.StateRevoking, "bob", &now, "INC closed"
	writeStatus(t, dir, path, st, "jit: request revocation of payments-prod/ReadOnlyAccess for alice (#1)\n\nJit-Request: "+path+"\nJit-Event: revoking\nJit-Pull-Request: 1")
	rep := e.run(t, 0)
	if diff := cmp.Diff([]string{path}, paths(rep.Revoked)); diff != "" {
		t.Fatalf("revoked (-want +got):\n%s\n%s", diff, rep)
	}
	if got := e.assignments(e.readOnly, "alice"); got != 0 {
		t.Errorf("alice still has %d assignments", got)
	}
	got := e.status(t, path)
	if got.State != schema.StateRevoked || got.RevokedBy != "bob" || got.Reason != "INC closed" || got.EndedAt == nil || got.PullRequest != n {
		t.Errorf("status = %+v", got)
	}
}

func TestAdminBypassIsNotProvisioned(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, path := e.merge(t, "alice", "alice-ro", request("ReadOnlyAccess", "1h"), "", "")
	rep := e.run(t, 0)
	if diff := cmp.Diff([]string{path}, paths(rep.Failed)); diff != "" {
		t.Fatalf("failed (-want +got):\n%s\n%s", diff, rep)
	}
	if len(e.idc.Assignments()) != 0 {
		t.Errorf("assignments after an admin bypass: %v", e.idc.Assignments())
	}
	st := e.status(t, path)
	if st.State != schema.StateFailed || !strings.Contains(st.Reason, "merged without the approval") || st.Requester != "alice" || st.PullRequest != 1 {
		t.Errorf("status = %+v", st)
	}
	if !strings.HasPrefix(e.log(t), "jit: failed payments-prod/ReadOnlyAccess for alice (#1)\n\n") &&
		!strings.Contains(e.log(t), "Jit-Event: failed") {
		t.Errorf("log:\n%s", e.log(t))
	}
	// Failed is final: the next run leaves it alone.
	if rep := e.run(t, 0); len(rep.Failed)+len(rep.Activated) != 0 {
		t.Errorf("second run:\n%s", rep)
	}
}

func TestWithoutGitHubActivationsAreRefusedButExpiriesRun(t *testing.T) {
	e, _, first := aliceActive(t, "1h")
	_, second := e.merge(t, "dave", "dave-ro", request("ReadOnlyAccess", "1h"), "bob", "")
	e.clk.Advance(2 * time.Hour)
	rep := e.run(t, 0, withoutGitHub())
	if diff := cmp.Diff([]string{first}, paths(rep.Expired)); diff != "" {
		t.Errorf("expired (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{second}, paths(rep.Refused)); diff != "" {
		t.Errorf("refused (-want +got):\n%s", diff)
	}
	if rep.OK() {
		t.Error("a run that refused an activation reports OK")
	}
	if e.status(t, second) != nil {
		t.Errorf("refused grant got a status: %+v", e.status(t, second))
	}
}

// crashAfterAWS cancels the run right after the first AWS change of its
// kind succeeds, before the reconcile can commit it.
type crashAfterAWS struct {
	action.IdentityCenter
	cancel context.CancelFunc
	on     string
	once   sync.Once
}

// crashed is what the run sees of a change of this kind that AWS made
// (err nil): the crash, if the change is the one to crash after.
func (c *crashAfterAWS) crashed(kind string, err error) error {
	if err == nil && c.on == kind {
		c.once.Do(c.cancel)
		return context.Canceled
	}
	return err
}

func (c *crashAfterAWS) Grant(ctx context.Context, g identitycenter.Grant) (identitycenter.Granted, error) {
	out, err := c.IdentityCenter.Grant(ctx, g)
	return out, c.crashed("grant", err)
}

func (c *crashAfterAWS) Revoke(ctx context.Context, r identitycenter.Revocation) (identitycenter.Revoked, error) {
	out, err := c.IdentityCenter.Revoke(ctx, r)
	return out, c.crashed("revoke", err)
}

func TestCrashBetweenAWSAndCommitConverges(t *testing.T) {
	for _, set := range []string{"ReadOnlyAccess", "PowerUserAccess"} {
		t.Run(set, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			_, path := e.merge(t, "alice", "alice-x", request(set, "2h"), "bob", "")
			ctx, cancel := context.WithCancel(t.Context())
			crash := &crashAfterAWS{IdentityCenter: e.idcClient(), cancel: cancel, on: "grant"}
			if _, err := e.reconciler(t, e.clone(t), withIDC(crash)).Run(ctx, action.RunOptions{}); err == nil {
				t.Fatal("the crashed run reported no error")
			}
			if st := e.status(t, path); st == nil || st.State != schema.StateActivating {
				t.Fatalf("after the crash the status is %+v, want the activating intent", st)
			}
			// The crashed run was killed: its lease stays on the remote
			// until it runs out. A run meanwhile waits, then stops cleanly.
			killedLease(t, e, "killed-run")
			if rep := e.run(t, 0, withLeaseWait(-1)); rep.Skipped == "" || !strings.Contains(rep.Skipped, "killed-run") ||
				len(rep.Activated) != 0 || !rep.OK() {
				t.Fatalf("run while the killed run's lease lasts:\n%s", rep)
			}
			// A minute later the lease has run out, and the next run
			// resumes the intent at once.
			e.clk.Advance(action.DefaultLeaseTTL + time.Second)
			rep := e.run(t, 0, withLeaseWait(-1))
			if diff := cmp.Diff([]string{path}, paths(rep.Activated)); diff != "" {
				t.Fatalf("activated (-want +got):\n%s\n%s", diff, rep)
			}
			st := e.status(t, path)
			if st.State != schema.StateActive || st.Preexisting {
				t.Fatalf("status = %+v", st)
			}
			if got := e.assignments(st.PermissionSetARN, "alice"); got != 1 {
				t.Errorf("%d assignments of %s, want exactly 1", got, st.PermissionSetARN)
			}
			// The resumed grant keeps the expiry fixed at the first attempt.
			e.clk.Advance(2 * time.Hour)
			ctx, cancel = context.WithCancel(t.Context())
			crash = &crashAfterAWS{IdentityCenter: e.idcClient(), cancel: cancel, on: "revoke"}
			if _, err := e.reconciler(t, e.clone(t), withIDC(crash)).Run(ctx, action.RunOptions{}); err == nil {
				t.Fatal("the crashed run reported no error")
			}
			if got := e.status(t, path).State; got != schema.StateActive {
				t.Fatalf("a revocation was recorded by a crashed run: %s", got)
			}
			rep = e.run(t, 0)
			if diff := cmp.Diff([]string{path}, paths(rep.Expired)); diff != "" {
				t.Fatalf("expired (-want +got):\n%s\n%s", diff, rep)
			}
			if n := len(e.idc.Assignments()); n != 0 {
				t.Errorf("%d assignments left", n)
			}
			for _, ps := range e.idc.PermissionSets() {
				if strings.HasPrefix(ps.Name, layout.PermissionSetPrefix) {
					t.Errorf("permission set %s left behind", ps.Name)
				}
			}
		})
	}
}

// killedLease leaves the lease on the remote as a run killed while holding
// it does: taken, never renewed, never released.
func killedLease(t testing.TB, e *env, owner string) {
	t.Helper()
	repo, err := ledger.Open(e.clone(t), ledger.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.AcquireLease(t.Context(), ledger.LeaseOptions{Remote: "origin", Owner: owner, TTL: action.DefaultLeaseTTL, Clock: e.clk}); err != nil {
		t.Fatal(err)
	}
}

func withLeaseWait(d time.Duration) recOption {
	return func(o *action.Options) { o.LeaseWait = d }
}

// TestTwoRunsAtOnce: started together, two runs leave exactly the history
// one run would: the second waits for the first's lease and then finds
// nothing to do.
func TestTwoRunsAtOnce(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, p0 := e.merge(t, "carol", "carol-ro", request("ReadOnlyAccess", "1h"), "bob", "")
	e.run(t, 0)
	e.clk.Advance(time.Hour + time.Minute)
	before := e.log(t)
	_, p1 := e.merge(t, "alice", "alice-ro", request("ReadOnlyAccess", "1h"), "bob", "")
	_, p2 := e.merge(t, "dave", "dave-iso", request("PowerUserAccess", "1h"), "bob", "")
	leaseFast := func(o *action.Options) { o.LeasePoll = 20 * time.Millisecond }
	r1, r2 := e.reconciler(t, e.clone(t), leaseFast), e.reconciler(t, e.clone(t), leaseFast)
	var wg sync.WaitGroup
	reps := make([]action.Report, 2)
	errs := make([]error, 2)
	for i, r := range []*action.Reconciler{r1, r2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reps[i], errs[i] = r.Run(t.Context(), action.RunOptions{})
		}()
	}
	wg.Wait()
	for i := range errs {
		if errs[i] != nil {
			t.Fatalf("run %d: %v", i, errs[i])
		}
	}
	t.Logf("run 1:\n%s\nrun 2:\n%s", reps[0], reps[1])
	activated := append(paths(reps[0].Activated), paths(reps[1].Activated)...)
	if len(activated) != 2 {
		t.Fatalf("activated %v, want each grant once:\nrun 1:\n%s\nrun 2:\n%s", activated, reps[0], reps[1])
	}
	for _, p := range []string{p1, p2} {
		if st := e.status(t, p); st.State != schema.StateActive {
			t.Errorf("%s: %+v", p, st)
		}
	}
	if st := e.status(t, p0); st.State != schema.StateExpired {
		t.Errorf("%s: %+v", p0, st)
	}
	if got := e.assignments(e.readOnly, "alice"); got != 1 {
		t.Errorf("alice: %d assignments", got)
	}
	if got := e.assignments(e.status(t, p2).PermissionSetARN, "dave"); got != 1 {
		t.Errorf("dave: %d assignments", got)
	}
	jitSets := 0
	for _, ps := range e.idc.PermissionSets() {
		if strings.HasPrefix(ps.Name, layout.PermissionSetPrefix) {
			jitSets++
		}
	}
	if jitSets != 1 {
		t.Errorf("%d JIT- sets, want 1", jitSets)
	}
	// Exactly one run's history: the expiry and two activations, each
	// once, and nothing else (no drift, no revocation).
	log := strings.TrimSuffix(e.log(t), before)
	var events []string
	for _, line := range strings.Split(log, "\n") {
		if v, ok := strings.CutPrefix(line, "Jit-Event: "); ok {
			events = append(events, v)
		}
	}
	sort.Strings(events)
	if diff := cmp.Diff([]string{"activated", "activated", "activating", "activating", "expired"}, events); diff != "" {
		t.Errorf("events (-want +got):\n%s\n%s", diff, log)
	}
	for _, p := range []string{p1, p2} {
		if c := strings.Count(log, "Jit-Request: "+p+"\nJit-Event: activated"); c != 1 {
			t.Errorf("%s activated %d times in the log:\n%s", p, c, log)
		}
	}
}

// mergeDuringPush merges another request right before the reconcile's
// first push, so the push is rejected and the run must rebase and re-plan.
type mergeDuringPush struct {
	action.Ledger
	once  sync.Once
	merge func()
}

func (m *mergeDuringPush) Push(ctx context.Context, remote, branch string, replan func(context.Context) error) error {
	m.once.Do(m.merge)
	return m.Ledger.Push(ctx, remote, branch, replan)
}

func TestPushConflictWithAConcurrentMerge(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, p1 := e.merge(t, "alice", "alice-ro", request("ReadOnlyAccess", "1h"), "bob", "")
	var p2 string
	r := e.reconciler(t, e.clone(t), func(o *action.Options) {
		o.Ledger = &mergeDuringPush{Ledger: o.Ledger, merge: func() {
			_, p2 = e.merge(t, "dave", "dave-ro", request("ReadOnlyAccess", "1h"), "bob", "")
		}}
	})
	rep, err := r.Run(t.Context(), action.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{p1, p2}, paths(rep.Activated)); diff != "" {
		t.Errorf("activated (-want +got):\n%s\n%s", diff, rep)
	}
	for _, p := range []string{p1, p2} {
		if st := e.status(t, p); st == nil || st.State != schema.StateActive {
			t.Errorf("%s: %+v", p, st)
		}
	}
	// main has the merge, and the reconcile's commits on top: no force.
	if !strings.Contains(gittest.Output(t, e.gh.RepoDir(org, repoName), "log", "--format=%s", "main"), "Merge pull request #2") {
		t.Error("the concurrent merge is gone from main")
	}
}

func TestOverlappingGrantsShareOneAssignment(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, p1 := e.merge(t, "alice", "alice-1", request("ReadOnlyAccess", "1h"), "bob", "")
	e.run(t, 0)
	e.clk.Advance(30 * time.Minute)
	_, p2 := e.merge(t, "alice", "alice-2", request("ReadOnlyAccess", "1h"), "bob", "")
	e.run(t, 0)
	if st := e.status(t, p2); st.State != schema.StateActive || st.Preexisting {
		t.Fatalf("second grant: %+v (an assignment held by jit is not preexisting)", st)
	}
	e.expireAfter(t, 31*time.Minute, p1)
	if got := e.assignments(e.readOnly, "alice"); got != 1 {
		t.Fatalf("after the first expiry alice has %d assignments, want 1 (the second grant holds it)", got)
	}
	e.expireAfter(t, 30*time.Minute, p2)
	if got := e.assignments(e.readOnly, "alice"); got != 0 {
		t.Errorf("after the second expiry alice has %d assignments, want 0", got)
	}
}

func TestPreexistingAssignmentIsKept(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.idc.AddAssignment(account, e.readOnly, e.users["alice"])
	_, path := e.merge(t, "alice", "alice-ro", request("ReadOnlyAccess", "1h"), "bob", "")
	e.run(t, 0)
	if st := e.status(t, path); st.State != schema.StateActive || !st.Preexisting {
		t.Fatalf("status = %+v, want active and preexisting", st)
	}
	e.expireAfter(t, 2*time.Hour, path)
	if got := e.assignments(e.readOnly, "alice"); got != 1 {
		t.Errorf("the permanent assignment is gone (%d)", got)
	}
}

func TestDriftAndOrphans(t *testing.T) {
	e, _, path := aliceActive(t, "4h")
	// An administrator removes the assignment by hand.
	ic := e.idcClient()
	if _, err := ic.Revoke(t.Context(), identitycenter.Revocation{
		Grant: identitycenter.Grant{AccountID: account, UserName: "alice@acme.example", PermissionSetARN: e.readOnly}}); err != nil {
		t.Fatal(err)
	}
	// A crash left a jit set behind for an isolated grant that ended
	// within the last day.
	_, pu := e.merge(t, "dave", "dave-pu", request("PowerUserAccess", "1h"), "bob", "")
	if rep := e.run(t, 0); len(rep.Activated) != 1 {
		t.Fatalf("isolated grant not activated:\n%s", rep)
	}
	e.clk.Advance(time.Hour)
	if rep := e.run(t, 0); len(rep.Expired) != 1 {
		t.Fatalf("isolated grant not expired:\n%s", rep)
	}
	orphan, err := ic.Grant(t.Context(), identitycenter.Grant{Request: pu, AccountID: account,
		UserName: "dave@acme.example", PermissionSetARN: e.isolated, Isolate: true, ExpiresAt: e.clk.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	rep := e.run(t, 0)
	if st := e.status(t, path); st.State != schema.StateRevoked || !strings.Contains(st.Reason, "drift") {
		t.Errorf("status = %+v", st)
	}
	if !strings.Contains(e.log(t), "Jit-Event: drift") {
		t.Errorf("log:\n%s", e.log(t))
	}
	if len(rep.Orphans) != 1 || rep.Orphans[0].Reason != orphan.PermissionSetARN {
		t.Errorf("orphans = %+v, want %s", rep.Orphans, orphan.PermissionSetARN)
	}
	if _, ok := e.idc.PermissionSet(orphan.PermissionSetARN); ok {
		t.Error("the orphaned set still exists")
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, path := e.merge(t, "alice", "alice-ro", request("ReadOnlyAccess", "1h"), "bob", "")
	head := gittest.Output(t, e.gh.RepoDir(org, repoName), "rev-parse", "main")
	rep, err := e.reconciler(t, e.clone(t)).Run(t.Context(), action.RunOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Plan == nil || len(rep.Plan.Activate) != 1 || rep.Plan.Activate[0].Path != path {
		t.Fatalf("plan = %+v", rep.Plan)
	}
	if !strings.Contains(rep.String(), "would activate 1") || !strings.Contains(rep.Markdown(), "| activate | `payments-prod/ReadOnlyAccess`") {
		t.Errorf("dry run output:\n%s\n%s", rep, rep.Markdown())
	}
	if got := gittest.Output(t, e.gh.RepoDir(org, repoName), "rev-parse", "main"); got != head || len(e.idc.Assignments()) != 0 {
		t.Error("the dry run changed something")
	}
}

// A direct push to main that edits a merged request before it is activated
// (here: a longer duration) must not be provisioned on the old approval.
func TestRequestEditedAfterMergeIsNotProvisioned(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, path := e.merge(t, "alice", "alice-edit", request("ReadOnlyAccess", "1h"), "bob", "ok for 1h")
	if _, err := e.gh.CommitToBranch(org, repoName, "main", githubemu.Commit{Author: "carol", Message: "extend",
		Files: map[string][]byte{path: request("ReadOnlyAccess", "1d")}}); err != nil {
		t.Fatal(err)
	}
	rep := e.run(t, 0)
	if len(rep.Activated) != 0 || len(e.idc.Assignments()) != 0 {
		t.Fatalf("an edited request was provisioned:\n%s", rep)
	}
	if st := e.status(t, path); st.State != schema.StateFailed || !strings.Contains(st.Reason, "changed after the approval") {
		t.Errorf("status = %+v", st)
	}
}

// A grant ends on time even after its requester was removed from the
// config's users: map: the revocation uses the principal recorded at
// activation, not the config.
func TestRevocationAfterTheRequesterLeftTheConfig(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, path := e.merge(t, "alice", "alice-leaves", request("ReadOnlyAccess", "1h"), "bob", "ok")
	if rep := e.run(t, 0); len(rep.Activated) != 1 {
		t.Fatalf("setup: not activated:\n%s", rep)
	}
	if st := e.status(t, path); st.PrincipalID != e.users["alice"] {
		t.Fatalf("status.principal_id = %q, want alice's user id %q", st.PrincipalID, e.users["alice"])
	}
	cfg := gittest.Output(t, e.gh.RepoDir(org, repoName), "show", "main:.github/jit.yaml")
	var kept []string
	for _, l := range strings.Split(cfg, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "alice:") {
			kept = append(kept, l)
		}
	}
	if _, err := e.gh.CommitToBranch(org, repoName, "main", githubemu.Commit{Author: "carol", Message: "alice left",
		Files: map[string][]byte{layout.ConfigPath: []byte(strings.Join(kept, "\n"))}}); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Hour + time.Minute)
	rep := e.run(t, 0)
	if len(rep.Expired) != 1 || e.assignments(e.readOnly, "alice") != 0 {
		t.Fatalf("the grant of a requester no longer in users: did not end:\n%s", rep)
	}
}

// AWS refuses to delete a set while its role is being removed from the
// account after its last assignment. The grant still ends on time, recorded
// expired once its assignment is gone; the set is deleted by the clean-up
// of a later run, which touches only jit's sets.
func TestExpiryWhileAWSRefusesToDeleteTheSet(t *testing.T) {
	e := newEnv(t, envOptions{idc: idcemu.Options{RoleRemovalDelay: time.Hour}})
	_, path := e.merge(t, "dave", "dave-pu", request("PowerUserAccess", "1h"), "bob", "")
	if rep := e.run(t, 0); len(rep.Activated) != 1 {
		t.Fatalf("isolated grant not activated:\n%s", rep)
	}
	set := e.status(t, path).PermissionSetARN
	rep := e.expireAfter(t, time.Hour+time.Second, path)
	st := e.status(t, path)
	if st.State != schema.StateExpired || e.assignments(set, "dave") != 0 {
		t.Fatalf("status %s with %d assignments, want expired with none", st.State, e.assignments(set, "dave"))
	}
	if _, ok := e.idc.PermissionSet(set); !ok {
		t.Fatal("AWS deleted the set while its role was being removed")
	}
	if notes := strings.Join(st.Notes, "\n"); !strings.Contains(notes, "not deleted yet") || !strings.Contains(notes, "ConflictException") {
		t.Errorf("notes do not say the set is left for the clean-up:\n%s", notes)
	}
	e.clk.Advance(time.Hour)
	rep = e.run(t, 0)
	if len(rep.Orphans) != 1 || rep.Orphans[0].Reason != set {
		t.Errorf("orphans = %+v, want %s", rep.Orphans, set)
	}
	if _, ok := e.idc.PermissionSet(set); ok {
		t.Error("the set is still there after the clean-up")
	}
	if _, ok := e.idc.PermissionSet(e.isolated); !ok {
		t.Error("the clean-up deleted the configured set the copy was made from")
	}
}
