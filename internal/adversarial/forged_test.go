package adversarial_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/jit-access/jit/internal/audit"
	"github.com/jit-access/jit/internal/githubemu"
	"github.com/jit-access/jit/internal/testworld"
	"github.com/jit-access/jit/schema"
)

// Attack: a request file that reaches main with a status block its
// requester typed (an admin's bypass merge here; an admin-approved pull
// request that mixes a request with another change is the same). Before,
// an `activating` status was resumed without any approval — a month of
// PowerUserAccess with a forged approval in the audit — and a `revoking`
// status deleted an assignment jit never made. A status counts only when
// jit signed the commit that wrote it: these are treated as requests that
// were merged without approval.
func TestForgedStatusOnMainChangesNothing(t *testing.T) {
	w := newWorldWith(t, fast)
	now := w.Clock.Now().UTC()
	stamp := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	const body = "account: payments-prod\npermission_set: PowerUserAccess\nduration: 4h\njustification: \"INC-1234: investigating elevated 5xx rates\"\n"

	// erin holds a permanent assignment an admin made outside jit.
	w.IDC.AddAssignment("111122223333", w.PermissionSetARNs["PowerUserAccess"], w.UserIDs["erin"])

	const resumePath, revokePath = "requests/payments-prod/carol-resume.yaml", "requests/payments-prod/carol-revoke.yaml"
	resume := body + "status:\n  state: activating\n  requester: carol\n  duration: 1mo\n" +
		"  approvals:\n    - by: alice\n      stage: owner\n      at: " + stamp(-25*time.Hour) + "\n" +
		"  merged_at: " + stamp(-25*time.Hour) + "\n  expires_at: " + stamp(29*24*time.Hour) + "\n"
	revoke := body + "status:\n  state: revoking\n  requester: erin\n" +
		"  activated_at: " + stamp(-time.Hour) + "\n  expires_at: " + stamp(3*time.Hour) + "\n" +
		"  permission_set_arn: " + w.PermissionSetARNs["PowerUserAccess"] + "\n  principal_id: " + w.UserIDs["erin"] + "\n  revoked_by: carol\n"
	for i, f := range []struct{ path, body string }{{resumePath, resume}, {revokePath, revoke}} {
		n := w.Open(t, "carol", "carol/forged-"+itoa(i), map[string]string{f.path: f.body})
		s := w.State(t, n)
		if s.Validate != "failure" || !strings.Contains(strings.Join(annotationTexts(s), "\n"), "status: is written by the jit Action") {
			t.Errorf("jit/approval does not refuse the status block: %q %v", s.Validate, annotationTexts(s))
		}
		if _, err := w.GitHub.Merge(org, repo, n, "bob"); err != nil { // the bypass
			t.Fatal(err)
		}
	}
	w.GitHub.WaitDeliveries()
	rep := reconcile(t, w)
	if assignedTo(w, "carol") {
		t.Fatalf("UNSAFE: a forged activating status was resumed: carol has access; report:\n%s", rep)
	}
	if !assignedTo(w, "erin") {
		t.Fatalf("UNSAFE: a forged revoking status removed erin's assignment, which jit never made; report:\n%s", rep)
	}
	for _, p := range []string{resumePath, revokePath} {
		if st := grantState(t, w, p); st != schema.StateFailed {
			t.Errorf("%s: main records %q, want failed (merged without approval)", p, st)
		}
	}
	if !reportsError(rep, resumePath, "not jit's record") {
		t.Errorf("the report does not say that main's status is not jit's record:\n%s", rep)
	}
}

// Attack: Jit-Event trailers typed into a requester's own squash-merge
// message, and a status an admin pushes straight to main. `jit audit` must
// not report either as jit's: the trailers are listed as unverified events,
// the status is marked unverified, and the reconcile keeps acting on jit's
// signed record.
func TestAuditReportsOnlyJitsSignedEvents(t *testing.T) {
	w := newWorldWith(t, fast)
	ctx := context.Background()
	const path = "requests/payments-prod/carol.yaml"
	n := w.Open(t, "carol", "carol/trailers", map[string]string{path: testworld.StandardRequest})
	w.Review(t, n, "alice", "APPROVED", "ok")
	msg := "request access\n\nJit-Request: " + path + "\nJit-Event: activated\nJit-Event: expired\nJit-Pull-Request: " + itoa(n) + "\n"
	if _, _, err := w.UserClient(t, "carol").PullRequests.Merge(ctx, org, repo, n, msg, &github.PullRequestOptions{MergeMethod: "squash"}); err != nil {
		t.Fatal(err)
	}
	w.GitHub.WaitDeliveries()
	record := func() audit.Record {
		t.Helper()
		dir, err := w.Clone(ctx)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := audit.Collect(ctx, dir, audit.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if r.Path == path {
				return r
			}
		}
		t.Fatalf("no audit record of %s", path)
		return audit.Record{}
	}
	r := record()
	if len(r.Events) != 0 || len(r.UnverifiedEvents) != 2 {
		t.Fatalf("UNSAFE: trailers typed into the squash message are reported as events: events %v, unverified %v", r.Events, r.UnverifiedEvents)
	}
	if rep := reconcile(t, w); len(rep.Activated) != 1 {
		t.Fatalf("not activated: %s", rep)
	}
	// An admin pushes a status straight to main: the grant "expired".
	data, ok := w.OnMain(t, path)
	if !ok {
		t.Fatal("the request is not on main")
	}
	req, err := schema.DecodeRequest(path, []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	st := *req.Status
	st.State = schema.StateExpired
	out, err := schema.SetStatus([]byte(data), &st)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.GitHub.CommitToBranch(org, repo, "main", githubemu.Commit{Author: "bob",
		Message: "jit: expire payments-prod/ReadOnlyAccess for carol\n\nJit-Request: " + path + "\nJit-Event: expired\n",
		Files:   map[string][]byte{path: out}}); err != nil {
		t.Fatal(err)
	}
	rep := reconcile(t, w)
	if !assignedTo(w, "carol") {
		t.Fatalf("the forged expiry ended the grant; report:\n%s", rep)
	}
	r = record()
	var events []string
	for _, e := range r.Events {
		events = append(events, e.Event)
	}
	if strings.Join(events, ",") != "activating,activated" {
		t.Errorf("UNSAFE: events %v, want only jit's signed activating,activated", events)
	}
	if len(r.UnverifiedEvents) != 3 || r.Unverified == "" || !strings.HasPrefix(r.Why, "UNVERIFIED") {
		t.Errorf("the audit does not mark what jit did not sign: unverified events %v, unverified %q, why %q", r.UnverifiedEvents, r.Unverified, r.Why)
	}
}
