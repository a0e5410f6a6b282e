package identitycenter

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"
	"github.com/aws/aws-sdk-go-v2/service/identitystore/document"
	istypes "github.com/aws/aws-sdk-go-v2/service/identitystore/types"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin/types"
)

// ErrUserNotFound is returned (wrapped) when the identity store has no user
// with the given UserName.
var ErrUserNotFound = errors.New("no such user in the identity store")

var errNoStatus = errors.New("AWS returned no status")

// FailedError is an asynchronous operation that AWS finished as FAILED. It
// is final: repeating the same call fails the same way until someone fixes
// the cause (e.g. the account's IAM role quota), so the caller records the
// grant as failed with Reason rather than retrying.
type FailedError struct {
	// Operation is the AWS operation, e.g. CreateAccountAssignment.
	Operation string
	// RequestID is AWS's id of the asynchronous request.
	RequestID string
	// Reason is AWS's FailureReason.
	Reason string
}

func (e *FailedError) Error() string {
	return fmt.Sprintf("%s %s failed in AWS: %s", e.Operation, e.RequestID, e.Reason)
}

// ManagementAccountError is AWS's refusal of an assignment in the
// organisation's management account (AccessDeniedException). AWS refuses
// them to its delegated administrator whatever the role's policy says, so
// repeating the request cannot help: the grant ends as failed, with AWS's
// words and what to do.
type ManagementAccountError struct {
	Account string
	// Err is AWS's AccessDeniedException.
	Err error
}

func (e *ManagementAccountError) Error() string {
	return fmt.Sprintf("CreateAccountAssignment in the management account %s: %v", e.Account, e.Err)
}

func (e *ManagementAccountError) Unwrap() error { return e.Err }

// Reason is AWS's refusal and what it means.
func (e *ManagementAccountError) Reason() string {
	msg := e.Err.Error()
	var ad *types.AccessDeniedException
	if errors.As(e.Err, &ad) {
		msg = ad.ErrorCode() + ": " + ad.ErrorMessage()
	}
	return msg + ". Account " + e.Account + " is the organisation's management account, where AWS allows assignments only from a role in the management account itself, never from a delegated administrator account; " +
		"if jit's role lives in the management account, compare its policy with `jit policy provisioner`"
}

