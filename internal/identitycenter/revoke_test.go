package identitycenter

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin/types"
	"github.com/google/go-cmp/cmp"

	"github.com/jit-access/jit/internal/identitycenter/idcemu"
	"github.com/jit-access/jit/internal/inlinepolicy"
)

// A custom set whose policy leaves no room for the session cut is still
// revoked: the assignment and the set go, and the notes say the cut failed.
func TestRevokeDoesNotWaitOnTheSessionCut(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fastEmulator(), fastClient())
	uid := e.emu.AddUser("alice@acme.example", "Alice")
	ctx := t.Context()
	g := customGrant(e.clk.Now().Add(time.Hour))
	// Fill the policy so that it fits with the expiry guard but not with
	// the session cut as well.
	base := `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::my-bucket/` + `"}}`
	withGuard, err := inlinepolicy.WithStatements(base, inlinepolicy.ExpiryGuard(g.ExpiresAt))
	if err != nil {
		t.Fatal(err)
	}
	pad := inlinepolicy.MaxChars - inlinepolicy.Measure(withGuard).Chars
	g.Custom.InlinePolicy = strings.Replace(base, "my-bucket/", "my-bucket/"+strings.Repeat("k", pad), 1)
	granted, err := e.client.Grant(ctx, g)
	if err != nil {
		t.Fatalf("Grant of a policy that fits with its expiry guard: %v", err)
	}
	res, err := e.client.Revoke(ctx, Revocation{Grant: g, Granted: granted})
	if err != nil {
		t.Fatalf("Revoke waited on the session cut: %v", err)
	}
	if e.emu.HasAssignment(testAccount, granted.PermissionSetARN, uid) {
		t.Error("the assignment was left because the session cut failed")
	}
	if _, ok := e.emu.PermissionSet(granted.PermissionSetARN); ok {
		t.Error("the set was left because the session cut failed")
	}
	if len(res.Notes) == 0 || !strings.HasPrefix(res.Notes[0], "live sessions NOT cut (inline policy with jit's guard statements has 10383 characters besides whitespace, 143 over AWS's 10240)") {
		t.Errorf("notes = %q, want the failed cut recorded first", res.Notes)
	}
}

// A new JIT- set is provisioned by its CreateAccountAssignment, never
// before: a FAILED assignment then leaves no role in the account. A re-run
// that finds the assignment made pushes the policies it may have repaired.
func TestOwnSetProvisionedOnlyWhereAssigned(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fastEmulator(), fastClient())
	_, g, granted := grantAlice(t, e)
	ctx := t.Context()
	if n := e.emu.Calls()["ProvisionPermissionSet"]; n != 0 {
		t.Errorf("ProvisionPermissionSet called %d times for a new set; CreateAccountAssignment provisions it", n)
	}
	ps, _ := e.emu.PermissionSet(granted.PermissionSetARN)
	if !ps.ProvisionedAccounts[testAccount] {
		t.Errorf("set provisioned to %v after its assignment, want %s up to date", ps.ProvisionedAccounts, testAccount)
	}
	if _, err := e.client.Grant(ctx, g); err != nil {
		t.Fatal(err)
	}
	if n := e.emu.Calls()["ProvisionPermissionSet"]; n != 1 {
		t.Errorf("a repeated Grant provisioned %d times, want 1 (the assignment exists already)", n)
	}
}

// An isolated copy carries its original's customer managed policy
// references and permissions boundary as well: without them it would be
// broader than the set the approvers chose.
func TestIsolatedCopyIsNeverBroader(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fastEmulator(), fastClient())
	e.emu.AddUser("alice@acme.example", "Alice")
	src := e.emu.AddPermissionSet("Operator", 2*time.Hour, []string{"ReadOnlyAccess"}, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:RebootInstances","Resource":"*"}]}`)
	e.emu.SetCustomerManagedPolicies(src, idcemu.PolicyReference{Name: "OpsTools"}, idcemu.PolicyReference{Name: "Deny-Prod", Path: "/guards/"})
	e.emu.SetPermissionsBoundary(src, idcemu.Boundary{CustomerManagedPolicyReference: &idcemu.PolicyReference{Name: "OperatorBoundary"}})
	g := Grant{Request: testRequest, AccountID: testAccount, UserName: "alice@acme.example", PermissionSetARN: src, Isolate: true, ExpiresAt: e.clk.Now().Add(time.Hour)}
	got, err := e.client.Grant(t.Context(), g)
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := e.emu.PermissionSet(src)
	cp, _ := e.emu.PermissionSet(got.PermissionSetARN)
	if diff := cmp.Diff(orig.CustomerManagedPolicies, cp.CustomerManagedPolicies); diff != "" || len(cp.CustomerManagedPolicies) != 2 {
		t.Errorf("customer managed policy references of the copy (-original +copy):\n%s", diff)
	}
	if diff := cmp.Diff(orig.PermissionsBoundary, cp.PermissionsBoundary); diff != "" || cp.PermissionsBoundary == nil {
		t.Errorf("permissions boundary of the copy (-original +copy):\n%s", diff)
	}
	if diff := cmp.Diff(orig.ManagedPolicies, cp.ManagedPolicies); diff != "" {
		t.Errorf("managed policies of the copy (-original +copy):\n%s", diff)
	}

	// A boundary that cannot be read refuses the isolation: no copy is
	// assigned without it.
	e.emu.Deny("GetPermissionsBoundaryForPermissionSet", true)
	g2 := g
	g2.Request = "requests/payments-prod/other.yaml"
	if _, err := e.client.Grant(t.Context(), g2); err == nil {
		t.Fatal("an isolated grant went ahead without its original's permissions boundary")
	}
	for _, a := range e.emu.Assignments() {
		if a.PermissionSetARN != got.PermissionSetARN {
			t.Errorf("assignment %+v made although the copy could not be completed", a)
		}
	}
}

