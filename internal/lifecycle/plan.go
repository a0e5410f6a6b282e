// Package lifecycle decides what the reconcile has to do with each grant on
// main. It is pure: it reads request files already decoded and a time, and
// returns a plan; carrying the plan out (AWS first, git second) is the
// caller's job.
package lifecycle

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jit-access/jit/internal/lifecycle/window"
	"github.com/jit-access/jit/schema"
)

// Grant is one request file on main. Request.Status is nil when the request
// was merged but no reconcile has recorded anything yet.
type Grant struct {
	Path    string
	Request schema.Request
	// Unverified, when set, says why the status main holds was not used:
	// jit did not sign the commit that last changed the file, and Request
	// carries jit's last signed status instead (or none).
	Unverified string
}

// Tuple is what an assignment in IAM Identity Center is: nothing else
// identifies it, so two grants with the same tuple share one assignment.
type Tuple struct {
	Account string
	// PermissionSet is the set's ARN when known, otherwise "name:<set>"; a
	// custom set without a recorded ARN gets "custom:<path>" because it can
	// never be shared.
	PermissionSet string
	// User is the requester's GitHub login, lower-cased; empty when unknown.
	User string
}

// Item is one grant in a plan, with what the plan knows about it.
type Item struct {
	Path    string
	Request schema.Request
	Tuple   Tuple
	// At is the expiry for Expire, Wait and Active items (the exact time to
	// revoke a Wait item at), and the zero time otherwise.
	At time.Time
	// For Starting and Scheduled items, At is start_at: when the grant is
	// to be activated.
	//
	// Resume is set on an Activate item whose previous activation was
	// interrupted: AWS may already hold the assignment.
	Resume bool
	// KeepAssignment is set on Expire, Revoke and Wait items whose assignment
	// must stay in AWS: another active grant still needs the same tuple
	// (Overlapping lists them) or the assignment predates jit.
	KeepAssignment bool
	// Overlapping lists the other active grants holding the same tuple. For
	// an ending item these are only the grants still active after it ends;
	// for an Activate item, the active grants that still hold the tuple
	// after this plan's Expire and Revoke items (so an assignment found in
	// AWS is jit's, not a preexisting one).
	Overlapping []string
	// Preexisting is set on an Activate item when an active grant already
	// holding the tuple records its assignment as preexisting: the new grant
	// must record it too, so that no grant on the tuple ever deletes it.
	Preexisting bool
	// Reason explains a Failed or Invalid item, or why an item is in Expire
	// before its time (its expiry could not be computed).
	Reason string
}

// Plan is what one reconcile run has to do; see Planner.PlanAt for the order
// to carry it out in. Every grant on main that is
// still live appears in exactly one list; ended grants (expired, revoked) are
// left out.
type Plan struct {
	// Activate lists grants merged but not yet provisioned, by path: those
	// without start_at and those whose start_at has come.
	Activate []Item
	// Starting lists merged grants whose start_at is after now but within
	// the lookahead, earliest first: the run waits and activates each at At
	// (by planning again then, when it is an Activate item).
	Starting []Item
	// Scheduled lists merged grants whose start_at is after the lookahead,
	// earliest first. Nothing is done with them yet; they are reported as
	// pending with their start time.
	Scheduled []Item
	// Expire lists active grants whose expiry is at or before now, however
	// late the run is, earliest first.
	Expire []Item
	// Revoke lists grants whose revocation was asked for (state revoking),
	// by path. They are carried out at once and retried until AWS confirms.
	Revoke []Item
	// Wait lists active grants that expire after now but within the
	// lookahead, earliest first: the run waits and revokes each at At.
	Wait []Item
	// Active lists active grants that expire after the lookahead, earliest
	// first. Nothing is done with them; they are reported.
	Active []Item
	// Failed lists grants recorded as failed. They are left alone.
	Failed []Item
	// Invalid lists grants whose status makes no sense (an unknown state, a
	// missing state). Failing closed, nothing is done with them: they are
	// reported for a human to look at.
	Invalid []Item
	// Review lists emergency grants whose review after the fact is still
	// to be followed, by path: provisioned ones (activated_at recorded)
	// that are live, and ended ones while no post-hoc review is recorded.
	// Unlike the other lists it is a second view: a live grant in it is
	// also in Expire, Revoke, Wait or Active.
	Review []Item
}

