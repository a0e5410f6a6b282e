package action

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jit-access/jit/internal/ledger"
	"github.com/jit-access/jit/internal/lifecycle"
	"github.com/jit-access/jit/internal/lifecycle/window"
	"github.com/jit-access/jit/schema"
)

// runGrants serves extends: lookups from the grants this run read from main
// (jit's verified statuses) as updated by what it recorded since.
type runGrants struct{ u *run }

func (g runGrants) Grant(path string) (schema.Request, bool, error) {
	g.u.commitMu.Lock()
	defer g.u.commitMu.Unlock()
	r, ok := g.u.st.grants[path]
	return r, ok, nil
}

// claimExtension commits the intent of an approved request with extends:.
// Its new end is fixed now, duration after this moment, and checked with
// the rule validation uses (schema.CheckExtension) against the grant as jit
// last recorded it: still active, the requester's, the same account and
// set, not ended yet, and ending earlier than the new end. The end itself
// moves in extend, after the intent is on main.
func (u *run) claimExtension(ctx context.Context, it lifecycle.Item, m merged, now time.Time) (activation, bool, error) {
	newEnd := window.End(time.Time{}, now, m.duration)
	target, ok, _ := runGrants{u}.Grant(it.Request.Extends)
	var tp *schema.Request
	if ok {
		tp = &target
	}
	p, bad := schema.CheckExtension(u.st.rules.Config, &it.Request, m.requester, tp, now, newEnd)
	if bad != nil {
		return activation{}, false, u.fail(ctx, it, m.number, m.requester, "not extended: "+bad.Message, now)
	}
	st := m.activating(newEnd)
	body := fmt.Sprintf("Approved on %s by %s. The end of %s moves next, from %s to %s.", short(m.headSHA), approvers(m.approvals),
		p.Path, p.CurrentEnd.UTC().Format(time.RFC3339), newEnd.Format(time.RFC3339))
	if err := u.record(ctx, it.Path, "start extension of", ledger.EventActivating, &st, it.Request, body); err != nil {
		return activation{}, false, ignoreStale(err)
	}
	it.Request.Status = &st
	return activation{it: it, status: st, extension: true}, true, nil
}

// extend carries out an extension whose intent is on main, and repairs one
// a crashed run left half-done; every step can be repeated:
//
//  1. the extended grant's record gets the new end and a link to the
//     extension (unless it has it already), checked once more against the
//     grant as it now stands;
//  2. for a grant with its own JIT- set, the set's expiry guard moves to the
//     new end (Identity Center's assignment is never touched: no gap, no
//     second assignment);
//  3. the extension is recorded as extended.
//
// The grant's end moves in git before AWS's guard does: if the run stops in
// between, the grant's record already keeps it from being expired at the
// old end, and the next run moves the guard.
func (u *run) extend(ctx context.Context, a activation) error {
	it, st := a.it, a.status
	now := u.opts.Clock.Now().UTC()
	path := it.Request.Extends
	target, ok, _ := runGrants{u}.Grant(path)
	if !ok {
		return u.fail(ctx, it, st.PullRequest, st.Requester, "not extended: "+path+" is no longer on main", now)
	}
	if st.ExpiresAt == nil {
		return u.fail(ctx, it, st.PullRequest, st.Requester, "not extended: the recorded intent has no new end", now)
	}
	newEnd := *st.ExpiresAt
	i := slices.IndexFunc(statusOf(target).Extensions, func(x schema.Extension) bool { return x.Request == it.Path })
	if i < 0 {
		p, bad := schema.CheckExtension(u.st.rules.Config, &it.Request, st.Requester, &target, now, newEnd)
		if bad != nil {
			return u.fail(ctx, it, st.PullRequest, st.Requester, "not extended: "+bad.Message, now)
		}
		if _, read := u.st.data[path]; !read {
			u.report(&u.rep.Errors, entryOf(it, now, "not extended yet: "+path+" was not read in this run; retried next run"))
			return nil
		}
		next := *target.Status
		next.Extensions = append(slices.Clone(next.Extensions), schema.Extension{
			Request: it.Path, PullRequest: st.PullRequest, PreviousExpiresAt: p.CurrentEnd.UTC(), ExpiresAt: newEnd, At: now})
		next.ExpiresAt = &newEnd
		body := fmt.Sprintf("Extended by %s", it.Path)
		if st.PullRequest > 0 {
			body += fmt.Sprintf(" (#%d)", st.PullRequest)
		}
		body += fmt.Sprintf(": the end moves from %s to %s.", p.CurrentEnd.UTC().Format(time.RFC3339), newEnd.Format(time.RFC3339))
		if err := u.record(ctx, path, "extend", ledger.EventExtended, &next, target, body); err != nil {
			return ignoreStale(err)
		}
		target.Status = &next
		i = len(next.Extensions) - 1
	}
	x := target.Status.Extensions[i]
	if target.Status.State == schema.StateActive {
		// The guard goes to the grant's end as recorded, which a later
		// extension may have moved further.
		end, err := target.Expiry()
		if err != nil {
			u.report(&u.rep.Errors, entryOf(it, now, "extension: "+err.Error()))
			return nil
		}
		tg, err := u.targetOf(target, path, target.Status.Requester, end, target.Status.PrincipalID)
		if err != nil {
			u.report(&u.rep.Errors, entryOf(it, now, "extension recorded, but its grant's expiry guard cannot be moved yet: "+err.Error()))
			return nil
		}
		if tg.own {
			if err := u.opts.IdentityCenter.MoveExpiry(ctx, tg.grant, target.Status.PermissionSetARN); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				u.awsError(ctx, it, now, "extension recorded, but AWS's expiry guard not moved yet; retried next run", err)
				return nil
			}
		}
	}
	done := st
	done.State = schema.StateExtended
	done.ActivatedAt = &x.At
	done.Notes = append(slices.Clone(done.Notes), fmt.Sprintf("extended %s: its end moved from %s to %s", path,
		x.PreviousExpiresAt.UTC().Format(time.RFC3339), x.ExpiresAt.UTC().Format(time.RFC3339)))
	if err := u.record(ctx, it.Path, "record extension", ledger.EventExtended, &done, it.Request, ""); err != nil {
		return ignoreStale(err)
	}
	e := entryOf(it, now, "extended "+path+" from "+x.PreviousExpiresAt.UTC().Format(time.RFC3339))
	e.ExpiresAt = x.ExpiresAt
	u.report(&u.rep.Extended, e)
	u.log.InfoContext(ctx, "grant extended", "path", path, "by", it.Path, "from", x.PreviousExpiresAt, "to", x.ExpiresAt)
	// The plan this pass runs on still has the old end: plan again, so
	// that the grant is not waited for at it.
	u.again = true
	return nil
}

func statusOf(r schema.Request) *schema.Status {
	if r.Status == nil {
		return &schema.Status{}
	}
	return r.Status
}

// resumableExtension decides about an extension's intent left on main by a
// run that stopped. It is carried on (extend repeats what was done) once
// its approval is checked again; nothing in AWS depends on it but the
// guard extend moves, so an intent whose grant has ended meanwhile is
// settled by extend too.
func (u *run) resumableExtension(ctx context.Context, it lifecycle.Item, st schema.Status, now time.Time) (activation, bool, error) {
	if ok, err := u.recheck(ctx, it, now, "extension"); !ok || err != nil {
		return activation{}, false, err
	}
	u.log.InfoContext(ctx, "resuming an interrupted extension", "path", it.Path, "extends", it.Request.Extends)
	return activation{it: it, status: st, extension: true}, true, nil
}
