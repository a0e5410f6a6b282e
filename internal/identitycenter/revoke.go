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
	// SetLeft says the grant's own permission set outlived the revocation
	// (AWS refused to delete it yet); the assignment is gone all the same,
	// and the orphan clean-up of a later run deletes the set.
	SetLeft bool
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
	// Not listed can also mean "being created": AWS lists an assignment
	// only once its creation succeeded. Then delete it, which waits the
	// creation out as a conflict.
	exists, creating, err := c.listedOrCreating(ctx, r.AccountID, psARN, principal)
	if err != nil {
		return Revoked{}, err
	}
	if !exists && !creating {
		return Revoked{Notes: []string{"assignment already gone from AWS when the revocation ran"}}, nil
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
	notes, err := c.removeOwnAssignment(ctx, r, arn, principal)
	if err != nil {
		return Revoked{}, err
	}
	// The grant's assignment is gone: that is what ends its access, and
	// the revocation is done. Deleting the set is clean-up: AWS refuses it
	// (ConflictException) until the set's role has been removed from the
	// account, which takes a while after the last assignment goes. A set
	// left here is deleted by the orphan clean-up of a later run, which
	// deletes only sets tagged jit:managed=true.
	others, err := c.deleteManagedSet(ctx, arn)
	if len(others) > 0 {
		notes = append(notes, "also removed assignments of the set jit did not make: "+strings.Join(others, ", "))
	}
	if err != nil {
		if ctx.Err() != nil {
			return Revoked{}, fmt.Errorf("deleting permission set %s: %w", info.name, ctx.Err())
		}
		c.log.WarnContext(ctx, "assignment removed; the permission set is left for a later clean-up", "permission_set", arn, "name", info.name, "error", err)
		notes = append(notes, "permission set "+info.name+" ("+arn+") not deleted yet ("+err.Error()+"); the clean-up of a later run deletes it")
		return Revoked{Notes: notes, SetLeft: true}, nil
	}
	notes = append(notes, "permission set "+info.name+" deleted")
	return Revoked{Notes: notes}, nil
}

// removeOwnAssignment ends the grant's assignment of its own set arn: it
// cuts live sessions, deletes the assignment and returns once AWS confirms
// it gone, or the notes of what it did. An assignment not listed is gone
// unless its creation is still in flight, and then it is deleted, which
// waits the creation out.
//
// The cut is skipped while a deletion of the assignment is already in
// flight (a previous run's, whose answer was lost): the deletion ends the
// access anyway, and a provisioning that completed after it would put the
// set's role back in an account where it has no assignment, where nothing
// removes it and the set can never be deleted.
func (c *Client) removeOwnAssignment(ctx context.Context, r Revocation, arn, principal string) ([]string, error) {
	exists, creating, err := c.listedOrCreating(ctx, r.AccountID, arn, principal)
	if err != nil || !exists && !creating {
		return nil, err
	}
	if !exists {
		return nil, c.deleteAssignment(ctx, r.AccountID, arn, principal, types.PrincipalTypeUser)
	}
	deleting, err := c.inFlight(ctx, true, r.AccountID, arn, principal)
	if err != nil {
		return nil, err
	}
	var notes []string
	if deleting {
		notes = append(notes, "live sessions not cut: the assignment's deletion was already under way")
	} else {
		// The revocation never waits on the cut: if the deny cannot be
		// added (the policy would be too large, or AWS kept refusing), the
		// assignment still goes, and the record says the cut failed.
		cut, err := c.cutSessions(ctx, arn, r.AccountID, r.ExpiresAt)
		switch {
		case ctx.Err() != nil:
			return nil, fmt.Errorf("cutting live sessions: %w", ctx.Err())
		case err != nil:
			c.log.WarnContext(ctx, "live sessions not cut; removing the assignment anyway", "permission_set", arn, "account", r.AccountID, "error", err)
			notes = append(notes, "live sessions NOT cut ("+err.Error()+"): sessions started before the revocation may last up to the set's session duration")
		default:
			notes = append(notes, "live sessions cut: credentials issued before "+inlinepolicy.Time(cut)+" are denied")
		}
	}
	if err := c.deleteAssignment(ctx, r.AccountID, arn, principal, types.PrincipalTypeUser); err != nil {
		return nil, err
	}
	return notes, nil
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

// listedOrCreating reports whether the assignment is listed in AWS, and if
// not, whether its creation is still in flight. A creation can finish
// between the look and the in-flight check (AWS lists it only once it
// succeeded, and no longer reports it IN_PROGRESS then): neither would see
// it, and a revocation would call an assignment that exists a moment later
// gone. So when nothing is in flight, look once more: a creation that was
// under way at the first look has finished by then, and is listed.
func (c *Client) listedOrCreating(ctx context.Context, accountID, psARN, principalID string) (listed, creating bool, err error) {
	if listed, err = c.assignmentExists(ctx, accountID, psARN, principalID); err != nil || listed {
		return listed, false, err
	}
	if creating, err = c.inFlight(ctx, false, accountID, psARN, principalID); err != nil || creating {
		return false, creating, err
	}
	listed, err = c.assignmentExists(ctx, accountID, psARN, principalID)
	return listed, false, err
}

// inFlight reports whether a creation (deletion false) or a deletion of the
// assignment is still IN_PROGRESS in AWS.
func (c *Client) inFlight(ctx context.Context, deletion bool, accountID, psARN, principalID string) (bool, error) {
	filter := &types.OperationStatusFilter{Status: types.StatusValuesInProgress}
	var ops []types.AccountAssignmentOperationStatusMetadata
	var err error
	if deletion {
		p := ssoadmin.NewListAccountAssignmentDeletionStatusPaginator(c.admin, &ssoadmin.ListAccountAssignmentDeletionStatusInput{
			InstanceArn: aws.String(c.instanceARN), Filter: filter, MaxResults: aws.Int32(maxPage),
		})
		ops, err = allPages(ctx, p, "ListAccountAssignmentDeletionStatus", func(page *ssoadmin.ListAccountAssignmentDeletionStatusOutput) []types.AccountAssignmentOperationStatusMetadata {
			return page.AccountAssignmentsDeletionStatus
		})
	} else {
		p := ssoadmin.NewListAccountAssignmentCreationStatusPaginator(c.admin, &ssoadmin.ListAccountAssignmentCreationStatusInput{
			InstanceArn: aws.String(c.instanceARN), Filter: filter, MaxResults: aws.Int32(maxPage),
		})
		ops, err = allPages(ctx, p, "ListAccountAssignmentCreationStatus", func(page *ssoadmin.ListAccountAssignmentCreationStatusOutput) []types.AccountAssignmentOperationStatusMetadata {
			return page.AccountAssignmentsCreationStatus
		})
	}
	if err != nil {
		return false, err
	}
	for _, op := range ops {
		st, err := c.assignmentStatus(ctx, deletion, aws.ToString(op.RequestId))
		if err != nil {
			return false, err
		}
		if st != nil && st.Status == types.StatusValuesInProgress && aws.ToString(st.TargetId) == accountID &&
			aws.ToString(st.PermissionSetArn) == psARN && aws.ToString(st.PrincipalId) == principalID {
			return true, nil
		}
	}
	return false, nil
}
