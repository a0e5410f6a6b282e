package action

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jit-access/jit/internal/identitycenter"
	"github.com/jit-access/jit/internal/judgment"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/internal/ledger"
	"github.com/jit-access/jit/internal/lifecycle"
	"github.com/jit-access/jit/internal/notify"
	"github.com/jit-access/jit/schema"
)

// configPath is named in messages about the config.
const configPath = layout.ConfigPath

// maxIterations bounds how often one run plans again because its pushes
// raced with others; the next scheduled run picks up whatever is left.
const maxIterations = 8

// state is one look at main: the rules, the grants and their raw files.
type state struct {
	rules   judgment.Rules
	planner lifecycle.Planner
	plan    lifecycle.Plan
	data    map[string][]byte
	// grants are the grants on main by path, with jit's verified statuses,
	// kept up to date with what this run records (see record): extends:
	// is judged with them.
	grants map[string]schema.Request
}

// run is one call of Run.
type run struct {
	*Reconciler
	rep *Report
	st  *state

	repMu    sync.Mutex
	commitMu sync.Mutex
	// touched are grants this run changed; the drift check leaves them
	// alone (an assignment created seconds ago is not drift).
	touched map[string]bool
	// blocked are tuples whose revocation failed in this iteration: a new
	// grant on them would take the leftover assignment for a permanent one.
	blocked map[lifecycle.Tuple]bool

	principalMu sync.Mutex
	principals  map[string]string
	// assignments are each user's assignments, listed once per run for the
	// drift check.
	assignMu    sync.Mutex
	assignments map[string]*userAssignments

	// msg delivers notifications; nil without a Notifier.
	msg *messenger
	// deadline is the end of the run's lookahead window.
	deadline time.Time

	// dirty is set by a commit not yet pushed.
	dirty bool
	// again is set when a push had to rebase or a write found its file
	// changed: the iteration's view of main is stale and the loop plans
	// once more at once.
	again bool
	// checked is set once drift, orphans and emergency reviews were done.
	checked bool
}

// Run reconciles once: it expires and revokes what has to end, activates
// what was merged, records drift, removes orphaned jit permission sets, and
// then, within the lookahead, waits for each grant that expires soon and
// revokes it at its time. Each transition is its own commit, pushed without
// force; a push that loses a race rebases and plans again.
//
// The error is for what stopped the run (no readable config, git or the
// network failing); grants that could not be handled are in the report's
// Errors, and the run should then be treated as failed (Report.OK).
func (r *Reconciler) Run(ctx context.Context, ro RunOptions) (Report, error) {
	start := r.opts.Clock.Now()
	rep := Report{Start: start, DryRun: ro.DryRun}
	if ro.DryRun {
		st, err := r.load(ctx, start, ro.Lookahead, &rep)
		rep.End = r.opts.Clock.Now()
		if err != nil {
			return rep, err
		}
		rep.Plan = &st.plan
		return rep, nil
	}
	// One run at a time: every transition is pushed under the lease.
	ctx, release, held, why, err := r.hold(ctx)
	if err != nil {
		rep.End = r.opts.Clock.Now()
		return rep, err
	}
	if !held {
		r.log.InfoContext(ctx, "another reconcile is running; this one stops without doing anything", "reason", why)
		rep.Skipped, rep.End = why, r.opts.Clock.Now()
		return rep, nil
	}
	defer release()
	u := &run{Reconciler: r, rep: &rep, touched: map[string]bool{}, principals: map[string]string{}}
	if r.opts.Notifier != nil {
		u.msg = newMessenger(ctx, r.opts.Notifier)
	}
	err = u.loop(ctx, start, ro.Lookahead)
	if cause := context.Cause(ctx); err != nil && errors.Is(cause, ledger.ErrLeaseLost) {
		err = fmt.Errorf("%w (%v)", cause, err)
	}
	u.flush()
	rep.End = r.opts.Clock.Now()
	if err == nil {
		err = u.summarise(ctx)
	}
	rep.sort()
	return rep, err
}

// UnverifiedWarning is what every run says while main has no allowed-signers
// file (README: what jit guarantees, and what it relies on).
const UnverifiedWarning = "main has no " + ledger.SignersPath + ", so jit cannot tell its own records from anyone else's: statuses on main are taken as written, and whoever can write to main can forge a grant's state. Add the reconcile's signing key there (README, setup step 5)."

