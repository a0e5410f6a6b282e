package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/jit-access/jit/action"
	"github.com/jit-access/jit/internal/clock"
	"github.com/jit-access/jit/internal/ghrepo"
	"github.com/jit-access/jit/internal/githubemu"
	"github.com/jit-access/jit/internal/identitycenter"
	"github.com/jit-access/jit/internal/identitycenter/idcemu"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/internal/ledger"
	"github.com/jit-access/jit/internal/sandbox"
	"github.com/jit-access/jit/schema"
)

// reconcileTarget is the bound on a reconcile's wall time.
const reconcileTarget = 1.25

// grantWorld is the sandbox with Identity Center at AWS's default limits
// (20 requests/s, 10 assignment operations in flight, 1 s until an
// operation completes) and an access repository whose config has many
// requesters and accounts, so that every grant is its own assignment.
type grantWorld struct {
	*sandbox.World
	e        *env
	users    []string
	accounts []string // names; account i has id accountID(i)
}

func accountID(i int) string { return fmt.Sprintf("%012d", 900000000000+i) }

func newGrantWorld(ctx context.Context, e *env, name string, users, accounts int) (*grantWorld, error) {
	return startGrantWorld(ctx, e, name, users, accounts, false)
}

// startGrantWorld is newGrantWorld; with dispatch the App runs, hears of
// pushes and dispatches the reconcile, which the GitHub emulator runs.
func startGrantWorld(ctx context.Context, e *env, name string, users, accounts int, dispatch bool) (*grantWorld, error) {
	dir, err := e.dir(name)
	if err != nil {
		return nil, err
	}
	opts := sandbox.Options{Dir: dir, Clock: clock.At(worldStart), AsyncDelay: idcemu.DefaultAsyncDelay,
		RequestsPerSecond: idcemu.DefaultRequestsPerSecond, Dispatch: dispatch}
	if dispatch {
		// The App's and the dispatched runs' failures are the bench's.
		opts.Logger = e.log.With("component", "sandbox")
	}
	w, err := sandbox.Start(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("starting the sandbox: %w", err)
	}
	if !dispatch {
		// The App is not part of these figures; its reactions to merges
		// would only compete for the CPU.
		w.GitHub.SetWebhook("", "")
	}
	g := &grantWorld{World: w, e: e}
	for i := range users {
		u := fmt.Sprintf("user%03d", i)
		g.users = append(g.users, u)
		w.UserIDs[u] = w.IDC.AddUser(u+"@acme.example", u)
		w.GitHub.AddUser(u, u+"@acme.example")
	}
	for i := range accounts {
		g.accounts = append(g.accounts, fmt.Sprintf("acct%02d", i))
	}
	if _, err := w.GitHub.CommitToBranch(sandbox.Org, sandbox.RepoName, "main", githubemu.Commit{
		Author: "bob", Message: "Configure the benchmark's requesters and accounts",
		Files: map[string][]byte{layout.ConfigPath: []byte(g.config())},
	}); err != nil {
		w.Close()
		return nil, fmt.Errorf("writing the config: %w", err)
	}
	return g, nil
}

func (g *grantWorld) config() string {
	var b strings.Builder
	fmt.Fprintf(&b, `version: 1
identity_center:
  region: us-east-1
  instance_arn: %s
  identity_store_id: %s
admins: ["@acme/sso-admins"]
users:
`, g.IDC.InstanceARN(), g.IDC.IdentityStoreID())
	for _, u := range g.users {
		fmt.Fprintf(&b, "  %s: %s@acme.example\n", u, u)
	}
	b.WriteString("accounts:\n")
	for i, a := range g.accounts {
		fmt.Fprintf(&b, "  - name: %s\n    id: \"%s\"\n    permission_sets: [ReadOnlyAccess]\n", a, accountID(i))
	}
	fmt.Fprintf(&b, "permission_sets:\n  - name: ReadOnlyAccess\n    arn: %s\n", g.PermissionSetARNs["ReadOnlyAccess"])
	return b.String()
}

// activeGrant is a request file as the reconcile left it after activating
// it, for a grant that ends at expires: its status written by the
// reconcile's own writer (schema.SetStatus), with the permission set's ARN
// and the user's principal id, which the activation records.
func (g *grantWorld) activeGrant(account, user string, pr int, expires time.Time) ([]byte, error) {
	activated := expires.Add(-time.Hour).UTC()
	approved := activated.Add(-time.Minute)
	expires = expires.UTC()
	request := fmt.Appendf(nil, "%saccount: %s\npermission_set: ReadOnlyAccess\nduration: 1h\njustification: \"generated grant for the benchmark\"\n", header, account)
	return schema.SetStatus(request, &schema.Status{
		State:            schema.StateActive,
		PullRequest:      pr,
		Requester:        user,
		Duration:         "1h",
		Approvals:        []schema.Approval{{By: "bob", Stage: "owner", At: approved}},
		ActivatedAt:      &activated,
		ExpiresAt:        &expires,
		PermissionSetARN: g.PermissionSetARNs["ReadOnlyAccess"],
		PrincipalID:      g.UserIDs[user],
	})
}

