package idcemu

import (
	"time"
)

// ssoAdminOperations are the sso-admin operations jit uses, by the name in
// X-Amz-Target after "SWBExternalService.".
var ssoAdminOperations = map[string]handlerFunc{
	"ListInstances":                           op((*Emulator).listInstances),
	"CreateAccountAssignment":                 op((*Emulator).createAccountAssignment),
	"DeleteAccountAssignment":                 op((*Emulator).deleteAccountAssignment),
	"DescribeAccountAssignmentCreationStatus": op((*Emulator).describeAccountAssignmentCreationStatus),
	"DescribeAccountAssignmentDeletionStatus": op((*Emulator).describeAccountAssignmentDeletionStatus),
	"ListAccountAssignmentCreationStatus":     op((*Emulator).listAccountAssignmentCreationStatus),
	"ListAccountAssignmentDeletionStatus":     op((*Emulator).listAccountAssignmentDeletionStatus),
	"ListAccountAssignments":                  op((*Emulator).listAccountAssignments),
	"ListAccountAssignmentsForPrincipal":      op((*Emulator).listAccountAssignmentsForPrincipal),
	"CreatePermissionSet":                     op((*Emulator).createPermissionSet),
	"DescribePermissionSet":                   op((*Emulator).describePermissionSet),
	"UpdatePermissionSet":                     op((*Emulator).updatePermissionSet),
	"DeletePermissionSet":                     op((*Emulator).deletePermissionSet),
	"ListPermissionSets":                      op((*Emulator).listPermissionSets),
	"ListPermissionSetsProvisionedToAccount":  op((*Emulator).listPermissionSetsProvisionedToAccount),
	"ListAccountsForProvisionedPermissionSet": op((*Emulator).listAccountsForProvisionedPermissionSet),
	"ProvisionPermissionSet":                  op((*Emulator).provisionPermissionSet),
	"DescribePermissionSetProvisioningStatus": op((*Emulator).describePermissionSetProvisioningStatus),
	"ListPermissionSetProvisioningStatus":     op((*Emulator).listPermissionSetProvisioningStatus),
	"AttachManagedPolicyToPermissionSet":      op((*Emulator).attachManagedPolicy),
	"DetachManagedPolicyFromPermissionSet":    op((*Emulator).detachManagedPolicy),
	"ListManagedPoliciesInPermissionSet":      op((*Emulator).listManagedPolicies),
	"PutInlinePolicyToPermissionSet":          op((*Emulator).putInlinePolicy),
	"GetInlinePolicyForPermissionSet":         op((*Emulator).getInlinePolicy),
	"DeleteInlinePolicyFromPermissionSet":     op((*Emulator).deleteInlinePolicy),
	"TagResource":                             op((*Emulator).tagResource),
	"UntagResource":                           op((*Emulator).untagResource),
	"ListTagsForResource":                     op((*Emulator).listTagsForResource),
}

func (e *Emulator) checkInstance(v *string) *apiError {
	arn, aerr := requirePattern("InstanceArn", v, instanceARNPattern)
	if aerr != nil {
		return aerr
	}
	if arn != e.instanceARN {
		return errNotFound("Instance %s does not exist.", arn)
	}
	return nil
}

// lookupPermissionSet validates InstanceArn and PermissionSetArn and returns
// the set.
func (e *Emulator) lookupPermissionSet(instance, psARN *string) (*permissionSet, *apiError) {
	if aerr := e.checkInstance(instance); aerr != nil {
		return nil, aerr
	}
	arn, aerr := requirePattern("PermissionSetArn", psARN, permissionSetARNPattern)
	if aerr != nil {
		return nil, aerr
	}
	ps := e.st.permissionSets[arn]
	if ps == nil {
		return nil, errNotFound("Could not find PermissionSet with PermissionSetArn %s.", arn)
	}
	return ps, nil
}

func (e *Emulator) listInstances(_ time.Time, in pageInput) (any, *apiError) {
	type instance struct {
		CreatedDate     *epoch `json:"CreatedDate"`
		IdentityStoreId string `json:"IdentityStoreId"`
		InstanceArn     string `json:"InstanceArn"`
		Name            string `json:"Name"`
		OwnerAccountId  string `json:"OwnerAccountId"`
		Status          string `json:"Status"`
	}
	all := []instance{{
		CreatedDate:     epochPtr(e.created),
		IdentityStoreId: e.identityStoreID,
		InstanceArn:     e.instanceARN,
		Name:            "jit-emulator",
		OwnerAccountId:  "000000000000",
		Status:          "ACTIVE",
	}}
	return listed("Instances", all, func(i instance) string { return i.InstanceArn }, in, listInstancesMaxResultsCap, func(i instance) instance { return i })
}
