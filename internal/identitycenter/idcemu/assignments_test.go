package idcemu

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin/types"
	"github.com/google/go-cmp/cmp"

	"github.com/jit-access/jit/internal/clock"
)

const account = "111122223333"

func createInput(psARN, principal string) *ssoadmin.CreateAccountAssignmentInput {
	return &ssoadmin.CreateAccountAssignmentInput{
		InstanceArn:      aws.String(DefaultInstanceARN),
		PermissionSetArn: aws.String(psARN),
		PrincipalId:      aws.String(principal),
		PrincipalType:    types.PrincipalTypeUser,
		TargetId:         aws.String(account),
		TargetType:       types.TargetTypeAwsAccount,
	}
}

// deleteInput names the same assignment as createInput: the two inputs
// have the same members.
func deleteInput(psARN, principal string) *ssoadmin.DeleteAccountAssignmentInput {
	return (*ssoadmin.DeleteAccountAssignmentInput)(createInput(psARN, principal))
}

func (h *harness) creationStatus(t *testing.T, id string) *types.AccountAssignmentOperationStatus {
	t.Helper()
	out, err := h.sso.DescribeAccountAssignmentCreationStatus(t.Context(), &ssoadmin.DescribeAccountAssignmentCreationStatusInput{
		InstanceArn: aws.String(DefaultInstanceARN), AccountAssignmentCreationRequestId: aws.String(id),
	})
	ok(t, err)
	return out.AccountAssignmentCreationStatus
}

func (h *harness) deletionStatus(t *testing.T, id string) *types.AccountAssignmentOperationStatus {
	t.Helper()
	out, err := h.sso.DescribeAccountAssignmentDeletionStatus(t.Context(), &ssoadmin.DescribeAccountAssignmentDeletionStatusInput{
		InstanceArn: aws.String(DefaultInstanceARN), AccountAssignmentDeletionRequestId: aws.String(id),
	})
	ok(t, err)
	return out.AccountAssignmentDeletionStatus
}

