package action

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jit-access/jit/internal/identitycenter"
	"github.com/jit-access/jit/internal/ledger"
	"github.com/jit-access/jit/internal/lifecycle"
	"github.com/jit-access/jit/internal/lifecycle/window"
	"github.com/jit-access/jit/internal/notify"
	"github.com/jit-access/jit/schema"
)

// activation is a grant this run provisions: its intent is on main.
type activation struct {
	it     lifecycle.Item
	status schema.Status // the intent as committed
	target target
	// extension is set for a request with extends:: it moves its grant's
	// end (extend) instead of provisioning anything.
	extension bool
}

// activateAll provisions the merged grants. New ones are checked against
// the approval policy first, claimed, and their intents committed and
// pushed together: only the intents that are on main afterwards exactly as
// this run wrote them are this run's to provision. Intents left by a
// crashed run are resumed once stale.
func (u *run) activateAll(ctx context.Context) error {
	now := u.opts.Clock.Now().UTC()
	var mine []activation
	var intents []string
	for _, it := range u.st.plan.Activate {
		if it.Resume {
			a, ok, err := u.resumable(ctx, it, now)
			if err != nil {
				return err
			}
			if ok {
				mine = append(mine, a)
			}
			continue
		}
		if u.opts.GitHub == nil {
			u.report(&u.rep.Refused, entryOf(it, now, "not provisioned: without GitHub credentials the approval cannot be checked again; run with App credentials or GITHUB_TOKEN"))
			continue
		}
		a, ok, err := u.claim(ctx, it, now)
		if err != nil {
			return err
		}
		if ok {
			mine = append(mine, a)
			intents = append(intents, it.Path)
		}
	}
	if len(intents) > 0 {
		if err := u.push(ctx); err != nil {
			return err
		}
		owned, err := u.owned(ctx, intents)
		if err != nil {
			return err
		}
		kept := mine[:0]
		for _, a := range mine {
			if a.it.Resume || owned[a.it.Path] {
				kept = append(kept, a)
				continue
			}
			u.report(&u.rep.Pending, entryOf(a.it, now, "another run recorded this grant first; it is left to that run"))
		}
		mine = kept
	}
	// Extensions one after the other: two of one grant must each see the
	// end the other recorded.
	var grants []activation
	for _, a := range mine {
		if !a.extension {
			grants = append(grants, a)
			continue
		}
		if err := u.extend(ctx, a); err != nil {
			return err
		}
	}
	if len(grants) == 0 {
		return u.push(ctx)
	}
	if _, err := u.pool(len(grants), func(i int) (bool, error) { return true, u.provision(ctx, grants[i]) }); err != nil {
		return err
	}
	return u.push(ctx)
}

