package identitycenter

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin/types"
	"github.com/google/go-cmp/cmp"

	"github.com/jit-access/jit/internal/identitycenter/idcemu"
)

// noAssignments checks that the emulator holds no assignment at all, when
// (for example "left") is said.
func (e *env) noAssignments(t *testing.T, when string) {
	t.Helper()
	if n := len(e.emu.Assignments()); n != 0 {
		t.Errorf("%d assignments %s, want 0", n, when)
	}
}

// aliceEnv is a quick emulator and client with one Identity Center user,
// alice@acme.example; it returns the env and her user id.
func aliceEnv(t *testing.T) (*env, string) {
	t.Helper()
	e := newEnv(t, fastEmulator(), fastClient())
	return e, e.emu.AddUser("alice@acme.example", "Alice")
}

// readOnlySet adds a standard set as an administrator would have made it:
// ReadOnlyAccess, one hour, the AWS managed policy of that name.
func (e *env) readOnlySet() string {
	return e.emu.AddPermissionSet("ReadOnlyAccess", time.Hour, []string{"ReadOnlyAccess"}, "")
}

// claimAndGrant runs the caller's protocol for a shared standard set:
// Claim, (record), Grant with Claimed.
func claimAndGrant(t *testing.T, c *Client, g Grant) Granted {
	t.Helper()
	ctx := t.Context()
	claim, err := c.Claim(ctx, g)
	if err != nil {
		t.Fatalf("Claim: %v", err)
	}
	if claim.Preexisting {
		t.Fatalf("Claim found %s preexisting", g.what())
	}
	g.Claimed = true
	got, err := c.Grant(ctx, g)
	if err != nil {
		t.Fatalf("Grant: %v", err)
	}
	if diff := cmp.Diff(claim, got); diff != "" {
		t.Errorf("Grant result differs from the claim (-claim +grant):\n%s", diff)
	}
	return got
}

func TestGrantRevokeStandard(t *testing.T) {
	t.Parallel()
	e, uid := aliceEnv(t)
	ps := e.emu.AddPermissionSet("ReadOnlyAccess", 4*time.Hour, []string{"ReadOnlyAccess"}, "")
	ctx := t.Context()
	g := Grant{Request: testRequest, AccountID: testAccount, UserName: "alice@acme.example", PermissionSetARN: ps, ExpiresAt: e.clk.Now().Add(time.Hour)}

	got := claimAndGrant(t, e.client, g)
	if diff := cmp.Diff(Granted{PermissionSetARN: ps, PrincipalID: uid}, got); diff != "" {
		t.Errorf("Granted (-want +got):\n%s", diff)
	}
	if !e.emu.HasAssignment(testAccount, ps, uid) {
		t.Fatal("assignment missing after Grant")
	}
	if ok, err := e.client.AssignmentExists(ctx, testAccount, ps, uid); err != nil || !ok {
		t.Errorf("AssignmentExists = %v, %v; want true", ok, err)
	}

	rev, err := e.client.Revoke(ctx, Revocation{Grant: g, Granted: got})
	if err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	if e.emu.HasAssignment(testAccount, ps, uid) {
		t.Error("assignment still there after Revoke")
	}
	want := []string{"assignment removed; sessions already started may last up to the session duration of ReadOnlyAccess (4h0m0s), as AWS documents"}
	if diff := cmp.Diff(want, rev.Notes); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
	// Revoking again is harmless: the assignment is already gone.
	if _, err := e.client.Revoke(ctx, Revocation{Grant: g, Granted: got}); err != nil {
		t.Errorf("second Revoke: %v", err)
	}
	if ok, err := e.client.AssignmentExists(ctx, testAccount, ps, uid); err != nil || ok {
		t.Errorf("AssignmentExists after revoke = %v, %v; want false", ok, err)
	}
}

func TestGrantStandardNeedsClaim(t *testing.T) {
	t.Parallel()
	e, _ := aliceEnv(t)
	ps := e.readOnlySet()
	_, err := e.client.Grant(t.Context(), Grant{AccountID: testAccount, UserName: "alice@acme.example", PermissionSetARN: ps})
	if !errors.Is(err, ErrNotClaimed) {
		t.Fatalf("Grant without claim: err = %v, want ErrNotClaimed", err)
	}
	e.noAssignments(t, "after a refused grant")
}

