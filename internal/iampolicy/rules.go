package iampolicy

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

type linter struct {
	cat    *catalog
	issues []Issue
}

func (l *linter) add(line, col int, sev Severity, suggestion, format string, args ...any) {
	l.issues = append(l.issues, Issue{Line: line, Col: col, Severity: sev,
		Message: fmt.Sprintf(format, args...), Suggestion: suggestion})
}

func (l *linter) errAt(n *pnode, suggestion, format string, args ...any) {
	l.add(n.line, n.col, Error, suggestion, format, args...)
}

var (
	documentKeys  = []string{"Version", "Id", "Statement"}
	statementKeys = []string{"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition", "Principal", "NotPrincipal"}
	sidPattern    = regexp.MustCompile(`^[A-Za-z0-9]*$`)
	notSidChars   = regexp.MustCompile(`[^A-Za-z0-9]`)
)

// checkKeys reports unknown and duplicate keys of an object; IAM rejects
// both, and a duplicate would let a reviewer read one value while AWS uses
// the other.
func (l *linter) checkKeys(n *pnode, allowed []string, where string) {
	seen := map[string]bool{}
	for _, m := range n.members {
		if seen[m.key] {
			l.add(m.line, m.col, Error, "remove one of them", "%s%q appears more than once", where, m.key)
			continue
		}
		seen[m.key] = true
		if slices.Contains(allowed, m.key) {
			continue
		}
		sugg := "allowed here: " + strings.Join(allowed, ", ")
		if best := closest(m.key, allowed, true); best != "" {
			sugg = didYouMean(best)
		}
		l.add(m.line, m.col, Error, sugg, "%sunknown element %q", where, m.key)
	}
}

func (l *linter) document(root *pnode) {
	if root.kind != kObject {
		l.errAt(root, `write {"Version": "2012-10-17", "Statement": [...]}`,
			"the policy must be an object with Version and Statement, not %s", root.kind)
		return
	}
	l.checkKeys(root, documentKeys, "")
	if m, ok := root.get("Version"); !ok {
		l.add(root.line, root.col, Warning, `add Version: "2012-10-17"`,
			"Version is missing, so IAM reads the policy in the old 2008-10-17 language, where policy variables such as ${aws:username} are not replaced")
	} else if m.val.kind != kString {
		l.errAt(m.val, `write Version: "2012-10-17"`, "Version must be a string, not %s", m.val.kind)
	} else {
		switch m.val.s {
		case "2012-10-17":
		case "2008-10-17":
			l.add(m.val.line, m.val.col, Warning, `use Version "2012-10-17"`,
				"Version 2008-10-17 is the old policy language: policy variables such as ${aws:username} are taken literally")
		default:
			l.errAt(m.val, `use Version "2012-10-17"`, "unknown Version %q: IAM accepts only 2012-10-17 and 2008-10-17", m.val.s)
		}
	}
	if m, ok := root.get("Id"); ok && m.val.kind != kString {
		l.errAt(m.val, "", "Id must be a string, not %s", m.val.kind)
	}
	m, ok := root.get("Statement")
	if !ok {
		l.add(root.line, root.col, Error, "add a Statement list with at least one statement",
			"Statement is missing: a policy needs at least one statement")
		return
	}
	stmts := []*pnode{m.val}
	switch m.val.kind {
	case kObject:
	case kArray:
		stmts = m.val.items
		if len(stmts) == 0 {
			l.errAt(m.val, "", "Statement is an empty list: a policy needs at least one statement")
		}
	default:
		l.errAt(m.val, "", "Statement must be an object or a list of objects, not %s", m.val.kind)
		return
	}
	sids := map[string]int{}
	for i, s := range stmts {
		l.statement(i+1, s, sids)
	}
}

// stmt carries what the checks of one statement share.
type stmt struct {
	name  string // how messages refer to it: statement 2, statement "ReadLogs"
	allow bool
}