// claim checks a merged request, decides with Identity Center whether its
// assignment is preexisting and commits the intent. ok is false when the
// grant was recorded as failed or left for the next run.
func (u *run) claim(ctx context.Context, it lifecycle.Item, now time.Time) (activation, bool, error) {
	m, err := u.checkMerged(ctx, u.st.rules, runGrants{u}, it.Path, u.st.data[it.Path], it.Request)
	var ref *refusal
	if errors.As(err, &ref) {
		return activation{}, false, u.fail(ctx, it, ref.number, ref.requester, ref.reason, now)
	}
	if err != nil {
		if ctx.Err() != nil {
			return activation{}, false, ctx.Err()
		}
		u.report(&u.rep.Errors, entryOf(it, now, "approval could not be checked, retried next run: "+err.Error()))
		return activation{}, false, nil
	}
	u.rememberLink(m.number, m.htmlURL)
	if it.Request.Extends != "" {
		return u.claimExtension(ctx, it, m, now)
	}
	// The approved window is start_at plus the duration, however late the
	// grant is activated.
	// (StartAt gives the zero time when there is none, or none readable.)
	start, scheduled, err := it.Request.StartAt()
	scheduled = scheduled && err == nil
	expires := window.End(start, now, m.duration)
	if scheduled {
		if !expires.After(now) {
			when := "provisioned"
			if !m.mergedAt.IsZero() && !m.mergedAt.Before(expires) {
				when = "merged"
			}
			return activation{}, false, u.fail(ctx, it, m.number, m.requester,
				fmt.Sprintf("its window ended before it was %s: start_at %s plus %s ended at %s", when,
					start.UTC().Format(time.RFC3339), schema.FormatDuration(m.duration), expires.UTC().Format(time.RFC3339)), now)
		}
	}
	t, err := u.targetOf(it.Request, it.Path, m.requester, expires, "")
	if err != nil {
		return activation{}, false, u.fail(ctx, it, m.number, m.requester, err.Error(), now)
	}
	tuple := it.Tuple
	tuple.User = strings.ToLower(m.requester)
	if u.blocked[tuple] {
		u.report(&u.rep.Pending, entryOf(it, now, "an earlier grant on the same assignment could not be revoked; activated once that is done"))
		return activation{}, false, nil
	}
	holders, preexisting := u.st.plan.Holders(tuple)
	t.grant.HeldByJit = len(holders) > 0 && !preexisting
	claim, err := u.opts.IdentityCenter.Claim(ctx, t.grant)
	if errors.Is(err, identitycenter.ErrUserNotFound) {
		return activation{}, false, u.fail(ctx, it, m.number, m.requester, err.Error(), now)
	}
	if err != nil {
		if ctx.Err() != nil {
			return activation{}, false, ctx.Err()
		}
		u.awsError(ctx, it, now, "Identity Center could not be asked, retried next run", err)
		return activation{}, false, nil
	}
	if claim.PrincipalID != "" {
		u.principalMu.Lock()
		u.principals[t.grant.UserName] = claim.PrincipalID
		u.principalMu.Unlock()
	}
	st := m.activating(expires)
	st.PostHocReviews = m.postHoc
	st.PermissionSetARN = claim.PermissionSetARN
	st.PrincipalID = claim.PrincipalID
	st.Preexisting = claim.Preexisting || preexisting
	if t.own {
		st.PermissionSetARN = ""
	}
	body := "Approved on " + short(m.headSHA) + " by " + approvers(m.approvals) + ". Identity Center is changed next; expiry fixed at " + expires.Format(time.RFC3339) + "."
	if err := u.record(ctx, it.Path, "start activation of", ledger.EventActivating, &st, it.Request, body); err != nil {
		return activation{}, false, ignoreStale(err)
	}
	it.Request.Status = &st
	return activation{it: it, status: st, target: t}, true, nil
}

// activating is the intent jit commits for an approved pull request before
// Identity Center is changed, for a new grant and an extension alike: who
// asked, who approved, for how long, and the end fixed now.
func (m merged) activating(expires time.Time) schema.Status {
	st := schema.Status{
		State:       schema.StateActivating,
		PullRequest: m.number,
		Requester:   m.requester,
		Duration:    schema.FormatDuration(m.duration),
		Approvals:   m.approvals,
		ExpiresAt:   &expires,
	}
	if merged := m.mergedAt.UTC(); !merged.IsZero() {
		st.MergedAt = &merged
	}
	return st
}

func approvers(as []schema.Approval) string {
	var by []string
	for _, a := range as {
		by = append(by, a.By+" ("+a.Stage+")")
	}
	if len(by) == 0 {
		return "nobody"
	}
	return strings.Join(by, ", ")
}

// owned reports which of the intents this run committed are on main as
// written: the push that lost a race dropped the others.
func (u *run) owned(ctx context.Context, paths []string) (map[string]bool, error) {
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = "HEAD:" + p
	}
	owned := map[string]bool{}
	u.commitMu.Lock()
	defer u.commitMu.Unlock()
	err := u.opts.Ledger.Objects(ctx, names, func(i int, data []byte) error {
		owned[paths[i]] = bytes.Equal(data, u.st.data[paths[i]])
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the recorded intents: %w", err)
	}
	for p, ok := range owned {
		if !ok {
			// Whatever main holds now is the truth for this file.
			delete(u.st.data, p)
		}
	}
	return owned, nil
}