func TestAssignmentLifecycle(t *testing.T) {
	h := newHarness(t, Options{AsyncDelay: time.Minute}, 1)
	alice := h.emu.AddUser("alice@acme.example", "Alice")
	ps := h.emu.AddPermissionSet("ReadOnlyAccess", 4*time.Hour, []string{"ReadOnlyAccess"}, "")
	want := Assignment{AccountID: account, PermissionSetARN: ps, PrincipalType: "USER", PrincipalID: alice}

	created, err := h.sso.CreateAccountAssignment(t.Context(), createInput(ps, alice))
	ok(t, err)
	st := created.AccountAssignmentCreationStatus
	if st.Status != types.StatusValuesInProgress || st.RequestId == nil || aws.ToString(st.TargetId) != account ||
		aws.ToString(st.PermissionSetArn) != ps || aws.ToString(st.PrincipalId) != alice || st.TargetType != types.TargetTypeAwsAccount {
		t.Fatalf("CreateAccountAssignment status = %+v, want IN_PROGRESS with the request's tuple", st)
	}
	if st.CreatedDate == nil || !st.CreatedDate.Equal(h.clock.Now()) {
		t.Errorf("CreatedDate = %v, want %v", st.CreatedDate, h.clock.Now())
	}
	id := aws.ToString(st.RequestId)
	if got := h.emu.Assignments(); len(got) != 0 {
		t.Fatalf("assignment visible while IN_PROGRESS: %v", got)
	}

	// Another change on the same tuple while one is in flight conflicts.
	_, err = h.sso.DeleteAccountAssignment(t.Context(), deleteInput(ps, alice))
	wantAPIError(t, err, "ConflictException", http.StatusConflict)
	_, err = h.sso.CreateAccountAssignment(t.Context(), createInput(ps, alice))
	wantAPIError(t, err, "ConflictException", http.StatusConflict)

	h.clock.Advance(59 * time.Second)
	if got := h.creationStatus(t, id).Status; got != types.StatusValuesInProgress {
		t.Fatalf("status before AsyncDelay = %s, want IN_PROGRESS", got)
	}
	h.clock.Advance(time.Second)
	if got := h.creationStatus(t, id); got.Status != types.StatusValuesSucceeded || got.FailureReason != nil {
		t.Fatalf("status after AsyncDelay = %s (%v), want SUCCEEDED", got.Status, got.FailureReason)
	}
	if diff := cmp.Diff([]Assignment{want}, h.emu.Assignments()); diff != "" {
		t.Fatalf("assignments (-want +got):\n%s", diff)
	}
	state, _ := h.emu.PermissionSet(ps)
	if diff := cmp.Diff(map[string]bool{account: true}, state.ProvisionedAccounts); diff != "" {
		t.Errorf("the assignment did not provision the set to the account (-want +got):\n%s", diff)
	}

	listed, err := h.sso.ListAccountAssignments(t.Context(), &ssoadmin.ListAccountAssignmentsInput{
		InstanceArn: aws.String(DefaultInstanceARN), AccountId: aws.String(account), PermissionSetArn: aws.String(ps),
	})
	ok(t, err)
	if len(listed.AccountAssignments) != 1 || aws.ToString(listed.AccountAssignments[0].PrincipalId) != alice ||
		listed.AccountAssignments[0].PrincipalType != types.PrincipalTypeUser {
		t.Errorf("ListAccountAssignments = %+v, want alice's assignment", listed.AccountAssignments)
	}
	forPrincipal, err := h.sso.ListAccountAssignmentsForPrincipal(t.Context(), &ssoadmin.ListAccountAssignmentsForPrincipalInput{
		InstanceArn: aws.String(DefaultInstanceARN), PrincipalId: aws.String(alice), PrincipalType: types.PrincipalTypeUser,
		Filter: &types.ListAccountAssignmentsFilter{AccountId: aws.String(account)},
	})
	ok(t, err)
	if len(forPrincipal.AccountAssignments) != 1 || aws.ToString(forPrincipal.AccountAssignments[0].PermissionSetArn) != ps {
		t.Errorf("ListAccountAssignmentsForPrincipal = %+v, want the one assignment", forPrincipal.AccountAssignments)
	}

	// Creating an existing assignment is accepted and changes nothing.
	again, err := h.sso.CreateAccountAssignment(t.Context(), createInput(ps, alice))
	ok(t, err)
	h.clock.Advance(time.Minute)
	if got := h.creationStatus(t, aws.ToString(again.AccountAssignmentCreationStatus.RequestId)).Status; got != types.StatusValuesSucceeded {
		t.Errorf("re-creating an existing assignment ended %s, want SUCCEEDED", got)
	}
	if got := len(h.emu.Assignments()); got != 1 {
		t.Errorf("re-creating gave %d assignments, want 1", got)
	}

	deleted, err := h.sso.DeleteAccountAssignment(t.Context(), deleteInput(ps, alice))
	ok(t, err)
	del := deleted.AccountAssignmentDeletionStatus
	if del.Status != types.StatusValuesInProgress {
		t.Fatalf("DeleteAccountAssignment status = %s, want IN_PROGRESS", del.Status)
	}
	if len(h.emu.Assignments()) != 1 {
		t.Fatalf("assignment gone before the deletion completed")
	}
	h.clock.Advance(time.Minute)
	if got := h.deletionStatus(t, aws.ToString(del.RequestId)).Status; got != types.StatusValuesSucceeded {
		t.Fatalf("deletion ended %s, want SUCCEEDED", got)
	}
	if got := h.emu.Assignments(); len(got) != 0 {
		t.Fatalf("assignments after deletion = %v, want none", got)
	}
	if state, _ := h.emu.PermissionSet(ps); len(state.ProvisionedAccounts) != 0 {
		t.Errorf("set still provisioned to %v after its last assignment there was deleted", state.ProvisionedAccounts)
	}

	deletions, err := h.sso.ListAccountAssignmentDeletionStatus(t.Context(), &ssoadmin.ListAccountAssignmentDeletionStatusInput{
		InstanceArn: aws.String(h.emu.InstanceARN()),
	})
	ok(t, err)
	if len(deletions.AccountAssignmentsDeletionStatus) != 1 || deletions.AccountAssignmentsDeletionStatus[0].Status != types.StatusValuesSucceeded ||
		aws.ToString(deletions.AccountAssignmentsDeletionStatus[0].RequestId) != aws.ToString(del.RequestId) {
		t.Errorf("ListAccountAssignmentDeletionStatus = %+v, want the one SUCCEEDED deletion", deletions.AccountAssignmentsDeletionStatus)
	}

	// Deleting what is not there is ResourceNotFoundException (see the package doc).
	_, err = h.sso.DeleteAccountAssignment(t.Context(), deleteInput(ps, alice))
	wantAPIError(t, err, "ResourceNotFoundException", http.StatusNotFound)

	// A deletion id is not a creation id.
	_, err = h.sso.DescribeAccountAssignmentCreationStatus(t.Context(), &ssoadmin.DescribeAccountAssignmentCreationStatusInput{
		InstanceArn: aws.String(DefaultInstanceARN), AccountAssignmentCreationRequestId: del.RequestId,
	})
	wantAPIError(t, err, "ResourceNotFoundException", http.StatusNotFound)
}

