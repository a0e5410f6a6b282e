package schema

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Defaults for the optional timing settings of the config.
const (
	DefaultRequestTTL    = 24 * time.Hour
	DefaultEscalateAfter = time.Hour
)

// ParseConfig parses and validates .github/jit.yaml: safe parsing, the
// config schema, then the rules that span entries (unique accounts, every
// offered permission set defined, ...). The config is nil when there is any
// error; warnings may come with a config.
func ParseConfig(path string, data []byte) (*Config, []Finding) {
	d, fs := parseValid(path, data, MaxConfigBytes, "config", configSchema)
	if d == nil {
		return nil, fs
	}
	var c Config
	if err := d.root.Decode(&c); err != nil {
		return nil, []Finding{d.finding(d.root.Line, d.root.Column, SeverityError, "reading the config: "+yamlErrorText(err), "")}
	}
	fs = checkConfig(d, &c)
	SortFindings(fs)
	if HasErrors(fs) {
		return nil, fs
	}
	return &c, fs
}

// checkConfig applies the rules the schema cannot state because they
// relate entries to each other.
func checkConfig(d *document, c *Config) []Finding {
	var fs []Finding
	errAt := func(ptr, msg, fix string) {
		line, col := d.pos(ptr)
		fs = append(fs, d.finding(line, col, SeverityError, msg, fix))
	}

	// once reports item i's field when an earlier item of list has the
	// same key, with the line of the first; seen remembers the first.
	once := func(seen map[string]int, key, list string, i int, field, what, fix string) {
		j, dup := seen[key]
		if !dup {
			seen[key] = i
			return
		}
		first := line(d, list+"/"+strconv.Itoa(j)+"/"+field)
		errAt(list+"/"+strconv.Itoa(i)+"/"+field, fmt.Sprintf("%s (first on line %d)", what, first), fix)
	}

	names := map[string]int{}
	ids := map[string]int{}
	for i, a := range c.Accounts {
		once(names, a.Name, "/accounts", i, "name", fmt.Sprintf("account name %q is used twice", a.Name), "give every account its own name")
		once(ids, a.ID, "/accounts", i, "id", fmt.Sprintf("account id %s is used twice", a.ID), "list every AWS account once")
	}

	management := -1
	for i, a := range c.Accounts {
		if !a.ManagementAccount {
			continue
		}
		if management >= 0 {
			errAt(fmt.Sprintf("/accounts/%d/management_account", i),
				fmt.Sprintf("accounts %s and %s are both marked management_account, but an organisation has one management account", c.Accounts[management].Name, a.Name),
				"mark only the organisation's management account")
			continue
		}
		management = i
	}
	if c.AllowManagementAccount && management < 0 {
		errAt("/allow_management_account", "allow_management_account is true, but no account is marked management_account: true",
			"mark the management account under accounts:, or remove allow_management_account")
	}

	sets := map[string]int{}
	_, instance, _ := strings.Cut(c.IdentityCenter.InstanceARN, ":instance/")
	for i, ps := range c.PermissionSets {
		p := "/permission_sets/" + strconv.Itoa(i)
		once(sets, ps.Name, "/permission_sets", i, "name", fmt.Sprintf("permission set %q is defined twice", ps.Name), "keep one definition")
		// permissionSet/<instance>/ps-...: a set of another instance cannot
		// be assigned through this one.
		_, rest, _ := strings.Cut(ps.ARN, ":permissionSet/")
		if inst, _, _ := strings.Cut(rest, "/"); inst != instance {
			errAt(p+"/arn", fmt.Sprintf("permission set %s belongs to instance %s, but identity_center.instance_arn is instance %s", ps.Name, inst, instance),
				"copy the ARN from aws sso-admin list-permission-sets for this instance")
		}
	}
	setNames := slices.Sorted(maps.Keys(sets))
	for i, a := range c.Accounts {
		for j, name := range a.PermissionSets {
			if _, ok := sets[name]; ok {
				continue
			}
			fix := "define it under permission_sets: or remove it from the account"
			if s := closest(name, setNames); s != "" {
				fix = "did you mean " + strconv.Quote(s) + "?"
			}
			errAt(fmt.Sprintf("/accounts/%d/permission_sets/%d", i, j),
				fmt.Sprintf("account %s offers permission set %q, which is not defined under permission_sets", a.Name, name), fix)
		}
	}

	for i, a := range c.Accounts {
		for j, r := range a.AutoApprove {
			p := fmt.Sprintf("/accounts/%d/auto_approve/%d", i, j)
			for k, name := range r.PermissionSets {
				if slices.Contains(a.PermissionSets, name) {
					continue
				}
				fix := "use one of " + strings.Join(a.PermissionSets, ", ")
				if s := closest(name, a.PermissionSets); s != "" {
					fix = "did you mean " + strconv.Quote(s) + "?"
				}
				errAt(fmt.Sprintf("%s/permission_sets/%d", p, k),
					fmt.Sprintf("%s lists permission set %q, which account %s does not offer", fieldAt(p), name, a.Name), fix)
			}
			fs = append(fs, checkWorkingHours(d, p, r.WorkingHours)...)
		}
	}
	for i, ps := range c.PermissionSets {
		for j, r := range ps.AutoApprove {
			fs = append(fs, checkWorkingHours(d, fmt.Sprintf("/permission_sets/%d/auto_approve/%d", i, j), r.WorkingHours)...)
		}
	}

	logins := map[string]string{}
	for _, login := range slices.Sorted(maps.Keys(c.Users)) {
		low := strings.ToLower(login)
		if other, dup := logins[low]; dup {
			errAt("/users/"+escapePointer(login), fmt.Sprintf("users lists %q and %q, which are the same GitHub login (logins ignore case)", other, login), "keep one of them")
			continue
		}
		logins[low] = login
	}

	if esc, ttl := c.EscalateAfterDuration(), c.RequestTTLDuration(); esc >= ttl {
		ptr := "/escalate_after"
		if c.EscalateAfter == "" {
			ptr = "/request_ttl"
		}
		errAt(ptr, fmt.Sprintf("escalate_after (%s) is not shorter than request_ttl (%s): requests would expire before the admins are asked", FormatWait(esc), FormatWait(ttl)),
			"make escalate_after shorter than request_ttl")
	}
	return fs
}

