package identitycenter

import (
	"context"
	"strings"
	"testing"
	"time"

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
