package schema

import (
	"fmt"
	"path"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/jit-access/jit/internal/lifecycle/window"
)

// Grants looks up the grants on the base branch that a request's extends:
// may name. The App reads main through the GitHub API, jit validate the
// base revision or the working tree, and the reconcile its verified ledger
// (where only the statuses jit signed count).
type Grants interface {
	// Grant returns the request file at path as the base branch holds it,
	// with its status; ok is false when there is no such file.
	Grant(path string) (req Request, ok bool, err error)
}

// Expiry returns when an activated grant ends: activated_at plus the
// effective duration (status.duration, else the requested one), or for a
// scheduled grant start_at plus that duration when it is earlier (a grant
// activated after its start_at still ends when its window does). A grant
// that was extended ends at its last extension's end instead. When the
// status also records expires_at and it is earlier, that wins: a grant never
// lasts longer than any record of it says.
func (r Request) Expiry() (time.Time, error) {
	st := r.Status
	if st == nil {
		return time.Time{}, fmt.Errorf("no status: the grant was never activated")
	}
	var exp time.Time
	switch {
	case len(st.Extensions) > 0:
		// Every extension was approved and recorded by jit; the last
		// one's end replaces the original window.
		exp = st.Extensions[len(st.Extensions)-1].ExpiresAt
	case st.ActivatedAt != nil:
		text, field := st.Duration, "status.duration"
		if text == "" {
			text, field = r.Duration, "duration"
		}
		d, err := ParseDuration(text)
		if err != nil {
			if st.ExpiresAt == nil {
				return time.Time{}, fmt.Errorf("%s: %w", field, err)
			}
		} else {
			start, _, _ := r.StartAt() // the zero time when there is none, or none readable
			exp = window.End(start, *st.ActivatedAt, d)
		}
	}
	if st.ExpiresAt != nil && (exp.IsZero() || st.ExpiresAt.Before(exp)) {
		exp = *st.ExpiresAt
	}
	if exp.IsZero() {
		return time.Time{}, fmt.Errorf("status has neither activated_at nor expires_at")
	}
	return exp, nil
}

// ExtensionError says why a request cannot extend the grant it names: what
// is wrong, and how to fix it. Field is the request's field it is about
// ("extends" or "duration").
type ExtensionError struct {
	Field, Message, Fix string
}

func (e *ExtensionError) Error() string { return e.Message }

// ExtensionPlan is what an extension changes: the grant it extends and
// that grant's ends.
type ExtensionPlan struct {
	// Path is the extended grant's request file; Target is that file as the
	// base branch holds it.
	Path   string
	Target Request
	// CurrentEnd is when the grant ends now; NewEnd when it ends once
	// extended (zero when not known, see CheckExtension).
	CurrentEnd, NewEnd time.Time
}