func TestAssignmentValidation(t *testing.T) {
	h := newHarness(t, Options{}, 1)
	alice := h.emu.AddUser("alice@acme.example", "Alice")
	ps := h.emu.AddPermissionSet("ReadOnlyAccess", time.Hour, nil, "")
	otherPS := "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-ffffffffffffffff"
	tests := []struct {
		name   string
		mutate func(*ssoadmin.CreateAccountAssignmentInput)
		code   string
		status int
	}{
		{"malformed instance", func(in *ssoadmin.CreateAccountAssignmentInput) {
			in.InstanceArn = aws.String("arn:aws:sso:::instance/x")
		}, "ValidationException", 400},
		{"other instance", func(in *ssoadmin.CreateAccountAssignmentInput) {
			in.InstanceArn = aws.String("arn:aws:sso:::instance/ssoins-ffffffffffffffff")
		}, "ResourceNotFoundException", 404},
		{"malformed set", func(in *ssoadmin.CreateAccountAssignmentInput) { in.PermissionSetArn = aws.String("ReadOnlyAccess") }, "ValidationException", 400},
		{"unknown set", func(in *ssoadmin.CreateAccountAssignmentInput) { in.PermissionSetArn = aws.String(otherPS) }, "ResourceNotFoundException", 404},
		{"account id not 12 digits", func(in *ssoadmin.CreateAccountAssignmentInput) { in.TargetId = aws.String("1234") }, "ValidationException", 400},
		{"bad principal type", func(in *ssoadmin.CreateAccountAssignmentInput) { in.PrincipalType = "ROBOT" }, "ValidationException", 400},
		{"bad target type", func(in *ssoadmin.CreateAccountAssignmentInput) { in.TargetType = "ORGANIZATION" }, "ValidationException", 400},
		{"malformed principal", func(in *ssoadmin.CreateAccountAssignmentInput) { in.PrincipalId = aws.String("alice") }, "ValidationException", 400},
		{"unknown user", func(in *ssoadmin.CreateAccountAssignmentInput) {
			in.PrincipalId = aws.String("0123456789-01234567-89ab-4cde-8f01-23456789abcd")
		}, "ResourceNotFoundException", 404},
		{"groups are not modelled", func(in *ssoadmin.CreateAccountAssignmentInput) { in.PrincipalType = types.PrincipalTypeGroup }, "ResourceNotFoundException", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := createInput(ps, alice)
			tt.mutate(in)
			_, err := h.sso.CreateAccountAssignment(t.Context(), in)
			wantAPIError(t, err, tt.code, tt.status)
		})
	}
	if got := h.emu.Calls()["CreateAccountAssignment"]; got != len(tests) {
		t.Errorf("Calls counted %d CreateAccountAssignment, want %d", got, len(tests))
	}
}

func TestFailNextAssignment(t *testing.T) {
	h := newHarness(t, Options{}, 1)
	alice := h.emu.AddUser("alice@acme.example", "Alice")
	ps := h.emu.AddPermissionSet("PowerUserAccess", time.Hour, []string{"PowerUserAccess"}, "")
	const reason = "Received a 409 status error: Cannot exceed quota for RolesPerAccount: 1000."
	h.emu.FailNextAssignment(account, ps, alice, reason)

	out, err := h.sso.CreateAccountAssignment(t.Context(), createInput(ps, alice))
	ok(t, err)
	id := aws.ToString(out.AccountAssignmentCreationStatus.RequestId)
	if out.AccountAssignmentCreationStatus.Status != types.StatusValuesInProgress {
		t.Fatalf("a failing creation must still be accepted as IN_PROGRESS, got %s", out.AccountAssignmentCreationStatus.Status)
	}
	h.clock.Advance(time.Second)
	st := h.creationStatus(t, id)
	if st.Status != types.StatusValuesFailed || aws.ToString(st.FailureReason) != reason {
		t.Fatalf("status = %s %q, want FAILED %q", st.Status, aws.ToString(st.FailureReason), reason)
	}
	if got := h.emu.Assignments(); len(got) != 0 {
		t.Fatalf("a FAILED creation left assignments %v", got)
	}

	failed, err := h.sso.ListAccountAssignmentCreationStatus(t.Context(), &ssoadmin.ListAccountAssignmentCreationStatusInput{
		InstanceArn: aws.String(DefaultInstanceARN), Filter: &types.OperationStatusFilter{Status: types.StatusValuesFailed},
	})
	ok(t, err)
	if len(failed.AccountAssignmentsCreationStatus) != 1 || aws.ToString(failed.AccountAssignmentsCreationStatus[0].RequestId) != id {
		t.Errorf("FAILED creations listed = %+v, want the one request", failed.AccountAssignmentsCreationStatus)
	}

	// Only the next creation fails.
	out, err = h.sso.CreateAccountAssignment(t.Context(), createInput(ps, alice))
	ok(t, err)
	h.clock.Advance(time.Second)
	if got := h.creationStatus(t, aws.ToString(out.AccountAssignmentCreationStatus.RequestId)).Status; got != types.StatusValuesSucceeded {
		t.Fatalf("retry after FAILED ended %s, want SUCCEEDED", got)
	}

	// The default reason reads like AWS's.
	bob := h.emu.AddUser("bob@acme.example", "Bob")
	h.emu.FailNextAssignment(account, ps, bob, "")
	out, err = h.sso.CreateAccountAssignment(t.Context(), createInput(ps, bob))
	ok(t, err)
	h.clock.Advance(time.Second)
	if st := h.creationStatus(t, aws.ToString(out.AccountAssignmentCreationStatus.RequestId)); st.FailureReason == nil || *st.FailureReason == "" {
		t.Errorf("default failure has no reason: %+v", st)
	}
}