// resumable decides about an intent found on main, left by a run that
// stopped: it is resumed, or ended when its expiry has passed meanwhile.
func (u *run) resumable(ctx context.Context, it lifecycle.Item, now time.Time) (activation, bool, error) {
	st := *it.Request.Status
	if it.Request.Extends != "" {
		return u.resumableExtension(ctx, it, st, now)
	}
	// This run holds the lease, so no other run is carrying the intent
	// out: the run that wrote it stopped (or lost its lease, and can
	// record nothing more).
	started, _ := intentTime(it.Request)
	var expires time.Time
	if st.ExpiresAt != nil {
		expires = *st.ExpiresAt
	}
	if expires.IsZero() || !expires.After(now) {
		holders, _ := u.st.plan.Holders(it.Tuple)
		it.KeepAssignment = len(holders) > 0 || st.Preexisting
		it.At = expires
		return activation{}, false, u.end(ctx, ending{it: it, event: ledger.EventExpired,
			note: "the activation was interrupted and its time ran out before it was resumed"})
	}
	if ok, err := u.recheck(ctx, it, now, "activation"); !ok || err != nil {
		return activation{}, false, err
	}
	t, err := u.targetOf(it.Request, it.Path, st.Requester, expires, "")
	if err != nil {
		u.report(&u.rep.Errors, entryOf(it, now, "interrupted activation cannot be resumed: "+err.Error()))
		return activation{}, false, nil
	}
	u.log.InfoContext(ctx, "resuming an interrupted activation", "path", it.Path, "started", started)
	return activation{it: it, status: st, target: t}, true, nil
}

// recheck checks once more the approval of an intent a stopped run left
// (what is "activation" or "extension"): the intent says an approval was
// checked, but the AWS change is made only if it still holds, whatever the
// file says. ok is false when the intent is left alone (reported) or was
// recorded as failed.
func (u *run) recheck(ctx context.Context, it lifecycle.Item, now time.Time, what string) (ok bool, err error) {
	if u.opts.GitHub == nil {
		u.report(&u.rep.Refused, entryOf(it, now, "interrupted "+what+" not resumed: without GitHub credentials the approval cannot be checked again"))
		return false, nil
	}
	_, err = u.checkMerged(ctx, u.st.rules, runGrants{u}, it.Path, u.st.data[it.Path], it.Request)
	var ref *refusal
	if errors.As(err, &ref) {
		return false, u.fail(ctx, it, ref.number, ref.requester, "interrupted "+what+" not resumed: "+ref.reason, now)
	}
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		u.report(&u.rep.Errors, entryOf(it, now, "approval could not be checked, retried next run: "+err.Error()))
		return false, nil
	}
	return true, nil
}

// intentTime is when an activation started: its recorded expiry minus its
// effective duration, both fixed when the intent was written. For a
// scheduled grant that is its start_at, which a grant merged after its
// start_at passed before the intent: the merge is then the better bound.
// (A grant first seen long after both looks older than it is; runs are
// serialised in the workflow, so that only matters to concurrent runs.)
func intentTime(r schema.Request) (time.Time, bool) {
	st := r.Status
	if st == nil || st.ExpiresAt == nil {
		return time.Time{}, false
	}
	text := st.Duration
	if text == "" {
		text = r.Duration
	}
	d, err := schema.ParseDuration(text)
	if err != nil {
		return time.Time{}, false
	}
	started := st.ExpiresAt.Add(-d)
	if st.MergedAt != nil && st.MergedAt.After(started) {
		started = *st.MergedAt
	}
	return started, true
}

