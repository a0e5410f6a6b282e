package adversarial_test

import (
	"io/fs"
	"strings"
	"testing"

	jit "github.com/jit-access/jit"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/schema"
)

// templateConfig is the template's .github/jit.yaml, as on main.
func templateConfig(t *testing.T) *schema.Config {
	t.Helper()
	b, err := fs.ReadFile(jit.Template, layout.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg, findings := schema.ParseConfig(layout.ConfigPath, b)
	if schema.HasErrors(findings) {
		t.Fatalf("template config: %v", findings)
	}
	return cfg
}

const justification = "justification: \"INC-1234: investigating elevated 5xx rates\"\n"

// hostileFiles are request files that try to make the validator and the
// Action read different things (a second document, merge keys, aliases,
// duplicate keys), or to pass an account that is not the one whose owners
// approve (a number, another account's folder).
var hostileFiles = []struct {
	name, path, body string
	line             int    // where the error must be reported
	says             string // what the error must mention
}{
	{"second document", "requests/payments-prod/two-docs.yaml",
		"account: payments-prod\npermission_set: ReadOnlyAccess\nduration: 1h\n" + justification + "---\naccount: payments-prod\npermission_set: PowerUserAccess\nduration: 1w\n",
		5, "more than one YAML document"},
	{"document end then second", "requests/payments-prod/doc-end.yaml",
		"account: payments-prod\npermission_set: ReadOnlyAccess\nduration: 1h\n" + justification + "...\n---\nduration: 1w\n",
		6, "more than one YAML document"},
	{"merge key", "requests/payments-prod/merge.yaml",
		"account: payments-prod\npermission_set: ReadOnlyAccess\n<<: {duration: 1w}\n" + justification,
		3, "merge keys"},
	{"merge key over a value", "requests/payments-prod/merge2.yaml",
		"account: payments-prod\npermission_set: ReadOnlyAccess\nduration: 1h\n<<: {duration: 1w, permission_set: PowerUserAccess}\n" + justification,
		4, "merge keys"},
	{"anchor", "requests/payments-prod/anchor.yaml",
		"account: &acct payments-prod\npermission_set: ReadOnlyAccess\nduration: 1h\n" + justification,
		1, "anchors"},
	{"alias", "requests/payments-prod/alias.yaml",
		"account: payments-prod\npermission_set: ReadOnlyAccess\nduration: &d 1h\njustification: *d\n",
		4, "aliases"},
	{"duplicate key", "requests/payments-prod/dup.yaml",
		"account: payments-prod\npermission_set: ReadOnlyAccess\nduration: 1h\n" + justification + "duration: 1w\n",
		5, "duplicate key"},
	{"duplicate key in flow", "requests/payments-prod/dupflow.yaml",
		`{"account": "payments-prod", "permission_set": "ReadOnlyAccess", "duration": "1h", "justification": "INC-1234: investigating elevated 5xx", "duration": "1w"}` + "\n",
		1, "duplicate key"},
	{"account id as a number", "requests/111122223333/number.yaml",
		"account: 111122223333\npermission_set: ReadOnlyAccess\nduration: 1h\n" + justification,
		1, "quote it"},
	{"account id as an octal number", "requests/payments-prod/octal.yaml",
		"account: 0o17\npermission_set: ReadOnlyAccess\nduration: 1h\n" + justification,
		1, "quote it"},
	{"folder of another account", "requests/payments-staging/elsewhere.yaml",
		"account: payments-prod\npermission_set: ReadOnlyAccess\nduration: 1h\n" + justification,
		1, "does not match the folder"},
	{"id folder of another account", "requests/444455556666/elsewhere.yaml",
		"account: payments-prod\npermission_set: ReadOnlyAccess\nduration: 1h\n" + justification,
		1, "does not match the folder"},
	{"status written by the requester", "requests/payments-prod/status.yaml",
		"account: payments-prod\npermission_set: ReadOnlyAccess\nduration: 1h\n" + justification + "status: {state: active, expires_at: 2030-01-01T00:00:00Z}\n",
		5, "status"},
	{"custom tag", "requests/payments-prod/tag.yaml",
		"account: !evil payments-prod\npermission_set: ReadOnlyAccess\nduration: 1h\n" + justification,
		1, "tag"},
	{"oversized", "requests/payments-prod/big.yaml",
		"account: payments-prod\npermission_set: ReadOnlyAccess\nduration: 1h\njustification: \"" + strings.Repeat("a", schema.MaxRequestBytes) + "\"\n",
		1, "bytes"},
}

// The rules themselves, as `jit validate` applies them.
func TestHostileRequestFilesAreErrors(t *testing.T) {
	t.Parallel()
	cfg := templateConfig(t)
	for _, tc := range hostileFiles {
		t.Run(tc.name, func(t *testing.T) {
			_, findings := schema.ValidateRequest(tc.path, []byte(tc.body), cfg, schema.CheckOptions{Requester: "octocat"})
			for _, f := range findings {
				if f.Severity == schema.SeverityError && f.Line == tc.line && f.Path == tc.path && strings.Contains(f.Message, tc.says) {
					return
				}
			}
			t.Errorf("no error on %s:%d saying %q; got %v", tc.path, tc.line, tc.says, findings)
		})
	}
}

// The same files through the App: the check fails with an annotation on the
// line, and an owner's approval (the owner of the folder the file sits in)
// does not make any of them approved.
func TestHostileRequestFilesThroughTheApp(t *testing.T) {
	w := newWorld(t)
	for i, tc := range hostileFiles {
		t.Run(tc.name, func(t *testing.T) {
			n := w.Open(t, "octocat", "octocat/hostile-"+itoa(i), map[string]string{tc.path: tc.body})
			s := w.State(t, n)
			if s.Validate != "failure" || !annotated(s, tc.line, tc.says) {
				t.Errorf("validate=%q, want failure with an annotation on line %d saying %q; got %v", s.Validate, tc.line, tc.says, annotationTexts(s))
			}
			// alice owns payments-prod, carol payments-staging.
			w.Review(t, n, "alice", "APPROVED", "ok")
			w.Review(t, n, "carol", "APPROVED", "ok")
			notApproved(t, w.State(t, n))
		})
	}
}