// seedActive writes n active grants, one per (user, account) tuple, with
// their assignments in Identity Center, in one commit on main. expiry gives
// grant i's end.
func (g *grantWorld) seedActive(n int, expiry func(i int) time.Time) error {
	if n > len(g.users)*len(g.accounts) {
		return fmt.Errorf("%d grants need more than %d users x %d accounts", n, len(g.users), len(g.accounts))
	}
	files := map[string][]byte{}
	for i := range n {
		u, a := g.users[i%len(g.users)], i/len(g.users)
		g.IDC.AddAssignment(accountID(a), g.PermissionSetARNs["ReadOnlyAccess"], g.UserIDs[u])
		grant, err := g.activeGrant(g.accounts[a], u, 1000+i, expiry(i))
		if err != nil {
			return fmt.Errorf("writing the status of grant %d: %w", i, err)
		}
		files[fmt.Sprintf("requests/%s/%s.yaml", g.accounts[a], u)] = grant
	}
	return g.commitAsJit(fmt.Sprintf("%d active grants", n), files)
}

// newActiveWorld is newGrantWorld with every one of its users x accounts
// holding an active grant that expires in from the world's now, in whole
// seconds as the reconcile records times.
func newActiveWorld(ctx context.Context, e *env, name string, users, accounts int, in time.Duration) (*grantWorld, error) {
	g, err := newGrantWorld(ctx, e, name, users, accounts)
	if err != nil {
		return nil, err
	}
	expires := g.Clock.Now().Add(in).Truncate(time.Second)
	if err := g.seedActive(users*accounts, func(int) time.Time { return expires }); err != nil {
		g.Close()
		return nil, err
	}
	return g, nil
}

// commitAsJit commits files to main signed with the reconcile's key, as
// the reconcile records grants: only statuses jit signed count.
func (g *grantWorld) commitAsJit(message string, files map[string][]byte) error {
	dir, err := g.e.dir("seed")
	if err != nil {
		return err
	}
	gitIn := func(args ...string) error {
		full := append([]string{"-c", "user.name=jit[bot]", "-c", "user.email=jit[bot]@users.noreply.github.com",
			"-c", "gpg.format=ssh", "-c", "user.signingkey=" + g.SigningKey, "-c", "commit.gpgsign=true"}, args...)
		cmd := exec.Command("git", full...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("git %s: %w\n%s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	if err := gitIn("clone", "--quiet", g.GitHub.RepoDir(sandbox.Org, sandbox.RepoName), "."); err != nil {
		return err
	}
	for p, data := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, data, 0o644); err != nil {
			return err
		}
	}
	for _, args := range [][]string{{"add", "-A"}, {"commit", "--quiet", "-m", message}, {"push", "--quiet", "origin", "HEAD:main"}} {
		if err := gitIn(args...); err != nil {
			return err
		}
	}
	// Pushed behind the emulator's back: let it send the push event.
	g.GitHub.NotePush(sandbox.Org, sandbox.RepoName)
	return nil
}

// reconciler clones main as actions/checkout does and wires the Action's
// reconcile to the emulators with the adapters' production defaults.
func (g *grantWorld) reconciler(ctx context.Context) (*action.Reconciler, error) {
	dir, err := g.e.dir("clone")
	if err != nil {
		return nil, err
	}
	if out, err := exec.CommandContext(ctx, "git", "clone", "--quiet", g.GitHub.RepoDir(sandbox.Org, sandbox.RepoName), dir).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("git clone: %w\n%s", err, out)
	}
	repo, err := ledger.Open(dir, ledger.Options{RetryDelay: -1, Logger: slog.New(slog.DiscardHandler), SigningKey: g.SigningKey})
	if err != nil {
		return nil, err
	}
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "not-a-secret", "")}
	idc := identitycenter.NewFromConfig(cfg, identitycenter.Options{
		Region: "us-east-1", InstanceARN: g.IDC.InstanceARN(), IdentityStoreID: g.IDC.IdentityStoreID(),
		Endpoint: g.IDCURL, Clock: g.Clock, Logger: slog.New(slog.DiscardHandler),
	})
	gh, err := g.Client()
	if err != nil {
		return nil, err
	}
	return action.New(action.Options{
		Ledger:         repo,
		IdentityCenter: idc,
		GitHub:         ghrepo.New(gh, ghrepo.Repo{Owner: sandbox.Org, Name: sandbox.RepoName}),
		Bot:            g.GitHub.BotLogin(),
		Clock:          g.Clock,
		Logger:         g.e.log.With("component", "reconcile"),
	})
}

