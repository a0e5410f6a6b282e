package adversarial_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/jit-access/jit/internal/identitycenter"
	"github.com/jit-access/jit/internal/testworld"
	"github.com/jit-access/jit/schema"
)

// renderedPolicy is the inline policy the sticky comment shows approvers.
var renderedPolicy = regexp.MustCompile("(?s)(`{3,})json\n(.*?)\n`{3,}")

// policyOf decodes a policy document, numbers kept as written.
func policyOf(t *testing.T, doc string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var p map[string]any
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("policy %s: %v", doc, err)
	}
	return p
}

// jitSet returns the inline policy of the JIT- permission set made for
// the request at path.
func jitSet(t *testing.T, w *testworld.World, path string) string {
	t.Helper()
	for _, ps := range w.IDC.PermissionSets() {
		if strings.HasPrefix(ps.Name, schema.CustomSetPrefix) && ps.Tags[identitycenter.TagRequest] == path {
			return ps.InlinePolicy
		}
	}
	t.Fatalf("no JIT- permission set for %s in Identity Center", path)
	return ""
}

// Attack: a custom policy whose YAML reads one way to people and another
// way to a generic decoder. Approvers are shown the account id
// 012345678901 in a Deny condition and the Version 2012-10-17; a generic
// YAML decoder makes them the number 12345678901 (the Deny never matches)
// and a timestamp (AWS rejects or misreads the policy). The policy put in
// AWS must be, statement by statement, the one rendered to the approvers,
// plus jit's expiry guard.
func TestProvisionedPolicyIsTheOneApproversSaw(t *testing.T) {
	w := newWorldWith(t, fast)
	const path = "requests/payments-prod/exports.yaml"
	body := customRequest(`      - Sid: ReadExports
        Effect: Allow
        Action: [s3:GetObject, s3:ListBucket]
        Resource: ["arn:aws:s3:::exports", "arn:aws:s3:::exports/*"]
      - Sid: OnlyOurAccount
        Effect: Deny
        Action: "s3:*"
        Resource: "*"
        Condition:
          StringNotEquals:
            aws:ResourceAccount: 012345678901
          NumericGreaterThan:
            s3:max-keys: 1000
`)
	body = strings.Replace(body, `Version: "2012-10-17"`, `Version: 2012-10-17`, 1)
	n := w.Open(t, "octocat", "octocat/exports", map[string]string{path: body})
	w.Review(t, n, "alice", "APPROVED", "owner: ok")
	w.Review(t, n, "bob", "APPROVED", "admin: ok")
	s := w.State(t, n)
	approved(t, s)
	m := renderedPolicy.FindStringSubmatch(s.Sticky)
	if m == nil {
		t.Fatalf("the sticky comment shows no policy:\n%s", s.Sticky)
	}
	shown := policyOf(t, m[2])
	w.Merge(t, n, "octocat")
	if rep := reconcile(t, w); len(rep.Activated) != 1 {
		t.Fatalf("not activated: %s", rep)
	}
	inAWS := policyOf(t, jitSet(t, w, path))
	if inAWS["Version"] != shown["Version"] || shown["Version"] != "2012-10-17" {
		t.Errorf("UNSAFE: Version shown %v, in AWS %v", shown["Version"], inAWS["Version"])
	}
	shownStmts, _ := shown["Statement"].([]any)
	awsStmts, _ := inAWS["Statement"].([]any)
	if len(awsStmts) != len(shownStmts)+1 {
		t.Fatalf("UNSAFE: %d statements shown, %d in AWS (want the shown ones and the expiry guard):\nshown %s\nAWS   %s",
			len(shownStmts), len(awsStmts), m[2], jitSet(t, w, path))
	}
	for i, st := range shownStmts {
		if !reflect.DeepEqual(st, awsStmts[i]) {
			a, _ := json.Marshal(st)
			b, _ := json.Marshal(awsStmts[i])
			t.Errorf("UNSAFE: statement %d differs:\nshown %s\nAWS   %s", i+1, a, b)
		}
	}
	guard, _ := awsStmts[len(awsStmts)-1].(map[string]any)
	if guard["Sid"] != "JitExpiry" || guard["Effect"] != "Deny" {
		t.Errorf("the last statement in AWS is not jit's expiry guard: %v", guard)
	}
	if !bytes.Contains([]byte(m[2]), []byte(`"012345678901"`)) {
		t.Errorf("the approvers were not shown the account id as text: %s", m[2])
	}
}