func (u *run) loop(ctx context.Context, start time.Time, lookahead time.Duration) error {
	deadline := start
	if lookahead > 0 {
		deadline = start.Add(lookahead)
	}
	u.deadline = deadline
	for iter := 0; ; iter++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := u.opts.Ledger.Sync(ctx, u.opts.Remote, u.opts.Branch); err != nil {
			return fmt.Errorf("reading %s from %s: %w", u.opts.Branch, u.opts.Remote, err)
		}
		if iter == 0 {
			// Records nobody can verify would not count: refuse to write
			// any when main asks for signed ones and this run cannot sign.
			signed, err := u.opts.Ledger.CheckSigning(ctx)
			if err != nil {
				return err
			}
			if !signed {
				u.rep.Unverified = UnverifiedWarning
				u.opts.Logger.Warn(UnverifiedWarning)
			}
		}
		now := u.opts.Clock.Now()
		var rep *Report
		if iter == 0 {
			// Unreadable files and invalid grants are reported once.
			rep = u.rep
		}
		st, err := u.load(ctx, now, deadline.Sub(now), rep)
		if err != nil {
			return err
		}
		u.st, u.again, u.blocked = st, false, map[lifecycle.Tuple]bool{}
		if err := u.pass(ctx); err != nil {
			return err
		}
		if u.again && iter < maxIterations {
			continue
		}
		at, what, path := u.nextWake(now)
		if at.IsZero() {
			return nil
		}
		u.log.InfoContext(ctx, "waiting for the next "+what, "path", path, "at", at)
		if err := sleepUntil(ctx, u.opts.Clock, at); err != nil {
			return err
		}
	}
}

// pass carries out one plan. When a push had to rebase onto what someone
// else pushed, the plan is stale: the pass stops there and the loop plans
// again from the new main rather than acting further on the old snapshot.
// Drift, orphans and the review of emergency grants run once per run, in
// the first pass that gets to them.
func (u *run) pass(ctx context.Context) error {
	steps := []func(context.Context) error{u.endAll, u.activateAll}
	if !u.checked {
		steps = append(steps, u.checkDrift, u.cleanOrphans, u.reviewEmergencies)
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return err
		}
		if u.again {
			return nil
		}
	}
	u.checked = true
	return u.push(ctx)
}

// nextWake is the next time within the run's window it has to act at: an
// expiry, a scheduled start or an expiring warning; zero when none is left.
// The warnings due by now are sent on the way.
func (u *run) nextWake(now time.Time) (at time.Time, what, path string) {
	consider := func(t time.Time, w, p string) {
		if !t.IsZero() && (at.IsZero() || t.Before(at)) {
			at, what, path = t, w, p
		}
	}
	if p := u.st.plan; len(p.Wait) > 0 {
		consider(p.Wait[0].At, "expiry", p.Wait[0].Path)
	}
	if p := u.st.plan; len(p.Starting) > 0 {
		consider(p.Starting[0].At, "scheduled start", p.Starting[0].Path)
	}
	consider(u.warnExpiring(now), "expiring warning", "")
	return at, what, path
}