// provision makes the AWS change of an owned intent and records the result.
func (u *run) provision(ctx context.Context, a activation) error {
	st := a.status
	g := a.target.grant
	g.Claimed = true
	var granted identitycenter.Granted
	var err error
	if !st.Preexisting {
		granted, err = u.opts.IdentityCenter.Grant(ctx, g)
	}
	now := u.opts.Clock.Now().UTC()
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return ctx.Err()
	case identitycenter.Classify(err) == identitycenter.Permanent:
		// AWS refuses the grant as it is (a FAILED assignment, a
		// validation error, a quota, a set that does not exist): repeating
		// it fails the same way, so it ends, with AWS's words.
		if a.target.own {
			// Remove the set made for the grant; the orphan clean-up of a
			// later run retries if this fails.
			if _, rerr := u.opts.IdentityCenter.Revoke(ctx, identitycenter.Revocation{Grant: g}); rerr != nil {
				u.log.WarnContext(ctx, "removing the permission set of a failed grant", "path", a.it.Path, "error", rerr)
			}
		}
		return u.fail(ctx, a.it, st.PullRequest, st.Requester, "AWS: "+identitycenter.Reason(err), now)
	default:
		u.awsError(ctx, a.it, now, "activation not confirmed by AWS; resumed by a later run", err)
		return nil
	}
	st.State = schema.StateActive
	st.ActivatedAt = &now
	if granted.PermissionSetARN != "" {
		st.PermissionSetARN = granted.PermissionSetARN
	}
	if granted.PrincipalID != "" {
		st.PrincipalID = granted.PrincipalID
	}
	if st.Preexisting {
		st.Notes = append(st.Notes, "the user already had this assignment before jit: it is kept when the grant ends")
	}
	a.it.Request.Status = &st
	if err := u.record(ctx, a.it.Path, "activate", ledger.EventActivated, &st, a.it.Request, ""); err != nil {
		return ignoreStale(err)
	}
	e := entryOf(a.it, now, "")
	if st.Preexisting {
		e.Reason = "assignment existed before jit"
	}
	if a.it.Request.Emergency {
		e.Reason = strings.TrimSpace("emergency access. " + e.Reason)
	}
	u.report(&u.rep.Activated, e)
	u.notify(u.event(notify.KindActivated, a.it.Path, a.it.Request, &st, e.Reason))
	return nil
}

// fail records a grant as failed: it is never provisioned.
func (u *run) fail(ctx context.Context, it lifecycle.Item, number int, requester, reason string, now time.Time) error {
	st := schema.Status{PullRequest: number, Requester: requester}
	if it.Request.Status != nil {
		st = *it.Request.Status
	}
	if st.PullRequest == 0 {
		st.PullRequest = number
	}
	if st.Requester == "" {
		st.Requester = requester
	}
	st.State = schema.StateFailed
	st.Reason = reason
	st.EndedAt = &now
	st.ActivatedAt = nil
	if err := u.record(ctx, it.Path, "failed", ledger.EventFailed, &st, it.Request, reason); err != nil {
		return ignoreStale(err)
	}
	it.Request.Status = &st
	u.log.WarnContext(ctx, "grant not provisioned", "path", it.Path, "reason", reason)
	u.report(&u.rep.Failed, entryOf(it, now, reason))
	u.notify(u.event(notify.KindFailed, it.Path, it.Request, &st, reason))
	return nil
}

// --- drift and orphans ---

// checkDrift ends active grants whose assignment is gone from AWS.
func (u *run) checkDrift(ctx context.Context) error {
	var items []lifecycle.Item
	for _, list := range [][]lifecycle.Item{u.st.plan.Active, u.st.plan.Wait} {
		for _, it := range list {
			if !u.touched[it.Path] {
				items = append(items, it)
			}
		}
	}
	if len(items) == 0 {
		return nil
	}
	drifted, err := u.pool(len(items), func(i int) (bool, error) { return u.drift(ctx, items[i]) })
	if err != nil {
		return err
	}
	if !drifted {
		return nil
	}
	return u.push(ctx)
}

