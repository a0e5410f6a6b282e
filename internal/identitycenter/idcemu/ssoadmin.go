package idcemu

import (
	"time"
)

// ssoAdminOperations are the sso-admin operations jit uses, by the name in
// X-Amz-Target after "SWBExternalService.".
var ssoAdminOperations = map[string]handlerFunc{
	"ListInstances":                                         op((*Emulator).listInstances),
	"CreateAccountAssignment":                               op((*Emulator).createAccountAssignment),
	"DeleteAccountAssignment":                               op((*Emulator).deleteAccountAssignment),
	"DescribeAccountAssignmentCreationStatus":               op((*Emulator).describeAccountAssignmentCreationStatus),
	"DescribeAccountAssignmentDeletionStatus":               op((*Emulator).describeAccountAssignmentDeletionStatus),
	"ListAccountAssignmentCreationStatus":                   op((*Emulator).listAccountAssignmentCreationStatus),
	"ListAccountAssignmentDeletionStatus":                   op((*Emulator).listAccountAssignmentDeletionStatus),
	"ListAccountAssignments":                                setOp((*Emulator).listAccountAssignments),
	"ListAccountAssignmentsForPrincipal":                    op((*Emulator).listAccountAssignmentsForPrincipal),
	"CreatePermissionSet":                                   op((*Emulator).createPermissionSet),
	"DescribePermissionSet":                                 setOp((*Emulator).describePermissionSet),
	"UpdatePermissionSet":                                   setOp((*Emulator).updatePermissionSet),
	"DeletePermissionSet":                                   setOp((*Emulator).deletePermissionSet),
	"ListPermissionSets":                                    op((*Emulator).listPermissionSets),
	"ListPermissionSetsProvisionedToAccount":                op((*Emulator).listPermissionSetsProvisionedToAccount),
	"ListAccountsForProvisionedPermissionSet":               setOp((*Emulator).listAccountsForProvisionedPermissionSet),
	"ProvisionPermissionSet":                                setOp((*Emulator).provisionPermissionSet),
	"DescribePermissionSetProvisioningStatus":               op((*Emulator).describePermissionSetProvisioningStatus),
	"ListPermissionSetProvisioningStatus":                   op((*Emulator).listPermissionSetProvisioningStatus),
	"AttachManagedPolicyToPermissionSet":                    setOp((*Emulator).attachManagedPolicy),
	"DetachManagedPolicyFromPermissionSet":                  setOp((*Emulator).detachManagedPolicy),
	"ListManagedPoliciesInPermissionSet":                    setOp((*Emulator).listManagedPolicies),
	"PutInlinePolicyToPermissionSet":                        setOp((*Emulator).putInlinePolicy),
	"GetInlinePolicyForPermissionSet":                       setOp((*Emulator).getInlinePolicy),
	"DeleteInlinePolicyFromPermissionSet":                   setOp((*Emulator).deleteInlinePolicy),
	"AttachCustomerManagedPolicyReferenceToPermissionSet":   setOp((*Emulator).attachCustomerManagedPolicyReference),
	"DetachCustomerManagedPolicyReferenceFromPermissionSet": setOp((*Emulator).detachCustomerManagedPolicyReference),
	"ListCustomerManagedPolicyReferencesInPermissionSet":    setOp((*Emulator).listCustomerManagedPolicyReferences),
	"PutPermissionsBoundaryToPermissionSet":                 setOp((*Emulator).putPermissionsBoundary),
	"GetPermissionsBoundaryForPermissionSet":                setOp((*Emulator).getPermissionsBoundary),
	"DeletePermissionsBoundaryFromPermissionSet":            setOp((*Emulator).deletePermissionsBoundary),
	"TagResource":         taggedOp((*Emulator).tagResource),
	"UntagResource":       taggedOp((*Emulator).untagResource),
	"ListTagsForResource": taggedOp((*Emulator).listTagsForResource),
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

// permissionSetOf validates PermissionSetArn and returns the set; op has
// checked the instance.
func (e *Emulator) permissionSetOf(psARN *string) (*permissionSet, *apiError) {
	return find(e.st.permissionSets, "PermissionSetArn", psARN, permissionSetARNPattern, func(arn string) *apiError {
		return errNotFound("Could not find PermissionSet with PermissionSetArn %s.", arn)
	})
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