// Planner computes plans. The zero value is usable; the maps let it see that
// a grant naming an account by name and another by id, or a standard set by
// name and by ARN, share one assignment.
type Planner struct {
	// AccountIDs maps account names to their 12-digit ids.
	AccountIDs map[string]string
	// PermissionSetARNs maps standard permission set names to their ARNs.
	PermissionSetARNs map[string]string
}

// NewPlanner builds a Planner from the configuration's accounts and
// permission sets.
func NewPlanner(cfg *schema.Config) Planner {
	p := Planner{AccountIDs: map[string]string{}, PermissionSetARNs: map[string]string{}}
	if cfg == nil {
		return p
	}
	for _, a := range cfg.Accounts {
		if a.Name != "" && a.ID != "" {
			p.AccountIDs[a.Name] = a.ID
		}
	}
	for _, ps := range cfg.PermissionSets {
		if ps.Name != "" && ps.ARN != "" {
			p.PermissionSetARNs[ps.Name] = ps.ARN
		}
	}
	return p
}

// PlanAt plans with a Planner that knows no configuration.
func PlanAt(grants []Grant, now time.Time, lookahead time.Duration) Plan {
	return Planner{}.PlanAt(grants, now, lookahead)
}

// TupleOf returns the assignment tuple of g.
func (p Planner) TupleOf(g Grant) Tuple {
	r := g.Request
	t := Tuple{Account: r.Account}
	if id, ok := p.AccountIDs[r.Account]; ok {
		t.Account = id
	}
	switch {
	case r.Status != nil && r.Status.PermissionSetARN != "":
		t.PermissionSet = r.Status.PermissionSetARN
	case r.CustomPermissionSet != nil || r.PermissionSet == "":
		t.PermissionSet = "custom:" + g.Path
	default:
		if arn, ok := p.PermissionSetARNs[r.PermissionSet]; ok {
			t.PermissionSet = arn
		} else {
			t.PermissionSet = "name:" + r.PermissionSet
		}
	}
	if r.Status != nil {
		t.User = strings.ToLower(r.Status.Requester)
	}
	return t
}

// ExpiryOf returns when an activated grant ends: see schema.Request.Expiry,
// which validation shares (an extension must end later than its grant).
func ExpiryOf(r schema.Request) (time.Time, error) { return r.Expiry() }

// ScheduledEnd returns when a merged grant with start_at ends if it is
// activated on time (see window.End); ok is false when start_at or the
// duration cannot be read.
func ScheduledEnd(r schema.Request) (end time.Time, ok bool) {
	start, scheduled, err := r.StartAt()
	if err != nil || !scheduled {
		return time.Time{}, false
	}
	d, err := r.AccessDuration()
	if err != nil {
		return time.Time{}, false
	}
	return window.Scheduled(start, d), true
}

