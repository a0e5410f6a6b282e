package schema

import (
	"cmp"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/jit-access/jit/internal/iampolicy"
	"github.com/jit-access/jit/internal/inlinepolicy"
	"github.com/jit-access/jit/internal/layout"
)

// Limits of AWS and of jit that the schema cannot state.
const (
	// MinJustificationChars is the shortest justification, after trimming.
	MinJustificationChars = 10
	// CustomSetPrefix prefixes the name of every permission set jit creates.
	CustomSetPrefix = layout.PermissionSetPrefix
)

// RequestFile is a parsed request file with the positions of its values,
// so that findings about it point at the right line.
type RequestFile struct {
	// Path is the file's path as given to ParseRequest, slash-separated
	// relative to the repository root in the usual case.
	Path    string
	Request Request

	doc  *document
	lint []Finding
}

// Pos returns the line and column of a field given as a dotted path such as
// "account", "custom_permission_set.name" or "status.approvals.0.by"
// ("approvals[0]" works too). A field that is absent gives the position of
// its closest present parent, and finally of the file's first line.
func (f *RequestFile) Pos(field string) (line, col int) {
	if f == nil || f.doc == nil {
		return 1, 1
	}
	return f.doc.pos(fieldPointer(field))
}

func fieldPointer(field string) string {
	field = strings.NewReplacer("[", ".", "]", "").Replace(field)
	var b strings.Builder
	for _, tok := range strings.Split(field, ".") {
		if tok == "" {
			continue
		}
		b.WriteByte('/')
		b.WriteString(escapePointer(tok))
	}
	return b.String()
}

// CheckOptions are the facts about a request that the file does not hold.
type CheckOptions struct {
	// Requester is the GitHub login of the pull request's author; when set,
	// it must map to an Identity Center user in the config's users.
	Requester string
	// RequesterID is GitHub's immutable id of the requester's account. When
	// the config's users: entry for Requester pins a github_id, it must be
	// this one (see Config.CheckIdentity); a zero RequesterID fails such an
	// entry. Not checked when Offline: there is no GitHub to ask.
	RequesterID int64
	// AllowStatus accepts a status: block, as files on main carry one. The
	// start_at checks that depend on the time (in the future, at most 30
	// days ahead) are skipped then: they held when the request was merged.
	AllowStatus bool
	// Teams resolves the team entries of requesters lists (of the account,
	// the permission set and emergency). Without it a requester that only a
	// team entry could allow is refused with an error saying the membership
	// could not be checked, unless Offline is set. The App passes its
	// GitHub-backed resolver (the one it gives approval.Evaluate).
	Teams Teams
	// Offline says that no GitHub is at hand (jit validate on a laptop):
	// team membership that cannot be checked is then a warning, because the
	// App checks it on the pull request.
	Offline bool
	// Now is the time start_at is checked against, and from which an
	// extension's new end is counted; time.Now() when zero.
	Now time.Time
	// Grants looks up the grant extends: names on the base branch. Without
	// it an extends: cannot be checked, which is a warning: the App and the
	// reconcile always pass it.
	Grants Grants
}

// AccessDuration returns the requested access duration.
func (r *Request) AccessDuration() (time.Duration, error) {
	return ParseDuration(r.Duration)
}

// Session returns the custom set's session duration (1h..12h).
func (c *CustomPermissionSet) Session() (time.Duration, error) {
	d, err := time.ParseDuration(c.SessionDuration)
	if err != nil || d < time.Hour || d > 12*time.Hour || d%time.Hour != 0 {
		return 0, fmt.Errorf("session duration %q is not a whole number of hours from 1h to 12h", c.SessionDuration)
	}
	return d, nil
}

// managedPolicyPath is what a managed_policies entry names: the path and
// name of the policy, without the ARN's prefix when written as an ARN.
func managedPolicyPath(entry string) string {
	if _, rest, ok := strings.Cut(entry, ":iam::aws:policy/"); ok && strings.HasPrefix(entry, "arn:") {
		return rest
	}
	return entry
}