func (l *linter) statement(index int, n *pnode, sids map[string]int) {
	st := stmt{name: fmt.Sprintf("statement %d", index)}
	if n.kind != kObject {
		l.errAt(n, "", "%s must be an object, not %s", st.name, n.kind)
		return
	}
	if m, ok := n.get("Sid"); ok {
		switch {
		case m.val.kind != kString:
			l.errAt(m.val, "", "%s: Sid must be a string, not %s", st.name, m.val.kind)
		case !sidPattern.MatchString(m.val.s):
			clean := notSidChars.ReplaceAllString(m.val.s, "")
			l.errAt(m.val, didYouMean(clean),
				"%s: Sid %q may contain only letters A-Z, a-z and digits 0-9", st.name, m.val.s)
		case ReservedSid(m.val.s):
			l.errAt(m.val, "give the statement another Sid",
				"%s: Sid %q is reserved for the guard statements jit adds to every permission set it makes", st.name, m.val.s)
		default:
			if prev, dup := sids[m.val.s]; dup && m.val.s != "" {
				l.errAt(m.val, "give each statement its own Sid",
					"%s: Sid %q is already used by statement %d", st.name, m.val.s, prev)
			} else {
				sids[m.val.s] = index
			}
			if m.val.s != "" {
				st.name = fmt.Sprintf("statement %q", m.val.s)
			}
		}
	}
	where := st.name + ": "
	l.checkKeys(n, statementKeys, where)
	for _, key := range []string{"Principal", "NotPrincipal"} {
		if m, ok := n.get(key); ok {
			l.add(m.line, m.col, Error, "remove "+key,
				"%s%s is not allowed in a permission set's inline policy: it is an identity-based policy and applies to whoever uses the permission set", where, key)
		}
	}
	if m, ok := n.get("Effect"); !ok {
		l.errAt(n, "add Effect: Allow or Effect: Deny", "%sEffect is missing", where)
	} else if m.val.kind != kString || (m.val.s != "Allow" && m.val.s != "Deny") {
		sugg := `write "Allow" or "Deny"`
		if strings.EqualFold(m.val.s, "allow") {
			sugg = `did you mean "Allow"?`
		} else if strings.EqualFold(m.val.s, "deny") {
			sugg = `did you mean "Deny"?`
		}
		l.errAt(m.val, sugg, "%sEffect must be \"Allow\" or \"Deny\", not %s", where, describe(m.val))
	} else {
		st.allow = m.val.s == "Allow"
	}
	if m, ok := l.exactlyOne(n, where, "Action", "NotAction"); ok {
		l.actions(st, m)
	}
	if m, ok := l.exactlyOne(n, where, "Resource", "NotResource"); ok {
		l.resources(st, m)
	}
	if m, ok := n.get("Condition"); ok {
		l.condition(where, m.val)
	}
}

func describe(n *pnode) string {
	if n.kind == kString {
		return strconv.Quote(n.s)
	}
	return n.kind.String()
}

// exactlyOne returns the one element of a pair such as Action/NotAction
// that a statement must have.
func (l *linter) exactlyOne(n *pnode, where, a, b string) (member, bool) {
	ma, okA := n.get(a)
	mb, okB := n.get(b)
	switch {
	case okA && okB:
		l.add(mb.line, mb.col, Error, "remove "+a+" or "+b, "%shas both %s and %s; use exactly one", where, a, b)
		return member{}, false
	case !okA && !okB:
		l.errAt(n, "add "+a, "%shas neither %s nor %s", where, a, b)
		return member{}, false
	case okA:
		return ma, true
	default:
		return mb, true
	}
}

// stringList returns the strings of an element that takes a string or a
// non-empty list of strings, reporting anything else.
func (l *linter) stringList(where, key string, v *pnode) []*pnode {
	switch v.kind {
	case kString:
		return []*pnode{v}
	case kArray:
		if len(v.items) == 0 {
			l.errAt(v, "", "%s%s is an empty list", where, key)
			return nil
		}
		var out []*pnode
		for _, it := range v.items {
			if it.kind != kString {
				l.errAt(it, "", "%seach %s must be a string, not %s", where, key, it.kind)
				continue
			}
			out = append(out, it)
		}
		return out
	default:
		l.errAt(v, "", "%s%s must be a string or a list of strings, not %s", where, key, v.kind)
		return nil
	}
}

var actionShape = regexp.MustCompile(`^[A-Za-z0-9*?-]+:[A-Za-z0-9*?_-]+$`)

