package main

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/jit-access/jit/action"
	"github.com/jit-access/jit/internal/githubemu"
	"github.com/jit-access/jit/internal/sandbox"
)

// fixedCostTarget is the bound on a run that finds nothing to do.
const fixedCostTarget = 5 * time.Second

// benchFixedCost times a reconcile run, from its start to its decision that
// nothing changed, on a main with 500 active grants none of which is due:
// what every scheduled or dispatched run pays before any work.
func benchFixedCost(ctx context.Context, e *env) ([]row, error) {
	users, accounts := 50, 10
	if e.quick {
		users, accounts = 5, 2
	}
	n := users * accounts
	// Expiring well after the run.
	g, err := newActiveWorld(ctx, e, "fixed", users, accounts, 30*time.Minute)
	if err != nil {
		return nil, err
	}
	defer g.Close()
	before := g.IDC.Calls()
	g.GitHub.ResetRequests()
	start := time.Now()
	r, err := g.reconciler(ctx)
	if err != nil {
		return nil, err
	}
	cloned := time.Since(start)
	rep, err := r.Run(ctx, action.RunOptions{})
	wall := time.Since(start)
	if err != nil {
		return nil, fmt.Errorf("reconcile: %w", err)
	}
	if !rep.OK() || changed(rep) > 0 || len(rep.Active) != n {
		return nil, fmt.Errorf("a run with nothing to do did something, or lost a grant:\n%s", rep)
	}
	after := g.IDC.Calls()
	return []row{{
		Benchmark: "reconcile: fixed cost, 500 active grants, nothing to do",
		Size:      fmt.Sprintf("%d active grants (%d users x %d accounts), none due", n, users, accounts),
		Result: fmt.Sprintf("%s wall from the clone to the decision (clone %s, run %s); %d AWS calls, %d GitHub API requests",
			secs(wall), secs(cloned), secs(wall-cloned), after["total"]-before["total"], sum(g.GitHub.Requests())),
		Target: "< " + secs(fixedCostTarget),
		Met:    met(wall < fixedCostTarget),
		Note: fmt.Sprintf("git clone as actions/checkout, then action.Reconciler.Run with the production adapters against Identity Center at 20 requests/s; calls: %s; load average %s",
			opsBreakdown(before, after), loadAverage()),
	}}, nil
}

// changed counts the transitions a run made.
func changed(rep action.Report) int {
	return len(rep.Activated) + len(rep.Expired) + len(rep.Revoked) + len(rep.Failed) + len(rep.Drift) +
		len(rep.Orphans) + len(rep.Reviewed)
}

// dispatchedRun is one reconcile run the GitHub emulator ran for a
// workflow_dispatch.
type dispatchedRun struct {
	wall time.Duration
	rep  action.Report
	err  error
}

