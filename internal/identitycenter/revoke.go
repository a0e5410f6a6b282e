package identitycenter

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin/types"

	"github.com/jit-access/jit/internal/inlinepolicy"
)

// Revocation is a grant to end, with what was recorded when it was granted.
type Revocation struct {
	Grant
	Granted
	// KeepAssignment says another active grant needs the same (account,
	// set, user) assignment of a shared standard set: it stays.
	KeepAssignment bool
}

// Revoked says what the revocation did that an auditor should know.
type Revoked struct {
	Notes []string
}

// Revoke ends a grant and returns nil only once AWS has confirmed it; any
// doubt is an error and the caller tries again on its next run. Anything
// already gone is success, so a repeat after a crash is harmless.
//
// For jit's own sets it first cuts live sessions (a deny for credentials
// issued before now, provisioned to the account), then deletes the
// assignment and the set. For a shared standard set it deletes the
// assignment unless it was preexisting or another grant keeps it; sessions
// already started then last up to the set's session duration, as AWS
// documents, and a note says so.
func (c *Client) Revoke(ctx context.Context, r Revocation) (Revoked, error) {
	var out Revoked
	var err error
	if r.ownSet() {
		out, err = c.revokeOwnSet(ctx, r)
	} else {
		out, err = c.revokeShared(ctx, r)
	}
	if err != nil {
		return Revoked{}, fmt.Errorf("revoking %s: %w", r.Grant.what(), err)
	}
	return out, nil
}

func (c *Client) principal(ctx context.Context, r Revocation) (string, error) {
	if r.PrincipalID != "" {
		return r.PrincipalID, nil
	}
	return c.UserID(ctx, r.UserName)
}

func (c *Client) revokeShared(ctx context.Context, r Revocation) (Revoked, error) {
	psARN := r.Granted.PermissionSetARN
	if psARN == "" {
		psARN = r.Grant.PermissionSetARN
	}
	if psARN == "" {
		return Revoked{}, errors.New("permission set ARN is required")
	}
	switch {
	case r.Preexisting:
		return Revoked{Notes: []string{"assignment kept: it existed before jit granted access"}}, nil
	case r.KeepAssignment:
		return Revoked{Notes: []string{"assignment kept: another active grant needs the same account, permission set and user"}}, nil
	}
	principal, err := c.principal(ctx, r)
	if err != nil {
		return Revoked{}, err
	}
	// Look first: deleting an assignment that is already gone is not a
	// no-op in AWS (the asynchronous deletion can end FAILED), and a
	// revocation must not be retried forever for something already done.
	exists, err := c.assignmentExists(ctx, r.AccountID, psARN, principal)
	if err != nil {
		return Revoked{}, err
	}
	if !exists {
		// Not listed can also mean "being created": AWS lists an
		// assignment only once its creation succeeded. Then delete it,
		// which waits the creation out as a conflict.
		pending, err := c.creationInFlight(ctx, r.AccountID, psARN, principal)
		if err != nil {
			return Revoked{}, err
		}
		if !pending {
			return Revoked{Notes: []string{"assignment already gone from AWS when the revocation ran"}}, nil
		}
	}
	if err := c.deleteAssignment(ctx, r.AccountID, psARN, principal, types.PrincipalTypeUser); err != nil {
		return Revoked{}, err
	}
	limit := "the set's session duration (1 to 12 hours)"
	if info, err := c.describeSet(ctx, psARN); err != nil {
		c.log.WarnContext(ctx, "reading session duration for the revocation note", "permission_set", psARN, "error", err)
	} else if d, err := parseISODuration(info.sessionDuration); err == nil {
		limit = fmt.Sprintf("the session duration of %s (%s)", info.name, d)
	}
	return Revoked{Notes: []string{"assignment removed; sessions already started may last up to " + limit + ", as AWS documents"}}, nil
}