func TestPreexistingAssignmentSurvivesRevoke(t *testing.T) {
	t.Parallel()
	e, uid := aliceEnv(t)
	ps := e.readOnlySet()
	e.emu.AddAssignment(testAccount, ps, uid)
	ctx := t.Context()
	g := Grant{Request: testRequest, AccountID: testAccount, UserName: "alice@acme.example", PermissionSetARN: ps}

	claim, err := e.client.Claim(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Granted{PermissionSetARN: ps, PrincipalID: uid, Preexisting: true}, claim); diff != "" {
		t.Fatalf("Claim (-want +got):\n%s", diff)
	}
	calls := e.emu.Calls()["CreateAccountAssignment"]
	rev, err := e.client.Revoke(ctx, Revocation{Grant: g, Granted: claim})
	if err != nil {
		t.Fatal(err)
	}
	if !e.emu.HasAssignment(testAccount, ps, uid) {
		t.Error("preexisting assignment removed by Revoke")
	}
	if got := e.emu.Calls(); got["CreateAccountAssignment"] != calls || got["DeleteAccountAssignment"] != 0 {
		t.Errorf("calls = %v, want no create or delete", got)
	}
	if len(rev.Notes) != 1 || !strings.Contains(rev.Notes[0], "existed before jit") {
		t.Errorf("notes = %q, want one saying the assignment existed before jit", rev.Notes)
	}
}

func TestOverlappingGrantsOnOneAssignment(t *testing.T) {
	t.Parallel()
	e, uid := aliceEnv(t)
	ps := e.emu.AddPermissionSet("PowerUserAccess", time.Hour, []string{"PowerUserAccess"}, "")
	ctx := t.Context()
	first := Grant{Request: "requests/p/one.yaml", AccountID: testAccount, UserName: "alice@acme.example", PermissionSetARN: ps}
	second := first
	second.Request = "requests/p/two.yaml"
	second.HeldByJit = true // the caller knows the first grant is active

	g1 := claimAndGrant(t, e.client, first)
	g2 := claimAndGrant(t, e.client, second)
	if g2.Preexisting {
		t.Fatal("second grant taken as preexisting although jit holds the assignment")
	}
	if got := e.emu.Calls()["CreateAccountAssignment"]; got != 1 {
		t.Errorf("CreateAccountAssignment called %d times, want 1", got)
	}

	rev, err := e.client.Revoke(ctx, Revocation{Grant: first, Granted: g1, KeepAssignment: true})
	if err != nil {
		t.Fatal(err)
	}
	if !e.emu.HasAssignment(testAccount, ps, uid) {
		t.Fatal("revoking the first grant removed the access the second still needs")
	}
	if len(rev.Notes) != 1 || !strings.Contains(rev.Notes[0], "another active grant") {
		t.Errorf("notes = %q", rev.Notes)
	}
	if _, err := e.client.Revoke(ctx, Revocation{Grant: second, Granted: g2}); err != nil {
		t.Fatal(err)
	}
	if e.emu.HasAssignment(testAccount, ps, uid) {
		t.Error("assignment left after the last grant was revoked")
	}
}

func customGrant(expires time.Time) Grant {
	return Grant{
		Request:   testRequest,
		AccountID: testAccount,
		UserName:  "alice@acme.example",
		Custom: &CustomSet{
			Name:            "S3ReadAccess",
			SessionDuration: 4 * time.Hour,
			ManagedPolicies: []string{"AmazonS3ReadOnlyAccess", "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"},
			InlinePolicy:    `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::my-bucket/*"}}`,
		},
		ExpiresAt: expires,
	}
}