func TestInFlightAssignmentLimit(t *testing.T) {
	h := newHarness(t, Options{MaxInFlightAssignments: 3}, 1)
	ps := h.emu.AddPermissionSet("ReadOnlyAccess", time.Hour, nil, "")
	var users []string
	for i := range 4 {
		users = append(users, h.emu.AddUser(fmt.Sprintf("u%d@acme.example", i), ""))
	}
	for _, u := range users[:3] {
		_, err := h.sso.CreateAccountAssignment(t.Context(), createInput(ps, u))
		ok(t, err)
	}
	_, err := h.sso.CreateAccountAssignment(t.Context(), createInput(ps, users[3]))
	wantAPIError(t, err, "ThrottlingException", http.StatusTooManyRequests)
	var thr *types.ThrottlingException
	if !errors.As(err, &thr) {
		t.Fatalf("error %T is not the modelled ThrottlingException", err)
	}
	if got := h.emu.Calls()[CallsThrottled]; got != 1 {
		t.Errorf("Calls[%q] = %d, want 1", CallsThrottled, got)
	}

	h.clock.Advance(time.Second)
	_, err = h.sso.CreateAccountAssignment(t.Context(), createInput(ps, users[3]))
	ok(t, err)
	h.clock.Advance(time.Second)
	if got := len(h.emu.Assignments()); got != 4 {
		t.Errorf("%d assignments, want 4", got)
	}
}

func TestInFlightLimitRetriedBySDK(t *testing.T) {
	// With the SDK's retryer on, the throttle is retried and succeeds once
	// a slot frees up; AsyncDelay is negative so operations finish at once.
	h := newHarness(t, Options{MaxInFlightAssignments: 1, AsyncDelay: -1}, 5)
	ps := h.emu.AddPermissionSet("ReadOnlyAccess", time.Hour, nil, "")
	a := h.emu.AddUser("a@acme.example", "")
	b := h.emu.AddUser("b@acme.example", "")
	_, err := h.sso.CreateAccountAssignment(t.Context(), createInput(ps, a))
	ok(t, err)
	_, err = h.sso.CreateAccountAssignment(t.Context(), createInput(ps, b))
	ok(t, err)
	if got := len(h.emu.Assignments()); got != 2 {
		t.Errorf("%d assignments, want 2", got)
	}
}

