package identitycenter

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"

	"github.com/jit-access/jit/internal/inlinepolicy"
)

// MoveExpiry moves the expiry guard of a grant's own JIT- set (custom or
// isolated) at arn to g.ExpiresAt, and provisions the set to the account,
// so that a grant extended in git also ends at its new time in AWS. Only
// the guard statement changes: the rest of the inline policy, the managed
// policies and the assignment stay as they are, so access goes on without
// a gap and without a second assignment. The set must be jit's, tagged for
// g.Request. Repeating it is harmless: a run that stopped half-way moves
// the guard (or provisions it) again.
func (c *Client) MoveExpiry(ctx context.Context, g Grant, arn string) error {
	if err := c.moveExpiry(ctx, g, arn); err != nil {
		return fmt.Errorf("moving the expiry of %s to %s: %w", g.what(), inlinepolicy.Time(g.ExpiresAt), err)
	}
	return nil
}

func (c *Client) moveExpiry(ctx context.Context, g Grant, arn string) error {
	switch {
	case !g.ownSet():
		return errors.New("only jit's own sets have an expiry guard")
	case arn == "" || g.AccountID == "" || g.Request == "":
		return errors.New("the permission set ARN, the account id and the request path are required")
	case g.ExpiresAt.IsZero():
		return errors.New("the grant has no expiry")
	}
	info, err := c.setTags(ctx, arn)
	if err != nil {
		return err
	}
	if !info.managed() || info.tags[TagRequest] != g.Request {
		return fmt.Errorf("permission set %s is not jit's set for %s (tags %s=%q, %s=%q)", arn, g.Request,
			TagManaged, info.tags[TagManaged], TagRequest, info.tags[TagRequest])
	}
	out, err := c.admin.GetInlinePolicyForPermissionSet(ctx, &ssoadmin.GetInlinePolicyForPermissionSetInput{
		InstanceArn:      aws.String(c.instanceARN),
		PermissionSetArn: aws.String(arn),
	})
	if err != nil {
		return fmt.Errorf("GetInlinePolicyForPermissionSet %s: %w", arn, err)
	}
	current := aws.ToString(out.InlinePolicy)
	doc, err := inlinepolicy.WithStatements(current, inlinepolicy.ExpiryGuard(g.ExpiresAt))
	if err != nil {
		return err
	}
	if err := inlinepolicy.Check(doc); err != nil {
		return err
	}
	if doc != current {
		if _, err := c.admin.PutInlinePolicyToPermissionSet(ctx, &ssoadmin.PutInlinePolicyToPermissionSetInput{
			InstanceArn:      aws.String(c.instanceARN),
			PermissionSetArn: aws.String(arn),
			InlinePolicy:     aws.String(doc),
		}); err != nil {
			return fmt.Errorf("PutInlinePolicyToPermissionSet %s: %w", arn, err)
		}
	}
	// Provisioned every time: a run that stopped after the put must still
	// push the new guard to the account's role.
	return c.provision(ctx, arn, g.AccountID)
}
