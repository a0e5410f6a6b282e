package idcemu

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin/types"
)

const delegatedAdmin = "444455556666"

func inAccount[T *ssoadmin.CreateAccountAssignmentInput | *ssoadmin.DeleteAccountAssignmentInput](in T, acct string) T {
	switch v := any(in).(type) {
	case *ssoadmin.CreateAccountAssignmentInput:
		v.TargetId = aws.String(acct)
	case *ssoadmin.DeleteAccountAssignmentInput:
		v.TargetId = aws.String(acct)
	}
	return in
}

// A delegated administrator cannot manage permission sets provisioned in
// the management account: assigning there is refused at once, and so is
// assigning elsewhere a set that is provisioned there.
func TestDelegatedAdministratorCannotAssignInTheManagementAccount(t *testing.T) {
	h := newHarness(t, Options{CallerAccountID: delegatedAdmin}, 1)
	alice := h.emu.AddUser("alice@acme.example", "Alice")
	arn := h.createPS(t, "Billing", "PT1H")

	_, err := h.sso.CreateAccountAssignment(t.Context(), inAccount(createInput(arn, alice), DefaultManagementAccountID))
	wantAPIError(t, err, "AccessDeniedException", http.StatusBadRequest)
	want := "User: arn:aws:sts::" + delegatedAdmin + ":assumed-role/jit-reconcile/GitHubActions is not authorized to perform: sso:CreateAccountAssignment on resource: " + arn
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q, want %q", err, want)
	}
	if calls := h.emu.Calls()["CreateAccountAssignment"]; calls != 1 || len(h.emu.Assignments()) != 0 {
		t.Errorf("%d calls, assignments %v: want one refused call and nothing assigned", calls, h.emu.Assignments())
	}

	// A member account is fine.
	_, err = h.sso.CreateAccountAssignment(t.Context(), createInput(arn, alice))
	ok(t, err)
	h.clock.Advance(time.Second)
	if len(h.emu.Assignments()) != 1 {
		t.Fatalf("assignments = %v, want the member account's", h.emu.Assignments())
	}

	// A set an administrator provisioned to the management account cannot
	// be assigned anywhere from the delegated administrator.
	billing := h.emu.AddPermissionSet("BillingAdmin", time.Hour, []string{"job-function/Billing"}, "")
	h.emu.AddAssignment(DefaultManagementAccountID, billing, alice)
	_, err = h.sso.CreateAccountAssignment(t.Context(), createInput(billing, alice))
	wantAPIError(t, err, "AccessDeniedException", http.StatusBadRequest)
	_, err = h.sso.DeleteAccountAssignment(t.Context(), &ssoadmin.DeleteAccountAssignmentInput{
		InstanceArn: aws.String(DefaultInstanceARN), PermissionSetArn: aws.String(billing),
		PrincipalId: aws.String(alice), PrincipalType: types.PrincipalTypeUser,
		TargetId: aws.String(DefaultManagementAccountID), TargetType: types.TargetTypeAwsAccount,
	})
	wantAPIError(t, err, "AccessDeniedException", http.StatusBadRequest)
}

// From the management account itself, Identity Center creates the set's
// role and updates its SAML provider with the caller's own permissions: a
// caller without them gets an assignment that ends FAILED with IAM's words.
func TestManagementAccountAssignmentNeedsTheCallersIAMPermissions(t *testing.T) {
	h := newHarness(t, Options{}, 1)
	alice := h.emu.AddUser("alice@acme.example", "Alice")
	arn := h.emu.AddPermissionSet("ReadOnly", time.Hour, []string{"ReadOnlyAccess"}, `{"Version":"2012-10-17","Statement":[]}`)
	ps, _ := h.emu.PermissionSet(arn)
	role := "arn:aws:iam::" + DefaultManagementAccountID + ":role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_ReadOnly_" + strings.TrimPrefix(ps.ARN[strings.LastIndex(ps.ARN, "/"):], "/ps-")

	h.emu.DenyIAM("iam:CreateRole", true)
	out, err := h.sso.CreateAccountAssignment(t.Context(), inAccount(createInput(arn, alice), DefaultManagementAccountID))
	ok(t, err) // accepted: the refusal comes from IAM, later
	h.clock.Advance(time.Second)
	st := h.creationStatus(t, aws.ToString(out.AccountAssignmentCreationStatus.RequestId))
	want := "Received a 403 status error: Access denied by IAM. Please check your policy, or wait for role propagation to complete. IAM Error: User: arn:aws:sts::" +
		DefaultManagementAccountID + ":assumed-role/jit-reconcile/GitHubActions is not authorized to perform: iam:CreateRole on resource: " + role +
		" because no identity-based policy allows the iam:CreateRole action (Service: AmazonIdentityManagement; Status Code: 403; Error Code: AccessDenied; Request ID: "
	if st.Status != types.StatusValuesFailed || !strings.HasPrefix(aws.ToString(st.FailureReason), want) {
		t.Fatalf("status %s, reason %q; want FAILED with %q", st.Status, aws.ToString(st.FailureReason), want)
	}
	if len(h.emu.Assignments()) != 0 {
		t.Fatal("a FAILED assignment was made")
	}
	// A member account needs none of it: the service-linked role acts there.
	out, err = h.sso.CreateAccountAssignment(t.Context(), createInput(arn, alice))
	ok(t, err)
	h.clock.Advance(time.Second)
	if st := h.creationStatus(t, aws.ToString(out.AccountAssignmentCreationStatus.RequestId)); st.Status != types.StatusValuesSucceeded {
		t.Fatalf("member account assignment %s: %s", st.Status, aws.ToString(st.FailureReason))
	}

	h.emu.DenyIAM("iam:CreateRole", false)
	out, err = h.sso.CreateAccountAssignment(t.Context(), inAccount(createInput(arn, alice), DefaultManagementAccountID))
	ok(t, err)
	h.clock.Advance(time.Second)
	if st := h.creationStatus(t, aws.ToString(out.AccountAssignmentCreationStatus.RequestId)); st.Status != types.StatusValuesSucceeded {
		t.Fatalf("with the permissions: %s: %s", st.Status, aws.ToString(st.FailureReason))
	}

	// Removing the last assignment there deletes the role, with the
	// caller's permissions as well.
	h.emu.DenyIAM("iam:DeleteRole", true)
	del, err := h.sso.DeleteAccountAssignment(t.Context(), inAccount(deleteInput(arn, alice), DefaultManagementAccountID))
	ok(t, err)
	h.clock.Advance(time.Second)
	if s := h.deletionStatus(t, aws.ToString(del.AccountAssignmentDeletionStatus.RequestId)); s.Status != types.StatusValuesFailed || !strings.Contains(aws.ToString(s.FailureReason), "iam:DeleteRole on resource: "+role) {
		t.Errorf("deletion %s: %q, want FAILED on iam:DeleteRole", s.Status, aws.ToString(s.FailureReason))
	}

	calls := map[string]bool{}
	for _, c := range h.emu.ManagementAccountIAM(arn) {
		calls[c.Action+" "+c.Resource] = true
	}
	for _, c := range []string{"iam:CreateRole " + role, "iam:DeleteRole " + role,
		"iam:UpdateSAMLProvider arn:aws:iam::" + DefaultManagementAccountID + ":saml-provider/AWSSSO_0123456789abcdef_DO_NOT_DELETE"} {
		if !calls[c] {
			t.Errorf("ManagementAccountIAM lacks %s", c)
		}
	}
}