// benchDispatch lets the App dispatch the reconcile at each expiry, with
// no run waiting for anything: 50 grants expire over one hour, the world's
// clock jumping to two seconds before each expiry once the previous run is
// over (the hour in between has nothing to happen). The lag is from a
// grant's expires_at to the emulator deleting its assignment. The same
// world times a run with nothing to do and a dispatched activation, for
// the runner-minutes row.
func benchDispatch(ctx context.Context, e *env) ([]row, error) {
	n, spread := 50, time.Hour
	if e.quick {
		n, spread = 3, 3*time.Minute
	}
	g, err := startGrantWorld(ctx, e, "dispatch", n+1, 1, true)
	if err != nil {
		return nil, err
	}
	defer g.Close()
	var mu sync.Mutex
	var runs []dispatchedRun
	g.GitHub.SetDispatchHandler(func(githubemu.Dispatch) {
		start := time.Now()
		rep, err := g.Reconcile(ctx, 0)
		mu.Lock()
		runs = append(runs, dispatchedRun{wall: time.Since(start), rep: rep, err: err})
		mu.Unlock()
	})
	ps := g.PermissionSetARNs["ReadOnlyAccess"]
	// Whole seconds, as the reconcile records times.
	first := g.Clock.Now().Add(3 * time.Minute).Truncate(time.Second)
	expiry := func(i int) time.Time {
		return first.Add(spread * time.Duration(i) / time.Duration(n)).Truncate(time.Second)
	}
	if err := g.seedActive(n, expiry); err != nil {
		return nil, err
	}
	g.GitHub.WaitDeliveries()

	// A run with nothing to do, as every run of a five-minute schedule
	// without due work would be.
	start := time.Now()
	rep, err := g.Reconcile(ctx, 0)
	noop := time.Since(start)
	if err != nil || !rep.OK() || changed(rep) > 0 {
		return nil, fmt.Errorf("a run with nothing to do: %v\n%s", err, rep)
	}

	// One request merged: the push makes the App dispatch its activation.
	user, account := g.users[n], g.accounts[0]
	path := fmt.Sprintf("requests/%s/%s.yaml", account, user)
	pr, err := g.GitHub.OpenPullRequest(sandbox.Org, sandbox.RepoName, user, "req-"+user, "Request "+path,
		map[string][]byte{path: []byte(standardRequest(account, "ReadOnlyAccess", "4h", n))})
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	if _, err := g.GitHub.SubmitReview(sandbox.Org, sandbox.RepoName, pr, "bob", "APPROVED", "ok"); err != nil {
		return nil, fmt.Errorf("approving #%d: %w", pr, err)
	}
	g.GitHub.WaitDeliveries()
	if _, err := g.GitHub.Merge(sandbox.Org, sandbox.RepoName, pr, "bob"); err != nil {
		return nil, fmt.Errorf("merging #%d: %w", pr, err)
	}
	if err := waitUntil(ctx, 2*time.Minute, func() bool { return g.hasAssignment(0, user, ps) }); err != nil {
		return nil, fmt.Errorf("the merged request was not activated by a dispatched run: %w", err)
	}
	g.GitHub.WaitDeliveries()
	g.GitHub.WaitRuns()

	var lags []time.Duration
	for i := range n {
		g.GitHub.WaitDeliveries()
		g.GitHub.WaitRuns()
		exp := expiry(i)
		if lead := exp.Add(-2 * time.Second); g.Clock.Now().Before(lead) {
			g.Clock.Set(lead)
		}
		u := g.users[i%len(g.users)]
		if err := waitUntil(ctx, 2*time.Minute, func() bool { return !g.hasAssignment(0, u, ps) }); err != nil {
			return nil, fmt.Errorf("grant %d (expires %s) was not revoked by a dispatched run: %w", i, exp.Format(time.RFC3339), err)
		}
		lag := g.Clock.Now().Sub(exp)
		if lag < 0 {
			return nil, fmt.Errorf("grant %d was revoked %s before its expiry", i, -lag)
		}
		lags = append(lags, lag)
		e.log.Info("expired", "grant", i, "lag", lag)
	}
	g.GitHub.WaitDeliveries()
	g.GitHub.WaitRuns()

	mu.Lock()
	defer mu.Unlock()
	var activations, expiries []time.Duration
	for _, r := range runs {
		if r.err != nil || !r.rep.OK() {
			return nil, fmt.Errorf("a dispatched run failed: %v\n%s", r.err, r.rep)
		}
		switch {
		case len(r.rep.Activated) > 0:
			activations = append(activations, r.wall)
		case len(r.rep.Expired) > 0:
			expiries = append(expiries, r.wall)
		}
	}
	if len(activations) != 1 || len(expiries) == 0 {
		return nil, fmt.Errorf("%d dispatched runs activated and %d expired, want 1 and some", len(activations), len(expiries))
	}
	slices.Sort(lags)
	p99 := percentile(lags, 99)
	lagRow := row{
		Benchmark: "reconcile: expiry lag, App-dispatched, no run waiting (50 grants over one hour, clock advanced)",
		Size:      fmt.Sprintf("%d grants expiring over %s, one every %s", n, spread, spread/time.Duration(n)),
		Result: fmt.Sprintf("p99 %s, p50 %s, max %s, min %s; %d dispatches for %d expiries and 1 activation",
			secs(p99), secs(percentile(lags, 50)), secs(lags[len(lags)-1]), secs(lags[0]), len(runs), n),
		Target: "p99 < 5 s",
		Met:    met(p99 < 5*time.Second),
		Note: "the emulator deleting the assignment (DeleteAccountAssignment completes 1 s after it is asked) minus expires_at, never before it; " +
			"the App's timer dispatches jit-reconcile.yml, the GitHub emulator runs the reconcile at once (a fresh clone, no lookahead); " +
			"the clock jumps to 2 s before each expiry once the previous run ended; a real runner's queueing and the Action's set-up are not modelled; " +
			"load average " + loadAverage(),
	}
	return []row{lagRow, runnerMinutes(noop, mean(activations), mean(expiries), n)}, nil
}