// CheckExtension is the rule for extends:, decided here for validation
// (the App's check, jit validate, the reconcile's check of the merge) and
// for the reconcile at the moment it moves the end. The request ext, by
// requester (a GitHub login; "" when not known, then not compared), may
// extend the grant target (at ext.Extends on the base branch; nil when
// there is none) when that grant is active, is the same requester's, for
// the same account and the same permission set (a custom set must be
// defined identically), its end is after now, and newEnd is later than its
// end. Zero times skip the last two comparisons (the check of a merged
// request: the reconcile compares them when it moves the end). cfg
// resolves account names to ids and may be nil.
//
// A grant merely merged, scheduled or being activated is not extended: its
// end is not known yet, and the requester can simply wait for it to be
// active (or ask for a longer grant of their own). An extension cannot be
// extended either: the grant it extended holds the access.
func CheckExtension(cfg *Config, ext *Request, requester string, target *Request, now, newEnd time.Time) (ExtensionPlan, *ExtensionError) {
	p := ExtensionPlan{Path: ext.Extends}
	name := ext.Extends
	fresh := "remove extends: to ask for access of your own"
	if target == nil {
		return p, &ExtensionError{"extends", fmt.Sprintf("extends: %s is not a request file on main", name),
			"write the path of your active grant's request file as it is on main, e.g. " + path.Join(path.Dir(name), "<name>.yaml") + " (jit status --mine lists them), or " + fresh}
	}
	p.Target = *target
	st := target.Status
	if st == nil {
		when := "it was merged but the reconcile has not activated it yet"
		if start, ok, err := target.StartAt(); err == nil && ok {
			when = "it is scheduled to start at " + start.UTC().Format(time.RFC3339)
		}
		return p, &ExtensionError{"extends", fmt.Sprintf("%s is not active yet: %s, so it has no end to move", name, when),
			"push again once it is active, or " + fresh}
	}
	switch st.State {
	case StateActive:
	case StateActivating:
		return p, &ExtensionError{"extends", fmt.Sprintf("%s is being activated right now, so its end is not fixed yet", name),
			"push again in a minute, once the reconcile has recorded it active"}
	case StateExtended:
		return p, &ExtensionError{"extends", fmt.Sprintf("%s is itself an extension, of %s, which holds the access", name, target.Extends),
			"write extends: " + target.Extends}
	default:
		return p, &ExtensionError{"extends", fmt.Sprintf("%s is %s: only an active grant can be extended", name, st.State),
			fresh}
	}
	if requester != "" && st.Requester != "" && !strings.EqualFold(strings.TrimPrefix(requester, "@"), st.Requester) {
		return p, &ExtensionError{"extends", fmt.Sprintf("%s is %s's grant: only its requester can extend it", name, st.Requester),
			fresh + ", or ask " + st.Requester + " to extend it"}
	}
	if accountKey(cfg, ext.Account) != accountKey(cfg, target.Account) {
		return p, &ExtensionError{"extends", fmt.Sprintf("%s is for account %s, and this request is for %s", name, target.Account, ext.Account),
			fmt.Sprintf("ask for account %s to extend it, or %s", target.Account, fresh)}
	}
	if msg := sameSet(ext, target); msg != "" {
		return p, &ExtensionError{"extends", fmt.Sprintf("%s is %s", name, msg),
			"copy its permission_set or custom_permission_set exactly, or " + fresh}
	}
	end, err := target.Expiry()
	if err != nil {
		return p, &ExtensionError{"extends", fmt.Sprintf("the end of %s cannot be computed (%v)", name, err), fresh}
	}
	p.CurrentEnd, p.NewEnd = end, newEnd
	if !now.IsZero() && !end.After(now) {
		return p, &ExtensionError{"extends", fmt.Sprintf("%s ended at %s, so there is no access left to extend", name, stamp(end)), fresh}
	}
	if !newEnd.IsZero() && !newEnd.After(end) {
		left := end.Sub(newEnd) + mustDuration(ext.Duration)
		return p, &ExtensionError{"duration", fmt.Sprintf("%s ends at %s; duration %s from now ends at %s, which is not later",
			name, stamp(end), ext.Duration, stamp(newEnd)), "ask for more than the " + FormatDuration(left.Truncate(time.Minute)) + " it has left" + longerThan(left)}
	}
	return p, nil
}

// accountKey is what identifies an account: its id when the config knows
// the name, else the text as written.
func accountKey(cfg *Config, account string) string {
	if cfg != nil {
		if a, ok := cfg.Account(account); ok && a.ID != "" {
			return a.ID
		}
	}
	return account
}

// sameSet says how ext's permission set differs from target's; "" when it
// is the same.
func sameSet(ext, target *Request) string {
	ec, tc := ext.CustomPermissionSet, target.CustomPermissionSet
	switch {
	case ec == nil && tc == nil:
		if ext.PermissionSet != target.PermissionSet {
			return fmt.Sprintf("for permission set %s, and this request asks for %s", target.PermissionSet, ext.PermissionSet)
		}
	case ec == nil:
		return fmt.Sprintf("for the custom permission set %s, and this request asks for permission set %s", tc.Name, ext.PermissionSet)
	case tc == nil:
		return fmt.Sprintf("for permission set %s, and this request asks for a custom permission set", target.PermissionSet)
	case !reflect.DeepEqual(*ec, *tc):
		return fmt.Sprintf("for a custom permission set defined differently (%s)", customDiff(ec, tc))
	}
	return ""
}