func TestGrantRevokeCustom(t *testing.T) {
	t.Parallel()
	e, uid := aliceEnv(t)
	ctx := t.Context()
	expires := time.Date(2031, 11, 23, 14, 5, 40, 0, time.UTC)
	g := customGrant(expires)

	claim, err := e.client.Claim(ctx, g)
	if err != nil || claim.Preexisting || claim.PrincipalID != uid {
		t.Fatalf("Claim = %+v, %v", claim, err)
	}
	got, err := e.client.Grant(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	ps, ok := e.emu.PermissionSet(got.PermissionSetARN)
	if !ok {
		t.Fatalf("permission set %s not in the emulator", got.PermissionSetARN)
	}
	if ps.Name != "JIT-S3ReadAccess" || ps.SessionDuration != 4*time.Hour {
		t.Errorf("set %q with session %s, want JIT-S3ReadAccess with 4h", ps.Name, ps.SessionDuration)
	}
	if diff := cmp.Diff(map[string]string{"jit:managed": "true", "jit:request": testRequest}, ps.Tags); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	wantManaged := []string{"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess", "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"}
	if diff := cmp.Diff(wantManaged, ps.ManagedPolicies); diff != "" {
		t.Errorf("managed policies (-want +got):\n%s", diff)
	}
	stmts := statements(t, ps.InlinePolicy)
	if len(stmts) != 2 {
		t.Errorf("inline policy has %d statements, want the request's and the guard: %s", len(stmts), ps.InlinePolicy)
	}
	guard := stmts["JitExpiry"]
	if guard["Effect"] != "Deny" || guard["Action"] != "*" || guard["Resource"] != "*" {
		t.Errorf("guard = %v, want Deny * on *", guard)
	}
	if v := conditionValue(t, guard, "DateGreaterThan", "aws:CurrentTime"); v != "2031-11-23T14:05:40Z" {
		t.Errorf("guard time = %q, want the expiry 2031-11-23T14:05:40Z", v)
	}
	if diff := cmp.Diff(map[string]bool{testAccount: true}, ps.ProvisionedAccounts); diff != "" {
		t.Errorf("provisioned accounts (-want +got), true = latest version:\n%s", diff)
	}
	if !e.emu.HasAssignment(testAccount, got.PermissionSetARN, uid) {
		t.Fatal("assignment missing")
	}
	sets, err := managedSets(ctx, e.client)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]ManagedSet{{ARN: got.PermissionSetARN, Name: "JIT-S3ReadAccess", Request: testRequest}}, sets); diff != "" {
		t.Errorf("ManagedPermissionSets (-want +got):\n%s", diff)
	}

	before := len(e.inlinePuts())
	provisions := e.emu.Calls()["ProvisionPermissionSet"]
	start := e.clk.Now().UTC().Truncate(time.Second)
	rev, err := e.client.Revoke(ctx, Revocation{Grant: g, Granted: got})
	if err != nil {
		t.Fatal(err)
	}
	puts := e.inlinePuts()[before:]
	if len(puts) != 1 {
		t.Fatalf("%d inline policy updates during revoke, want 1 (the session cut)", len(puts))
	}
	cut := statements(t, puts[0])
	issued, err := time.Parse(time.RFC3339, conditionValue(t, cut["JitSessionCut"], "DateLessThan", "aws:TokenIssueTime"))
	if err != nil || issued.Before(start) || issued.After(e.clk.Now().Add(2*time.Second)) {
		t.Errorf("session cut at %v (%v), want about now (%v)", issued, err, start)
	}
	if v := conditionValue(t, cut["JitExpiry"], "DateGreaterThan", "aws:CurrentTime"); v != issued.Format(time.RFC3339) {
		t.Errorf("guard after cut = %q, want moved to the cut %v", v, issued)
	}
	if _, ok := cut["#0"]; !ok {
		t.Errorf("the request's own statement was lost in the cut: %s", puts[0])
	}
	if got := e.emu.Calls()["ProvisionPermissionSet"]; got != provisions+1 {
		t.Errorf("ProvisionPermissionSet called %d times during revoke, want 1", got-provisions)
	}
	if _, ok := e.emu.PermissionSet(got.PermissionSetARN); ok {
		t.Error("permission set not deleted")
	}
	if e.emu.HasAssignment(testAccount, got.PermissionSetARN, uid) {
		t.Error("assignment not deleted")
	}
	if len(rev.Notes) != 2 || !strings.HasPrefix(rev.Notes[0], "live sessions cut") || rev.Notes[1] != "permission set JIT-S3ReadAccess deleted" {
		t.Errorf("notes = %q", rev.Notes)
	}
	if _, err := e.client.Revoke(ctx, Revocation{Grant: g, Granted: got}); err != nil {
		t.Errorf("second Revoke: %v", err)
	}
}

