package idcemu

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// The organisation's management account is special to Identity Center, as
// AWS documents (IAM Identity Center user guide, "Delegated administration"
// and "Register a member account"):
//
//   - A delegated administrator can do most administration, except manage
//     permission sets provisioned in the management account. Assigning in
//     the management account, or assigning a set provisioned there, from the
//     delegated administrator is refused at once with AccessDeniedException
//     ("User: ... is not authorized to perform: sso:CreateAccountAssignment
//     on resource: <set>", as clients report it); so is deleting such an
//     assignment.
//   - In the management account, Identity Center creates and removes the
//     set's role (under aws-reserved/sso.amazonaws.com/) and updates the
//     SAML provider (AWSSSO_*) with the caller's own IAM permissions, not with
//     its service-linked role, whose policy AWSSSOServiceRolePolicy excludes
//     the management account. An assignment change whose caller lacks one of
//     them is accepted and ends FAILED, its FailureReason IAM's AccessDenied
//     ("Received a 403 status error: Access denied by IAM. ...").
//
// Only assignments are modelled; provisioning a changed set to the
// management account never fails here.

// IAMCall is an IAM action Identity Center takes on the caller's behalf in
// the management account, and the resource it takes it on.
type IAMCall struct {
	Action   string
	Resource string
}

// DenyIAM makes the caller's IAM policy lack action (e.g. "iam:CreateRole")
// in the management account; DenyIAM(action, false) allows it again.
func (e *Emulator) DenyIAM(action string, deny bool) { e.setDenied(&e.deniedIAM, action, deny) }

// ManagementAccountIAM lists every IAM call an assignment change of the set
// psARN in the management account can make with the caller's permissions,
// whatever the set holds: what the caller's policy must allow there.
func (e *Emulator) ManagementAccountIAM(psARN string) []IAMCall {
	e.mu.Lock()
	defer e.mu.Unlock()
	ps := e.st.permissionSets[psARN]
	if ps == nil {
		return nil
	}
	role, saml := e.reservedRoleARN(ps), e.samlProviderARN()
	out := []IAMCall{{"iam:UpdateSAMLProvider", saml}}
	for _, a := range []string{
		"iam:AttachRolePolicy", "iam:CreateRole", "iam:DeleteRole", "iam:DeleteRolePermissionsBoundary",
		"iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:GetRole", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy",
	} {
		out = append(out, IAMCall{a, role})
	}
	return out
}

// reservedRoleARN is the role Identity Center makes for ps in the
// management account: AWSReservedSSO_<set name>_<16 hex digits>.
func (e *Emulator) reservedRoleARN(ps *permissionSet) string {
	id := ps.arn[strings.LastIndex(ps.arn, "/ps-")+len("/ps-"):]
	return fmt.Sprintf("arn:aws:iam::%s:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_%s_%s", e.management, ps.name, id)
}

// samlProviderARN is the instance's SAML provider in the management account.
func (e *Emulator) samlProviderARN() string {
	id := strings.TrimPrefix(strings.TrimPrefix(e.instanceID, "ssoins-"), "ins-")
	return fmt.Sprintf("arn:aws:iam::%s:saml-provider/AWSSSO_%s_DO_NOT_DELETE", e.management, id)
}

// delegatedRefusal is AWS's answer to a delegated administrator that
// changes an assignment in the management account or of a set provisioned
// there; nil when the change is allowed.
func (e *Emulator) delegatedRefusal(a Assignment, del bool) *apiError {
	if e.caller == e.management {
		return nil
	}
	ps := e.st.permissionSets[a.PermissionSetARN]
	_, provisioned := ps.provisioned[e.management]
	if a.AccountID != e.management && !provisioned {
		return nil
	}
	op := "CreateAccountAssignment"
	if del {
		op = "DeleteAccountAssignment"
	}
	return &apiError{status: http.StatusBadRequest, code: codeAccessDenied,
		message: fmt.Sprintf("User: arn:aws:sts::%s:assumed-role/jit-reconcile/GitHubActions is not authorized to perform: sso:%s on resource: %s", e.caller, op, a.PermissionSetARN)}
}

// managementIAMFailure is the FailureReason of an assignment change in the
// management account whose caller lacks an IAM permission Identity Center
// uses there, or "" when the caller has them all.
func (e *Emulator) managementIAMFailure(a Assignment, del bool) string {
	if a.AccountID != e.management || e.caller != e.management {
		return ""
	}
	ps := e.st.permissionSets[a.PermissionSetARN]
	role, saml := e.reservedRoleARN(ps), e.samlProviderARN()
	_, roleExists := ps.provisioned[a.AccountID]
	// The parts of the role beyond itself, each with the action that
	// writes it when the role is created and the one that removes it when
	// the role goes.
	parts := []struct {
		present     bool
		put, remove string
	}{
		{ps.inline != "", "iam:PutRolePolicy", "iam:DeleteRolePolicy"},
		{len(ps.managed) > 0 || len(ps.customer) > 0, "iam:AttachRolePolicy", "iam:DetachRolePolicy"},
		{ps.boundary != nil, "iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary"},
	}
	var calls []IAMCall
	switch {
	case del && e.st.assignmentsIn(a.PermissionSetARN, a.AccountID) == 1:
		// The last assignment: the role goes.
		for _, p := range parts {
			if p.present {
				calls = append(calls, IAMCall{p.remove, role})
			}
		}
		calls = append(calls, IAMCall{"iam:DeleteRole", role})
	case del:
	case roleExists:
		calls = append(calls, IAMCall{"iam:UpdateSAMLProvider", saml}, IAMCall{"iam:GetRole", role})
	default:
		calls = append(calls, IAMCall{"iam:UpdateSAMLProvider", saml}, IAMCall{"iam:CreateRole", role})
		for _, p := range parts {
			if p.present {
				calls = append(calls, IAMCall{p.put, role})
			}
		}
	}
	i := slices.IndexFunc(calls, func(c IAMCall) bool { return e.deniedIAM[c.Action] })
	if i < 0 {
		return ""
	}
	c := calls[i]
	return fmt.Sprintf("Received a 403 status error: Access denied by IAM. Please check your policy, or wait for role propagation to complete. "+
		"IAM Error: User: arn:aws:sts::%s:assumed-role/jit-reconcile/GitHubActions is not authorized to perform: %s on resource: %s "+
		"because no identity-based policy allows the %s action (Service: AmazonIdentityManagement; Status Code: 403; Error Code: AccessDenied; Request ID: %s; Proxy: null)",
		e.caller, c.Action, c.Resource, c.Action, e.uuidLocked())
}

func (st *state) assignmentsIn(psARN, account string) int {
	n := 0
	for a := range st.assignments {
		if a.PermissionSetARN == psARN && a.AccountID == account {
			n++
		}
	}
	return n
}