func (u *run) drift(ctx context.Context, it lifecycle.Item) (bool, error) {
	st := it.Request.Status
	now := u.opts.Clock.Now().UTC()
	t, err := u.targetOf(it.Request, it.Path, st.Requester, it.At, st.PrincipalID)
	if err != nil {
		u.report(&u.rep.Errors, entryOf(it, now, "drift check: "+err.Error()))
		return false, nil
	}
	arn := st.PermissionSetARN
	if arn == "" {
		arn = t.grant.PermissionSetARN
	}
	if arn == "" {
		return false, nil
	}
	principal, err := st.PrincipalID, error(nil)
	if principal == "" {
		principal, err = u.principal(ctx, t.grant.UserName)
	}
	if err == nil {
		var as identitycenter.Assignments
		as, err = u.assignmentsOf(ctx, principal)
		if err == nil && as.Has(t.grant.AccountID, arn) {
			return false, nil
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		u.awsError(ctx, it, now, "drift check failed, retried next run", err)
		return false, nil
	}
	reason := "drift: the assignment was removed outside jit; the grant is ended"
	next := *st
	if t.own {
		// Finish the job: cut sessions and delete jit's set.
		res, err := u.opts.IdentityCenter.Revoke(ctx, identitycenter.Revocation{
			Grant: t.grant, Granted: identitycenter.Granted{PermissionSetARN: st.PermissionSetARN, PrincipalID: principal}})
		if err != nil {
			u.awsError(ctx, it, now, "drift found but the permission set could not be removed, retried next run", err)
			return false, nil
		}
		next.Notes = append(append([]string(nil), next.Notes...), res.Notes...)
	}
	next.State = schema.StateRevoked
	next.Reason = reason
	next.EndedAt = &now
	if err := u.record(ctx, it.Path, "record drift of", eventDrift, &next, it.Request, reason); err != nil {
		return false, ignoreStale(err)
	}
	u.report(&u.rep.Drift, entryOf(it, now, reason))
	u.notify(u.event(notify.KindRevoked, it.Path, it.Request, &next, reason))
	return true, nil
}

// orphanWindow is how long after a grant with its own set ended the runs
// keep looking for a set it left behind.
const orphanWindow = 24 * time.Hour

// userAssignments is one user's assignments, listed by the first worker of
// the drift check that needs them while the others wait.
type userAssignments struct {
	once sync.Once
	as   identitycenter.Assignments
	err  error
}

// assignmentsOf lists the assignments of principal once per run: the drift
// check then costs a call per user rather than one per grant, which keeps a
// run that has nothing to do short however many grants are active.
func (u *run) assignmentsOf(ctx context.Context, principal string) (identitycenter.Assignments, error) {
	u.assignMu.Lock()
	if u.assignments == nil {
		u.assignments = map[string]*userAssignments{}
	}
	ua := u.assignments[principal]
	if ua == nil {
		ua = &userAssignments{}
		u.assignments[principal] = ua
	}
	u.assignMu.Unlock()
	ua.once.Do(func() { ua.as, ua.err = u.opts.IdentityCenter.AssignmentsOf(ctx, principal) })
	return ua.as, ua.err
}

// cleanOrphans deletes jit permission sets that no live grant on main owns:
// leftovers of a crash. The sets are listed before main is read again, so a
// set that a concurrent run creates is always seen together with its intent.
//
// Listing the sets costs a call per 100 sets, and describing one a call or
// two, so it is done only when main shows a grant that can have left one
// behind, and only the sets main does not account for are described: the
// config's standard sets and the sets of live grants are known.
func (u *run) cleanOrphans(ctx context.Context) error {
	if !u.orphansPossible(ctx) {
		return nil
	}
	arns, err := u.opts.IdentityCenter.PermissionSetARNs(ctx)
	if err != nil {
		u.report(&u.rep.Errors, Entry{At: u.opts.Clock.Now(), Reason: "listing the permission sets for the orphan clean-up: " + err.Error()})
		return nil
	}
	if len(arns) == 0 {
		return nil
	}
	if _, err := u.opts.Ledger.Sync(ctx, u.opts.Remote, u.opts.Branch); err != nil {
		return fmt.Errorf("reading %s from %s: %w", u.opts.Branch, u.opts.Remote, err)
	}
	grants, err := u.opts.Ledger.Requests(ctx)
	var bad ledger.FileErrors
	if errors.As(err, &bad) {
		// A file that cannot be read may own a set: clean nothing.
		return nil
	}
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, ps := range u.st.rules.Config.PermissionSets {
		known[ps.ARN] = true
	}
	for _, g := range grants {
		if st := g.Request.Status; st != nil && st.PermissionSetARN != "" && live(st, st.PermissionSetARN) {
			known[st.PermissionSetARN] = true
		}
	}
	var unknown []string
	for _, arn := range arns {
		if !known[arn] {
			unknown = append(unknown, arn)
		}
	}
	sets, err := u.opts.IdentityCenter.ManagedPermissionSets(ctx, unknown)
	if err != nil {
		u.report(&u.rep.Errors, Entry{At: u.opts.Clock.Now(), Reason: "describing jit's permission sets for the orphan clean-up: " + err.Error()})
		return nil
	}
	byPath := map[string]*schema.Status{}
	seen := map[string]bool{}
	for _, g := range grants {
		byPath[g.Path] = g.Request.Status
		seen[g.Path] = true
	}
	for _, s := range sets {
		if s.Request == "" {
			continue
		}
		if live(byPath[s.Request], s.ARN) {
			continue
		}
		if err := u.opts.IdentityCenter.DeleteManagedPermissionSet(ctx, s.ARN); err != nil {
			u.report(&u.rep.Errors, Entry{Path: s.Request, At: u.opts.Clock.Now(), Reason: "deleting orphaned permission set " + s.Name + ": " + err.Error()})
			continue
		}
		u.log.InfoContext(ctx, "deleted an orphaned jit permission set", "arn", s.ARN, "name", s.Name, "request", s.Request, "on_main", seen[s.Request])
		u.report(&u.rep.Orphans, Entry{Path: s.Request, Grant: s.Name, At: u.opts.Clock.Now(), Reason: s.ARN})
	}
	return nil
}

// orphansPossible says whether main holds a grant that may have left a jit
// permission set behind: one whose activation or revocation is under way,
// or one with its own set (custom or isolated) that ended within
// orphanWindow, whose set deletion may have failed after the grant was
// recorded. Every set jit creates has such a grant on main first (the
// intent is committed before AWS is changed), so a run that finds none has
// nothing to clean. A main that cannot be read counts as possible.
func (u *run) orphansPossible(ctx context.Context) bool {
	grants, err := u.opts.Ledger.Requests(ctx)
	if err != nil {
		return true
	}
	now := u.opts.Clock.Now()
	cfg := u.st.rules.Config
	for _, g := range grants {
		st := g.Request.Status
		if st == nil {
			continue
		}
		switch st.State {
		case schema.StateActivating, schema.StateRevoking:
			return true
		case schema.StateActive:
			continue
		}
		own := g.Request.CustomPermissionSet != nil
		if ps, ok := cfg.PermissionSet(g.Request.PermissionSet); ok && ps.Isolate {
			own = true
		}
		if own && (st.EndedAt == nil || now.Sub(*st.EndedAt) < orphanWindow) {
			return true
		}
	}
	return false
}

// live reports whether a grant in state st owns the jit permission set arn:
// while it is being activated or revoked, or active with that set.
func live(st *schema.Status, arn string) bool {
	if st == nil {
		return false
	}
	switch st.State {
	case schema.StateActivating, schema.StateRevoking:
		return true
	case schema.StateActive:
		return st.PermissionSetARN == "" || st.PermissionSetARN == arn
	}
	return false
}

// summarise lists the grants still active at the end of the run.
func (u *run) summarise(ctx context.Context) error {
	grants, err := u.opts.Ledger.Requests(ctx)
	var bad ledger.FileErrors
	if err != nil && !errors.As(err, &bad) {
		return err
	}
	end := u.rep.End
	plan := u.st.planner.PlanAt(grants, end, 0)
	for _, it := range plan.Active {
		e := entryOf(it, end, "")
		e.TimeLeft = it.At.Sub(end)
		u.rep.Active = append(u.rep.Active, e)
	}
	for _, it := range plan.Scheduled {
		e := entryOf(it, end, "scheduled: activated at its start_at "+it.At.UTC().Format(time.RFC3339))
		e.StartAt = it.At
		u.rep.Scheduled = append(u.rep.Scheduled, e)
	}
	for i := range u.rep.Activated {
		e := &u.rep.Activated[i]
		if !e.ExpiresAt.IsZero() {
			e.TimeLeft = max(0, e.ExpiresAt.Sub(end))
		}
	}
	return nil
}

// awsError reports an AWS error that leaves a grant as it is for the next
// run. An AccessDenied is a setup error, not a problem of the grant: it is
// logged as an error and said so in the report on every run until the
// role's policy is fixed, and it is never recorded on a grant.
func (u *run) awsError(ctx context.Context, it lifecycle.Item, now time.Time, what string, err error) {
	if identitycenter.Classify(err) == identitycenter.Setup {
		u.log.ErrorContext(ctx, "setup error: the role jit assumes is denied an action it needs", "path", it.Path, "error", err)
		u.report(&u.rep.Errors, entryOf(it, now, "SETUP ERROR: the role jit assumes is denied an action it needs; compare its policy with `jit policy provisioner`: "+identitycenter.Reason(err)))
		return
	}
	u.report(&u.rep.Errors, entryOf(it, now, what+": "+err.Error()))
}
