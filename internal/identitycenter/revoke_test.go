package identitycenter

import (
	"context"
	"strings"
	"testing"
	"time"

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
	ctx := context.Background()
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
	if e.hasAssignment(testAccount, granted.PermissionSetARN, uid) {
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
	e.emu.AddUser("alice@acme.example", "Alice")
	ctx := context.Background()
	g := customGrant(e.clk.Now().Add(time.Hour))
	granted, err := e.client.Grant(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
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
	got, err := e.client.Grant(context.Background(), g)
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
	if _, err := e.client.Grant(context.Background(), g2); err == nil {
		t.Fatal("an isolated grant went ahead without its original's permissions boundary")
	}
	for _, a := range e.emu.Assignments() {
		if a.PermissionSetARN != got.PermissionSetARN {
			t.Errorf("assignment %+v made although the copy could not be completed", a)
		}
	}
}