func customDiff(ec, tc *CustomPermissionSet) string {
	var d []string
	if ec.Name != tc.Name {
		d = append(d, "name")
	}
	if ec.SessionDuration != tc.SessionDuration {
		d = append(d, "session_duration")
	}
	if !reflect.DeepEqual(ec.ManagedPolicies, tc.ManagedPolicies) {
		d = append(d, "managed_policies")
	}
	if ec.InlinePolicy != tc.InlinePolicy {
		d = append(d, "inline_policy")
	}
	return strings.Join(d, ", ") + " differ"
}

func stamp(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }

func mustDuration(s string) time.Duration {
	d, _ := ParseDuration(s)
	return d
}

// longerThan suggests the shortest allowed duration longer than left.
func longerThan(left time.Duration) string {
	for _, n := range DurationNames() {
		if d, err := ParseDuration(n); err == nil && d > left {
			return ", e.g. " + n
		}
	}
	return ""
}

// checkExtends applies extends: to the request being checked.
func (c *checker) checkExtends(access time.Duration) {
	r := &c.f.Request
	if r.Extends == "" {
		return
	}
	if p := r.Extends; path.Clean(p) != p || strings.Contains(p, "\\") {
		c.add("extends", SeverityError, fmt.Sprintf("extends: %s is not a clean path", p),
			"write the path of the grant's request file from the top of the repository, e.g. requests/payments-prod/alice-inc-1234.yaml")
		return
	}
	if r.Extends == c.f.Path {
		c.add("extends", SeverityError, "a request cannot extend itself",
			"write the path of your active grant's request file")
		return
	}
	if r.Emergency {
		c.addKey("emergency", SeverityError, "an extension cannot be emergency access: it is approved like the grant it extends",
			"remove emergency: true, or remove extends: and open an emergency request of its own")
	}
	if _, ok, _ := r.StartAt(); ok {
		c.addKey("start_at", SeverityError, "an extension starts where the grant it extends ends, so it cannot have start_at",
			"remove start_at")
	}
	if c.opts.Grants == nil {
		c.add("extends", SeverityWarning, "the grant "+r.Extends+" could not be checked here; the App checks it on the pull request",
			"make sure it is your active grant, for the same account and permission set")
		return
	}
	target, ok, err := c.opts.Grants.Grant(r.Extends)
	if err != nil {
		c.add("extends", SeverityError, fmt.Sprintf("could not read %s, so the extension is refused: %v", r.Extends, err),
			"this is checked again on the next push or review")
		return
	}
	var t *Request
	if ok {
		t = &target
		if c.opts.AllowStatus && t.Status != nil && slices.ContainsFunc(t.Status.Extensions, func(x Extension) bool { return x.Request == c.f.Path }) {
			// Merged, and its grant's record already says this request
			// extended it: the grant's state since is its own story.
			return
		}
	}
	var now, newEnd time.Time
	if !c.opts.AllowStatus {
		// The end moves to duration after the extension is provisioned;
		// judged from now, it must already be later. The reconcile decides
		// again with the time it moves the end.
		now = c.now()
		newEnd = window.End(time.Time{}, now, access)
	}
	if _, bad := CheckExtension(c.cfg, r, c.opts.Requester, t, now, newEnd); bad != nil {
		c.add(bad.Field, SeverityError, bad.Message, bad.Fix)
	}
}

func (c *checker) now() time.Time {
	if c.opts.Now.IsZero() {
		return time.Now()
	}
	return c.opts.Now
}