// resolveManagedPolicy looks a managed_policies entry up in AWS's list. It
// returns the partition the entry names ("" for a name), the policy's
// path and name, and whether the policy exists.
func resolveManagedPolicy(entry string) (partition, pathAndName string, ok bool) {
	if strings.HasPrefix(entry, "arn:") {
		partition, _, _ = strings.Cut(strings.TrimPrefix(entry, "arn:"), ":")
	}
	p, _ := iampolicy.ManagedPolicy(managedPolicyPath(entry))
	return partition, p, p != ""
}

// ManagedPolicyARNs returns the ARNs of the managed policies in the
// partition of the Identity Center instance, with each policy's real path
// (ViewOnlyAccess is job-function/ViewOnlyAccess). A policy AWS's list does
// not hold is an error; validation reports it before approval.
func (c *CustomPermissionSet) ManagedPolicyARNs(partition string) ([]string, error) {
	out := make([]string, 0, len(c.ManagedPolicies))
	for _, entry := range c.ManagedPolicies {
		_, p, ok := resolveManagedPolicy(entry)
		if !ok {
			return nil, fmt.Errorf("%q is not an AWS managed policy", entry)
		}
		out = append(out, "arn:"+partition+":iam::aws:policy/"+p)
	}
	return out, nil
}

// AWSName is the name of the permission set jit creates for the custom set.
func (c *CustomPermissionSet) AWSName() string { return CustomSetPrefix + c.Name }

// ParseRequest parses a request file: safe parsing, the request schema and,
// for a custom set, reading the inline policy into minified JSON. The file
// is nil when any of that fails. Rules that need the config, and the policy
// lint's findings, come from CheckRequest.
func ParseRequest(path string, data []byte) (*RequestFile, []Finding) {
	d, fs := parseValid(path, data, MaxRequestBytes, "request file", requestSchema)
	if d == nil {
		return nil, fs
	}
	f := &RequestFile{Path: path, doc: d}
	req, bad := decodeRequest(d)
	if bad != nil {
		return nil, []Finding{*bad}
	}
	f.Request = req
	if loc, ok := d.nodes[inlinePolicyPointer]; ok && req.CustomPermissionSet != nil {
		// The lint's findings are for the people; the policy's value is
		// the canonical one decodeRequest read, which every part of jit
		// shares.
		_, issues := iampolicy.Lint(loc.value)
		for _, is := range issues {
			msg := is.Message
			if !strings.HasPrefix(msg, "inline_policy") {
				msg = "inline_policy: " + msg
			}
			f.lint = append(f.lint, d.finding(is.Line, is.Col, Severity(is.Severity), msg, is.Suggestion))
		}
		if bad := canonicalPolicy(d, &f.Request); bad != nil {
			if !HasErrors(f.lint) {
				f.lint = append(f.lint, *bad)
			}
			SortFindings(f.lint)
			return nil, f.lint
		}
	}
	if fs := checkWritable(d, data); len(fs) > 0 {
		return nil, fs
	}
	return f, nil
}

// CheckRequest applies the rules that need the config or facts outside the
// file (the folder, the requester), and reports the inline policy's lint
// findings. The folder, requests/<folder>/, may be the account's name or its
// 12-digit id. With a nil config only the rules that need none are applied.
func CheckRequest(f *RequestFile, cfg *Config, opts CheckOptions) []Finding {
	if f == nil {
		return nil
	}
	c := checker{f: f, cfg: cfg, opts: opts}
	c.run()
	fs := append(c.findings, f.lint...)
	SortFindings(fs)
	return fs
}

// ValidateRequest parses, validates against the schema, checks and lints a
// request file. The file is nil when it could not be parsed.
func ValidateRequest(path string, data []byte, cfg *Config, opts CheckOptions) (*RequestFile, []Finding) {
	f, fs := ParseRequest(path, data)
	if f == nil {
		return nil, fs
	}
	return f, CheckRequest(f, cfg, opts)
}

type checker struct {
	f        *RequestFile
	cfg      *Config
	opts     CheckOptions
	findings []Finding
	// members caches team lookups, made on the first: account, set and
	// emergency lists may name the same team.
	members map[[2]string]memberResult
}

