// Package catalog says what a requester may ask for: the accounts and
// permission sets of the config with its requesters rules applied, each
// one's longest duration, who approves it and the auto-approval rules that
// would apply. jit list prints it and the request page is built from it.
//
// It decides nothing itself: who is in a requesters list is
// schema.MatchRequesters, the duration cap schema.Config.MaxDuration, the
// rules that may approve schema.Config.AutoApproveRules and the owners
// owners.Rules, the same calls validation and the approval engine make.
package catalog

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/internal/owners"
	"github.com/jit-access/jit/schema"
)

// Access says whether the requester may ask for something.
type Access string

const (
	// Anyone: no requester was given, so the rules are shown, not applied.
	Anyone Access = ""
	// Allowed: the requester is in every requesters list that applies.
	Allowed Access = "yes"
	// Denied: a requesters list leaves the requester out.
	Denied Access = "no"
	// Unknown: only a team the requester's membership of which could not
	// be read (no GitHub token) would let them in.
	Unknown Access = "unknown"
)

// Options say for whom the catalog is made.
type Options struct {
	// Requester is a GitHub login; "" shows the rules without applying them.
	Requester string
	// Teams resolves team entries; nil leaves them Unknown.
	Teams schema.Teams
	// Owners are the CODEOWNERS rules; nil means no account has owners,
	// and only SSO admins approve.
	Owners *owners.Rules
}

// Catalog is what the requester may ask for.
type Catalog struct {
	Requester string `json:"requester,omitempty"`
	// UserName is the requester's Identity Center user from users:; ""
	// when the config maps none (then every request is refused).
	UserName string `json:"user_name,omitempty"`
	// TeamsChecked says whether team memberships were read from GitHub.
	TeamsChecked bool `json:"teams_checked"`
	// Durations are every access duration a request may name.
	Durations []string  `json:"durations"`
	Admins    []string  `json:"admins"`
	Accounts  []Account `json:"accounts"`
	// Emergency is break-glass access, nil when the config has none.
	Emergency *Emergency `json:"emergency,omitempty"`
}

// Account is one account the requester may ask for.
type Account struct {
	Name string `json:"name"`
	ID   string `json:"id"`
	// Owners approve its requests (from CODEOWNERS, for requests/<name>/).
	Owners []string `json:"owners"`
	// Requesters is the account's own list; empty: anyone with a user.
	Requesters     []string `json:"requesters,omitempty"`
	Access         Access   `json:"access,omitempty"`
	PermissionSets []Set    `json:"permission_sets"`
	// Custom is a permission set defined in the request.
	Custom Set `json:"custom"`
}

// Set is a permission set on one account, standard or custom.
type Set struct {
	Name string `json:"name"`
	// Custom is true for a permission set defined by the request.
	Custom bool `json:"custom,omitempty"`
	// Isolate: every grant gets its own JIT- copy with an expiry guard.
	Isolate bool `json:"isolate,omitempty"`
	// MaxDuration is the longest access ("" when nothing caps it), and
	// Durations the names up to it.
	MaxDuration string   `json:"max_duration,omitempty"`
	Durations   []string `json:"durations"`
	Access      Access   `json:"access,omitempty"`
	// Why says which list decided Access when it is not Allowed.
	Why string `json:"why,omitempty"`
	// Approval are the steps of approval in order; each is filled by one
	// review of any of its entries.
	Approval    []Step `json:"approval"`
	AutoApprove []Rule `json:"auto_approve,omitempty"`
}

// Step is one approval: one review by any of Entries.
type Step struct {
	// Who says in words who fills it: "an owner or an SSO admin".
	Who     string   `json:"who"`
	Entries []string `json:"entries"`
}

// Rule is an auto_approve rule that may approve the set.
type Rule struct {
	Name       string `json:"name"`
	Conditions string `json:"conditions"`
	// Access says whether the requester meets the rule's requesters
	// condition (Allowed when it has none); its other conditions
	// (duration, working hours) are judged when the request is made.
	Access Access `json:"access,omitempty"`
}

// Emergency is break-glass access: approved at once, reviewed after.
type Emergency struct {
	MaxDuration  string   `json:"max_duration"`
	ReviewWithin string   `json:"review_within"`
	Requesters   []string `json:"requesters"`
	Access       Access   `json:"access,omitempty"`
}

// Build makes the catalog of cfg for o.Requester. It returns an error only
// for a team lookup that failed for another reason than a missing lookup.
func Build(cfg *schema.Config, o Options) (*Catalog, error) {
	b := builder{cfg: cfg, o: o}
	c := &Catalog{
		Requester:    strings.TrimPrefix(o.Requester, "@"),
		TeamsChecked: o.Teams != nil,
		Durations:    schema.DurationNames(),
		Admins:       append([]string{}, cfg.Admins...),
	}
	if c.Requester != "" {
		c.UserName, _ = cfg.UserName(c.Requester)
	}
	for _, a := range cfg.Accounts {
		acct, err := b.account(a)
		if err != nil {
			return nil, err
		}
		c.Accounts = append(c.Accounts, acct)
	}
	if em := cfg.Emergency; em != nil {
		access, _, err := b.access(em.Requesters, "emergency.requesters")
		if err != nil {
			return nil, err
		}
		c.Emergency = &Emergency{MaxDuration: em.MaxDuration, ReviewWithin: cmp.Or(em.ReviewWithin, schema.FormatWait(em.ReviewWithinDuration())),
			Requesters: append([]string{}, em.Requesters...), Access: access}
	}
	return c, nil
}

