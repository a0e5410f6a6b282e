package identitycenter

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin/types"
)

// A permission set's customer managed policy references and permissions
// boundary. An isolated copy gets both from its original; every read or
// write that fails is an error, so a copy is never provisioned without
// them (broader than the set the approvers chose).

// refKey identifies a customer managed policy reference: path and name,
// with AWS's default path.
func refKey(r types.CustomerManagedPolicyReference) string {
	path := aws.ToString(r.Path)
	if path == "" {
		path = "/"
	}
	return path + aws.ToString(r.Name)
}

func (c *Client) customerManaged(ctx context.Context, arn string) ([]types.CustomerManagedPolicyReference, error) {
	var out []types.CustomerManagedPolicyReference
	p := ssoadmin.NewListCustomerManagedPolicyReferencesInPermissionSetPaginator(c.admin, &ssoadmin.ListCustomerManagedPolicyReferencesInPermissionSetInput{
		InstanceArn:      aws.String(c.instanceARN),
		PermissionSetArn: aws.String(arn),
		MaxResults:       aws.Int32(maxPage),
	})
	err := eachPage(ctx, p, "ListCustomerManagedPolicyReferencesInPermissionSet "+arn, func(page *ssoadmin.ListCustomerManagedPolicyReferencesInPermissionSetOutput) bool {
		out = append(out, page.CustomerManagedPolicyReferences...)
		return true
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b types.CustomerManagedPolicyReference) int {
		return strings.Compare(refKey(a), refKey(b))
	})
	return out, nil
}

// boundary returns the set's permissions boundary, nil when it has none.
func (c *Client) boundary(ctx context.Context, arn string) (*types.PermissionsBoundary, error) {
	out, err := c.admin.GetPermissionsBoundaryForPermissionSet(ctx, &ssoadmin.GetPermissionsBoundaryForPermissionSetInput{
		InstanceArn:      aws.String(c.instanceARN),
		PermissionSetArn: aws.String(arn),
	})
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("GetPermissionsBoundaryForPermissionSet %s: %w", arn, err)
	}
	return out.PermissionsBoundary, nil
}

// syncCustomerManaged makes the set reference exactly want.
func (c *Client) syncCustomerManaged(ctx context.Context, arn string, want []types.CustomerManagedPolicyReference) error {
	have, err := c.customerManaged(ctx, arn)
	if err != nil {
		return err
	}
	has := func(list []types.CustomerManagedPolicyReference, r types.CustomerManagedPolicyReference) bool {
		return slices.ContainsFunc(list, func(o types.CustomerManagedPolicyReference) bool { return refKey(o) == refKey(r) })
	}
	for _, r := range want {
		if has(have, r) {
			continue
		}
		_, err := c.admin.AttachCustomerManagedPolicyReferenceToPermissionSet(ctx, &ssoadmin.AttachCustomerManagedPolicyReferenceToPermissionSetInput{
			InstanceArn: aws.String(c.instanceARN), PermissionSetArn: aws.String(arn), CustomerManagedPolicyReference: &r,
		}, c.strict...)
		if isConflict(err) {
			if now, lerr := c.customerManaged(ctx, arn); lerr == nil && has(now, r) {
				continue
			}
		}
		if err != nil {
			return fmt.Errorf("AttachCustomerManagedPolicyReferenceToPermissionSet %s to %s: %w", refKey(r), arn, err)
		}
	}
	for _, r := range have {
		if has(want, r) {
			continue
		}
		_, err := c.admin.DetachCustomerManagedPolicyReferenceFromPermissionSet(ctx, &ssoadmin.DetachCustomerManagedPolicyReferenceFromPermissionSetInput{
			InstanceArn: aws.String(c.instanceARN), PermissionSetArn: aws.String(arn), CustomerManagedPolicyReference: &r,
		})
		if err != nil && !isNotFound(err) {
			return fmt.Errorf("DetachCustomerManagedPolicyReferenceFromPermissionSet %s from %s: %w", refKey(r), arn, err)
		}
	}
	return nil
}

func boundaryKey(b *types.PermissionsBoundary) string {
	switch {
	case b == nil:
		return ""
	case b.CustomerManagedPolicyReference != nil:
		return "customer:" + refKey(*b.CustomerManagedPolicyReference)
	}
	return "managed:" + aws.ToString(b.ManagedPolicyArn)
}

// syncBoundary makes the set's permissions boundary want (none when nil).
func (c *Client) syncBoundary(ctx context.Context, arn string, want *types.PermissionsBoundary) error {
	have, err := c.boundary(ctx, arn)
	if err != nil {
		return err
	}
	if boundaryKey(have) == boundaryKey(want) {
		return nil
	}
	if want == nil {
		_, err := c.admin.DeletePermissionsBoundaryFromPermissionSet(ctx, &ssoadmin.DeletePermissionsBoundaryFromPermissionSetInput{
			InstanceArn: aws.String(c.instanceARN), PermissionSetArn: aws.String(arn),
		})
		if err != nil && !isNotFound(err) {
			return fmt.Errorf("DeletePermissionsBoundaryFromPermissionSet %s: %w", arn, err)
		}
		return nil
	}
	if _, err := c.admin.PutPermissionsBoundaryToPermissionSet(ctx, &ssoadmin.PutPermissionsBoundaryToPermissionSetInput{
		InstanceArn: aws.String(c.instanceARN), PermissionSetArn: aws.String(arn), PermissionsBoundary: want,
	}); err != nil {
		return fmt.Errorf("PutPermissionsBoundaryToPermissionSet %s: %w", arn, err)
	}
	return nil
}
