package action_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jit-access/jit/internal/identitycenter/idcemu"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/schema"
)

// managementEnv makes payments-prod the organisation's management account,
// allowed in the config, with jit's role in callerAccount.
func managementEnv(t *testing.T, callerAccount string) *env {
	return newEnv(t, envOptions{
		idc:          idcemu.Options{ManagementAccountID: account, CallerAccountID: callerAccount},
		accountExtra: "    management_account: true\n",
		configExtra:  "allow_management_account: true\n",
	})
}

// AWS refuses assignments in the management account to a delegated
// administrator, whatever its policy: the grant fails at once with AWS's
// words and what they mean, and is not tried again (an AccessDenied
// elsewhere is a setup error, reported on every run).
func TestManagementAccountFromADelegatedAdministratorFails(t *testing.T) {
	for _, tc := range []struct{ name, set string }{
		{"standard set", "ReadOnlyAccess"},
		{"isolated set", "PowerUserAccess"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := managementEnv(t, "444455556666")
			_, path := e.merge(t, "alice", "alice-mgmt", request(tc.set, "1h"), "bob", "")
			rep := e.run(t, 0)
			if diff := cmp.Diff([]string{path}, paths(rep.Failed)); diff != "" {
				t.Fatalf("failed (-want +got):\n%s\n%s", diff, rep)
			}
			st := e.status(t, path)
			for _, want := range []string{
				"AWS: AccessDeniedException: User: arn:aws:sts::444455556666:assumed-role/jit-reconcile/GitHubActions is not authorized to perform: sso:CreateAccountAssignment on resource: arn:aws:sso:::permissionSet/",
				"is the organisation's management account, where AWS allows assignments only from a role in the management account itself, never from a delegated administrator account",
			} {
				if st.State != schema.StateFailed || !strings.Contains(st.Reason, want) {
					t.Fatalf("status %s, reason %q; want failed with %q", st.State, st.Reason, want)
				}
			}
			calls := e.idc.Calls()["CreateAccountAssignment"]
			rep = e.run(t, 0)
			if got := e.idc.Calls()["CreateAccountAssignment"]; got != calls || len(rep.Errors) != 0 {
				t.Errorf("the next run tried again (%d more calls) or reported errors:\n%s", got-calls, rep)
			}
			for _, s := range e.idc.PermissionSets() {
				if strings.HasPrefix(s.Name, layout.PermissionSetPrefix) {
					t.Errorf("the failed grant left its set %s", s.Name)
				}
			}
		})
	}
}

// From the management account itself, Identity Center uses the caller's own
// IAM permissions there: without them the assignment ends FAILED, and the
// grant fails with IAM's words instead of being retried.
func TestManagementAccountWithoutTheIAMPermissionsFails(t *testing.T) {
	e := managementEnv(t, "")
	e.idc.DenyIAM("iam:CreateRole", true)
	_, path := e.merge(t, "alice", "alice-mgmt", request("ReadOnlyAccess", "1h"), "bob", "")
	rep := e.run(t, 0)
	if diff := cmp.Diff([]string{path}, paths(rep.Failed)); diff != "" {
		t.Fatalf("failed (-want +got):\n%s\n%s", diff, rep)
	}
	st := e.status(t, path)
	want := "AWS: Received a 403 status error: Access denied by IAM. Please check your policy, or wait for role propagation to complete. IAM Error: User: arn:aws:sts::" +
		account + ":assumed-role/jit-reconcile/GitHubActions is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::" + account + ":role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_ReadOnlyAccess_"
	if st.State != schema.StateFailed || !strings.HasPrefix(st.Reason, want) {
		t.Fatalf("status %s, reason %q; want failed with %q", st.State, st.Reason, want)
	}
	calls := e.idc.Calls()["CreateAccountAssignment"]
	e.run(t, 0)
	if got := e.idc.Calls()["CreateAccountAssignment"]; got != calls {
		t.Errorf("the next run tried again: %d more calls", got-calls)
	}

	// With the permissions jit policy provisioner adds, the next request
	// is granted.
	e.idc.DenyIAM("iam:CreateRole", false)
	_, p2 := e.merge(t, "alice", "alice-mgmt-2", request("ReadOnlyAccess", "1h"), "bob", "")
	if rep := e.run(t, 0); len(rep.Activated) != 1 || rep.Activated[0].Path != p2 {
		t.Fatalf("not activated with the permissions:\n%s", rep)
	}
}