// load reads the rules and grants at HEAD and plans at now. With rep (the
// dry run), unreadable files and invalid grants are reported there.
func (r *Reconciler) load(ctx context.Context, now time.Time, lookahead time.Duration, rep *Report) (*state, error) {
	rs, err := judgment.LoadRules(ctx, ledger.Files{Git: r.opts.Ledger, Branch: r.opts.Branch})
	if err != nil {
		return nil, err
	}
	if rs.ConfigErr != nil {
		return nil, fmt.Errorf("nothing can be reconciled safely: %w", rs.ConfigErr)
	}
	st := &state{rules: rs, data: map[string][]byte{}, grants: map[string]schema.Request{}}
	grants, err := r.opts.Ledger.Requests(ctx)
	var bad ledger.FileErrors
	if errors.As(err, &bad) {
		if rep != nil {
			for _, fe := range bad {
				rep.Errors = append(rep.Errors, Entry{Path: fe.Path, At: now, Reason: fe.Err.Error()})
			}
		}
	} else if err != nil {
		return nil, err
	}
	if rep != nil {
		for _, g := range grants {
			if g.Unverified != "" {
				e := Entry{Path: g.Path, At: now, Reason: "the status on " + r.opts.Branch + " is not jit's record: " + g.Unverified}
				if st := g.Request.Status; st != nil {
					e.Requester, e.PullRequest = st.Requester, st.PullRequest
				}
				rep.Errors = append(rep.Errors, e)
			}
		}
	}
	for _, g := range grants {
		st.grants[g.Path] = g.Request
	}
	st.planner = lifecycle.NewPlanner(rs.Config)
	st.plan = st.planner.PlanAt(grants, now, lookahead)
	if rep != nil {
		for _, it := range st.plan.Invalid {
			rep.Invalid = append(rep.Invalid, entryOf(it, now, it.Reason))
		}
	}
	var names, paths []string
	seen := map[string]bool{}
	for _, list := range [][]lifecycle.Item{st.plan.Activate, st.plan.Expire, st.plan.Revoke, st.plan.Wait, st.plan.Active, st.plan.Review} {
		for _, it := range list {
			if seen[it.Path] {
				continue
			}
			seen[it.Path] = true
			names = append(names, "HEAD:"+it.Path)
			paths = append(paths, it.Path)
		}
	}
	err = r.opts.Ledger.Objects(ctx, names, func(i int, data []byte) error {
		st.data[paths[i]] = bytes.Clone(data)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading request files at HEAD: %w", err)
	}
	return st, nil
}

// push pushes the commits made so far. A rejected push rebases; the
// iteration's view is then stale and the loop plans again.
func (u *run) push(ctx context.Context) error {
	u.commitMu.Lock()
	dirty := u.dirty
	u.commitMu.Unlock()
	if !dirty {
		return nil
	}
	err := u.opts.Ledger.Push(ctx, u.opts.Remote, u.opts.Branch, func(context.Context) error {
		u.again = true
		return nil
	})
	if err != nil {
		return fmt.Errorf("recording transitions on %s: %w", u.opts.Branch, err)
	}
	u.commitMu.Lock()
	u.dirty = false
	u.commitMu.Unlock()
	return nil
}

func (u *run) report(list *[]Entry, e Entry) {
	u.repMu.Lock()
	*list = append(*list, e)
	u.repMu.Unlock()
}

// errStale is record refusing a transition because its file is no longer
// the version the transition was computed from (the App recorded a
// revocation, another writer changed it). The caller does not report the
// transition; the loop plans again from the new main.
var errStale = errors.New("the file changed since this run read it")

// record commits one transition: the file with its new status, and the
// subject and trailers that make it an audit log entry. The commit is made
// only onto the exact version of the file the transition was computed from;
// otherwise record returns errStale and the run plans again.
func (u *run) record(ctx context.Context, path, verb, event string, st *schema.Status, req schema.Request, body string) error {
	u.commitMu.Lock()
	defer u.commitMu.Unlock()
	data, ok := u.st.data[path]
	if !ok {
		return fmt.Errorf("recording %s: the file was not read", path)
	}
	out, err := schema.SetStatus(data, st)
	if err != nil {
		// The file's own fault (a layout the ledger cannot edit): it is
		// reported on this grant, and the run goes on with the others.
		reason := "its status cannot be recorded in the file, so nothing is changed for it: " + err.Error()
		u.report(&u.rep.Errors, Entry{Path: path, Grant: grantName(req), At: u.opts.Clock.Now(), Reason: reason})
		u.log.ErrorContext(ctx, "grant not recorded", "path", path, "error", err)
		return errUnrecordable
	}
	subject := fmt.Sprintf("jit: %s %s", verb, grantName(req))
	if st.Requester != "" {
		subject += " for " + st.Requester
	}
	trailers := []ledger.Trailer{{Key: ledger.TrailerRequest, Value: path}, {Key: ledger.TrailerEvent, Value: event}}
	if st.PullRequest > 0 {
		subject += fmt.Sprintf(" (#%d)", st.PullRequest)
		trailers = append(trailers, ledger.Trailer{Key: ledger.TrailerPullRequest, Value: strconv.Itoa(st.PullRequest)})
	}
	_, err = u.opts.Ledger.Commit(ctx, ledger.Change{Path: path, Data: out, Base: data, Subject: subject, Body: body, Trailers: trailers})
	if errors.Is(err, ledger.ErrStale) {
		u.log.InfoContext(ctx, "not recorded: the file changed since it was read; planning again", "path", path, "event", event)
		delete(u.st.data, path)
		u.again = true
		return errStale
	}
	if err != nil && !errors.Is(err, ledger.ErrNoChange) {
		return err
	}
	u.st.data[path] = out
	recorded := *st
	req.Status = &recorded
	u.st.grants[path] = req
	u.touched[path] = true
	u.dirty = true
	return nil
}

// errUnrecordable is record's answer for a file whose status cannot be
// written; record has reported it on the grant already. Callers leave the
// grant alone (ignoreStale) instead of stopping the run.
var errUnrecordable = errors.New("the grant's status cannot be recorded in its file")

// Event values beyond the ledger's.
const eventDrift = "drift"

// --- ending grants ---

type ending struct {
	it    lifecycle.Item
	event string // expired or revoked
	note  string
}

// endAll carries out the plan's expiries and revocations concurrently and
// commits each one as AWS confirms it.
func (u *run) endAll(ctx context.Context) error {
	var jobs []ending
	for _, it := range u.st.plan.Expire {
		jobs = append(jobs, ending{it: it, event: ledger.EventExpired, note: it.Reason})
	}
	for _, it := range u.st.plan.Revoke {
		jobs = append(jobs, ending{it: it, event: ledger.EventRevoked})
	}
	if len(jobs) == 0 {
		return nil
	}
	if _, err := u.pool(len(jobs), func(i int) (bool, error) { return true, u.end(ctx, jobs[i]) }); err != nil {
		return err
	}
	return u.push(ctx)
}

// end revokes one grant in AWS and records it. AWS failing is reported and
// left for the next run; only git failing is returned.
func (u *run) end(ctx context.Context, j ending) error {
	it := j.it
	rv, skip, err := u.revocation(ctx, it)
	var res identitycenter.Revoked
	if err == nil && !skip {
		res, err = u.opts.IdentityCenter.Revoke(ctx, rv)
	}
	now := u.opts.Clock.Now().UTC()
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		u.repMu.Lock()
		u.blocked[it.Tuple] = true
		u.repMu.Unlock()
		u.log.ErrorContext(ctx, "revocation not confirmed; retried next run", "path", it.Path, "error", err)
		u.awsError(ctx, it, now, "revocation not confirmed by AWS, retried next run", err)
		return nil
	}
	st := *it.Request.Status
	st.State = schema.StateExpired
	verb := "expire"
	if j.event == ledger.EventRevoked {
		st.State, verb = schema.StateRevoked, "revoke"
	}
	st.EndedAt = &now
	st.Notes = append(append([]string(nil), st.Notes...), res.Notes...)
	if skip {
		st.Notes = append(st.Notes, "nothing to remove in AWS: the grant was never provisioned")
	}
	if j.note != "" {
		st.Notes = append(st.Notes, j.note)
	}
	if err := u.record(ctx, it.Path, verb, j.event, &st, it.Request, ""); err != nil {
		return ignoreStale(err)
	}
	e := entryOf(it, now, strings.Join(res.Notes, "; "))
	if j.event == ledger.EventExpired {
		e.ExpiresAt = it.At
		u.report(&u.rep.Expired, e)
		ev := u.event(notify.KindExpired, it.Path, it.Request, &st, "")
		ev.ExpiresAt = it.At
		u.notify(ev)
	} else {
		e.Reason = st.Reason
		u.report(&u.rep.Revoked, e)
		reason := st.Reason
		if st.RevokedBy != "" && reason != "" {
			reason = "by " + st.RevokedBy + ": " + reason
		} else if st.RevokedBy != "" {
			reason = "by " + st.RevokedBy
		}
		u.notify(u.event(notify.KindRevoked, it.Path, it.Request, &st, reason))
	}
	u.log.InfoContext(ctx, "grant ended", "path", it.Path, "event", j.event, "lag", now.Sub(it.At))
	return nil
}