func (l *linter) actions(st stmt, m member) {
	where := st.name + ": "
	entries := l.stringList(where, m.key, m.val)
	for _, e := range entries {
		name := e.s
		switch {
		case name == "*":
		case !strings.Contains(name, ":"):
			sugg := "write service:Action, e.g. s3:GetObject"
			if found := l.cat.findAnyService(name); found != "" {
				sugg = found
			}
			l.errAt(e, sugg, "%saction %q has no service prefix", where, name)
			continue
		case !actionShape.MatchString(name):
			l.errAt(e, "write service:Action, e.g. s3:GetObject; only letters, digits, - and the wildcards * and ? are allowed",
				"%s%q is not a valid action name", where, name)
			continue
		case strings.ContainsAny(name, "*?"):
			if !l.cat.matchesAny(name) {
				l.errAt(e, l.cat.suggestPattern(name), "%s%q matches no IAM action", where, name)
				continue
			}
		default:
			canon, ok := l.cat.lookup(name)
			if !ok {
				l.errAt(e, l.cat.suggestAction(name), "%sunknown action %q", where, name)
				continue
			}
			if canon != name {
				l.add(e.line, e.col, Suggestion, fmt.Sprintf("write %q", canon),
					"%saction %q is spelt %q by AWS; IAM ignores case, but the usual spelling is easier to review", where, name, canon)
			}
		}
		if st.allow && m.key == "Action" {
			l.actionWarnings(st, e)
		}
	}
	if st.allow && m.key == "NotAction" && len(entries) > 0 {
		var reached []string
		for _, a := range escalationActions() {
			excluded := false
			for _, e := range entries {
				if e.s == "*" || globMatch(strings.ToLower(e.s), strings.ToLower(a)) {
					excluded = true
					break
				}
			}
			if !excluded {
				reached = append(reached, a)
			}
		}
		msg := fmt.Sprintf("%sNotAction with Allow allows every action except the ones listed, including actions AWS adds later", where)
		if len(reached) > 0 {
			msg += ", and privilege-escalation actions such as " + nameList(reached, 5)
		}
		l.add(m.line, m.col, Warning, "list the allowed actions under Action instead", "%s", msg)
	}
}

// actionWarnings tells approvers what a broad or dangerous Allow entry
// grants.
func (l *linter) actionWarnings(st stmt, e *pnode) {
	where := st.name + ": "
	if e.s == "*" || strings.Trim(e.s, "*:") == "" && strings.Contains(e.s, ":") {
		l.add(e.line, e.col, Warning, "list only the actions the task needs",
			"%sAction %q allows every action of every AWS service: this is administrator access, including changing IAM and IAM Identity Center to keep or widen access", where, e.s)
		return
	}
	var reached []string
	cats := map[escCategory]bool{}
	prefix, action, _ := strings.Cut(strings.ToLower(e.s), ":")
	if strings.ContainsAny(prefix, "*?") || escalationServices[prefix] && strings.ContainsAny(action, "*?") {
		escalation := escalationSet()
		l.cat.expand(e.s, func(a string) bool {
			if c, ok := escalation[strings.ToLower(a)]; ok {
				reached = append(reached, a)
				cats[c] = true
			}
			return true
		})
	} else if canon, ok := l.cat.lookup(e.s); ok {
		if c, ok := escalationSet()[strings.ToLower(canon)]; ok {
			reached = append(reached, canon)
			cats[c] = true
		}
	}
	serviceWide := action == "*"
	if serviceWide && sensitiveServices[prefix] != "" {
		msg := fmt.Sprintf("%s%q allows every %s action: %s", where, e.s, prefix, sensitiveServices[prefix])
		if len(reached) > 0 {
			msg += fmt.Sprintf("; it includes privilege-escalation actions %s", nameList(reached, 5))
		}
		l.add(e.line, e.col, Warning, "list only the actions the task needs", "%s", msg)
		return
	}
	if len(reached) == 0 {
		return
	}
	why := "each can give the holder more access than this request grants, or access that outlives it"
	kind := "privilege-escalation"
	if len(cats) == 1 {
		for c := range cats {
			why = escalationReasons[c]
			kind = escalationKinds[c]
		}
	}
	if len(reached) == 1 && strings.EqualFold(reached[0], e.s) {
		l.add(e.line, e.col, Warning, "approve only if the task needs it, and limit Resource to what it needs",
			"%s%s is %s %s action: %s", where, reached[0], article(kind), kind, why)
		return
	}
	noun := "actions"
	if len(reached) == 1 {
		noun = "action"
	}
	l.add(e.line, e.col, Warning, "list only the actions the task needs",
		"%s%q allows %s %s %s: %s", where, e.s, kind, noun, nameList(reached, 5), why)
}

