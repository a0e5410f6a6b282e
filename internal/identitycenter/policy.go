package identitycenter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jit-access/jit/internal/iampolicy"
)

// Statement ids jit reserves in the inline policies of the sets it manages
// (iampolicy.ReservedSid): a request that uses one is refused by the
// validation, and the provisioner refuses such a policy too (foreignSids)
// rather than replace a statement the approvers saw.
const (
	sidExpiry      = iampolicy.SidExpiry
	sidSessionCut  = iampolicy.SidSessionCut
	maxInlineBytes = 32768
	policyVersion  = "2012-10-17"
	setNamePrefix  = "JIT-"
	maxSetNameLen  = 32
	managedARNBase = "arn:aws:iam::aws:policy/"
)

// expiryGuard denies everything after t, so AWS itself ends a grant on time
// even when the revocation runs late or not at all.
func expiryGuard(t time.Time) map[string]any {
	return denyAll(sidExpiry, "DateGreaterThan", "aws:CurrentTime", t)
}

// sessionCut denies every request made with credentials issued before t:
// removing an assignment does not end sessions already started, this does.
func sessionCut(t time.Time) map[string]any {
	return denyAll(sidSessionCut, "DateLessThan", "aws:TokenIssueTime", t)
}

func denyAll(sid, operator, key string, t time.Time) map[string]any {
	return map[string]any{
		"Sid":       sid,
		"Effect":    "Deny",
		"Action":    "*",
		"Resource":  "*",
		"Condition": map[string]any{operator: map[string]any{key: policyTime(t)}},
	}
}

// policyTime renders t as IAM compares it: RFC 3339 in UTC, whole seconds.
func policyTime(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}

// withStatements returns the policy document doc (JSON; empty means none)
// with the statements add appended, after dropping any statement whose Sid
// one of add uses. It keeps everything else in doc as written.
func withStatements(doc string, add ...map[string]any) (string, error) {
	policy := map[string]any{}
	if strings.TrimSpace(doc) != "" {
		dec := json.NewDecoder(strings.NewReader(doc))
		dec.UseNumber()
		if err := dec.Decode(&policy); err != nil {
			return "", fmt.Errorf("reading inline policy: %w", err)
		}
		if dec.More() {
			return "", fmt.Errorf("reading inline policy: more than one JSON document")
		}
	}
	if _, ok := policy["Version"]; !ok {
		policy["Version"] = policyVersion
	}
	var stmts []any
	switch s := policy["Statement"].(type) {
	case nil:
	case []any:
		stmts = s
	case map[string]any:
		stmts = []any{s}
	default:
		return "", fmt.Errorf("reading inline policy: Statement is %T, want an object or a list", s)
	}
	replaced := map[string]bool{}
	for _, a := range add {
		if sid, ok := a["Sid"].(string); ok {
			replaced[sid] = true
		}
	}
	kept := make([]any, 0, len(stmts)+len(add))
	for _, s := range stmts {
		if m, ok := s.(map[string]any); ok {
			if sid, ok := m["Sid"].(string); ok && replaced[sid] {
				continue
			}
		}
		kept = append(kept, s)
	}
	for _, a := range add {
		kept = append(kept, a)
	}
	policy["Statement"] = kept
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(policy); err != nil {
		return "", fmt.Errorf("writing inline policy: %w", err)
	}
	out := strings.TrimSuffix(buf.String(), "\n")
	if len(out) > maxInlineBytes {
		return "", fmt.Errorf("inline policy with jit's guard statements is %d bytes; AWS allows %d: shorten the policy", len(out), maxInlineBytes)
	}
	return out, nil
}

// reservedSids returns the reserved statement ids a policy written by
// someone other than jit uses. withStatements replaces jit's own guards
// by Sid, so such a statement would be dropped from what AWS gets.
func reservedSids(doc string) ([]string, error) {
	if strings.TrimSpace(doc) == "" {
		return nil, nil
	}
	var policy struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(doc), &policy); err != nil {
		return nil, fmt.Errorf("reading inline policy: %w", err)
	}
	var stmts []map[string]any
	if err := json.Unmarshal(policy.Statement, &stmts); err != nil {
		var one map[string]any
		if json.Unmarshal(policy.Statement, &one) == nil {
			stmts = []map[string]any{one}
		}
	}
	var found []string
	for _, st := range stmts {
		if sid, ok := st["Sid"].(string); ok && iampolicy.ReservedSid(sid) {
			found = append(found, sid)
		}
	}
	return found, nil
}

// managedPolicyARN turns an AWS managed policy name (optionally with its
// path, e.g. job-function/ViewOnlyAccess) into its ARN; ARNs pass unchanged.
func managedPolicyARN(nameOrARN string) string {
	if strings.HasPrefix(nameOrARN, "arn:") {
		return nameOrARN
	}
	return managedARNBase + strings.TrimPrefix(nameOrARN, "/")
}

// isoDuration renders d as the ISO 8601 duration AWS wants for a permission
// set's SessionDuration (PT4H, PT1H30M).
func isoDuration(d time.Duration) string {
	d = d.Round(time.Second)
	h := int64(d / time.Hour)
	m := int64(d % time.Hour / time.Minute)
	s := int64(d % time.Minute / time.Second)
	var b strings.Builder
	b.WriteString("PT")
	if h > 0 {
		fmt.Fprintf(&b, "%dH", h)
	}
	if m > 0 {
		fmt.Fprintf(&b, "%dM", m)
	}
	if s > 0 || (h == 0 && m == 0) {
		fmt.Fprintf(&b, "%dS", s)
	}
	return b.String()
}

var isoDurationRE = regexp.MustCompile(`^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$`)

// parseISODuration reads the ISO 8601 durations AWS returns for session
// durations (days, hours, minutes, whole seconds).
func parseISODuration(s string) (time.Duration, error) {
	m := isoDurationRE.FindStringSubmatch(s)
	if m == nil || s == "P" || s == "PT" {
		return 0, fmt.Errorf("%q is not an ISO 8601 duration like PT4H", s)
	}
	var d time.Duration
	for i, unit := range []time.Duration{24 * time.Hour, time.Hour, time.Minute, time.Second} {
		if m[i+1] == "" {
			continue
		}
		n, err := strconv.ParseInt(m[i+1], 10, 32)
		if err != nil {
			return 0, fmt.Errorf("%q is not an ISO 8601 duration like PT4H: %w", s, err)
		}
		d += time.Duration(n) * unit
	}
	return d, nil
}

var setNameUnsafe = regexp.MustCompile(`[^\w+=,.@-]`)

// setName picks the name of a new jit permission set: JIT-<base>, cut to
// AWS's 32 characters, with -2, -3 ... when the name is taken.
func setName(base string, taken func(string) bool) string {
	base = setNameUnsafe.ReplaceAllString(base, "-")
	if base == "" {
		base = "grant"
	}
	full := setNamePrefix + base
	name := truncate(full, maxSetNameLen)
	for i := 2; taken(name); i++ {
		suffix := "-" + strconv.Itoa(i)
		name = truncate(full, maxSetNameLen-len(suffix)) + suffix
	}
	return name
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