type memberResult struct {
	ok  bool
	err error
}

func (c *checker) add(field string, sev Severity, msg, fix string) {
	line, col := c.f.Pos(field)
	c.findings = append(c.findings, c.f.doc.finding(line, col, sev, msg, fix))
}

func (c *checker) addKey(field string, sev Severity, msg, fix string) {
	line, col := c.f.doc.keyPos(fieldPointer(field))
	c.findings = append(c.findings, c.f.doc.finding(line, col, sev, msg, fix))
}

// escalatingManagedPolicies are AWS managed policies that give full control
// of an account or a way to gain it, each with why, for the approvers.
var escalatingManagedPolicies = map[string]string{
	"AdministratorAccess":              "gives full control of the account",
	"IAMFullAccess":                    "allows iam:*, enough to grant oneself any permission",
	"AWSSSOMasterAccountAdministrator": "administers IAM Identity Center, the access jit controls",
	"AWSSSOMemberAccountAdministrator": "administers IAM Identity Center, the access jit controls",
	"AWSSSODirectoryAdministrator":     "administers the Identity Center directory (users and groups)",
	"AWSOrganizationsFullAccess":       "changes the organisation: accounts, policies and delegated administrators",
}

// deceptiveRune finds a character that makes text read differently from
// what it is: control characters (terminal escapes) other than newline and
// tab, bidirectional overrides and isolates, and invisible format characters.
func deceptiveRune(s string) (rune, bool) {
	for _, r := range s {
		switch {
		case r == '\n' || r == '\t':
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r):
			return r, true
		}
	}
	return 0, false
}

// visibleLen counts the characters of s a reader sees, without surrounding
// space.
func visibleLen(s string) int {
	n := 0
	for _, r := range strings.TrimSpace(s) {
		if unicode.IsGraphic(r) && !unicode.Is(unicode.Cf, r) {
			n++
		}
	}
	return n
}

func (c *checker) run() {
	r := &c.f.Request
	if bad, ok := deceptiveRune(r.Justification); ok {
		c.add("justification", SeverityError,
			fmt.Sprintf("justification contains the invisible or control character %U, which can hide or reorder what approvers and auditors read", bad),
			"write the justification as plain text")
	} else if n := visibleLen(r.Justification); n < MinJustificationChars {
		c.add("justification", SeverityError,
			fmt.Sprintf("justification is %d characters long without surrounding spaces; at least %d are needed", n, MinJustificationChars),
			"say why you need the access, e.g. \"INC-1234: investigating 5xx errors in the payment API\"")
	}
	if r.Status != nil && !c.opts.AllowStatus {
		c.addKey("status", SeverityError, "status: is written by the jit Action after the merge, not by requesters",
			"remove the status: block")
	}
	access, err := r.AccessDuration()
	if err != nil {
		c.add("duration", SeverityError, err.Error(), "use one of "+strings.Join(DurationNames(), ", "))
		return
	}
	if cs := r.CustomPermissionSet; cs != nil {
		c.checkCustom(cs, access)
	}
	c.checkStart()
	c.checkExtends(access)
	if r.Emergency && r.CustomPermissionSet != nil {
		c.addKey("emergency", SeverityError, "emergency access is only for a standard permission_set, not a custom_permission_set",
			"request a permission set the account offers, or remove emergency: true")
	}
	if c.cfg == nil {
		return
	}
	if c.opts.Requester != "" {
		if _, ok := c.cfg.UserName(c.opts.Requester); !ok {
			login := strings.TrimPrefix(c.opts.Requester, "@")
			c.add("", SeverityError,
				fmt.Sprintf("GitHub user %s has no IAM Identity Center user in .github/jit.yaml, so no access can be granted", login),
				fmt.Sprintf("add \"%s: <user name>\" under users: in .github/jit.yaml", login))
		} else if !c.opts.Offline {
			if err := c.cfg.CheckIdentity(c.opts.Requester, c.opts.RequesterID); err != nil {
				c.add("", SeverityError, "the requester is not the account jit knows: "+err.Error(),
					"only the account with the pinned id can request; if the entry is out of date, an SSO admin corrects github_id in .github/jit.yaml")
			}
		}
	}
	acct, ok := c.cfg.Account(r.Account)
	if !ok {
		names := make([]string, len(c.cfg.Accounts))
		for i, a := range c.cfg.Accounts {
			names[i] = a.Name
		}
		fix := "use one of " + strings.Join(names, ", ")
		if s := closest(r.Account, names); s != "" {
			fix = "did you mean " + strconv.Quote(s) + "?"
		}
		c.add("account", SeverityError, fmt.Sprintf("account %q is not in .github/jit.yaml", r.Account), fix)
		return
	}
	c.checkFolder(acct)
	if acct.ManagementAccount && !c.cfg.AllowManagementAccount {
		c.add("account", SeverityError,
			fmt.Sprintf("account %s is the organisation's management account, and .github/jit.yaml does not allow requests for it", acct.Name),
			"ask for another account; the SSO admins can set allow_management_account: true when jit's role lives in the management account itself")
	}
	// What is requested, for messages: "payments-prod/ReadOnlyAccess".
	target := func() string {
		if r.PermissionSet == "" {
			return acct.Name
		}
		return acct.Name + "/" + r.PermissionSet
	}
	if len(acct.Requesters) > 0 {
		c.checkAllowed("account", acct.Requesters, target(), "the requesters of account "+acct.Name)
	}
	set := ""
	if r.PermissionSet != "" {
		set = r.PermissionSet
		if !c.checkPermissionSet(acct, set) {
			return
		}
		if ps, _ := c.cfg.PermissionSet(set); len(ps.Requesters) > 0 {
			c.checkAllowed("permission_set", ps.Requesters, target(), "the requesters of permission set "+set)
		}
	}
	c.checkEmergency(access)
	if limit := c.cfg.MaxDuration(acct.Name, set); limit > 0 && access > limit {
		c.add("duration", SeverityError,
			fmt.Sprintf("duration %s is longer than the %s allowed for %s", r.Duration, FormatDuration(limit), c.capHolder(acct, set, limit)),
			fmt.Sprintf("ask for %s or less", FormatDuration(limit)))
	}
}