func article(word string) string {
	if strings.ContainsRune("AEIOUaeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

// nameList shows up to limit names and counts the rest, keeping messages
// readable when a wildcard reaches hundreds of actions.
func nameList(names []string, limit int) string {
	if len(names) <= limit {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:limit], ", "), len(names)-limit)
}

var arnVariable = regexp.MustCompile(`\$\{[^}]*\}`)

var partitions = map[string]bool{"aws": true, "aws-cn": true, "aws-us-gov": true, "aws-iso": true,
	"aws-iso-b": true, "aws-iso-e": true, "aws-iso-f": true, "aws-eusc": true}

var (
	arnService = regexp.MustCompile(`^[a-z0-9*?-]+$`)
	arnRegion  = regexp.MustCompile(`^[a-z0-9*?-]*$`)
	arnAccount = regexp.MustCompile(`^([0-9]{12}|aws|)$`)
)

func (l *linter) resources(st stmt, m member) {
	where := st.name + ": "
	for _, e := range l.stringList(where, m.key, m.val) {
		if e.s == "*" {
			if st.allow && m.key == "Resource" {
				l.add(e.line, e.col, Warning, "list the ARNs of the resources the task needs",
					"%sResource \"*\" applies the allowed actions to every resource in the account, not just the ones the task needs", where)
			}
			continue
		}
		if msg := checkARN(e.s); msg != "" {
			l.errAt(e, "write \"*\" or an ARN: arn:partition:service:region:account-id:resource, e.g. arn:aws:s3:::my-bucket/*",
				"%sresource %q %s", where, e.s, msg)
		}
	}
	if st.allow && m.key == "NotResource" {
		l.add(m.line, m.col, Warning, "list the allowed resources under Resource instead",
			"%sNotResource with Allow applies the allowed actions to every resource except the ones listed, including resources created later", where)
	}
}

// checkARN returns why s is not a resource ARN IAM accepts, or "".
// Policy variables (${aws:username}) and wildcards may stand in any part.
func checkARN(s string) string {
	if !strings.HasPrefix(s, "arn:") {
		return "is not an ARN"
	}
	// A variable may contain colons (${aws:PrincipalAccount}); hide it
	// behind a marker so that it neither splits the ARN nor fails a check.
	const marker = "\x00"
	parts := strings.SplitN(arnVariable.ReplaceAllString(s, marker), ":", 6)
	if len(parts) < 6 {
		return "has too few parts; an ARN has six, arn:partition:service:region:account-id:resource"
	}
	partition, service, region, account, resource := parts[1], parts[2], parts[3], parts[4], parts[5]
	free := func(p string) bool { return strings.ContainsAny(p, "*?"+marker) }
	switch {
	case !partitions[partition] && !free(partition):
		return fmt.Sprintf("has unknown partition %q; use aws (or aws-cn, aws-us-gov)", partition)
	case !arnService.MatchString(service) && !free(service):
		return fmt.Sprintf("has invalid service %q", service)
	case !arnRegion.MatchString(region) && !free(region):
		return fmt.Sprintf("has invalid region %q", region)
	case !arnAccount.MatchString(account) && !free(account):
		return fmt.Sprintf("has invalid account %q; use a 12-digit account id", account)
	case resource == "":
		return "has no resource part after the account"
	}
	return ""
}

// conditionBases are IAM's condition operators without the ForAllValues:
// and ForAnyValue: prefixes and the IfExists suffix (IAM User Guide,
// "IAM JSON policy elements: Condition operators").
var conditionBases = map[string]string{
	"StringEquals": "string", "StringNotEquals": "string", "StringEqualsIgnoreCase": "string",
	"StringNotEqualsIgnoreCase": "string", "StringLike": "string", "StringNotLike": "string",
	"NumericEquals": "numeric", "NumericNotEquals": "numeric", "NumericLessThan": "numeric",
	"NumericLessThanEquals": "numeric", "NumericGreaterThan": "numeric", "NumericGreaterThanEquals": "numeric",
	"DateEquals": "date", "DateNotEquals": "date", "DateLessThan": "date", "DateLessThanEquals": "date",
	"DateGreaterThan": "date", "DateGreaterThanEquals": "date",
	"Bool": "bool", "BinaryEquals": "binary", "IpAddress": "ip", "NotIpAddress": "ip",
	"ArnEquals": "arn", "ArnLike": "arn", "ArnNotEquals": "arn", "ArnNotLike": "arn",
	"Null": "bool",
}