func TestGrantRevokeIsolated(t *testing.T) {
	t.Parallel()
	e, uid := aliceEnv(t)
	srcInline := `{"Version":"2012-10-17","Statement":[{"Sid":"Logs","Effect":"Allow","Action":"logs:Get*","Resource":"*"}]}`
	src := e.emu.AddPermissionSet("ReadOnlyAccess", 2*time.Hour, []string{"ReadOnlyAccess"}, srcInline)
	ctx := t.Context()
	g := Grant{Request: testRequest, AccountID: testAccount, UserName: "alice@acme.example", PermissionSetARN: src, Isolate: true, ExpiresAt: e.clk.Now().Add(time.Hour)}

	got, err := e.client.Grant(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	if got.PermissionSetARN == src {
		t.Fatal("isolated grant assigned the shared set")
	}
	ps, _ := e.emu.PermissionSet(got.PermissionSetARN)
	if ps.Name != "JIT-ReadOnlyAccess" || ps.SessionDuration != 2*time.Hour {
		t.Errorf("copy %q with session %s, want JIT-ReadOnlyAccess with 2h", ps.Name, ps.SessionDuration)
	}
	if diff := cmp.Diff([]string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}, ps.ManagedPolicies); diff != "" {
		t.Errorf("managed policies (-want +got):\n%s", diff)
	}
	stmts := statements(t, ps.InlinePolicy)
	if _, ok := stmts["Logs"]; !ok {
		t.Errorf("copy lacks the source's inline statement: %s", ps.InlinePolicy)
	}
	if _, ok := stmts["JitExpiry"]; !ok {
		t.Errorf("copy lacks the guard: %s", ps.InlinePolicy)
	}
	if !e.emu.HasAssignment(testAccount, got.PermissionSetARN, uid) || e.emu.HasAssignment(testAccount, src, uid) {
		t.Error("want the assignment on the copy only")
	}

	if _, err := e.client.Revoke(ctx, Revocation{Grant: g, Granted: got}); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.emu.PermissionSet(got.PermissionSetARN); ok {
		t.Error("copy not deleted")
	}
	srcAfter, ok := e.emu.PermissionSet(src)
	if !ok || srcAfter.InlinePolicy != srcInline {
		t.Errorf("source set changed or gone: %+v", srcAfter)
	}
	e.noAssignments(t, "left")
}