// capHolder names what sets the duration cap, for the message.
func (c *checker) capHolder(acct *Account, set string, limit time.Duration) string {
	if ps, ok := c.cfg.PermissionSet(set); ok && ps.MaxDuration != "" {
		if d, err := ParseDuration(ps.MaxDuration); err == nil && d == limit {
			return "permission set " + set
		}
	}
	return "account " + acct.Name
}

// checkFolder insists that requests/<folder>/ names the account (by name
// or id): CODEOWNERS picks the approvers from the folder, so a file in
// another account's folder would be approved by the wrong people.
func (c *checker) checkFolder(acct *Account) {
	p := filepath.ToSlash(c.f.Path)
	dir, file := path.Split(p)
	dir = strings.TrimSuffix(dir, "/")
	parent, folder := path.Split(dir)
	parent = strings.TrimSuffix(parent, "/")
	if path.Base(parent) != layout.RequestsDir || folder == "" {
		c.add("", SeverityError, fmt.Sprintf("request files live in requests/<account>/, not at %s", p),
			fmt.Sprintf("move the file to requests/%s/%s", acct.Name, file))
		return
	}
	if ext := path.Ext(file); ext != ".yaml" && ext != ".yml" {
		c.add("", SeverityError, fmt.Sprintf("request file %s does not end in .yaml", file), "rename it to end in .yaml")
	}
	if folder != acct.Name && folder != acct.ID {
		c.add("account", SeverityError,
			fmt.Sprintf("account %s does not match the folder requests/%s/: the folder decides who approves", c.f.Request.Account, folder),
			fmt.Sprintf("move the file to requests/%s/ or ask for an account of requests/%s/", acct.Name, folder))
	}
}