func (c *Client) revokeOwnSet(ctx context.Context, r Revocation) (Revoked, error) {
	arn := r.Granted.PermissionSetARN
	if arn == "" {
		// The grant crashed before its set was recorded: look it up by tag.
		if r.Request == "" {
			return Revoked{}, errors.New("neither the permission set ARN nor the request path is known")
		}
		all, err := c.scanSets(ctx)
		if err != nil {
			return Revoked{}, err
		}
		for a, info := range all {
			if info.managed() && info.tags[TagRequest] == r.Request {
				arn = a
			}
		}
		if arn == "" {
			return Revoked{Notes: []string{"no permission set was ever created for this grant"}}, nil
		}
	}
	info, err := c.setTags(ctx, arn)
	if isNotFound(err) {
		return Revoked{Notes: []string{"permission set already deleted"}}, nil
	}
	if err != nil {
		return Revoked{}, err
	}
	if !info.managed() {
		return Revoked{}, fmt.Errorf("%s (%s): %w", arn, info.name, ErrNotManaged)
	}
	if r.Request != "" && info.tags[TagRequest] != r.Request {
		return Revoked{}, fmt.Errorf("%s (%s) belongs to request %q, not %q", arn, info.name, info.tags[TagRequest], r.Request)
	}
	principal, err := c.principal(ctx, r)
	if err != nil {
		return Revoked{}, err
	}
	var notes []string
	exists, err := c.assignmentExists(ctx, r.AccountID, arn, principal)
	if err != nil {
		return Revoked{}, err
	}
	if exists {
		// The revocation never waits on the cut: if the deny cannot be
		// added (the policy would be too large, or AWS kept refusing), the
		// assignment still goes, and the record says the cut failed.
		cut, err := c.cutSessions(ctx, arn, r.AccountID, r.ExpiresAt)
		switch {
		case ctx.Err() != nil:
			return Revoked{}, fmt.Errorf("cutting live sessions: %w", ctx.Err())
		case err != nil:
			c.log.WarnContext(ctx, "live sessions not cut; removing the assignment anyway", "permission_set", arn, "account", r.AccountID, "error", err)
			notes = append(notes, "live sessions NOT cut ("+err.Error()+"): sessions started before the revocation may last up to the set's session duration")
		default:
			notes = append(notes, "live sessions cut: credentials issued before "+inlinepolicy.Time(cut)+" are denied")
		}
		if err := c.deleteAssignment(ctx, r.AccountID, arn, principal, types.PrincipalTypeUser); err != nil {
			return Revoked{}, err
		}
	}
	others, err := c.deleteManagedSet(ctx, arn)
	if err != nil {
		return Revoked{}, err
	}
	if len(others) > 0 {
		notes = append(notes, "also removed assignments of the set jit did not make: "+strings.Join(others, ", "))
	}
	notes = append(notes, "permission set "+info.name+" deleted")
	return Revoked{Notes: notes}, nil
}

// cutSessions denies the set everything for credentials issued before now
// and, from now on, everything at all (the expiry guard moves to now), then
// provisions the change to the account. It returns the cut-off time.
func (c *Client) cutSessions(ctx context.Context, arn, accountID string, expiresAt time.Time) (time.Time, error) {
	// Round up: IAM compares whole seconds, and a token issued in this
	// second must not slip through.
	now := c.clock.Now().UTC()
	cut := now.Truncate(time.Second)
	if cut.Before(now) {
		cut = cut.Add(time.Second)
	}
	end := cut
	if !expiresAt.IsZero() && expiresAt.Before(end) {
		end = expiresAt
	}
	out, err := c.admin.GetInlinePolicyForPermissionSet(ctx, &ssoadmin.GetInlinePolicyForPermissionSetInput{
		InstanceArn:      aws.String(c.instanceARN),
		PermissionSetArn: aws.String(arn),
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("GetInlinePolicyForPermissionSet %s: %w", arn, err)
	}
	doc, err := inlinepolicy.WithStatements(aws.ToString(out.InlinePolicy), inlinepolicy.ExpiryGuard(end), inlinepolicy.SessionCut(cut))
	if err != nil {
		return time.Time{}, err
	}
	if err := inlinepolicy.Check(doc); err != nil {
		return time.Time{}, err
	}
	if _, err := c.admin.PutInlinePolicyToPermissionSet(ctx, &ssoadmin.PutInlinePolicyToPermissionSetInput{
		InstanceArn:      aws.String(c.instanceARN),
		PermissionSetArn: aws.String(arn),
		InlinePolicy:     aws.String(doc),
	}); err != nil {
		return time.Time{}, fmt.Errorf("PutInlinePolicyToPermissionSet %s: %w", arn, err)
	}
	if err := c.provision(ctx, arn, accountID); err != nil {
		return time.Time{}, err
	}
	c.log.InfoContext(ctx, "live sessions cut", "permission_set", arn, "account", accountID, "before", cut)
	return cut, nil
}

// creationInFlight reports whether a creation of the assignment is still
// IN_PROGRESS in AWS.
func (c *Client) creationInFlight(ctx context.Context, accountID, psARN, principalID string) (bool, error) {
	p := ssoadmin.NewListAccountAssignmentCreationStatusPaginator(c.admin, &ssoadmin.ListAccountAssignmentCreationStatusInput{
		InstanceArn: aws.String(c.instanceARN),
		Filter:      &types.OperationStatusFilter{Status: types.StatusValuesInProgress},
		MaxResults:  aws.Int32(maxPage),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return false, fmt.Errorf("ListAccountAssignmentCreationStatus: %w", err)
		}
		for _, op := range page.AccountAssignmentsCreationStatus {
			out, err := c.admin.DescribeAccountAssignmentCreationStatus(ctx, &ssoadmin.DescribeAccountAssignmentCreationStatusInput{
				InstanceArn:                        aws.String(c.instanceARN),
				AccountAssignmentCreationRequestId: op.RequestId,
			})
			if err != nil {
				return false, fmt.Errorf("DescribeAccountAssignmentCreationStatus: %w", err)
			}
			st := out.AccountAssignmentCreationStatus
			if st != nil && st.Status == types.StatusValuesInProgress && aws.ToString(st.TargetId) == accountID &&
				aws.ToString(st.PermissionSetArn) == psARN && aws.ToString(st.PrincipalId) == principalID {
				return true, nil
			}
		}
	}
	return false, nil
}