// checkWorkingHours checks what the schema cannot: that the time zone
// exists and that the window is not empty.
func checkWorkingHours(d *document, rule string, w *WorkingHours) []Finding {
	if w == nil {
		return nil
	}
	var fs []Finding
	p := rule + "/working_hours"
	if _, err := loadZone(w.TimeZone); err != nil {
		l, c := d.pos(p + "/time_zone")
		fs = append(fs, d.finding(l, c, SeverityError, fieldAt(p)+": "+err.Error(),
			"use a name from the IANA time zone database (the TZ identifier column of its list)"))
	}
	from, err1 := clockMinutes(w.From)
	to, err2 := clockMinutes(w.To)
	if err1 == nil && err2 == nil && from >= to {
		l, c := d.pos(p + "/to")
		fs = append(fs, d.finding(l, c, SeverityError,
			fmt.Sprintf("%s: to %s is not later than from %s, so the window is empty", fieldAt(p), w.To, w.From),
			"end the window later on the same day; for hours across midnight write two rules"))
	}
	return fs
}

// fieldAt writes a JSON pointer the way messages name fields:
// accounts[0].auto_approve[1].
func fieldAt(ptr string) string {
	return fieldName(strings.Split(strings.TrimPrefix(ptr, "/"), "/"))
}

func line(d *document, ptr string) int {
	l, _ := d.pos(ptr)
	return l
}