func TestAssignmentListsPage(t *testing.T) {
	h := newHarness(t, Options{MaxInFlightAssignments: -1}, 1)
	ps := h.emu.AddPermissionSet("ReadOnlyAccess", time.Hour, nil, "")
	want := map[string]bool{}
	for i := range 13 {
		u := h.emu.AddUser(fmt.Sprintf("u%02d@acme.example", i), "")
		want[u] = true
		_, err := h.sso.CreateAccountAssignment(t.Context(), createInput(ps, u))
		ok(t, err)
	}
	h.clock.Advance(time.Second)

	got := map[string]bool{}
	p := ssoadmin.NewListAccountAssignmentsPaginator(h.sso, &ssoadmin.ListAccountAssignmentsInput{
		InstanceArn: aws.String(DefaultInstanceARN), AccountId: aws.String(account), PermissionSetArn: aws.String(ps),
	}, func(o *ssoadmin.ListAccountAssignmentsPaginatorOptions) { o.Limit = 4 })
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(t.Context())
		ok(t, err)
		pages++
		if len(out.AccountAssignments) > 4 {
			t.Errorf("MaxResults 4 not honoured: %d items", len(out.AccountAssignments))
		}
		for _, a := range out.AccountAssignments {
			got[aws.ToString(a.PrincipalId)] = true
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("paged assignments (-want +got):\n%s", diff)
	}
	if pages != 4 {
		t.Errorf("13 assignments in pages of 4 took %d pages, want 4", pages)
	}

	n := 0
	sp := ssoadmin.NewListAccountAssignmentCreationStatusPaginator(h.sso, &ssoadmin.ListAccountAssignmentCreationStatusInput{
		InstanceArn: aws.String(DefaultInstanceARN), Filter: &types.OperationStatusFilter{Status: types.StatusValuesSucceeded},
	})
	for sp.HasMorePages() {
		out, err := sp.NextPage(t.Context())
		ok(t, err)
		n += len(out.AccountAssignmentsCreationStatus)
	}
	if n != 13 {
		t.Errorf("listed %d SUCCEEDED creations, want 13", n)
	}

	_, err := h.sso.ListAccountAssignmentDeletionStatus(t.Context(), &ssoadmin.ListAccountAssignmentDeletionStatusInput{
		InstanceArn: aws.String(DefaultInstanceARN), Filter: &types.OperationStatusFilter{Status: "DONE"},
	})
	wantAPIError(t, err, "ValidationException", http.StatusBadRequest)
}

func TestConcurrentAssignments(t *testing.T) {
	h := newHarness(t, Options{MaxInFlightAssignments: -1}, 1)
	ps := h.emu.AddPermissionSet("ReadOnlyAccess", time.Hour, nil, "")
	var users []string
	for i := range 20 {
		users = append(users, h.emu.AddUser(fmt.Sprintf("u%02d@acme.example", i), ""))
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(users))
	for _, u := range users {
		wg.Go(func() {
			_, err := h.sso.CreateAccountAssignment(t.Context(), createInput(ps, u))
			errs <- err
			_ = h.emu.Snapshot()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		ok(t, err)
	}
	h.clock.Advance(time.Second)
	if got := len(h.emu.Assignments()); got != len(users) {
		t.Errorf("%d assignments after concurrent creation, want %d", got, len(users))
	}
}

func TestAsyncOnOffsetClock(t *testing.T) {
	clk := clock.At(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	h := newHarness(t, Options{Clock: clk, AsyncDelay: 20 * time.Millisecond}, 1)
	alice := h.emu.AddUser("alice@acme.example", "Alice")
	ps := h.emu.AddPermissionSet("ReadOnlyAccess", time.Hour, nil, "")
	out, err := h.sso.CreateAccountAssignment(t.Context(), createInput(ps, alice))
	ok(t, err)
	id := aws.ToString(out.AccountAssignmentCreationStatus.RequestId)
	polls := 0
	for deadline := time.Now().Add(5 * time.Second); ; polls++ {
		st := h.creationStatus(t, id)
		if st.Status == types.StatusValuesSucceeded {
			break
		}
		if st.Status != types.StatusValuesInProgress || time.Now().After(deadline) {
			t.Fatalf("status %s after %d polls", st.Status, polls)
		}
		time.Sleep(5 * time.Millisecond)
	}

	// Moving the sandbox clock forward completes operations at once.
	slowClock := clock.At(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	slow := newHarness(t, Options{Clock: slowClock, AsyncDelay: time.Hour}, 1)
	bob := slow.emu.AddUser("bob@acme.example", "Bob")
	slowPS := slow.emu.AddPermissionSet("ReadOnlyAccess", time.Hour, nil, "")
	out, err = slow.sso.CreateAccountAssignment(t.Context(), createInput(slowPS, bob))
	ok(t, err)
	id = aws.ToString(out.AccountAssignmentCreationStatus.RequestId)
	if got := slow.creationStatus(t, id).Status; got != types.StatusValuesInProgress {
		t.Fatalf("status before the hour passed: %s, want IN_PROGRESS", got)
	}
	slowClock.Advance(time.Hour)
	if got := slow.creationStatus(t, id).Status; got != types.StatusValuesSucceeded {
		t.Errorf("after advancing the clock past the delay: %s, want SUCCEEDED", got)
	}
}