func (c *checker) checkPermissionSet(acct *Account, set string) bool {
	if !slices.Contains(acct.PermissionSets, set) {
		fix := "use one of " + strings.Join(acct.PermissionSets, ", ") + ", or define a custom_permission_set"
		if s := closest(set, acct.PermissionSets); s != "" {
			fix = "did you mean " + strconv.Quote(s) + "?"
		}
		c.add("permission_set", SeverityError, fmt.Sprintf("permission set %q is not offered for account %s", set, acct.Name), fix)
		return false
	}
	if _, ok := c.cfg.PermissionSet(set); !ok {
		c.add("permission_set", SeverityError,
			fmt.Sprintf("permission set %q is offered for account %s but not defined under permission_sets in .github/jit.yaml", set, acct.Name),
			"ask the SSO admins to define it")
		return false
	}
	return true
}

func (c *checker) checkCustom(cs *CustomPermissionSet, access time.Duration) {
	if session, err := cs.Session(); err != nil {
		c.add("custom_permission_set.session_duration", SeverityError, err.Error(), "use 1h to 12h")
	} else if session > access {
		c.add("custom_permission_set.session_duration", SeverityError,
			fmt.Sprintf("session_duration %s is longer than the access duration %s", cs.SessionDuration, c.f.Request.Duration),
			fmt.Sprintf("use a session_duration of %s or less", FormatDuration(access)))
	}
	for i, p := range cs.ManagedPolicies {
		field := fmt.Sprintf("custom_permission_set.managed_policies.%d", i)
		part, _, known := resolveManagedPolicy(p)
		switch {
		case !known:
			_, suggestion := iampolicy.ManagedPolicy(managedPolicyPath(p))
			c.add(field, SeverityError,
				fmt.Sprintf("%q is not an AWS managed policy (checked against %s)", p, iampolicy.ManagedCatalogSource()),
				cmp.Or(suggestion, "use a name from the list of AWS managed policies in the IAM console, with its path, e.g. job-function/ViewOnlyAccess"))
			continue
		case part != "" && c.cfg != nil && part != c.cfg.Partition():
			c.add(field, SeverityError,
				fmt.Sprintf("managed policy ARN %s is in partition %s, but the Identity Center instance is in %s", p, part, c.cfg.Partition()),
				"write the policy's name, e.g. "+path.Base(p)+", and jit uses the instance's partition")
			continue
		}
		if why, ok := escalatingManagedPolicies[path.Base(p)]; ok {
			c.add(field, SeverityWarning,
				fmt.Sprintf("managed policy %s %s", path.Base(p), why),
				"ask for the narrowest policy that does the job")
		}
	}
	c.checkInlineSize(cs.InlinePolicy)
}

// checkInlineSize applies AWS's limits on a permission set's inline policy
// to the policy jit will send: the requester's, minified, with the guard
// statements jit adds to end the grant on time, which take part of the
// budget.
func (c *checker) checkInlineSize(policy string) {
	if policy == "" {
		return
	}
	guarded, err := inlinepolicy.Guarded(policy)
	if err != nil {
		c.add("custom_permission_set.inline_policy", SeverityError, "inline_policy could not be read as an IAM policy: "+err.Error(), "write it as a YAML mapping or a JSON string")
		return
	}
	own, total := inlinepolicy.Measure(policy), inlinepolicy.Measure(guarded)
	chars, bytes := total.Over()
	const fix = "shorten it by at least %d %s, e.g. with wildcards in action names or fewer resources, or use managed policies"
	switch {
	case chars > 0:
		c.add("custom_permission_set.inline_policy", SeverityError,
			fmt.Sprintf("inline_policy has %d characters besides whitespace, and jit's guard statements add %d: %d in all, %d over AWS's limit of %d",
				own.Chars, total.Chars-own.Chars, total.Chars, chars, inlinepolicy.MaxChars),
			fmt.Sprintf(fix, chars, "characters"))
	case bytes > 0:
		c.add("custom_permission_set.inline_policy", SeverityError,
			fmt.Sprintf("inline_policy is %d bytes as minified JSON, and jit's guard statements add %d: %d in all, %d over AWS's limit of %d bytes",
				own.Bytes, total.Bytes-own.Bytes, total.Bytes, bytes, inlinepolicy.MaxBytes),
			fmt.Sprintf(fix, bytes, "bytes"))
	}
}