// PlanAt sorts grants into a Plan at time now. Grants expiring within
// lookahead of now (inclusive) are Wait items; a non-positive lookahead
// means no waiting.
//
// Carry the plan out in this order: Expire, Revoke, Activate, then each Wait
// item at its time after planning again on fresh state (see overlaps).
func (p Planner) PlanAt(grants []Grant, now time.Time, lookahead time.Duration) Plan {
	var plan Plan
	for _, g := range grants {
		it := Item{Path: g.Path, Request: g.Request, Tuple: p.TupleOf(g)}
		st := g.Request.Status
		if st == nil {
			// A start_at that cannot be read is not waited for: the
			// check before provisioning refuses the request with why.
			start, ok, err := g.Request.StartAt()
			if err != nil || !ok {
				plan.Activate = append(plan.Activate, it)
				continue
			}
			switch timingOf(start, now, lookahead) {
			case due:
				plan.Activate = append(plan.Activate, it)
			case soon:
				it.At = start
				plan.Starting = append(plan.Starting, it)
			case later:
				it.At = start
				plan.Scheduled = append(plan.Scheduled, it)
			}
			continue
		}
		if needsReview(g.Request) {
			plan.Review = append(plan.Review, it)
		}
		switch st.State {
		case schema.StateActivating:
			it.Resume = true
			plan.Activate = append(plan.Activate, it)
		case schema.StateActive:
			exp, err := ExpiryOf(g.Request)
			if err != nil {
				// An active grant with no knowable end must not stay
				// forever: failing closed means revoking it now.
				it.At = now
				it.Reason = "expiry cannot be computed (" + err.Error() + "); revoking now"
				plan.Expire = append(plan.Expire, it)
				break
			}
			it.At = exp
			switch timingOf(exp, now, lookahead) {
			case due:
				plan.Expire = append(plan.Expire, it)
			case soon:
				plan.Wait = append(plan.Wait, it)
			case later:
				plan.Active = append(plan.Active, it)
			}
		case schema.StateRevoking:
			plan.Revoke = append(plan.Revoke, it)
		case schema.StateExpired, schema.StateRevoked, schema.StateExtended:
			// Ended, or (extended) merged into the grant it extended:
			// nothing left to do.
		case schema.StateFailed:
			it.Reason = st.Reason
			plan.Failed = append(plan.Failed, it)
		case "":
			it.Reason = "status has no state"
			plan.Invalid = append(plan.Invalid, it)
		default:
			it.Reason = fmt.Sprintf("unknown state %q; left alone until a person looks at it", st.State)
			plan.Invalid = append(plan.Invalid, it)
		}
	}
	byTime := func(items []Item) {
		sort.SliceStable(items, func(i, j int) bool {
			if !items[i].At.Equal(items[j].At) {
				return items[i].At.Before(items[j].At)
			}
			return items[i].Path < items[j].Path
		})
	}
	byPath := func(items []Item) {
		sort.SliceStable(items, func(i, j int) bool { return items[i].Path < items[j].Path })
	}
	byPath(plan.Activate)
	byTime(plan.Starting)
	byTime(plan.Scheduled)
	byTime(plan.Expire)
	byPath(plan.Revoke)
	byTime(plan.Wait)
	byTime(plan.Active)
	byPath(plan.Failed)
	byPath(plan.Invalid)
	byPath(plan.Review)
	p.overlaps(&plan)
	return plan
}

// overlaps decides, for every grant that ends in this plan, whether its
// assignment must stay. Ending grants are taken in the order the reconcile
// meets them (expirations, then revocations, then the waits in time order):
// each keeps the assignment when a grant later in that order, or one that
// does not end in this plan, still holds the tuple. So of several grants on
// one tuple ending together exactly one deletes it, whatever order they are
// carried out in, and a grant still active keeps it.
//
// Only active grants hold a tuple: a grant to activate may yet fail (an
// admin bypass), and counting it would leave an assignment nobody owns. The
// plan is therefore a snapshot with a contract: carry out Expire and Revoke
// before Activate, and plan again on fresh state before carrying out each
// Wait item, so that a grant activated meanwhile is counted.
func (p Planner) overlaps(plan *Plan) {
	type holder struct {
		path        string
		preexisting bool
		order       int // position among ending items; -1 for grants that stay active
	}
	holders := map[Tuple][]holder{}
	ending := [][]Item{plan.Expire, plan.Revoke, plan.Wait}
	n := 0
	for _, list := range ending {
		for _, it := range list {
			holders[it.Tuple] = append(holders[it.Tuple], holder{it.Path, isPreexisting(it), n})
			n++
		}
	}
	for _, it := range plan.Active {
		holders[it.Tuple] = append(holders[it.Tuple], holder{it.Path, isPreexisting(it), -1})
	}
	n = 0
	for _, list := range ending {
		for i := range list {
			it := &list[i]
			keep := isPreexisting(*it)
			if it.Tuple.User != "" {
				for _, h := range holders[it.Tuple] {
					if h.path == it.Path {
						continue
					}
					// A preexisting assignment is never removed, even by
					// the last grant on it.
					keep = keep || h.preexisting
					if h.order >= 0 && h.order < n {
						continue
					}
					it.Overlapping = append(it.Overlapping, h.path)
					keep = true
				}
			}
			it.KeepAssignment = keep
			n++
		}
	}
	for i := range plan.Activate {
		it := &plan.Activate[i]
		it.Overlapping, it.Preexisting = plan.Holders(it.Tuple)
	}
}

