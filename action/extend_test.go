package action_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jit-access/jit/internal/audit"
	"github.com/jit-access/jit/internal/inlinepolicy"
	"github.com/jit-access/jit/schema"
)

// extension is a request by the same requester for the same access that
// extends the grant at path.
func extension(body []byte, path, duration string) []byte {
	s := strings.Replace(string(body), "\nduration: ", "\nextends: "+path+"\nduration: ", 1)
	s = strings.Replace(s, "justification: \"INC-1234: investigating elevated 5xx rates\"", "justification: \"INC-1234: still investigating, need more time\"", 1)
	return []byte(strings.Replace(s, "\nduration: 4h", "\nduration: "+duration, 1))
}

func customRequest(duration string) []byte {
	return []byte(fmt.Sprintf(`account: payments-prod
custom_permission_set:
  name: S3Read
  session_duration: 1h
  managed_policies: [AmazonS3ReadOnlyAccess]
  inline_policy:
    Version: "2012-10-17"
    Statement:
      - Effect: Allow
        Action: ["s3:GetObject"]
        Resource: ["arn:aws:s3:::logs/*"]
duration: %s
justification: "INC-1234: investigating elevated 5xx rates"
`, duration))
}

// guardOf is the date of the expiry guard in a JIT- set's inline policy.
func guardOf(t *testing.T, policy string) string {
	t.Helper()
	i := strings.Index(policy, `"aws:CurrentTime":"`)
	if i < 0 {
		t.Fatalf("no expiry guard in %s", policy)
	}
	rest := policy[i+len(`"aws:CurrentTime":"`):]
	return rest[:strings.IndexByte(rest, '"')]
}

func TestExtendMovesTheEndWithoutASecondAssignment(t *testing.T) {
	e, _, orig := aliceActive(t, "4h")
	oldEnd := *e.status(t, orig).ExpiresAt
	e.clk.Advance(3 * time.Hour)

	n, ext := e.merge(t, "alice", "alice-ro-more", extension(request("ReadOnlyAccess", "4h"), orig, "4h"), "bob", "")
	moved := e.clk.Now()
	rep := e.run(t, 0)
	if len(rep.Extended) != 1 || rep.Extended[0].Path != ext || len(rep.Activated) != 0 || !rep.OK() {
		t.Fatalf("extension run:\n%s", rep)
	}
	st := e.status(t, orig)
	newEnd := *st.ExpiresAt
	if d := newEnd.Sub(moved); d < 4*time.Hour || d > 4*time.Hour+time.Minute {
		t.Errorf("new end %s is %s after the run, want 4h", newEnd, d)
	}
	if st.State != schema.StateActive || len(st.Extensions) != 1 {
		t.Fatalf("original's status = %+v", st)
	}
	x := st.Extensions[0]
	if x.Request != ext || x.PullRequest != n || !x.PreviousExpiresAt.Equal(oldEnd) || !x.ExpiresAt.Equal(newEnd) {
		t.Errorf("extension record = %+v, want %s (#%d) from %s to %s", x, ext, n, oldEnd, newEnd)
	}
	es := e.status(t, ext)
	if es.State != schema.StateExtended || es.Requester != "alice" || es.PullRequest != n || !es.ExpiresAt.Equal(newEnd) ||
		len(es.Approvals) != 1 || es.Approvals[0].By != "bob" || len(es.Notes) != 1 || !strings.Contains(es.Notes[0], "extended "+orig) {
		t.Errorf("extension's status = %+v", es)
	}
	calls := e.idc.Calls()
	if calls["CreateAccountAssignment"] != 1 || calls["DeleteAccountAssignment"] != 0 {
		t.Errorf("CreateAccountAssignment %d, DeleteAccountAssignment %d; want 1 and 0", calls["CreateAccountAssignment"], calls["DeleteAccountAssignment"])
	}
	log := e.log(t)
	for _, want := range []string{
		"jit: record extension payments-prod/ReadOnlyAccess for alice (#2)\nJit-Request: " + ext + "\nJit-Event: extended\n",
		"jit: extend payments-prod/ReadOnlyAccess for alice (#1)\nJit-Request: " + orig + "\nJit-Event: extended\n",
		"jit: start extension of payments-prod/ReadOnlyAccess for alice (#2)\nJit-Request: " + ext + "\nJit-Event: activating\n",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}

	// The old end passes: nothing happens, the assignment stays.
	e.clk.Set(oldEnd.Add(time.Minute))
	if rep := e.run(t, 0); len(rep.Expired) != 0 || len(rep.Active) != 1 || !rep.OK() {
		t.Fatalf("at the old end:\n%s", rep)
	}
	if got := e.assignments(e.readOnly, "alice"); got != 1 {
		t.Fatalf("after the old end alice has %d assignments, want 1", got)
	}
	// The new end: the grant expires, once.
	e.clk.Set(newEnd)
	rep = e.run(t, 0)
	if len(rep.Expired) != 1 || rep.Expired[0].Path != orig || !rep.Expired[0].ExpiresAt.Equal(newEnd) {
		t.Fatalf("at the new end:\n%s", rep)
	}
	if got := e.assignments(e.readOnly, "alice"); got != 0 {
		t.Errorf("after the new end alice has %d assignments", got)
	}

	// The audit links the two records both ways.
	records, err := audit.Collect(t.Context(), e.clone(t), audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]audit.Record{}
	for _, r := range records {
		byPath[r.Path] = r
	}
	if r := byPath[orig]; !slices.Equal(r.ExtendedBy, []string{ext}) || r.State != schema.StateExpired || !strings.Contains(r.Why, "extended by "+ext) {
		t.Errorf("audit of the grant: %+v", r)
	}
	if r := byPath[ext]; r.Extends != orig || r.State != schema.StateExtended || !strings.Contains(r.Why, "extended "+orig) {
		t.Errorf("audit of the extension: %+v", r)
	}
}