// hasAssignment reports whether user has the permission set in the i-th
// account, as the emulator has it now.
func (g *grantWorld) hasAssignment(i int, user, ps string) bool {
	for _, a := range g.IDC.Assignments() {
		if a.AccountID == accountID(i) && a.PermissionSetARN == ps && a.PrincipalID == g.UserIDs[user] {
			return true
		}
	}
	return false
}

// waitUntil polls cond every 10 ms of real time.
func waitUntil(ctx context.Context, limit time.Duration, cond func() bool) error {
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("not within %s", limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

func mean(d []time.Duration) time.Duration {
	var s time.Duration
	for _, x := range d {
		s += x
	}
	return s / time.Duration(max(1, len(d)))
}

// Runner-minutes model (README of the row): GitHub bills each job rounded
// up to a whole minute. A run is the Action's set-up plus the reconcile.
const (
	// actionSetup is the Action's set-up from a release, the slowest of
	// the three runs measured for issue 14 (RESULTS.md, Adoption).
	actionSetup    = 1290 * time.Millisecond
	grantsPerMonth = 1000
	// scheduleLookahead is the five-minute schedule's wait for expiries,
	// which is how it was punctual: a run that has an expiry within it
	// waits on average half of it.
	scheduleLookahead = 5 * time.Minute
	hoursPerMonth     = 30 * 24
)

func billed(d time.Duration) int { return int(math.Ceil((actionSetup + d).Minutes())) }

// runnerMinutes compares a five-minute schedule with the App's dispatch
// for 1,000 grants a month, from the measured run durations.
func runnerMinutes(noop, activation, expiry time.Duration, n int) row {
	scheduled := hoursPerMonth * 12
	// Schedule: every run pays the fixed cost; an activation is done by
	// the next run after the merge, and the runs with an expiry in their
	// lookahead wait for it (half the lookahead on average) and revoke.
	waiting := grantsPerMonth
	expireWork := max(0, expiry-noop)
	schedMin := (scheduled-2*grantsPerMonth)*billed(noop) + grantsPerMonth*billed(activation) +
		grantsPerMonth*billed(noop+scheduleLookahead/2+expireWork)
	schedBusy := time.Duration(scheduled)*(actionSetup+noop) + grantsPerMonth*(activation-noop+scheduleLookahead/2+expireWork)
	// Dispatch: one run per activation and one per expiry (instants rarely
	// fall within the 2 s that share a dispatch at this rate), plus the
	// hourly safety net with nothing to do.
	dispMin := grantsPerMonth*billed(activation) + grantsPerMonth*billed(expiry) + hoursPerMonth*billed(noop)
	dispBusy := grantsPerMonth*(2*actionSetup+activation+expiry) + hoursPerMonth*(actionSetup+noop)
	return row{
		Benchmark: "reconcile: runner-minutes per month, 1,000 grants a month, five-minute schedule versus dispatch",
		Size:      fmt.Sprintf("%d grants a month, 30 days; runs measured with %d active grants", grantsPerMonth, n),
		Result: fmt.Sprintf("five-minute schedule %d billed minutes (%d runs, %.0f busy minutes) versus dispatch %d billed minutes (%d runs, %.0f busy minutes)",
			schedMin, scheduled, schedBusy.Minutes(), dispMin, 2*grantsPerMonth+hoursPerMonth, dispBusy.Minutes()),
		Target: "side by side",
		Note: fmt.Sprintf("measured runs (fresh clone to end): nothing to do %s, one activation %s, one expiry %s (mean of the dispatched runs); "+
			"each job is billed rounded up to a whole minute and pays the Action's set-up from a release (%s, RESULTS.md, Adoption); "+
			"schedule: %d runs a month, %d of them wait for an expiry within a %s lookahead (half of it on average); "+
			"dispatch: one run per activation and per expiry plus the hourly safety net (%d runs)",
			secs(noop), secs(activation), secs(expiry), secs(actionSetup), scheduled, waiting, scheduleLookahead, hoursPerMonth),
	}
}