// Attack: a requester's statement under the Sid jit uses for its own expiry
// guard. The provisioner replaces the statement with that Sid by the guard,
// so an approved statement (here a Deny the approvers relied on) would
// silently vanish from AWS. The Sid is an error at its line, and a merge
// that bypasses the check is not provisioned.
func TestReservedSidIsRefused(t *testing.T) {
	w := newWorldWith(t, fast)
	for i, sid := range []string{"JitExpiry", "JitSessionCut", "jitexpiry"} {
		t.Run(sid, func(t *testing.T) {
			path := "requests/payments-prod/sid" + itoa(i) + ".yaml"
			body := customRequest(`      - Sid: ReadExports
        Effect: Allow
        Action: [s3:GetObject]
        Resource: ["arn:aws:s3:::exports/*"]
      - Sid: ` + sid + `
        Effect: Deny
        Action: "s3:GetObject"
        Resource: "arn:aws:s3:::exports/secret/*"
`)
			n := w.Open(t, "octocat", "octocat/sid-"+itoa(i), map[string]string{path: body})
			s := w.State(t, n)
			if s.Validate != "failure" {
				t.Fatalf("UNSAFE: the validation in jit/approval is %q for a statement with the reserved Sid %s", s.Validate, sid)
			}
			found := false
			for _, a := range s.Annotations {
				if a.GetAnnotationLevel() == "failure" && a.GetStartLine() == 12 && strings.Contains(a.GetMessage(), "reserved") {
					found = true
				}
			}
			if !found {
				t.Errorf("no error annotation on line 12 (the Sid) saying it is reserved: %v", annotationTexts(s))
			}
			w.Review(t, n, "alice", "APPROVED", "owner: ok")
			w.Review(t, n, "bob", "APPROVED", "admin: ok")
			notApproved(t, w.State(t, n))
			if _, err := w.GitHub.Merge(org, repo, n, "bob"); err != nil { // an admin's bypass
				t.Fatal(err)
			}
			w.GitHub.WaitDeliveries()
			rep := reconcile(t, w)
			notProvisioned(t, w, "octocat", path, rep)
		})
	}
}

// Attack: a request written as a YAML flow mapping. The ledger cannot
// record a status in it; before, the App accepted it and every reconcile
// run then stopped at it, so nobody else's approved grant was provisioned.
// Now the App refuses it at its line, and when it reaches main anyway (an
// admin's bypass), it is reported on that grant and the others go on.
func TestOneUnrecordableFileStopsNobodyElse(t *testing.T) {
	w := newWorldWith(t, fast)
	const flowPath = "requests/payments-prod/flow.yaml"
	flow := `{account: payments-prod, permission_set: ReadOnlyAccess, duration: 4h, justification: "INC-1234: investigating elevated 5xx rates"}` + "\n"
	n := w.Open(t, "octocat", "octocat/flow", map[string]string{flowPath: flow})
	s := w.State(t, n)
	if s.Validate != "failure" {
		t.Fatalf("the validation in jit/approval is %q for a flow-mapping request the ledger cannot write", s.Validate)
	}
	found := false
	for _, a := range s.Annotations {
		if a.GetStartLine() == 1 && strings.Contains(a.GetMessage(), "flow mapping") {
			found = true
		}
	}
	if !found {
		t.Errorf("no annotation on line 1 about the flow mapping: %v", annotationTexts(s))
	}
	w.Review(t, n, "alice", "APPROVED", "ok")
	if _, err := w.GitHub.Merge(org, repo, n, "bob"); err != nil { // the bypass
		t.Fatal(err)
	}
	const goodPath = "requests/payments-prod/carol.yaml"
	g := w.Open(t, "carol", "carol/good", map[string]string{goodPath: testworld.StandardRequest})
	w.Review(t, g, "alice", "APPROVED", "ok")
	approved(t, w.State(t, g))
	w.Merge(t, g, "carol")
	rep := reconcile(t, w)
	if !assignedTo(w, "carol") || grantState(t, w, goodPath) != schema.StateActive {
		t.Fatalf("UNSAFE: one bad file stopped carol's approved grant; report:\n%s", rep)
	}
	if assignedTo(w, "octocat") {
		t.Fatalf("UNSAFE: the flow-mapping request was provisioned")
	}
	if !reportsError(rep, flowPath, "flow mapping") {
		t.Errorf("the flow-mapping file is not reported on its grant with the reason; report:\n%s", rep)
	}
}