func TestExtendMovesTheGuardOfACustomSet(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, orig := e.merge(t, "alice", "alice-s3", customRequest("4h"), "bob", "")
	e.gh.SubmitReview(org, repoName, 1, "carol", "APPROVED", "")
	if rep := e.run(t, 0); len(rep.Activated) != 1 {
		t.Fatalf("not activated:\n%s", rep)
	}
	st := e.status(t, orig)
	arn := st.PermissionSetARN
	set, ok := e.idc.PermissionSet(arn)
	if !ok || guardOf(t, set.InlinePolicy) != inlinepolicy.Time(*st.ExpiresAt) {
		t.Fatalf("the set before: %+v", set)
	}
	before := set.InlinePolicy
	e.clk.Advance(2 * time.Hour)

	n, ext := e.merge(t, "alice", "alice-s3-more", extension(customRequest("4h"), orig, "8h"), "bob", "")
	e.gh.SubmitReview(org, repoName, n, "carol", "APPROVED", "")
	rep := e.run(t, 0)
	if len(rep.Extended) != 1 || !rep.OK() {
		t.Fatalf("extension run:\n%s", rep)
	}
	st = e.status(t, orig)
	if st.PermissionSetARN != arn || len(st.Extensions) != 1 {
		t.Fatalf("original's status = %+v", st)
	}
	set, _ = e.idc.PermissionSet(arn)
	if got, want := guardOf(t, set.InlinePolicy), inlinepolicy.Time(*st.ExpiresAt); got != want {
		t.Errorf("guard at %s, want the new end %s", got, want)
	}
	// Only the guard's date changed, and the account has the new version.
	if strings.Replace(before, guardOf(t, before), guardOf(t, set.InlinePolicy), 1) != set.InlinePolicy {
		t.Errorf("the policy changed beyond the guard:\nbefore %s\nafter  %s", before, set.InlinePolicy)
	}
	if !set.ProvisionedAccounts[account] {
		t.Errorf("the new guard is not provisioned to the account: %+v", set.ProvisionedAccounts)
	}
	calls := e.idc.Calls()
	if calls["CreateAccountAssignment"] != 1 || calls["DeleteAccountAssignment"] != 0 || calls["CreatePermissionSet"] != 1 {
		t.Errorf("calls %v: want one assignment and one set, nothing deleted", calls)
	}
	if es := e.status(t, ext); es.State != schema.StateExtended {
		t.Errorf("extension's status = %+v", es)
	}
}

func TestExtendRefusedAtTheReconcile(t *testing.T) {
	e, _, orig := aliceActive(t, "8h")
	end := *e.status(t, orig).ExpiresAt
	// Admin bypasses: merged without the App's check.
	_, hers := e.merge(t, "dave", "dave-ro-more", extension(request("ReadOnlyAccess", "4h"), orig, "12h"), "bob", "")
	_, short := e.merge(t, "alice", "alice-ro-short", extension(request("ReadOnlyAccess", "4h"), orig, "2h"), "bob", "")
	rep := e.run(t, 0)
	if len(rep.Failed) != 2 || len(rep.Extended) != 0 {
		t.Fatalf("report:\n%s", rep)
	}
	for path, want := range map[string]string{
		hers:  hers + ":4:10: error: " + orig + " is alice's grant: only its requester can extend it",
		short: "not extended: " + orig + " ends at " + end.Format(time.RFC3339) + "; duration 2h from now ends at",
	} {
		if st := e.status(t, path); st.State != schema.StateFailed || !strings.Contains(st.Reason, want) {
			t.Errorf("%s: status %+v, want failed with %q", path, st, want)
		}
	}
	if st := e.status(t, orig); !st.ExpiresAt.Equal(end) || len(st.Extensions) != 0 {
		t.Errorf("the grant changed: %+v", st)
	}
}