// UserID resolves an Identity Center UserName to the user's id.
func (c *Client) UserID(ctx context.Context, userName string) (string, error) {
	if id, ok := c.users.get(userName); ok {
		return id, nil
	}
	out, err := c.store.GetUserId(ctx, &identitystore.GetUserIdInput{
		IdentityStoreId: aws.String(c.identityStoreID),
		AlternateIdentifier: &istypes.AlternateIdentifierMemberUniqueAttribute{Value: istypes.UniqueAttribute{
			AttributePath:  aws.String("userName"),
			AttributeValue: document.NewLazyDocument(userName),
		}},
	})
	var nf *istypes.ResourceNotFoundException
	if errors.As(err, &nf) {
		return "", fmt.Errorf("looking up user %q in identity store %s: %w (check the users: map in .github/jit.yaml)", userName, c.identityStoreID, ErrUserNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("looking up user %q in identity store %s: %w", userName, c.identityStoreID, err)
	}
	if out.UserId == nil || *out.UserId == "" {
		return "", fmt.Errorf("looking up user %q in identity store %s: %w", userName, c.identityStoreID, ErrUserNotFound)
	}
	c.users.put(userName, *out.UserId)
	return *out.UserId, nil
}

// AssignmentExists reports whether the user principalID is assigned
// permissionSetARN on accountID (the reconcile loop's drift check).
func (c *Client) AssignmentExists(ctx context.Context, accountID, permissionSetARN, principalID string) (bool, error) {
	ok, err := c.assignmentExists(ctx, accountID, permissionSetARN, principalID)
	if err != nil {
		return false, fmt.Errorf("checking assignment of %s on %s to %s: %w", permissionSetARN, accountID, principalID, err)
	}
	return ok, nil
}

func (c *Client) assignmentExists(ctx context.Context, accountID, psARN, principalID string) (bool, error) {
	found := false
	err := c.eachAssignment(ctx, accountID, psARN, func(a types.AccountAssignment) bool {
		if a.PrincipalType == types.PrincipalTypeUser && aws.ToString(a.PrincipalId) == principalID {
			found = true
			return false
		}
		return true
	})
	return found, err
}

// Assignments are the (account, permission set ARN) pairs a user is
// assigned.
type Assignments map[[2]string]bool

// Has reports whether the user is assigned permissionSetARN on accountID.
func (a Assignments) Has(accountID, permissionSetARN string) bool {
	return a[[2]string{accountID, permissionSetARN}]
}

// AssignmentsOf lists every account assignment of the user principalID: one
// call per 100 assignments, however many accounts and permission sets they
// span, where asking per grant costs a call (or more) per grant. The
// reconcile's drift check asks it once per user.
func (c *Client) AssignmentsOf(ctx context.Context, principalID string) (Assignments, error) {
	out := Assignments{}
	p := ssoadmin.NewListAccountAssignmentsForPrincipalPaginator(c.admin, &ssoadmin.ListAccountAssignmentsForPrincipalInput{
		InstanceArn:   aws.String(c.instanceARN),
		PrincipalId:   aws.String(principalID),
		PrincipalType: types.PrincipalTypeUser,
		MaxResults:    aws.Int32(maxPage),
	})
	err := eachPage(ctx, p, "listing the assignments of "+principalID+": ListAccountAssignmentsForPrincipal", func(page *ssoadmin.ListAccountAssignmentsForPrincipalOutput) bool {
		for _, a := range page.AccountAssignments {
			out[[2]string{aws.ToString(a.AccountId), aws.ToString(a.PermissionSetArn)}] = true
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// maxPage is the largest page the sso-admin list calls return; their
// default is smaller, and every page is a call against the rate limit.
const maxPage = 100

// eachAssignment calls fn for each assignment of psARN on accountID until fn
// returns false.
func (c *Client) eachAssignment(ctx context.Context, accountID, psARN string, fn func(types.AccountAssignment) bool) error {
	p := ssoadmin.NewListAccountAssignmentsPaginator(c.admin, &ssoadmin.ListAccountAssignmentsInput{
		InstanceArn:      aws.String(c.instanceARN),
		AccountId:        aws.String(accountID),
		PermissionSetArn: aws.String(psARN),
		// A shared set can hold many assignments; each page is a call
		// against the rate limit.
		MaxResults: aws.Int32(maxPage),
	})
	return eachPage(ctx, p, "listing account assignments", func(page *ssoadmin.ListAccountAssignmentsOutput) bool {
		for _, a := range page.AccountAssignments {
			if !fn(a) {
				return false
			}
		}
		return true
	})
}

// ensureAssignment creates the assignment unless it exists, and returns once
// AWS reports it SUCCEEDED; created says this call made it.
//
// In the management account (management true), an AccessDeniedException
// from CreateAccountAssignment is a *ManagementAccountError: AWS refuses
// assignments there to a delegated administrator, whatever its policy says.
func (c *Client) ensureAssignment(ctx context.Context, accountID, psARN, principalID string, management bool) (created bool, err error) {
	exists, err := c.assignmentExists(ctx, accountID, psARN, principalID)
	if err != nil {
		return false, err
	}
	if exists {
		c.log.DebugContext(ctx, "assignment exists", "account", accountID, "permission_set", psARN, "principal", principalID)
		return false, nil
	}
	release, err := c.acquire(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	out, err := c.admin.CreateAccountAssignment(ctx, &ssoadmin.CreateAccountAssignmentInput{
		InstanceArn:      aws.String(c.instanceARN),
		PermissionSetArn: aws.String(psARN),
		PrincipalId:      aws.String(principalID),
		PrincipalType:    types.PrincipalTypeUser,
		TargetId:         aws.String(accountID),
		TargetType:       types.TargetTypeAwsAccount,
	})
	if err != nil {
		// A create that AWS applied before a 5xx or a timeout comes back
		// as a conflict on the retry: look before calling it a failure.
		if exists, lerr := c.assignmentExists(ctx, accountID, psARN, principalID); lerr == nil && exists {
			return false, nil
		}
		if management && isAccessDenied(err) {
			return false, &ManagementAccountError{Account: accountID, Err: err}
		}
		return false, fmt.Errorf("CreateAccountAssignment: %w", err)
	}
	st := out.AccountAssignmentCreationStatus
	if st == nil {
		return false, errors.New("CreateAccountAssignment returned no status")
	}
	c.log.InfoContext(ctx, "assignment requested", "account", accountID, "permission_set", psARN, "principal", principalID, "request_id", aws.ToString(st.RequestId))
	return true, c.await(ctx, "CreateAccountAssignment", aws.ToString(st.RequestId), st.Status, aws.ToString(st.FailureReason), c.describeAssignment(false))
}

// deleteAssignment removes the assignment and returns once AWS reports the
// deletion SUCCEEDED; an assignment that is already gone is success.
func (c *Client) deleteAssignment(ctx context.Context, accountID, psARN, principalID string, principalType types.PrincipalType) error {
	release, err := c.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	out, err := c.admin.DeleteAccountAssignment(ctx, &ssoadmin.DeleteAccountAssignmentInput{
		InstanceArn:      aws.String(c.instanceARN),
		PermissionSetArn: aws.String(psARN),
		PrincipalId:      aws.String(principalID),
		PrincipalType:    principalType,
		TargetId:         aws.String(accountID),
		TargetType:       types.TargetTypeAwsAccount,
	})
	if isNotFound(err) {
		c.log.DebugContext(ctx, "assignment already gone", "account", accountID, "permission_set", psARN, "principal", principalID)
		return nil
	}
	if err != nil {
		return fmt.Errorf("DeleteAccountAssignment: %w", err)
	}
	st := out.AccountAssignmentDeletionStatus
	if st == nil {
		return errors.New("DeleteAccountAssignment returned no status")
	}
	c.log.InfoContext(ctx, "assignment deletion requested", "account", accountID, "permission_set", psARN, "principal", principalID, "request_id", aws.ToString(st.RequestId))
	return c.await(ctx, "DeleteAccountAssignment", aws.ToString(st.RequestId), st.Status, aws.ToString(st.FailureReason), c.describeAssignment(true))
}

// assignmentStatus describes an assignment creation (deletion false) or
// deletion request.
func (c *Client) assignmentStatus(ctx context.Context, deletion bool, id string) (*types.AccountAssignmentOperationStatus, error) {
	if deletion {
		out, err := c.admin.DescribeAccountAssignmentDeletionStatus(ctx, &ssoadmin.DescribeAccountAssignmentDeletionStatusInput{
			InstanceArn: aws.String(c.instanceARN), AccountAssignmentDeletionRequestId: aws.String(id),
		})
		if err != nil {
			return nil, fmt.Errorf("DescribeAccountAssignmentDeletionStatus: %w", err)
		}
		return out.AccountAssignmentDeletionStatus, nil
	}
	out, err := c.admin.DescribeAccountAssignmentCreationStatus(ctx, &ssoadmin.DescribeAccountAssignmentCreationStatusInput{
		InstanceArn: aws.String(c.instanceARN), AccountAssignmentCreationRequestId: aws.String(id),
	})
	if err != nil {
		return nil, fmt.Errorf("DescribeAccountAssignmentCreationStatus: %w", err)
	}
	return out.AccountAssignmentCreationStatus, nil
}

// describeAssignment is await's describe for an assignment request.
func (c *Client) describeAssignment(deletion bool) func(context.Context, string) (types.StatusValues, string, error) {
	return func(ctx context.Context, id string) (types.StatusValues, string, error) {
		st, err := c.assignmentStatus(ctx, deletion, id)
		if err != nil {
			return "", "", err
		}
		if st == nil {
			return "", "", errNoStatus
		}
		return st.Status, aws.ToString(st.FailureReason), nil
	}
}

// provision pushes the permission set's current policies to the account and
// returns once AWS reports the provisioning SUCCEEDED.
func (c *Client) provision(ctx context.Context, psARN, accountID string) error {
	release, err := c.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()
	out, err := c.admin.ProvisionPermissionSet(ctx, &ssoadmin.ProvisionPermissionSetInput{
		InstanceArn:      aws.String(c.instanceARN),
		PermissionSetArn: aws.String(psARN),
		TargetType:       types.ProvisionTargetTypeAwsAccount,
		TargetId:         aws.String(accountID),
	})
	if err != nil {
		return fmt.Errorf("ProvisionPermissionSet: %w", err)
	}
	st := out.PermissionSetProvisioningStatus
	if st == nil {
		return errors.New("ProvisionPermissionSet returned no status")
	}
	return c.await(ctx, "ProvisionPermissionSet", aws.ToString(st.RequestId), st.Status, aws.ToString(st.FailureReason),
		func(ctx context.Context, id string) (types.StatusValues, string, error) {
			o, err := c.admin.DescribePermissionSetProvisioningStatus(ctx, &ssoadmin.DescribePermissionSetProvisioningStatusInput{
				InstanceArn:                     aws.String(c.instanceARN),
				ProvisionPermissionSetRequestId: aws.String(id),
			})
			if err != nil {
				return "", "", err
			}
			if o.PermissionSetProvisioningStatus == nil {
				return "", "", errNoStatus
			}
			return o.PermissionSetProvisioningStatus.Status, aws.ToString(o.PermissionSetProvisioningStatus.FailureReason), nil
		})
}

// await polls an asynchronous operation until its status is final. Only
// SUCCEEDED is success; IN_PROGRESS past the poll timeout is an error, so
// the caller retries on its next run rather than recording something AWS
// has not confirmed.
func (c *Client) await(ctx context.Context, op, requestID string, status types.StatusValues, reason string,
	describe func(context.Context, string) (types.StatusValues, string, error)) error {
	deadline := time.Now().Add(c.pollTimeout)
	timer := time.NewTimer(c.pollInterval)
	defer timer.Stop()
	for {
		switch status {
		case types.StatusValuesSucceeded:
			return nil
		case types.StatusValuesFailed:
			return &FailedError{Operation: op, RequestID: requestID, Reason: reason}
		case types.StatusValuesInProgress:
		default:
			return fmt.Errorf("%s %s: unknown status %q", op, requestID, status)
		}
		if requestID == "" {
			return fmt.Errorf("%s: AWS returned no request id to poll", op)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s %s: still IN_PROGRESS after %s", op, requestID, c.pollTimeout)
		}
		timer.Reset(c.pollInterval)
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s %s: waiting for the status: %w", op, requestID, ctx.Err())
		case <-timer.C:
		}
		var err error
		status, reason, err = describe(ctx, requestID)
		if err != nil {
			return fmt.Errorf("polling %s %s: %w", op, requestID, err)
		}
	}
}

func isNotFound(err error) bool {
	var nf *types.ResourceNotFoundException
	return errors.As(err, &nf)
}

func isAccessDenied(err error) bool {
	var ad *types.AccessDeniedException
	return errors.As(err, &ad)
}

func isConflict(err error) bool {
	var ce *types.ConflictException
	return errors.As(err, &ce)
}