// Holders returns the active grants that still hold tuple t once the plan's
// Expire and Revoke items are carried out, and whether any live grant on t
// records the assignment as preexisting. The reconcile uses it for a grant
// to activate whose requester it learnt from GitHub (a grant with no status
// has no requester in its file): an assignment found in AWS is then jit's
// when there are holders, and must be recorded preexisting when the flag is
// set. A tuple with no user has no holders.
func (p Plan) Holders(t Tuple) (paths []string, preexisting bool) {
	if t.User == "" {
		return nil, false
	}
	for _, list := range [][]Item{p.Expire, p.Revoke, p.Wait, p.Active} {
		for _, it := range list {
			if it.Tuple != t {
				continue
			}
			preexisting = preexisting || isPreexisting(it)
		}
	}
	for _, list := range [][]Item{p.Wait, p.Active} {
		for _, it := range list {
			if it.Tuple == t {
				paths = append(paths, it.Path)
			}
		}
	}
	return paths, preexisting
}

// Notices returns the grants to warn about before they expire: the Wait and
// Active items whose notice time (At minus lead) falls in [from, to],
// earliest first. The reconcile passes its own run's window (its start and
// its lookahead's end): a run waits for the notice times in its window, and
// runs are serialised, so each notice time is in exactly one run's window
// and the warning goes out once, without any record of it in git.
func (p Plan) Notices(lead time.Duration, from, to time.Time) []Item {
	var out []Item
	for _, list := range [][]Item{p.Wait, p.Active} {
		for _, it := range list {
			at := it.At.Add(-lead)
			if !at.Before(from) && !at.After(to) {
				out = append(out, it)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.Before(out[j].At)
		}
		return out[i].Path < out[j].Path
	})
	return out
}

// needsReview reports whether an emergency grant's review after the fact
// is still to be followed: a grant never provisioned needs none, and an
// ended one needs none once a review is recorded.
func needsReview(r schema.Request) bool {
	st := r.Status
	if !r.Emergency || st == nil || st.ActivatedAt == nil {
		return false
	}
	switch st.State {
	case schema.StateActive, schema.StateRevoking:
		return true
	case schema.StateExpired, schema.StateRevoked:
		return len(st.PostHocReviews) == 0
	}
	return false
}

func isPreexisting(it Item) bool {
	return it.Request.Status != nil && it.Request.Status.Preexisting
}

// timing places an instant a grant waits for (its start or its end)
// against now and the run's lookahead.
type timing int

const (
	due   timing = iota // at or before now: act in this run
	soon                // within the lookahead: this run waits for it
	later               // beyond it: a later run acts
)

// timingOf is the one rule for both starts and ends, so a scheduled start
// and an expiry at the same instant are treated alike.
func timingOf(at, now time.Time, lookahead time.Duration) timing {
	switch {
	case !at.After(now):
		return due
	case lookahead > 0 && !at.After(now.Add(lookahead)):
		return soon
	default:
		return later
	}
}