func TestCustomSetNames(t *testing.T) {
	t.Parallel()
	e, _ := aliceEnv(t)
	// An admin's set already has the name, without jit's tags.
	admins := e.emu.AddPermissionSet("JIT-S3ReadAccess", time.Hour, []string{"ReadOnlyAccess"}, "")
	ctx := t.Context()
	expires := e.clk.Now().Add(time.Hour)

	g1 := customGrant(expires)
	g2 := customGrant(expires)
	g2.Request = "requests/payments-prod/second.yaml"
	g3 := customGrant(expires)
	g3.Request = "requests/payments-prod/long.yaml"
	g3.Custom.Name = "AVeryLongCustomPermissionSetNameIndeed"
	var names []string
	for _, g := range []Grant{g1, g2, g3} {
		got, err := e.client.Grant(ctx, g)
		if err != nil {
			t.Fatal(err)
		}
		ps, _ := e.emu.PermissionSet(got.PermissionSetARN)
		names = append(names, ps.Name)
	}
	want := []string{"JIT-S3ReadAccess-2", "JIT-S3ReadAccess-3", "JIT-AVeryLongCustomPermissionSet"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	if err := e.client.DeleteManagedPermissionSet(ctx, admins); !errors.Is(err, ErrNotManaged) {
		t.Errorf("deleting the admins' set: err = %v, want ErrNotManaged", err)
	}
	if _, ok := e.emu.PermissionSet(admins); !ok {
		t.Error("the admins' set was deleted")
	}
	sets, err := managedSets(ctx, e.client)
	if err != nil || len(sets) != 3 {
		t.Fatalf("ManagedPermissionSets = %v, %v; want 3", sets, err)
	}
	for _, s := range sets {
		if err := e.client.DeleteManagedPermissionSet(ctx, s.ARN); err != nil {
			t.Fatal(err)
		}
		if err := e.client.DeleteManagedPermissionSet(ctx, s.ARN); err != nil {
			t.Errorf("deleting %s again: %v", s.Name, err)
		}
	}
	e.noAssignments(t, "left after deleting the sets")
	if left := e.emu.PermissionSets(); len(left) != 1 || left[0].ARN != admins {
		t.Errorf("sets left = %v, want only the admins'", left)
	}
}

// TestGrantAfterCrash abandons grants part-way, as a crashed run would, and
// checks that the next Grant converges to one set and one assignment.
func TestGrantAfterCrash(t *testing.T) {
	t.Parallel()
	ctx := t.Context()

	t.Run("standard after create", func(t *testing.T) {
		t.Parallel()
		e, uid := aliceEnv(t)
		ps := e.readOnlySet()
		g := Grant{Request: testRequest, AccountID: testAccount, UserName: "alice@acme.example", PermissionSetARN: ps}
		claim, err := e.client.Claim(ctx, g)
		if err != nil || claim.Preexisting {
			t.Fatalf("Claim = %+v, %v", claim, err)
		}
		// The caller recorded the claim; the run creates and dies before
		// the status is final.
		createDirect(t, e.client, testAccount, ps, uid)
		g.Claimed = true
		got, err := e.client.Grant(ctx, g)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(Granted{PermissionSetARN: ps, PrincipalID: uid}, got); diff != "" {
			t.Errorf("Granted after crash (-want +got):\n%s", diff)
		}
		if n := e.emu.AssignmentsOf(ps); n != 1 {
			t.Errorf("%d assignments, want 1", n)
		}
	})

	for _, tc := range []struct {
		name  string
		crash func(t *testing.T, e *env, g Grant, uid string)
	}{
		{"custom after set created", func(t *testing.T, e *env, g Grant, _ string) {
			spec, err := e.client.specFor(ctx, g)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.client.findOrCreateSet(ctx, g.Request, spec); err != nil {
				t.Fatal(err)
			}
		}},
		{"custom after policies, before provisioning", func(t *testing.T, e *env, g Grant, _ string) {
			spec, err := e.client.specFor(ctx, g)
			if err != nil {
				t.Fatal(err)
			}
			arn, err := e.client.findOrCreateSet(ctx, g.Request, spec)
			if err != nil {
				t.Fatal(err)
			}
			if err := e.client.syncManaged(ctx, arn, spec.managed[:1]); err != nil {
				t.Fatal(err)
			}
		}},
		{"custom after assignment created", func(t *testing.T, e *env, g Grant, uid string) {
			arn, err := e.client.ensureOwnSet(ctx, g)
			if err != nil {
				t.Fatal(err)
			}
			createDirect(t, e.client, testAccount, arn, uid)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e, uid := aliceEnv(t)
			g := customGrant(e.clk.Now().Add(time.Hour))
			tc.crash(t, e, g, uid)
			next := e.freshClient()
			got, err := next.Grant(ctx, g)
			if err != nil {
				t.Fatal(err)
			}
			sets, err := managedSets(ctx, next)
			if err != nil {
				t.Fatal(err)
			}
			if len(sets) != 1 || sets[0].ARN != got.PermissionSetARN {
				t.Fatalf("managed sets = %v, want only %s", sets, got.PermissionSetARN)
			}
			ps, _ := e.emu.PermissionSet(got.PermissionSetARN)
			if len(ps.ManagedPolicies) != 2 || !ps.ProvisionedAccounts[testAccount] || !strings.Contains(ps.InlinePolicy, "JitExpiry") {
				t.Errorf("set not repaired: %+v", ps)
			}
			if n := e.emu.AssignmentsOf(got.PermissionSetARN); n != 1 || !e.emu.HasAssignment(testAccount, got.PermissionSetARN, uid) {
				t.Errorf("%d assignments, want 1 for the user", n)
			}
		})
	}

	t.Run("custom revoke after cut and delete", func(t *testing.T) {
		t.Parallel()
		e, uid := aliceEnv(t)
		g := customGrant(e.clk.Now().Add(time.Hour))
		got, err := e.client.Grant(ctx, g)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.client.cutSessions(ctx, got.PermissionSetARN, testAccount, g.ExpiresAt); err != nil {
			t.Fatal(err)
		}
		if err := e.client.deleteAssignment(ctx, testAccount, got.PermissionSetARN, uid, types.PrincipalTypeUser); err != nil {
			t.Fatal(err)
		}
		// The caller lost the ARN too: Revoke finds the set by its tag.
		if _, err := e.client.Revoke(ctx, Revocation{Grant: g, Granted: Granted{PrincipalID: uid}}); err != nil {
			t.Fatal(err)
		}
		if left := e.emu.PermissionSets(); len(left) != 0 {
			t.Errorf("sets left: %v", left)
		}
	})
}

// createDirect starts an assignment creation and does not wait for it.
func createDirect(t *testing.T, c *Client, account, psARN, principal string) {
	t.Helper()
	_, err := c.admin.CreateAccountAssignment(t.Context(), &ssoadmin.CreateAccountAssignmentInput{
		InstanceArn:      aws.String(c.instanceARN),
		PermissionSetArn: aws.String(psARN),
		PrincipalId:      aws.String(principal),
		PrincipalType:    types.PrincipalTypeUser,
		TargetId:         aws.String(account),
		TargetType:       types.TargetTypeAwsAccount,
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestAssignmentFailedCarriesReason(t *testing.T) {
	t.Parallel()
	e, uid := aliceEnv(t)
	ps := e.readOnlySet()
	reason := "Received a 409 status error: Number of roles in account 111122223333 reached the quota"
	e.emu.FailNextAssignment(testAccount, ps, uid, reason)
	g := Grant{Request: testRequest, AccountID: testAccount, UserName: "alice@acme.example", PermissionSetARN: ps, Claimed: true}
	_, err := e.client.Grant(t.Context(), g)
	var failed *FailedError
	if !errors.As(err, &failed) {
		t.Fatalf("Grant err = %v, want a FailedError", err)
	}
	if failed.Reason != reason || failed.Operation != "CreateAccountAssignment" {
		t.Errorf("FailedError = %+v, want CreateAccountAssignment with AWS's reason", failed)
	}
	if !strings.Contains(err.Error(), "granting "+ps+" on "+testAccount+" to alice@acme.example") {
		t.Errorf("error %q does not say what was being done", err)
	}
	if e.emu.HasAssignment(testAccount, ps, uid) {
		t.Error("failed assignment exists")
	}
}

func TestUnknownUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fastEmulator(), fastClient())
	_, err := e.client.UserID(t.Context(), "mallory@acme.example")
	if !errors.Is(err, ErrUserNotFound) || !strings.Contains(err.Error(), "mallory@acme.example") {
		t.Errorf("UserID err = %v, want ErrUserNotFound naming the user", err)
	}
}

// TestThrottlingAndFaults runs grants and revocations against an emulator
// that allows 5 requests/s (the client is told 10, so it is throttled) and
// fails 30% of requests with a 500.
func TestThrottlingAndFaults(t *testing.T) {
	t.Parallel()
	eo := fastEmulator()
	eo.RequestsPerSecond = 5
	eo.FaultRate = 0.3
	eo.Seed = 7
	co := fastClient()
	co.RequestsPerSecond = 10
	co.MaxAttempts = 25
	co.RetryMaxBackoff = 400 * time.Millisecond
	e := newEnv(t, eo, co)
	e.emu.AddUser("alice@acme.example", "Alice")
	ps := e.readOnlySet()
	ctx := t.Context()

	std := Grant{Request: "requests/p/std.yaml", AccountID: testAccount, UserName: "alice@acme.example", PermissionSetARN: ps, Claimed: true}
	custom := customGrant(e.clk.Now().Add(time.Hour))
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, g := range []Grant{std, custom} {
		wg.Go(func() {
			got, err := e.client.Grant(ctx, g)
			if err == nil {
				_, err = e.client.Revoke(ctx, Revocation{Grant: g, Granted: got})
			}
			errs[i] = err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	e.noAssignments(t, "left")
	if left := e.emu.PermissionSets(); len(left) != 1 {
		t.Errorf("sets left = %v, want only the standard one", left)
	}
	calls := e.emu.Calls()
	if calls[idcemu.CallsThrottled] == 0 || calls[idcemu.CallsFaulted] == 0 {
		t.Errorf("calls = %v; the test wants throttles and faults to happen", calls)
	}
	t.Logf("calls: total %d, throttled %d, faulted %d", calls[idcemu.CallsTotal], calls[idcemu.CallsThrottled], calls[idcemu.CallsFaulted])
}

// TestLimitsKeepUnderQuota checks that a client configured with the
// service's limits is never throttled, even with many grants at once.
func TestLimitsKeepUnderQuota(t *testing.T) {
	t.Parallel()
	eo := fastEmulator()
	eo.RequestsPerSecond = 40
	eo.MaxInFlightAssignments = 3
	eo.AsyncDelay = 50 * time.Millisecond
	co := fastClient()
	co.RequestsPerSecond = 40
	co.MaxInFlightAssignments = 3
	co.PollInterval = 50 * time.Millisecond
	e := newEnv(t, eo, co)
	ps := e.readOnlySet()
	ctx := t.Context()
	var grants []Grant
	for i := range 12 {
		name := fmt.Sprintf("user%d@acme.example", i)
		e.emu.AddUser(name, name)
		grants = append(grants, Grant{AccountID: testAccount, UserName: name, PermissionSetARN: ps, Claimed: true})
	}
	var wg sync.WaitGroup
	errs := make([]error, len(grants))
	for i, g := range grants {
		wg.Go(func() { _, errs[i] = e.client.Grant(ctx, g) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if n := e.emu.AssignmentsOf(ps); n != len(grants) {
		t.Errorf("%d assignments, want %d", n, len(grants))
	}
	if got := e.emu.Calls()[idcemu.CallsThrottled]; got != 0 {
		t.Errorf("%d requests throttled, want 0", got)
	}
}

func TestRevokeRefusesForeignSet(t *testing.T) {
	t.Parallel()
	e, uid := aliceEnv(t)
	ps := e.emu.AddPermissionSet("JIT-Lookalike", time.Hour, []string{"ReadOnlyAccess"}, "")
	e.emu.AddAssignment(testAccount, ps, uid)
	g := customGrant(e.clk.Now())
	_, err := e.client.Revoke(t.Context(), Revocation{Grant: g, Granted: Granted{PermissionSetARN: ps, PrincipalID: uid}})
	if !errors.Is(err, ErrNotManaged) {
		t.Fatalf("Revoke of an untagged set: err = %v, want ErrNotManaged", err)
	}
	if !e.emu.HasAssignment(testAccount, ps, uid) {
		t.Error("assignment of a set jit does not manage was removed")
	}
	if _, ok := e.emu.PermissionSet(ps); !ok {
		t.Error("a set jit does not manage was deleted")
	}
}

// TestRevokeSharedAlreadyGone: an assignment removed outside jit is
// recorded as gone without a DeleteAccountAssignment, which AWS may end
// FAILED for an assignment that does not exist and so never confirm.
func TestRevokeSharedAlreadyGone(t *testing.T) {
	t.Parallel()
	e, uid := aliceEnv(t)
	ps := e.readOnlySet()
	g := Grant{AccountID: testAccount, UserName: "alice@acme.example", PermissionSetARN: ps}
	res, err := e.client.Revoke(t.Context(), Revocation{Grant: g, Granted: Granted{PermissionSetARN: ps, PrincipalID: uid}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"assignment already gone from AWS when the revocation ran"}; !slices.Equal(res.Notes, want) {
		t.Errorf("notes = %q, want %q", res.Notes, want)
	}
	if got := e.emu.Calls()["DeleteAccountAssignment"]; got != 0 {
		t.Errorf("DeleteAccountAssignment called %d times for an assignment that is gone", got)
	}
}

// managedSets is jit's sets among every set of the instance.
func managedSets(ctx context.Context, c *Client) ([]ManagedSet, error) {
	arns, err := c.PermissionSetARNs(ctx)
	if err != nil {
		return nil, err
	}
	return c.ManagedPermissionSets(ctx, arns)
}
