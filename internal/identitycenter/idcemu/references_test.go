package idcemu

import (
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin/types"
)

func TestCustomerManagedReferencesAndBoundary(t *testing.T) {
	h, inst, set := withOpsSet(t)

	ref := &types.CustomerManagedPolicyReference{Name: aws.String("OpsTools")}
	if _, err := h.sso.AttachCustomerManagedPolicyReferenceToPermissionSet(t.Context(), &ssoadmin.AttachCustomerManagedPolicyReferenceToPermissionSetInput{
		InstanceArn: inst, PermissionSetArn: set, CustomerManagedPolicyReference: ref}); err != nil {
		t.Fatal(err)
	}
	_, err := h.sso.AttachCustomerManagedPolicyReferenceToPermissionSet(t.Context(), &ssoadmin.AttachCustomerManagedPolicyReferenceToPermissionSetInput{
		InstanceArn: inst, PermissionSetArn: set, CustomerManagedPolicyReference: &types.CustomerManagedPolicyReference{Name: aws.String("OpsTools"), Path: aws.String("/")}})
	wantAPIError(t, err, "ConflictException", http.StatusConflict)
	_, err = h.sso.AttachCustomerManagedPolicyReferenceToPermissionSet(t.Context(), &ssoadmin.AttachCustomerManagedPolicyReferenceToPermissionSetInput{
		InstanceArn: inst, PermissionSetArn: set, CustomerManagedPolicyReference: &types.CustomerManagedPolicyReference{Name: aws.String("x"), Path: aws.String("no-slash")}})
	wantAPIError(t, err, "ValidationException", http.StatusBadRequest)
	list, err := h.sso.ListCustomerManagedPolicyReferencesInPermissionSet(t.Context(), &ssoadmin.ListCustomerManagedPolicyReferencesInPermissionSetInput{InstanceArn: inst, PermissionSetArn: set})
	if err != nil || len(list.CustomerManagedPolicyReferences) != 1 || aws.ToString(list.CustomerManagedPolicyReferences[0].Path) != "/" {
		t.Fatalf("list = %+v, %v; want OpsTools at path /", list, err)
	}

	_, err = h.sso.GetPermissionsBoundaryForPermissionSet(t.Context(), &ssoadmin.GetPermissionsBoundaryForPermissionSetInput{InstanceArn: inst, PermissionSetArn: set})
	wantAPIError(t, err, "ResourceNotFoundException", http.StatusNotFound)
	_, err = h.sso.PutPermissionsBoundaryToPermissionSet(t.Context(), &ssoadmin.PutPermissionsBoundaryToPermissionSetInput{InstanceArn: inst, PermissionSetArn: set,
		PermissionsBoundary: &types.PermissionsBoundary{ManagedPolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess"), CustomerManagedPolicyReference: ref}})
	wantAPIError(t, err, "ValidationException", http.StatusBadRequest)
	if _, err := h.sso.PutPermissionsBoundaryToPermissionSet(t.Context(), &ssoadmin.PutPermissionsBoundaryToPermissionSetInput{InstanceArn: inst, PermissionSetArn: set,
		PermissionsBoundary: &types.PermissionsBoundary{CustomerManagedPolicyReference: &types.CustomerManagedPolicyReference{Name: aws.String("Boundary")}}}); err != nil {
		t.Fatal(err)
	}
	got, err := h.sso.GetPermissionsBoundaryForPermissionSet(t.Context(), &ssoadmin.GetPermissionsBoundaryForPermissionSetInput{InstanceArn: inst, PermissionSetArn: set})
	if err != nil || got.PermissionsBoundary == nil || aws.ToString(got.PermissionsBoundary.CustomerManagedPolicyReference.Name) != "Boundary" {
		t.Fatalf("boundary = %+v, %v", got, err)
	}
	if _, err := h.sso.DeletePermissionsBoundaryFromPermissionSet(t.Context(), &ssoadmin.DeletePermissionsBoundaryFromPermissionSetInput{InstanceArn: inst, PermissionSetArn: set}); err != nil {
		t.Fatal(err)
	}
	if st, _ := h.emu.PermissionSet(*set); st.PermissionsBoundary != nil || len(st.CustomerManagedPolicies) != 1 {
		t.Errorf("state = %+v", st)
	}
}