// parseWait parses request_ttl and escalate_after: a whole number of
// minutes, hours or days (30m, 24h, 2d).
func parseWait(s string) (time.Duration, error) {
	if len(s) < 2 {
		return 0, fmt.Errorf("wait %q is not a number of minutes, hours or days (30m, 24h, 2d)", s)
	}
	n, err := strconv.Atoi(s[:len(s)-1])
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("wait %q is not a number of minutes, hours or days (30m, 24h, 2d)", s)
	}
	switch s[len(s)-1] {
	case 'm':
		return time.Duration(n) * time.Minute, nil
	case 'h':
		return time.Duration(n) * time.Hour, nil
	case 'd':
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return 0, fmt.Errorf("wait %q is not a number of minutes, hours or days (30m, 24h, 2d)", s)
}

// FormatWait writes a wait (request_ttl, escalate_after, review_within)
// the way the config writes it: 30m, 24h, 2d.
func FormatWait(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	case d%time.Hour == 0:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	}
	return strconv.Itoa(int(d/time.Minute)) + "m"
}

// Account finds an account by name or by 12-digit id.
func (c *Config) Account(nameOrID string) (*Account, bool) {
	for i := range c.Accounts {
		if c.Accounts[i].Name == nameOrID || c.Accounts[i].ID == nameOrID {
			return &c.Accounts[i], true
		}
	}
	return nil, false
}

// ManagementAccount returns the account marked management_account, if any.
func (c *Config) ManagementAccount() (*Account, bool) {
	for i := range c.Accounts {
		if c.Accounts[i].ManagementAccount {
			return &c.Accounts[i], true
		}
	}
	return nil, false
}

// Partition is the AWS partition of the Identity Center instance ("aws",
// "aws-cn", "aws-us-gov", ...), taken from its ARN: policy and managed
// policy ARNs must use the same one.
func (c *Config) Partition() string {
	arn := strings.TrimPrefix(c.IdentityCenter.InstanceARN, "arn:")
	p, _, _ := strings.Cut(arn, ":")
	return p
}

// PermissionSet finds a standard permission set by name.
func (c *Config) PermissionSet(name string) (*PermissionSet, bool) {
	for i := range c.PermissionSets {
		if c.PermissionSets[i].Name == name {
			return &c.PermissionSets[i], true
		}
	}
	return nil, false
}

// Logins are the GitHub logins that users: maps to the Identity Center
// user name userName (ignoring case, as Identity Center does), sorted: the
// reverse of UserName.
func (c *Config) Logins(userName string) []string {
	var logins []string
	for login, u := range c.Users {
		if strings.EqualFold(u.UserName, userName) {
			logins = append(logins, login)
		}
	}
	slices.Sort(logins)
	return logins
}

// MaxDuration returns the longest access duration a request for the
// account (name or id) and standard permission set may ask for: the smaller
// of their max_duration caps, or 0 when neither caps it. Pass set "" for a
// custom permission set, which only the account caps.
func (c *Config) MaxDuration(account, set string) time.Duration {
	var limit time.Duration
	tighten := func(s string) {
		if s == "" {
			return
		}
		if d, err := ParseDuration(s); err == nil && (limit == 0 || d < limit) {
			limit = d
		}
	}
	if a, ok := c.Account(account); ok {
		tighten(a.MaxDuration)
	}
	if set != "" {
		if ps, ok := c.PermissionSet(set); ok {
			tighten(ps.MaxDuration)
		}
	}
	return limit
}

// RequestTTLDuration is how long an unapproved request stays open
// (request_ttl, default 24h).
func (c *Config) RequestTTLDuration() time.Duration {
	if d, err := parseWait(c.RequestTTL); err == nil {
		return d
	}
	return DefaultRequestTTL
}

// EscalateAfterDuration is how long owners have before the admins are
// asked as well (escalate_after, default 1h).
func (c *Config) EscalateAfterDuration() time.Duration {
	if d, err := parseWait(c.EscalateAfter); err == nil {
		return d
	}
	return DefaultEscalateAfter
}