// A run that stops after each step of an extension is repaired by the next.
func TestExtendResumedAfterACrash(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, orig := e.merge(t, "alice", "alice-pu", request("PowerUserAccess", "4h"), "bob", "")
	e.gh.SubmitReview(org, repoName, 1, "carol", "APPROVED", "")
	e.run(t, 0)
	arn := e.status(t, orig).PermissionSetARN
	e.clk.Advance(time.Hour)
	n, ext := e.merge(t, "alice", "alice-pu-more", extension(request("PowerUserAccess", "4h"), orig, "8h"), "bob", "")
	e.gh.SubmitReview(org, repoName, n, "carol", "APPROVED", "")

	// AWS refuses to move the guard: the end is recorded, the extension
	// is not finished.
	e.idc.Deny("PutInlinePolicyToPermissionSet", true)
	rep := e.run(t, 0)
	if len(rep.Extended) != 0 || len(rep.Errors) == 0 {
		t.Fatalf("with AWS denying:\n%s", rep)
	}
	st := e.status(t, orig)
	if len(st.Extensions) != 1 || e.status(t, ext).State != schema.StateActivating {
		t.Fatalf("after the interrupted run: %+v / %+v", st, e.status(t, ext))
	}
	e.idc.Deny("PutInlinePolicyToPermissionSet", false)
	rep = e.run(t, 0)
	if len(rep.Extended) != 1 || !rep.OK() {
		t.Fatalf("the run after:\n%s", rep)
	}
	st = e.status(t, orig)
	set, _ := e.idc.PermissionSet(arn)
	if len(st.Extensions) != 1 || guardOf(t, set.InlinePolicy) != inlinepolicy.Time(*st.ExpiresAt) || e.status(t, ext).State != schema.StateExtended {
		t.Errorf("after the repair: %+v, guard %s", st, guardOf(t, set.InlinePolicy))
	}
	if calls := e.idc.Calls(); calls["CreateAccountAssignment"] != 1 || calls["DeleteAccountAssignment"] != 0 {
		t.Errorf("calls %v", calls)
	}
}

// A run that stopped right after committing an extension's intent, before
// the grant's end moved, is finished by the next run.
func TestExtendResumedFromItsIntent(t *testing.T) {
	e, _, orig := aliceActive(t, "4h")
	oldEnd := *e.status(t, orig).ExpiresAt
	e.clk.Advance(time.Hour)
	n, ext := e.merge(t, "alice", "alice-ro-more", extension(request("ReadOnlyAccess", "4h"), orig, "8h"), "bob", "")
	// The intent as claimExtension commits it; nothing else happened.
	newEnd := e.clk.Now().UTC().Truncate(time.Second).Add(8 * time.Hour)
	dir := e.clone(t)
	writeStatus(t, dir, ext, &schema.Status{State: schema.StateActivating, PullRequest: n, Requester: "alice", Duration: "8h",
		Approvals: []schema.Approval{{By: "bob", Stage: "owner", At: e.clk.Now().UTC().Truncate(time.Second)}}, ExpiresAt: &newEnd},
		"jit: start extension of payments-prod/ReadOnlyAccess for alice (#2)")
	rep := e.run(t, 0)
	if len(rep.Extended) != 1 || !rep.OK() {
		t.Fatalf("the run after the intent:\n%s", rep)
	}
	st := e.status(t, orig)
	if !st.ExpiresAt.Equal(newEnd) || len(st.Extensions) != 1 || !st.Extensions[0].PreviousExpiresAt.Equal(oldEnd) || st.Extensions[0].Request != ext {
		t.Errorf("the grant after the repair: %+v", st)
	}
	if es := e.status(t, ext); es.State != schema.StateExtended || !es.ExpiresAt.Equal(newEnd) {
		t.Errorf("the extension after the repair: %+v", es)
	}
	if calls := e.idc.Calls(); calls["CreateAccountAssignment"] != 1 || calls["DeleteAccountAssignment"] != 0 {
		t.Errorf("calls %v", calls)
	}
}