// target is where a grant's assignment lives in AWS.
type target struct {
	grant identitycenter.Grant
	// own is true for jit's own JIT- sets (custom and isolated grants).
	own bool
}

// targetOf resolves a grant's account, user and permission set from the
// config. requester is the GitHub login; principalID, when recorded, lets a
// grant end even after the requester left the config's users: map.
func (u *run) targetOf(req schema.Request, path, requester string, expires time.Time, principalID string) (target, error) {
	cfg := u.st.rules.Config
	acct, ok := cfg.Account(req.Account)
	if !ok {
		return target{}, fmt.Errorf("account %q is not in %s", req.Account, configPath)
	}
	userName, ok := cfg.UserName(requester)
	if !ok && principalID == "" {
		return target{}, fmt.Errorf("the requester %q has no Identity Center user in the users: map of %s", requester, configPath)
	}
	g := identitycenter.Grant{Request: path, AccountID: acct.ID, UserName: userName, ExpiresAt: expires, ManagementAccount: acct.ManagementAccount}
	t := target{grant: g}
	if c := req.CustomPermissionSet; c != nil {
		session, err := c.Session()
		if err != nil {
			return target{}, fmt.Errorf("custom_permission_set.session_duration: %w", err)
		}
		managed, err := c.ManagedPolicyARNs(cfg.Partition())
		if err != nil {
			return target{}, fmt.Errorf("custom_permission_set.managed_policies: %w", err)
		}
		t.grant.Custom = &identitycenter.CustomSet{Name: c.Name, SessionDuration: session, ManagedPolicies: managed, InlinePolicy: c.InlinePolicy}
		t.own = true
		return t, nil
	}
	ps, ok := cfg.PermissionSet(req.PermissionSet)
	recorded := ""
	if req.Status != nil {
		recorded = req.Status.PermissionSetARN
	}
	switch {
	case ok && recorded != "" && recorded != ps.ARN:
		// Recorded with its own copy: isolated when it was granted.
		t.grant.Isolate, t.grant.PermissionSetARN, t.own = true, ps.ARN, true
	case ok && recorded == "" && ps.Isolate:
		t.grant.Isolate, t.grant.PermissionSetARN, t.own = true, ps.ARN, true
	case ok:
		t.grant.PermissionSetARN = ps.ARN
	case recorded != "":
		t.grant.PermissionSetARN = recorded
	default:
		return target{}, fmt.Errorf("permission set %q is not in %s", req.PermissionSet, configPath)
	}
	return t, nil
}

