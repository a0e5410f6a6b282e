// Package inlinepolicy builds the inline policy jit writes to the
// permission sets it owns: the requester's (or the copied set's) policy
// plus jit's guard statements, checked against AWS's limits. Validation
// before approval and the adapter at activation use the same functions, so
// what approvers were told fits is what AWS receives.
package inlinepolicy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jit-access/jit/internal/iampolicy"
)

// AWS's limits on a permission set's inline policy (IAM Identity Center
// quotas: "Maximum size of inline policy per permission set").
const (
	// MaxBytes is the size of the document as sent.
	MaxBytes = 32768
	// MaxChars counts the characters that are not whitespace.
	MaxChars = 10240
)

// Statement ids of jit's guards (iampolicy.ReservedSid): a request that
// uses one is refused by the validation, and the provisioner refuses such a
// policy too (ReservedSids) rather than replace a statement the approvers
// saw. WithStatements replaces jit's own earlier guards by these ids.
const (
	SidExpiry     = iampolicy.SidExpiry
	SidSessionCut = iampolicy.SidSessionCut
	version       = "2012-10-17"
)

// ExpiryGuard denies everything after t, so AWS itself ends a grant on time
// even when the revocation runs late or not at all.
func ExpiryGuard(t time.Time) map[string]any {
	return denyAll(SidExpiry, "DateGreaterThan", "aws:CurrentTime", t)
}

// SessionCut denies every request made with credentials issued before t:
// removing an assignment does not end sessions already started, this does.
func SessionCut(t time.Time) map[string]any {
	return denyAll(SidSessionCut, "DateLessThan", "aws:TokenIssueTime", t)
}

func denyAll(sid, operator, key string, t time.Time) map[string]any {
	return map[string]any{
		"Sid":       sid,
		"Effect":    "Deny",
		"Action":    "*",
		"Resource":  "*",
		"Condition": map[string]any{operator: map[string]any{key: Time(t)}},
	}
}

// Time renders t as IAM compares it: RFC 3339 in UTC, whole seconds.
func Time(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format(time.RFC3339)
}

// WithStatements returns the policy document doc (JSON; empty means none)
// with the statements add appended, after dropping any statement whose Sid
// one of add uses. It keeps everything else in doc as written. It does not
// check AWS's limits; see Check.
func WithStatements(doc string, add ...map[string]any) (string, error) {
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
		policy["Version"] = version
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
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// Size is how a policy measures against AWS's limits.
type Size struct {
	Bytes int
	// Chars counts the characters other than space, tab, line feed and
	// carriage return.
	Chars int
}

// Measure sizes doc as AWS counts it.
func Measure(doc string) Size {
	s := Size{Bytes: len(doc)}
	for _, r := range doc {
		switch r {
		case ' ', '\t', '\n', '\r':
		default:
			s.Chars++
		}
	}
	return s
}

// Over says by how much s exceeds AWS's limits; zero values are within.
func (s Size) Over() (chars, bytes int) {
	return max(0, s.Chars-MaxChars), max(0, s.Bytes-MaxBytes)
}

// Check returns an error saying by how much doc is over AWS's limits.
func Check(doc string) error {
	s := Measure(doc)
	chars, bytes := s.Over()
	switch {
	case chars > 0:
		return fmt.Errorf("inline policy with jit's guard statements has %d characters besides whitespace, %d over AWS's %d", s.Chars, chars, MaxChars)
	case bytes > 0:
		return fmt.Errorf("inline policy with jit's guard statements is %d bytes, %d over AWS's %d", s.Bytes, bytes, MaxBytes)
	}
	return nil
}

// Guarded is the policy a grant of doc ends with in AWS: doc with the
// expiry guard and, at revocation, the session cut. Its size is the most
// jit will ever send for doc, so the requester's budget is AWS's limit
// less the guards.
func Guarded(doc string) (string, error) {
	// Any instant renders to the same length.
	t := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	return WithStatements(doc, ExpiryGuard(t), SessionCut(t))
}

// ReservedSids returns the reserved statement ids a policy written by
// someone other than jit uses. WithStatements replaces jit's own guards by
// Sid, so such a statement would be dropped from what AWS gets.
func ReservedSids(doc string) ([]string, error) {
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
