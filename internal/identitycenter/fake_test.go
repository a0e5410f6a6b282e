package identitycenter

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin/types"
)

// fakeAdmin answers the assignment calls with canned results, for the
// cases the emulator does not produce on purpose. Calls it does not
// override panic through the nil embedded interface, which fails the test.
type fakeAdmin struct {
	SSOAdminAPI
	assigned     bool
	createErr    error
	applied      bool // the create took effect although createErr was returned
	createStatus types.StatusValues
	pollStatus   types.StatusValues
	polls        int
}

func (f *fakeAdmin) ListAccountAssignments(context.Context, *ssoadmin.ListAccountAssignmentsInput, ...func(*ssoadmin.Options)) (*ssoadmin.ListAccountAssignmentsOutput, error) {
	out := &ssoadmin.ListAccountAssignmentsOutput{}
	if f.assigned {
		out.AccountAssignments = []types.AccountAssignment{{PrincipalId: aws.String("u-1"), PrincipalType: types.PrincipalTypeUser}}
	}
	return out, nil
}

func (f *fakeAdmin) CreateAccountAssignment(context.Context, *ssoadmin.CreateAccountAssignmentInput, ...func(*ssoadmin.Options)) (*ssoadmin.CreateAccountAssignmentOutput, error) {
	if f.createErr != nil {
		f.assigned = f.applied
		return nil, f.createErr
	}
	return &ssoadmin.CreateAccountAssignmentOutput{AccountAssignmentCreationStatus: &types.AccountAssignmentOperationStatus{
		RequestId: aws.String("req-1"), Status: f.createStatus, FailureReason: aws.String("quota"),
	}}, nil
}

func (f *fakeAdmin) DescribeAccountAssignmentCreationStatus(context.Context, *ssoadmin.DescribeAccountAssignmentCreationStatusInput, ...func(*ssoadmin.Options)) (*ssoadmin.DescribeAccountAssignmentCreationStatusOutput, error) {
	f.polls++
	return &ssoadmin.DescribeAccountAssignmentCreationStatusOutput{AccountAssignmentCreationStatus: &types.AccountAssignmentOperationStatus{
		RequestId: aws.String("req-1"), Status: f.pollStatus,
	}}, nil
}

type fakeStore struct{}

func (fakeStore) GetUserId(context.Context, *identitystore.GetUserIdInput, ...func(*identitystore.Options)) (*identitystore.GetUserIdOutput, error) {
	return &identitystore.GetUserIdOutput{UserId: aws.String("u-1")}, nil
}

func TestEnsureAssignmentEdgeCases(t *testing.T) {
	g := Grant{AccountID: testAccount, UserName: "alice", PermissionSetARN: "arn:ps", Claimed: true}
	tests := []struct {
		name      string
		admin     *fakeAdmin
		wantErr   string
		wantPolls int
	}{
		{name: "lost answer to an applied create is success",
			admin: &fakeAdmin{createErr: &types.ConflictException{Message: aws.String("in progress")}, applied: true}},
		{name: "create rejected and nothing there is an error",
			admin:   &fakeAdmin{createErr: &types.ValidationException{Message: aws.String("bad")}},
			wantErr: "CreateAccountAssignment"},
		{name: "FAILED in the create answer",
			admin:   &fakeAdmin{createStatus: types.StatusValuesFailed},
			wantErr: "failed in AWS: quota"},
		{name: "unknown status is not success",
			admin:   &fakeAdmin{createStatus: types.StatusValuesInProgress, pollStatus: "PENDING"},
			wantErr: `unknown status "PENDING"`, wantPolls: 1},
		{name: "IN_PROGRESS past the poll timeout is an error",
			admin:   &fakeAdmin{createStatus: types.StatusValuesInProgress, pollStatus: types.StatusValuesInProgress},
			wantErr: "still IN_PROGRESS"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := NewFromAPIs(tc.admin, fakeStore{}, Options{PollInterval: time.Millisecond, PollTimeout: 20 * time.Millisecond})
			_, err := c.Grant(t.Context(), g)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Grant: %v", err)
				}
			} else if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Grant err = %v, want one containing %q", err, tc.wantErr)
			}
			if tc.wantPolls != 0 && tc.admin.polls != tc.wantPolls {
				t.Errorf("%d polls, want %d", tc.admin.polls, tc.wantPolls)
			}
		})
	}
}

func TestAssignmentSlotsBoundInFlight(t *testing.T) {
	admin := &fakeAdmin{createStatus: types.StatusValuesInProgress, pollStatus: types.StatusValuesInProgress}
	c := NewFromAPIs(admin, fakeStore{}, Options{MaxInFlightAssignments: 1, PollInterval: time.Hour})
	release, err := c.acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	_, err = c.Grant(ctx, Grant{AccountID: testAccount, UserName: "alice", PermissionSetARN: "arn:ps", Claimed: true})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Grant with no free slot: err = %v, want the context's deadline", err)
	}
	if admin.polls != 0 || admin.assigned {
		t.Error("an assignment operation started without a free slot")
	}
}