// revocation builds what Revoke needs from a grant's status. skip is set
// for a shared set whose claim was never recorded: nothing of jit's can be
// in AWS, and an assignment found there is someone else's.
func (u *run) revocation(ctx context.Context, it lifecycle.Item) (identitycenter.Revocation, bool, error) {
	st := it.Request.Status
	var expires time.Time
	if st.ExpiresAt != nil {
		expires = *st.ExpiresAt
	}
	t, err := u.targetOf(it.Request, it.Path, st.Requester, expires, st.PrincipalID)
	if err != nil {
		return identitycenter.Revocation{}, false, err
	}
	if !t.own && st.PermissionSetARN == "" && st.ActivatedAt == nil {
		return identitycenter.Revocation{}, true, nil
	}
	// The principal recorded at activation wins: a revocation must not
	// depend on the config still mapping the requester to a user.
	principal := st.PrincipalID
	if principal == "" {
		if principal, err = u.principal(ctx, t.grant.UserName); err != nil {
			return identitycenter.Revocation{}, false, err
		}
	}
	return identitycenter.Revocation{
		Grant:          t.grant,
		Granted:        identitycenter.Granted{PermissionSetARN: st.PermissionSetARN, PrincipalID: principal, Preexisting: st.Preexisting},
		KeepAssignment: it.KeepAssignment,
	}, false, nil
}

// principal resolves a user name once per run.
func (u *run) principal(ctx context.Context, userName string) (string, error) {
	u.principalMu.Lock()
	id, ok := u.principals[userName]
	u.principalMu.Unlock()
	if ok {
		return id, nil
	}
	id, err := u.opts.IdentityCenter.UserID(ctx, userName)
	if err != nil {
		return "", err
	}
	u.principalMu.Lock()
	u.principals[userName] = id
	u.principalMu.Unlock()
	return id, nil
}

// pool runs fn(0..n-1) on at most Options.Workers goroutines and reports
// whether any call changed something, with every error joined.
func (u *run) pool(n int, fn func(i int) (changed bool, err error)) (bool, error) {
	next := make(chan int)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		changed bool
		errs    error
	)
	for w := 0; w < min(u.opts.Workers, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				did, err := fn(i)
				mu.Lock()
				changed, errs = changed || did, errors.Join(errs, err)
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	return changed, errs
}

func sleepUntil(ctx context.Context, c interface{ Now() time.Time }, at time.Time) error {
	// Short steps: a clock.Offset moved forward takes effect at once.
	for {
		d := at.Sub(c.Now())
		if d <= 0 {
			return nil
		}
		t := time.NewTimer(min(d, 200*time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// ignoreStale drops errStale and errUnrecordable: the transition was not
// made, and the next plan decides again from the file as it now is (a file
// that cannot be recorded was reported on its grant, and the run goes on
// with the others).
func ignoreStale(err error) error {
	if errors.Is(err, errStale) || errors.Is(err, errUnrecordable) {
		return nil
	}
	return err
}

func grantName(r schema.Request) string {
	ps := r.PermissionSet
	if r.CustomPermissionSet != nil {
		ps = schema.CustomSetPrefix + r.CustomPermissionSet.Name
	}
	return r.Account + "/" + ps
}

func entryOf(it lifecycle.Item, at time.Time, reason string) Entry {
	e := Entry{Path: it.Path, Grant: grantName(it.Request), At: at, Reason: reason}
	if st := it.Request.Status; st != nil {
		e.Requester, e.PullRequest = st.Requester, st.PullRequest
		if exp, err := lifecycle.ExpiryOf(it.Request); err == nil {
			e.ExpiresAt = exp
		}
	}
	return e
}
