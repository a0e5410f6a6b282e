package schema

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	// The App and the Action may run where the system has no zoneinfo
	// (distroless images, minimal runners); working hours must not fail
	// there, so the time zone database is compiled in.
	_ "time/tzdata"
)

// Limits and defaults of the request policies.
const (
	// MaxStartAhead is how far ahead start_at may be: further out, the
	// approval would be stale by the time the access starts.
	MaxStartAhead = 30 * 24 * time.Hour
	// DefaultEmergencyReviewWithin is how soon an emergency grant must be
	// reviewed after the fact when emergency.review_within is not set.
	DefaultEmergencyReviewWithin = 24 * time.Hour
)

// Teams resolves team membership for the requesters lists of the config.
// It has the method set of approval.Teams, so one resolver serves both.
type Teams interface {
	// IsMember reports whether user (a login) is a member of team
	// ("org/slug", without the @).
	IsMember(team, user string) (bool, error)
}

// NamedRule is an auto_approve rule that applies to a request, with the
// name it is recorded under: "accounts/<account>/auto_approve[<i>]" or
// "permission_sets/<set>/auto_approve[<i>]".
type NamedRule struct {
	Name string
	Rule AutoApproveRule
}

// AutoApproveRules returns the auto_approve rules that may approve a request
// for the account (name or id) and standard permission set, in the order
// they are tried: the account's first (those whose permission_sets leave
// the set out are skipped), then the set's. Custom permission sets (set "")
// are never auto-approved, so they get none.
func (c *Config) AutoApproveRules(account, set string) []NamedRule {
	if c == nil || set == "" {
		return nil
	}
	var out []NamedRule
	if a, ok := c.Account(account); ok {
		for i, r := range a.AutoApprove {
			if len(r.PermissionSets) > 0 && !slices.Contains(r.PermissionSets, set) {
				continue
			}
			out = append(out, NamedRule{Name: fmt.Sprintf("accounts/%s/auto_approve[%d]", a.Name, i), Rule: r})
		}
	}
	if ps, ok := c.PermissionSet(set); ok {
		for i, r := range ps.AutoApprove {
			out = append(out, NamedRule{Name: fmt.Sprintf("permission_sets/%s/auto_approve[%d]", ps.Name, i), Rule: r})
		}
	}
	return out
}

// String describes the rule's conditions for the audit trail and the
// sticky comment: "requester in @acme/oncall; for ReadOnlyAccess; at most
// 4h; mon,tue,wed,thu,fri 09:00-18:00 Europe/Berlin".
func (r AutoApproveRule) String() string {
	var parts []string
	if len(r.Requesters) > 0 {
		parts = append(parts, "requester in "+strings.Join(r.Requesters, ", "))
	}
	if len(r.PermissionSets) > 0 {
		parts = append(parts, "for "+strings.Join(r.PermissionSets, ", "))
	}
	if r.MaxDuration != "" {
		parts = append(parts, "at most "+r.MaxDuration)
	}
	if r.WorkingHours != nil {
		parts = append(parts, r.WorkingHours.String())
	}
	return strings.Join(parts, "; ")
}

// String writes the window as "mon,tue 09:00-18:00 Europe/Berlin".
func (w *WorkingHours) String() string {
	return fmt.Sprintf("%s %s-%s %s", strings.Join(w.Days, ","), w.From, w.To, w.TimeZone)
}

var dayNames = [...]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// Contains reports whether t falls in the window: on one of its days in
// its time zone, at or after From and before To (to the minute).
func (w *WorkingHours) Contains(t time.Time) (bool, error) {
	loc, err := loadZone(w.TimeZone)
	if err != nil {
		return false, err
	}
	from, err := clockMinutes(w.From)
	if err != nil {
		return false, err
	}
	to, err := clockMinutes(w.To)
	if err != nil {
		return false, err
	}
	lt := t.In(loc)
	if !slices.Contains(w.Days, dayNames[lt.Weekday()]) {
		return false, nil
	}
	m := lt.Hour()*60 + lt.Minute()
	return m >= from && m < to, nil
}

// loadZone loads an IANA time zone, refusing "Local", whose meaning
// depends on the machine that evaluates the rule.
func loadZone(name string) (*time.Location, error) {
	if name == "" || strings.EqualFold(name, "Local") {
		return nil, fmt.Errorf("time zone %q depends on the machine; name one such as Europe/Berlin or UTC", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("time zone %q is not an IANA time zone name such as Europe/Berlin or America/New_York", name)
	}
	return loc, nil
}

// clockMinutes parses "HH:MM" (24-hour clock) into minutes after midnight.
func clockMinutes(s string) (int, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || len(h) != 2 || len(m) != 2 || err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, fmt.Errorf("time of day %q is not HH:MM on a 24-hour clock", s)
	}
	return hh*60 + mm, nil
}

// MaxAccess is the emergency cap on the access duration.
func (e *Emergency) MaxAccess() (time.Duration, error) {
	return ParseDuration(e.MaxDuration)
}

// ReviewWithinDuration is how soon after its approval an emergency grant
// must be reviewed by an owner or SSO admin (review_within, default 24h).
func (e *Emergency) ReviewWithinDuration() time.Duration {
	if d, err := parseWait(e.ReviewWithin); err == nil {
		return d
	}
	return DefaultEmergencyReviewWithin
}

// StartAt returns start_at: the time the grant is to be activated, and
// whether the request has one. The reconcile activates a scheduled grant
// when start_at comes (the lookahead that also finds expiries) and lets it
// expire at start_at plus the effective duration; a request merged after
// its start_at is activated at once and still expires then (the rule is
// window.End's). The time is zero when there is none or it cannot be read.
func (r *Request) StartAt() (time.Time, bool, error) {
	if r.Start == "" {
		return time.Time{}, false, nil
	}
	// RFC 3339 allows a lower-case t and z, which Go's layout does not.
	t, err := time.Parse(time.RFC3339, strings.ToUpper(r.Start))
	if err != nil {
		return time.Time{}, true, fmt.Errorf("start_at %q is not an RFC 3339 time such as 2026-11-24T08:00:00Z", r.Start)
	}
	return t, true, nil
}

// principals formats a requesters list for messages: "@a, @b/c".
func principals(entries []string) string { return strings.Join(entries, ", ") }