// checkAllowed applies a requesters list: the requester must be one of
// its users or a member of one of its teams. The error names who may.
// field is where the finding points, target what is requested
// ("payments-prod/PowerUserAccess", "emergency access"), list the config
// entry that holds the list, for the fix.
func (c *checker) checkAllowed(field string, entries []string, target, list string) {
	login := strings.TrimPrefix(c.opts.Requester, "@")
	if login == "" || len(entries) == 0 {
		return
	}
	only := fmt.Sprintf("only %s may request %s", principals(entries), target)
	fix := fmt.Sprintf("ask the SSO admins to add @%s to %s in .github/jit.yaml", login, list)
	match, unchecked, why := MatchRequesters(entries, login, c.member)
	if match != "" {
		return
	}
	switch {
	case len(unchecked) == 0:
		c.add(field, SeverityError, only, fix)
	case c.opts.Teams == nil && c.opts.Offline:
		c.add(field, SeverityWarning, "could not check team membership locally; the App checks it: "+only,
			"make sure @"+login+" is in "+principals(unchecked))
	default:
		c.add(field, SeverityError,
			fmt.Sprintf("could not check whether %s is in %s (%s), so the request is refused: %s", login, principals(unchecked), why, only),
			"this is checked again on the next push or review")
	}
}

// member asks Teams once per (team, user).
func (c *checker) member(team, user string) (bool, error) {
	key := [2]string{strings.ToLower(team), strings.ToLower(user)}
	if r, ok := c.members[key]; ok {
		return r.ok, r.err
	}
	if c.members == nil {
		c.members = map[[2]string]memberResult{}
	}
	var r memberResult
	if c.opts.Teams == nil {
		r.err = ErrNoTeams
	} else {
		r.ok, r.err = c.opts.Teams.IsMember(team, user)
	}
	c.members[key] = r
	return r.ok, r.err
}

// checkEmergency allows emergency: true only as the config's emergency
// block says: for its requesters, up to its max_duration.
func (c *checker) checkEmergency(access time.Duration) {
	r := &c.f.Request
	if !r.Emergency || r.CustomPermissionSet != nil {
		return
	}
	em := c.cfg.Emergency
	if em == nil {
		c.addKey("emergency", SeverityError, "emergency access is not enabled in .github/jit.yaml",
			"remove emergency: true; the owners approve the request as usual")
		return
	}
	c.checkAllowed("emergency", em.Requesters, "emergency access", "emergency.requesters")
	if limit, err := em.MaxAccess(); err == nil && access > limit {
		c.add("duration", SeverityError,
			fmt.Sprintf("duration %s is longer than the %s allowed for emergency access", r.Duration, FormatDuration(limit)),
			fmt.Sprintf("ask for %s or less, or remove emergency: true to have longer access approved by the owners", FormatDuration(limit)))
	}
}

// checkStart checks start_at: readable, in the future and at most
// MaxStartAhead away, and not on an emergency request, which starts at once.
func (c *checker) checkStart() {
	r := &c.f.Request
	t, ok, err := r.StartAt()
	if !ok {
		return
	}
	if err != nil {
		c.add("start_at", SeverityError, err.Error(), "write an RFC 3339 time such as 2026-11-24T08:00:00Z")
		return
	}
	if r.Emergency {
		c.addKey("start_at", SeverityError, "emergency access starts at once, so it cannot have start_at",
			"remove start_at, or remove emergency: true to schedule the access")
		return
	}
	if c.opts.AllowStatus {
		return
	}
	now := c.opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	stamp := func(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }
	switch {
	case !t.After(now):
		c.add("start_at", SeverityError, fmt.Sprintf("start_at %s is not in the future (it is %s now)", r.Start, stamp(now)),
			"pick a later time, or remove start_at to start the access when the request is merged")
	case t.Sub(now) > MaxStartAhead:
		c.add("start_at", SeverityError, fmt.Sprintf("start_at %s is more than 30 days ahead", r.Start),
			fmt.Sprintf("pick a time before %s, or open the request later", stamp(now.Add(MaxStartAhead))))
	}
}