// floor is the least time Identity Center's limits allow for a run: its
// API calls at 20 per second, or its assignment operations 10 at a time
// for 1 s each, whichever is longer.
type floor struct {
	calls, ops       int
	rate, inFlight   time.Duration
	wall             time.Duration
	throttled, other int
	// breakdown is the run's calls by operation, for the note.
	breakdown string
}

func newFloor(before, after map[string]int, ops int, wall time.Duration) floor {
	f := floor{
		calls:     after[idcemu.CallsTotal] - before[idcemu.CallsTotal],
		throttled: after[idcemu.CallsThrottled] - before[idcemu.CallsThrottled],
		ops:       ops,
		wall:      wall,
		breakdown: opsBreakdown(before, after),
	}
	f.rate = time.Duration(float64(f.calls) / idcemu.DefaultRequestsPerSecond * float64(time.Second))
	f.inFlight = time.Duration(math.Ceil(float64(ops)/idcemu.DefaultMaxInFlightAssignments)) * idcemu.DefaultAsyncDelay
	return f
}

// timedRun is one reconcile run on a fresh clone, timed on the wall clock
// from after the clone, and the floor of its n assignment operations with
// the Identity Center calls it made. The GitHub emulator's request counts
// start from zero.
func (g *grantWorld) timedRun(ctx context.Context, n int) (action.Report, floor, error) {
	r, err := g.reconciler(ctx)
	if err != nil {
		return action.Report{}, floor{}, err
	}
	before := g.IDC.Calls()
	g.GitHub.ResetRequests()
	start := time.Now()
	rep, err := r.Run(ctx, action.RunOptions{})
	wall := time.Since(start)
	if err != nil {
		return rep, floor{}, fmt.Errorf("reconcile: %w", err)
	}
	return rep, newFloor(before, g.IDC.Calls(), n, wall), nil
}

func (f floor) bound() time.Duration { return max(f.rate, f.inFlight) }
func (f floor) ratio() float64       { return f.wall.Seconds() / f.bound().Seconds() }

func (f floor) rows(name, size, note string) []row {
	return []row{{
		Benchmark: name,
		Size:      size,
		Result: fmt.Sprintf("%s wall; floor %s (%d AWS calls, %.1f per grant, / 20 per s = %s; %d operations / 10 in flight x 1 s = %s); %.2fx the floor",
			secs(f.wall), secs(f.bound()), f.calls, float64(f.calls)/float64(max(1, f.ops)), secs(f.rate), f.ops, secs(f.inFlight), f.ratio()),
		Target: fmt.Sprintf("≤ %.2fx the floor", reconcileTarget),
		Met:    met(f.ratio() <= reconcileTarget),
		Note:   fmt.Sprintf("%s; %d calls throttled", note, f.throttled),
	}}
}