// conditionOperators lists every spelling IAM accepts, for suggestions.
var conditionOperators = func() []string {
	var out []string
	for base := range conditionBases {
		for _, set := range []string{"", "ForAllValues:", "ForAnyValue:"} {
			out = append(out, set+base)
			if base != "Null" {
				out = append(out, set+base+"IfExists")
			}
		}
	}
	return out
}()

// operatorType returns the value type of a condition operator, or "" when
// IAM has no such operator.
func operatorType(op string) string {
	base := op
	if rest, ok := strings.CutPrefix(base, "ForAllValues:"); ok {
		base = rest
	} else if rest, ok := strings.CutPrefix(base, "ForAnyValue:"); ok {
		base = rest
	}
	if rest, ok := strings.CutSuffix(base, "IfExists"); ok && rest != "Null" {
		base = rest
	}
	return conditionBases[base]
}

func (l *linter) condition(where string, v *pnode) {
	if v.kind != kObject {
		l.errAt(v, "", "%sCondition must be an object of operators, not %s", where, v.kind)
		return
	}
	seen := map[string]bool{}
	for _, op := range v.members {
		if seen[op.key] {
			l.add(op.line, op.col, Error, "merge their condition keys into one", "%scondition operator %q appears more than once", where, op.key)
		}
		seen[op.key] = true
		typ := operatorType(op.key)
		if typ == "" {
			sugg := "see the IAM condition operators: StringEquals, StringLike, ArnLike, Bool, IpAddress, ..."
			if best := closest(op.key, conditionOperators, true); best != "" {
				sugg = didYouMean(best)
			}
			if strings.HasSuffix(op.key, "NullIfExists") {
				// Null already tests whether the key exists.
				sugg = `Null takes no IfExists; use "` + strings.TrimSuffix(op.key, "IfExists") + `"`
			}
			l.add(op.line, op.col, Error, sugg, "%sunknown condition operator %q", where, op.key)
			continue
		}
		if op.val.kind != kObject || len(op.val.members) == 0 {
			l.errAt(op.val, `write condition keys and values, e.g. StringEquals: {"aws:RequestedRegion": "eu-west-1"}`,
				"%s%s must map condition keys to values", where, op.key)
			continue
		}
		keys := map[string]bool{}
		for _, k := range op.val.members {
			if keys[strings.ToLower(k.key)] {
				l.add(k.line, k.col, Error, "merge the values into one list", "%scondition key %q appears more than once under %s", where, k.key, op.key)
			}
			keys[strings.ToLower(k.key)] = true
			if !strings.Contains(k.key, ":") || strings.HasPrefix(k.key, ":") {
				l.add(k.line, k.col, Error, "write prefix:key, e.g. aws:SourceIp or s3:prefix",
					"%scondition key %q has no service prefix", where, k.key)
			}
			l.conditionValues(where, op.key, typ, k.val)
		}
	}
}

func (l *linter) conditionValues(where, op, typ string, v *pnode) {
	values := []*pnode{v}
	if v.kind == kArray {
		values = v.items
		if len(values) == 0 {
			l.errAt(v, "", "%s%s has an empty list of values", where, op)
			return
		}
	}
	for _, x := range values {
		if x.kind != kString && x.kind != kNumber && x.kind != kBool {
			l.errAt(x, "", "%sa %s value must be a string, number or boolean, not %s", where, op, x.kind)
			continue
		}
		if strings.Contains(x.s, "${") {
			continue // a policy variable, resolved at request time
		}
		var problem string
		switch typ {
		case "bool":
			if !strings.EqualFold(x.s, "true") && !strings.EqualFold(x.s, "false") {
				problem = "must be true or false"
			}
		case "numeric":
			if _, err := strconv.ParseFloat(x.s, 64); err != nil {
				problem = "must be a number"
			}
		case "date":
			if !validDate(x.s) {
				problem = "must be a date such as 2026-01-31T12:00:00Z or seconds since 1970"
			}
		case "ip":
			if _, err := netip.ParsePrefix(x.s); err != nil {
				if _, err := netip.ParseAddr(x.s); err != nil {
					problem = "must be an IP address or CIDR range such as 203.0.113.0/24"
				}
			}
		}
		if problem != "" {
			l.errAt(x, "", "%s%s value %q %s", where, op, x.s, problem)
		}
	}
}

func validDate(s string) bool {
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00", "2006-01-02"} {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}