// AWS refuses to delete a set until its role is gone from the account, a
// while after the last assignment: the revocation is done once the
// assignment is gone, and the set is left to a later clean-up, which
// deletes it once AWS allows.
func TestRevokeLeavesAnUndeletableSetToTheCleanUp(t *testing.T) {
	t.Parallel()
	eo := fastEmulator()
	eo.RoleRemovalDelay = time.Hour
	co := fastClient()
	co.MaxAttempts = 2 // the retryer does not wait the removal out
	co.RetryMaxBackoff = 5 * time.Millisecond
	e := newEnv(t, eo, co)
	uid, g, granted := grantAlice(t, e)
	ctx := t.Context()
	res, err := e.client.Revoke(ctx, Revocation{Grant: g, Granted: granted})
	if err != nil {
		t.Fatalf("Revoke waited on the set's deletion: %v", err)
	}
	if e.emu.HasAssignment(testAccount, granted.PermissionSetARN, uid) {
		t.Fatal("UNSAFE: Revoke returned nil with the assignment still there")
	}
	if _, ok := e.emu.PermissionSet(granted.PermissionSetARN); !ok || !res.SetLeft {
		t.Fatalf("set present = %v, SetLeft = %v: want the set left while AWS refuses to delete it", ok, res.SetLeft)
	}
	last := res.Notes[len(res.Notes)-1]
	if !strings.Contains(last, "not deleted yet") || !strings.Contains(last, "ConflictException: Could not delete because PermissionSet has ApplicationProfile associated with it.") ||
		!strings.Contains(last, "the clean-up of a later run deletes it") {
		t.Errorf("last note = %q, want the set left for the clean-up with AWS's reason", last)
	}
	c := e.freshClient()
	if err := c.DeleteManagedPermissionSet(ctx, granted.PermissionSetARN); err == nil {
		t.Fatal("AWS deleted the set while its role was being removed")
	}
	e.clk.Advance(time.Hour) // the role's removal ends
	c = e.freshClient()
	arns, err := c.PermissionSetARNs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sets, err := c.ManagedPermissionSets(ctx, arns)
	if err != nil {
		t.Fatal(err)
	}
	if len(sets) != 1 || sets[0].ARN != granted.PermissionSetARN || sets[0].Request != testRequest {
		t.Fatalf("the clean-up finds %+v, want the grant's set", sets)
	}
	if err := c.DeleteManagedPermissionSet(ctx, sets[0].ARN); err != nil {
		t.Fatalf("clean-up: %v", err)
	}
	if _, ok := e.emu.PermissionSet(granted.PermissionSetARN); ok {
		t.Error("the set is still there after the clean-up")
	}
}

// A revocation that finds the assignment's deletion already under way (a
// previous run's, whose answer was lost) does not cut sessions: the cut's
// provisioning would complete after the deletion and put the set's role
// back in an account where it has no assignment, and AWS would then never
// let the set be deleted.
func TestRevokeDoesNotProvisionWhileTheAssignmentIsBeingDeleted(t *testing.T) {
	t.Parallel()
	eo := fastEmulator()
	eo.RoleRemovalDelay = -1
	co := fastClient()
	co.MaxAttempts = 2
	e := newEnv(t, eo, co)
	uid, g, granted := grantAlice(t, e)
	ctx := t.Context()
	// The previous run's deletion, in flight for an hour.
	e.emu.SetAsyncDelay(time.Hour)
	raw := ssoadmin.NewFromConfig(e.cfg, func(o *ssoadmin.Options) { o.BaseEndpoint = aws.String(e.opts.Endpoint) })
	if _, err := raw.DeleteAccountAssignment(ctx, &ssoadmin.DeleteAccountAssignmentInput{
		InstanceArn: aws.String(idcemu.DefaultInstanceARN), PermissionSetArn: aws.String(granted.PermissionSetARN),
		PrincipalId: aws.String(uid), PrincipalType: types.PrincipalTypeUser,
		TargetId: aws.String(testAccount), TargetType: types.TargetTypeAwsAccount,
	}); err != nil {
		t.Fatal(err)
	}
	provisions := e.emu.Calls()["ProvisionPermissionSet"]
	if _, err := e.freshClient().Revoke(ctx, Revocation{Grant: g, Granted: granted}); err == nil {
		t.Fatal("Revoke returned nil while the assignment's deletion is in flight")
	}
	e.clk.Advance(time.Hour + time.Second)
	res, err := e.freshClient().Revoke(ctx, Revocation{Grant: g, Granted: granted})
	if err != nil {
		t.Fatalf("the next run's revocation: %v", err)
	}
	if got := e.emu.Calls()["ProvisionPermissionSet"]; got != provisions {
		t.Errorf("%d ProvisionPermissionSet calls during a deletion in flight, want none", got-provisions)
	}
	if _, ok := e.emu.PermissionSet(granted.PermissionSetARN); ok || res.SetLeft {
		t.Errorf("the set is left (%q): provisioned without an assignment, AWS would never delete it", res.Notes)
	}
}

// grantAlice adds alice to the emulator and grants her customGrant for an
// hour, as a run does before the revocation a test is about; it returns her
// user id, the grant and what Grant made.
func grantAlice(t *testing.T, e *env) (string, Grant, Granted) {
	t.Helper()
	uid := e.emu.AddUser("alice@acme.example", "Alice")
	g := customGrant(e.clk.Now().Add(time.Hour))
	granted, err := e.client.Grant(t.Context(), g)
	if err != nil {
		t.Fatal(err)
	}
	return uid, g, granted
}