// Requestable drops what the requester may not ask for: accounts and sets
// that are Denied, and emergency access when it is. Unknown stays, marked.
func (c *Catalog) Requestable() *Catalog {
	out := *c
	out.Accounts = nil
	for _, a := range c.Accounts {
		if a.Access == Denied {
			continue
		}
		var sets []Set
		for _, s := range a.PermissionSets {
			if s.Access != Denied {
				sets = append(sets, s)
			}
		}
		a.PermissionSets = sets
		out.Accounts = append(out.Accounts, a)
	}
	if c.Emergency != nil && c.Emergency.Access == Denied {
		out.Emergency = nil
	}
	return &out
}

type builder struct {
	cfg *schema.Config
	o   Options
}

func (b builder) account(a schema.Account) (Account, error) {
	acct := Account{Name: a.Name, ID: a.ID, Requesters: a.Requesters, Owners: []string{}}
	if b.o.Owners != nil {
		acct.Owners = append(acct.Owners, b.o.Owners.Owners(RequestPath(a.Name, "request"))...)
	}
	access, why, err := b.access(a.Requesters, "the requesters of account "+a.Name)
	if err != nil {
		return Account{}, err
	}
	acct.Access = access
	for _, name := range a.PermissionSets {
		s := Set{Name: name, Access: access, Why: why}
		ps, known := b.cfg.PermissionSet(name)
		if known {
			s.Isolate = ps.Isolate
			if access != Denied {
				sa, swhy, err := b.access(ps.Requesters, "the requesters of permission set "+name)
				if err != nil {
					return Account{}, err
				}
				s.Access, s.Why = combine(access, why, sa, swhy)
			}
			for _, r := range b.cfg.AutoApproveRules(a.Name, name) {
				ra, _, err := b.access(r.Rule.Requesters, r.Name)
				if err != nil {
					return Account{}, err
				}
				s.AutoApprove = append(s.AutoApprove, Rule{Name: r.Name, Conditions: r.Rule.String(), Access: ra})
			}
		}
		b.durations(&s, a.Name, name)
		s.Approval = b.approval(acct.Owners, false)
		acct.PermissionSets = append(acct.PermissionSets, s)
	}
	acct.Custom = Set{Name: "custom", Custom: true, Access: access, Why: why, Approval: b.approval(acct.Owners, true)}
	b.durations(&acct.Custom, a.Name, "")
	return acct, nil
}

// durations fills the cap and the names up to it, as validation caps them.
func (b builder) durations(s *Set, account, set string) {
	limit := b.cfg.MaxDuration(account, set)
	if limit > 0 {
		s.MaxDuration = schema.FormatDuration(limit)
	}
	s.Durations = []string{}
	for _, n := range schema.DurationNames() {
		if d, err := schema.ParseDuration(n); err == nil && (limit == 0 || d <= limit) {
			s.Durations = append(s.Durations, n)
		}
	}
}

// approval is the policy of internal/approval in steps: a standard set
// needs one owner or admin, a custom set an owner then an admin; without
// owners only admins approve (two different ones for a custom set).
func (b builder) approval(owners []string, custom bool) []Step {
	admins := append([]string{}, b.cfg.Admins...)
	switch {
	case len(owners) == 0 && custom:
		return []Step{{Who: "an SSO admin", Entries: admins}, {Who: "a second SSO admin", Entries: admins}}
	case len(owners) == 0:
		return []Step{{Who: "an SSO admin", Entries: admins}}
	case custom:
		return []Step{{Who: "an owner", Entries: owners}, {Who: "then an SSO admin", Entries: admins}}
	}
	return []Step{{Who: "an owner or an SSO admin", Entries: append(append([]string{}, owners...), admins...)}}
}

// access applies one requesters list to the requester.
func (b builder) access(entries []string, list string) (Access, string, error) {
	if len(entries) == 0 {
		if b.o.Requester == "" {
			return Anyone, "", nil
		}
		return Allowed, "", nil
	}
	if b.o.Requester == "" {
		return Anyone, "only " + strings.Join(entries, ", ") + " (" + list + ")", nil
	}
	var member func(team, user string) (bool, error)
	if b.o.Teams != nil {
		member = b.o.Teams.IsMember
	}
	match, unchecked, err := schema.MatchRequesters(entries, b.o.Requester, member)
	switch {
	case match != "":
		return Allowed, "", nil
	case len(unchecked) == 0:
		return Denied, "not in " + list + " (" + strings.Join(entries, ", ") + ")", nil
	case b.o.Teams == nil:
		return Unknown, "only if in " + strings.Join(unchecked, ", ") + " (" + list + "; team membership not checked)", nil
	}
	return "", "", fmt.Errorf("checking whether %s is in %s: %w", b.o.Requester, strings.Join(unchecked, ", "), err)
}

// combine joins the account's and the set's answers: both lists must let
// the requester in.
func combine(a Access, awhy string, s Access, swhy string) (Access, string) {
	switch {
	case a == Denied:
		return a, awhy
	case s == Denied:
		return s, swhy
	case a == Unknown || s == Unknown:
		return Unknown, strings.Join(nonEmpty(awhy, swhy), "; and ")
	case a == Anyone && s == Anyone:
		return Anyone, strings.Join(nonEmpty(awhy, swhy), "; and ")
	}
	return Allowed, ""
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// RequestPath is where a request file for the account lives.
func RequestPath(account, name string) string {
	return layout.RequestPath(account, name)
}