func opsBreakdown(before, after map[string]int) string {
	var parts []string
	for k, v := range after {
		if d := v - before[k]; d > 0 && k != idcemu.CallsTotal {
			parts = append(parts, fmt.Sprintf("%s %d", k, d))
		}
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

// benchExpire is one reconcile run that finds many grants expired at the
// same minute and revokes them all.
func benchExpire(ctx context.Context, e *env) ([]row, error) {
	users, accounts := 50, 10
	if e.quick {
		users, accounts = 5, 4
	}
	n := users * accounts
	g, err := newActiveWorld(ctx, e, "expire", users, accounts, -30*time.Second)
	if err != nil {
		return nil, err
	}
	defer g.Close()
	rep, f, err := g.timedRun(ctx, n)
	if err != nil {
		return nil, err
	}
	if len(rep.Expired) != n || !rep.OK() {
		return nil, fmt.Errorf("expired %d of %d grants:\n%s", len(rep.Expired), n, rep)
	}
	if left := len(g.IDC.Assignments()); left != 0 {
		return nil, fmt.Errorf("%d assignments left after expiring every grant", left)
	}
	return f.rows("reconcile: expire", fmt.Sprintf("%d grants expired at the same minute (%d users x %d accounts)", n, users, accounts),
		"one run, revocation confirmed then one commit per grant; calls: "+f.breakdown), nil
}

// benchActivate merges approved request pull requests and times the one
// reconcile run that provisions them all, approval checks included.
func benchActivate(ctx context.Context, e *env) ([]row, error) {
	users, accounts := 50, 4
	if e.quick {
		users, accounts = 5, 2
	}
	n := users * accounts
	g, err := newGrantWorld(ctx, e, "activate", users, accounts)
	if err != nil {
		return nil, err
	}
	defer g.Close()
	for i := range n {
		u, a := g.users[i%len(g.users)], g.accounts[i/len(g.users)]
		path := fmt.Sprintf("requests/%s/%s.yaml", a, u)
		pr, err := g.GitHub.OpenPullRequest(sandbox.Org, sandbox.RepoName, u, "req-"+a+"-"+u, "Request "+path,
			map[string][]byte{path: []byte(standardRequest(a, "ReadOnlyAccess", "4h", i))})
		if err != nil {
			return nil, fmt.Errorf("opening %s: %w", path, err)
		}
		if _, err := g.GitHub.SubmitReview(sandbox.Org, sandbox.RepoName, pr, "bob", "APPROVED", "ok"); err != nil {
			return nil, fmt.Errorf("approving #%d: %w", pr, err)
		}
		if _, err := g.GitHub.Merge(sandbox.Org, sandbox.RepoName, pr, "bob"); err != nil {
			return nil, fmt.Errorf("merging #%d: %w", pr, err)
		}
	}
	rep, f, err := g.timedRun(ctx, n)
	if err != nil {
		return nil, err
	}
	if len(rep.Activated) != n || !rep.OK() {
		return nil, fmt.Errorf("activated %d of %d grants:\n%s", len(rep.Activated), n, rep)
	}
	if got := len(g.IDC.Assignments()); got != n {
		return nil, fmt.Errorf("%d assignments after activating %d grants", got, n)
	}
	return f.rows("reconcile: activate", fmt.Sprintf("%d merged, approved requests (%d users x %d accounts)", n, users, accounts),
		fmt.Sprintf("one run: approval re-checked on GitHub (%d API requests), intent commit, assignment confirmed, commit; calls: %s",
			sum(g.GitHub.Requests()), f.breakdown)), nil
}

// benchLag runs the reconcile with a lookahead over grants that expire
// while it waits, on the real clock, and measures how long after expires_at
// each revocation was confirmed by Identity Center.
func benchLag(ctx context.Context, e *env) ([]row, error) {
	n, spread, lookahead := 50, 60*time.Second, 90*time.Second
	if e.quick {
		n, spread, lookahead = 4, 3*time.Second, 6*time.Second
	}
	g, err := newGrantWorld(ctx, e, "lag", n, 1)
	if err != nil {
		return nil, err
	}
	defer g.Close()
	// The first grant expires a little after the run starts (the clone
	// takes well under a second) so that every expiry falls inside the
	// lookahead, none before the run.
	// Whole seconds, as the reconcile records times.
	first := g.Clock.Now().Add(4 * time.Second).Truncate(time.Second)
	if err := g.seedActive(n, func(i int) time.Time {
		return first.Add(spread * time.Duration(i) / time.Duration(n)).Truncate(time.Second)
	}); err != nil {
		return nil, err
	}
	r, err := g.reconciler(ctx)
	if err != nil {
		return nil, err
	}
	if late := g.Clock.Now().Sub(first); late > 0 {
		return nil, fmt.Errorf("setting up took %s too long: the first grant expired before the run", late)
	}
	e.log.Info("reconcile starts", "first_expiry_in", first.Sub(g.Clock.Now()))
	before := g.IDC.Calls()
	start := g.Clock.Now()
	rep, err := r.Run(ctx, action.RunOptions{Lookahead: lookahead})
	if err != nil {
		return nil, fmt.Errorf("reconcile: %w", err)
	}
	if len(rep.Expired) != n || !rep.OK() {
		return nil, fmt.Errorf("expired %d of %d grants within the lookahead:\n%s", len(rep.Expired), n, rep)
	}
	var lags []time.Duration
	firstDone := rep.Expired[0].At
	for _, x := range rep.Expired {
		if x.At.Before(firstDone) {
			firstDone = x.At
		}
		lags = append(lags, x.Lag())
		e.log.Info("expired", "path", x.Path, "expires_at", x.ExpiresAt.Format(time.RFC3339Nano), "confirmed", x.At.Format(time.RFC3339Nano), "lag", x.Lag())
	}
	slices.Sort(lags)
	if lags[0] < 0 {
		return nil, errors.New("a grant was revoked before its expires_at")
	}
	p99 := percentile(lags, 99)
	return []row{{
		Benchmark: "reconcile: expiry lag",
		Size:      fmt.Sprintf("%d grants expiring over %s, lookahead %s", n, spread, lookahead),
		Result:    fmt.Sprintf("p50 %s, p99 %s, max %s, min %s", secs(percentile(lags, 50)), secs(p99), secs(lags[len(lags)-1]), secs(lags[0])),
		Target:    "p99 < 5 s",
		Met:       met(p99 < 5*time.Second),
		Note: fmt.Sprintf("revocation confirmed by Identity Center (1 s asynchronous) minus expires_at, real clock, never before it; "+
			"first expiry %s after the run started, first revocation confirmed after %s; calls: %s",
			secs(first.Sub(start)), secs(firstDone.Sub(start)), opsBreakdown(before, g.IDC.Calls())),
	}}, nil
}
