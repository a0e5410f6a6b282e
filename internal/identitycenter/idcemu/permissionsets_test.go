package idcemu

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin/types"
	"github.com/google/go-cmp/cmp"
)

func (h *harness) createPS(t *testing.T, name, duration string, tags ...types.Tag) string {
	t.Helper()
	out, err := h.sso.CreatePermissionSet(t.Context(), &ssoadmin.CreatePermissionSetInput{
		InstanceArn: aws.String(DefaultInstanceARN), Name: aws.String(name),
		SessionDuration: aws.String(duration), Tags: tags,
	})
	ok(t, err)
	return aws.ToString(out.PermissionSet.PermissionSetArn)
}

func TestCreateDescribeUpdatePermissionSet(t *testing.T) {
	h := newHarness(t, Options{}, 1)
	out, err := h.sso.CreatePermissionSet(t.Context(), &ssoadmin.CreatePermissionSetInput{
		InstanceArn:     aws.String(DefaultInstanceARN),
		Name:            aws.String("JIT-S3ReadAccess"),
		Description:     aws.String("jit grant requests/payments-prod/s3.yaml"),
		SessionDuration: aws.String("PT4H"),
		Tags:            []types.Tag{{Key: aws.String("jit:managed"), Value: aws.String("true")}},
	})
	ok(t, err)
	arn := aws.ToString(out.PermissionSet.PermissionSetArn)
	if !regexp.MustCompile(`^arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-[0-9a-f]{16}$`).MatchString(arn) {
		t.Errorf("permission set ARN %q does not look like AWS's", arn)
	}
	if out.PermissionSet.CreatedDate == nil || !out.PermissionSet.CreatedDate.Equal(h.clock.Now()) {
		t.Errorf("CreatedDate = %v, want %v", out.PermissionSet.CreatedDate, h.clock.Now())
	}

	desc, err := h.sso.DescribePermissionSet(t.Context(), &ssoadmin.DescribePermissionSetInput{InstanceArn: aws.String(DefaultInstanceARN), PermissionSetArn: aws.String(arn)})
	ok(t, err)
	got := []string{aws.ToString(desc.PermissionSet.Name), aws.ToString(desc.PermissionSet.Description), aws.ToString(desc.PermissionSet.SessionDuration)}
	if diff := cmp.Diff([]string{"JIT-S3ReadAccess", "jit grant requests/payments-prod/s3.yaml", "PT4H"}, got); diff != "" {
		t.Errorf("DescribePermissionSet (-want +got):\n%s", diff)
	}

	_, err = h.sso.UpdatePermissionSet(t.Context(), &ssoadmin.UpdatePermissionSetInput{
		InstanceArn: aws.String(DefaultInstanceARN), PermissionSetArn: aws.String(arn), SessionDuration: aws.String("PT8H"),
	})
	ok(t, err)
	state, found := h.emu.PermissionSet(arn)
	if !found || state.SessionDuration != 8*time.Hour || state.Version != 2 || state.Tags["jit:managed"] != "true" {
		t.Errorf("after update: %+v, want 8h session, version 2 and the tag", state)
	}

	// Unspecified session duration is AWS's default of one hour.
	plain := h.createPS(t, "Plain", "PT1H")
	if st, _ := h.emu.PermissionSet(plain); st.SessionDuration != time.Hour {
		t.Errorf("session duration %v, want 1h", st.SessionDuration)
	}

	bad := []struct {
		name string
		in   ssoadmin.CreatePermissionSetInput
		code string
	}{
		{"duplicate name", ssoadmin.CreatePermissionSetInput{Name: aws.String("JIT-S3ReadAccess")}, "ConflictException"},
		{"name too long", ssoadmin.CreatePermissionSetInput{Name: aws.String(strings.Repeat("a", 33))}, "ValidationException"},
		{"name with space", ssoadmin.CreatePermissionSetInput{Name: aws.String("S3 Read")}, "ValidationException"},
		{"session under 1h", ssoadmin.CreatePermissionSetInput{Name: aws.String("A"), SessionDuration: aws.String("PT30M")}, "ValidationException"},
		{"session over 12h", ssoadmin.CreatePermissionSetInput{Name: aws.String("B"), SessionDuration: aws.String("PT13H")}, "ValidationException"},
		{"session not ISO 8601", ssoadmin.CreatePermissionSetInput{Name: aws.String("C"), SessionDuration: aws.String("4h")}, "ValidationException"},
		{"description too long", ssoadmin.CreatePermissionSetInput{Name: aws.String("D"), Description: aws.String(strings.Repeat("x", 701))}, "ValidationException"},
		{"description control character", ssoadmin.CreatePermissionSetInput{Name: aws.String("E"), Description: aws.String("a\x00b")}, "ValidationException"},
		{"reserved tag key", ssoadmin.CreatePermissionSetInput{Name: aws.String("F"), Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("y")}}}, "ValidationException"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			in.InstanceArn = aws.String(DefaultInstanceARN)
			_, err := h.sso.CreatePermissionSet(t.Context(), &in)
			status := map[string]int{"ConflictException": 409, "ValidationException": 400}[tt.code]
			wantAPIError(t, err, tt.code, status)
		})
	}

	_, err = h.sso.DescribePermissionSet(t.Context(), &ssoadmin.DescribePermissionSetInput{
		InstanceArn: aws.String(DefaultInstanceARN), PermissionSetArn: aws.String("arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-0000000000000000"),
	})
	wantAPIError(t, err, "ResourceNotFoundException", http.StatusNotFound)
	_, err = h.sso.UpdatePermissionSet(t.Context(), &ssoadmin.UpdatePermissionSetInput{
		InstanceArn: aws.String(DefaultInstanceARN), PermissionSetArn: aws.String(arn), SessionDuration: aws.String("PT0H"),
	})
	wantAPIError(t, err, "ValidationException", http.StatusBadRequest)
}

func TestManagedAndInlinePolicies(t *testing.T) {
	h := newHarness(t, Options{}, 1)
	arn := h.createPS(t, "JIT-Custom", "PT2H")
	attach := func(policy string) error {
		_, err := h.sso.AttachManagedPolicyToPermissionSet(t.Context(), &ssoadmin.AttachManagedPolicyToPermissionSetInput{
			InstanceArn: aws.String(DefaultInstanceARN), PermissionSetArn: aws.String(arn), ManagedPolicyArn: aws.String(policy),
		})
		return err
	}
	var want []string
	for i := range 10 {
		p := fmt.Sprintf("arn:aws:iam::aws:policy/Policy%02d", i)
		want = append(want, p)
		ok(t, attach(p))
	}
	wantAPIError(t, attach("arn:aws:iam::aws:policy/Policy00"), "ConflictException", http.StatusConflict)
	wantAPIError(t, attach("arn:aws:iam::aws:policy/Policy10"), "ServiceQuotaExceededException", http.StatusPaymentRequired)
	wantAPIError(t, attach("AmazonS3ReadOnlyAccess"), "ValidationException", http.StatusBadRequest)

	var listed []string
	p := ssoadmin.NewListManagedPoliciesInPermissionSetPaginator(h.sso, &ssoadmin.ListManagedPoliciesInPermissionSetInput{
		InstanceArn: aws.String(DefaultInstanceARN), PermissionSetArn: aws.String(arn),
	})
	for p.HasMorePages() {
		out, err := p.NextPage(t.Context())
		ok(t, err)
		for _, m := range out.AttachedManagedPolicies {
			if !strings.HasSuffix(aws.ToString(m.Arn), "/"+aws.ToString(m.Name)) {
				t.Errorf("policy name %q does not match ARN %q", aws.ToString(m.Name), aws.ToString(m.Arn))
			}
			listed = append(listed, aws.ToString(m.Arn))
		}
	}
	if diff := cmp.Diff(want, listed); diff != "" {
		t.Errorf("listed managed policies (-want +got):\n%s", diff)
	}

	_, err := h.sso.DetachManagedPolicyFromPermissionSet(t.Context(), &ssoadmin.DetachManagedPolicyFromPermissionSetInput{
		InstanceArn: aws.String(DefaultInstanceARN), PermissionSetArn: aws.String(arn), ManagedPolicyArn: aws.String(want[0]),
	})
	ok(t, err)
	_, err = h.sso.DetachManagedPolicyFromPermissionSet(t.Context(), &ssoadmin.DetachManagedPolicyFromPermissionSetInput{
		InstanceArn: aws.String(DefaultInstanceARN), PermissionSetArn: aws.String(arn), ManagedPolicyArn: aws.String(want[0]),
	})
	wantAPIError(t, err, "ResourceNotFoundException", http.StatusNotFound)

	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	put := func(doc string) error {
		_, err := h.sso.PutInlinePolicyToPermissionSet(t.Context(), &ssoadmin.PutInlinePolicyToPermissionSetInput{
			InstanceArn: aws.String(DefaultInstanceARN), PermissionSetArn: aws.String(arn), InlinePolicy: aws.String(doc),
		})
		return err
	}
	ok(t, put(policy))
	got, err := h.sso.GetInlinePolicyForPermissionSet(t.Context(), &ssoadmin.GetInlinePolicyForPermissionSetInput{
		InstanceArn: aws.String(DefaultInstanceARN), PermissionSetArn: aws.String(arn),
	})
	ok(t, err)
	if aws.ToString(got.InlinePolicy) != policy {
		t.Errorf("GetInlinePolicy = %q, want %q", aws.ToString(got.InlinePolicy), policy)
	}
	big := `{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"` + strings.Repeat("a", maxInlinePolicyBytes) + `"}]}`
	wantAPIError(t, put(big), "ValidationException", http.StatusBadRequest)
	wantAPIError(t, put(`{"Version":`), "ValidationException", http.StatusBadRequest)
	exactly := `{"Statement":[],"Pad":"` + strings.Repeat("a", maxInlinePolicyBytes-len(`{"Statement":[],"Pad":""}`)) + `"}`
	ok(t, put(exactly))

	for range 2 { // deleting an absent inline policy succeeds too
		_, err = h.sso.DeleteInlinePolicyFromPermissionSet(t.Context(), &ssoadmin.DeleteInlinePolicyFromPermissionSetInput{
			InstanceArn: aws.String(DefaultInstanceARN), PermissionSetArn: aws.String(arn),
		})
		ok(t, err)
	}
	got, err = h.sso.GetInlinePolicyForPermissionSet(t.Context(), &ssoadmin.GetInlinePolicyForPermissionSetInput{
		InstanceArn: aws.String(DefaultInstanceARN), PermissionSetArn: aws.String(arn),
	})
	ok(t, err)
	if got.InlinePolicy != nil {
		t.Errorf("inline policy after delete = %q, want none", aws.ToString(got.InlinePolicy))
	}
	st, _ := h.emu.PermissionSet(arn)
	if len(st.ManagedPolicies) != 9 || st.InlinePolicy != "" {
		t.Errorf("state: %d managed policies, inline %q; want 9 and none", len(st.ManagedPolicies), st.InlinePolicy)
	}
}

func TestTags(t *testing.T) {
	h := newHarness(t, Options{}, 1)
	arn := h.createPS(t, "JIT-Tagged", "PT1H", types.Tag{Key: aws.String("jit:managed"), Value: aws.String("true")})
	var tags []types.Tag
	for i := range 7 {
		tags = append(tags, types.Tag{Key: aws.String(fmt.Sprintf("k%d", i)), Value: aws.String(fmt.Sprintf("v%d", i))})
	}
	_, err := h.sso.TagResource(t.Context(), &ssoadmin.TagResourceInput{InstanceArn: aws.String(DefaultInstanceARN), ResourceArn: aws.String(arn), Tags: tags})
	ok(t, err)
	_, err = h.sso.UntagResource(t.Context(), &ssoadmin.UntagResourceInput{InstanceArn: aws.String(DefaultInstanceARN), ResourceArn: aws.String(arn), TagKeys: []string{"k0", "absent"}})
	ok(t, err)

	got := map[string]string{}
	p := ssoadmin.NewListTagsForResourcePaginator(h.sso, &ssoadmin.ListTagsForResourceInput{InstanceArn: aws.String(DefaultInstanceARN), ResourceArn: aws.String(arn)})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(t.Context())
		ok(t, err)
		pages++
		for _, tag := range out.Tags {
			got[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
		}
	}
	want := map[string]string{"jit:managed": "true", "k1": "v1", "k2": "v2", "k3": "v3", "k4": "v4", "k5": "v5", "k6": "v6"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}
	if pages < 2 {
		t.Errorf("7 tags came in %d page(s); the small default page should need 2", pages)
	}
	_, err = h.sso.ListTagsForResource(t.Context(), &ssoadmin.ListTagsForResourceInput{
		InstanceArn: aws.String(DefaultInstanceARN), ResourceArn: aws.String("arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-0000000000000000"),
	})
	wantAPIError(t, err, "ResourceNotFoundException", http.StatusNotFound)
}

func TestProvisioning(t *testing.T) {
	h := newHarness(t, Options{AsyncDelay: 10 * time.Second}, 1)
	arn := h.createPS(t, "JIT-Prov", "PT1H")
	provision := func(acct string) (*types.PermissionSetProvisioningStatus, error) {
		out, err := h.sso.ProvisionPermissionSet(t.Context(), &ssoadmin.ProvisionPermissionSetInput{
			InstanceArn: aws.String(DefaultInstanceARN), PermissionSetArn: aws.String(arn),
			TargetType: types.ProvisionTargetTypeAwsAccount, TargetId: aws.String(acct),
		})
		if err != nil {
			return nil, err
		}
		return out.PermissionSetProvisioningStatus, nil
	}
	describe := func(id *string) types.StatusValues {
		out, err := h.sso.DescribePermissionSetProvisioningStatus(t.Context(), &ssoadmin.DescribePermissionSetProvisioningStatusInput{
			InstanceArn: aws.String(DefaultInstanceARN), ProvisionPermissionSetRequestId: id,
		})
		ok(t, err)
		return out.PermissionSetProvisioningStatus.Status
	}
	provisionedTo := func(acct string, status types.ProvisioningStatus) []string {
		out, err := h.sso.ListPermissionSetsProvisionedToAccount(t.Context(), &ssoadmin.ListPermissionSetsProvisionedToAccountInput{
			InstanceArn: aws.String(DefaultInstanceARN), AccountId: aws.String(acct), ProvisioningStatus: status,
		})
		ok(t, err)
		return out.PermissionSets
	}

	st, err := provision(account)
	ok(t, err)
	if st.Status != types.StatusValuesInProgress || aws.ToString(st.AccountId) != account || aws.ToString(st.PermissionSetArn) != arn {
		t.Fatalf("ProvisionPermissionSet = %+v, want IN_PROGRESS for the account", st)
	}
	// One provisioning per account at a time.
	other := h.createPS(t, "JIT-Other", "PT1H")
	_, err = h.sso.ProvisionPermissionSet(t.Context(), &ssoadmin.ProvisionPermissionSetInput{
		InstanceArn: aws.String(DefaultInstanceARN), PermissionSetArn: aws.String(other),
		TargetType: types.ProvisionTargetTypeAwsAccount, TargetId: aws.String(account),
	})
	wantAPIError(t, err, "ConflictException", http.StatusConflict)
	// Nor can the set be deleted meanwhile.
	_, err = h.sso.DeletePermissionSet(t.Context(), &ssoadmin.DeletePermissionSetInput{InstanceArn: aws.String(DefaultInstanceARN), PermissionSetArn: aws.String(arn)})
	wantAPIError(t, err, "ConflictException", http.StatusConflict)

	if got := provisionedTo(account, ""); len(got) != 0 {
		t.Fatalf("provisioned before completion: %v", got)
	}
	h.clock.Advance(10 * time.Second)
	if got := describe(st.RequestId); got != types.StatusValuesSucceeded {
		t.Fatalf("provisioning ended %s, want SUCCEEDED", got)
	}
	if diff := cmp.Diff([]string{arn}, provisionedTo(account, types.ProvisioningStatusLatestPermissionSetProvisioned)); diff != "" {
		t.Errorf("up-to-date sets (-want +got):\n%s", diff)
	}

	// A policy change leaves the account out of date until re-provisioned.
	_, err = h.sso.AttachManagedPolicyToPermissionSet(t.Context(), &ssoadmin.AttachManagedPolicyToPermissionSetInput{
		InstanceArn: aws.String(DefaultInstanceARN), PermissionSetArn: aws.String(arn), ManagedPolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess"),
	})
	ok(t, err)
	if diff := cmp.Diff([]string{arn}, provisionedTo(account, types.ProvisioningStatusLatestPermissionSetNotProvisioned)); diff != "" {
		t.Errorf("outdated sets (-want +got):\n%s", diff)
	}
	if s, _ := h.emu.PermissionSet(arn); s.ProvisionedAccounts[account] {
		t.Errorf("PermissionSet reports the account up to date after a policy change")
	}
	accts, err := h.sso.ListAccountsForProvisionedPermissionSet(t.Context(), &ssoadmin.ListAccountsForProvisionedPermissionSetInput{
		InstanceArn: aws.String(DefaultInstanceARN), PermissionSetArn: aws.String(arn),
	})
	ok(t, err)
	if diff := cmp.Diff([]string{account}, accts.AccountIds); diff != "" {
		t.Errorf("accounts (-want +got):\n%s", diff)
	}

	outdated, err := h.sso.ListAccountsForProvisionedPermissionSet(t.Context(), &ssoadmin.ListAccountsForProvisionedPermissionSetInput{
		InstanceArn: aws.String(DefaultInstanceARN), PermissionSetArn: aws.String(arn), ProvisioningStatus: types.ProvisioningStatusLatestPermissionSetProvisioned,
	})
	ok(t, err)
	if len(outdated.AccountIds) != 0 {
		t.Errorf("accounts with the latest version = %v, want none after a policy change", outdated.AccountIds)
	}

	all, err := h.sso.ProvisionPermissionSet(t.Context(), &ssoadmin.ProvisionPermissionSetInput{
		InstanceArn: aws.String(DefaultInstanceARN), PermissionSetArn: aws.String(arn), TargetType: types.ProvisionTargetTypeAllProvisionedAccounts,
	})
	ok(t, err)
	if all.PermissionSetProvisioningStatus.AccountId != nil {
		t.Errorf("ALL_PROVISIONED_ACCOUNTS status names account %q", aws.ToString(all.PermissionSetProvisioningStatus.AccountId))
	}
	h.clock.Advance(10 * time.Second)
	if s, _ := h.emu.PermissionSet(arn); !s.ProvisionedAccounts[account] {
		t.Errorf("account still outdated after re-provisioning: %v", s.ProvisionedAccounts)
	}

	list, err := h.sso.ListPermissionSetProvisioningStatus(t.Context(), &ssoadmin.ListPermissionSetProvisioningStatusInput{
		InstanceArn: aws.String(DefaultInstanceARN), Filter: &types.OperationStatusFilter{Status: types.StatusValuesSucceeded},
	})
	ok(t, err)
	if len(list.PermissionSetsProvisioningStatus) != 2 {
		t.Errorf("listed %d SUCCEEDED provisionings, want 2", len(list.PermissionSetsProvisioningStatus))
	}

	_, err = h.sso.DescribePermissionSetProvisioningStatus(t.Context(), &ssoadmin.DescribePermissionSetProvisioningStatusInput{
		InstanceArn: aws.String(DefaultInstanceARN), ProvisionPermissionSetRequestId: aws.String("01234567-89ab-4cde-8f01-23456789abcd"),
	})
	wantAPIError(t, err, "ResourceNotFoundException", http.StatusNotFound)
	_, err = h.sso.ProvisionPermissionSet(t.Context(), &ssoadmin.ProvisionPermissionSetInput{
		InstanceArn: aws.String(DefaultInstanceARN), PermissionSetArn: aws.String(arn), TargetType: types.ProvisionTargetTypeAwsAccount,
	})
	wantAPIError(t, err, "ValidationException", http.StatusBadRequest)
}

func TestDeletePermissionSet(t *testing.T) {
	h := newHarness(t, Options{}, 1)
	alice := h.emu.AddUser("alice@acme.example", "Alice")
	arn := h.createPS(t, "JIT-Deleteme", "PT1H")
	del := func() error {
		_, err := h.sso.DeletePermissionSet(t.Context(), &ssoadmin.DeletePermissionSetInput{InstanceArn: aws.String(DefaultInstanceARN), PermissionSetArn: aws.String(arn)})
		return err
	}
	_, err := h.sso.CreateAccountAssignment(t.Context(), createInput(arn, alice))
	ok(t, err)
	wantAPIError(t, del(), "ConflictException", http.StatusConflict) // assignment in flight
	h.clock.Advance(time.Second)
	wantAPIError(t, del(), "ConflictException", http.StatusConflict) // assignment exists
	_, err = h.sso.DeleteAccountAssignment(t.Context(), deleteInput(arn, alice))
	ok(t, err)
	h.clock.Advance(time.Second)
	// The last assignment is gone; AWS is still removing the set's role
	// from the account.
	err = del()
	wantAPIError(t, err, "ConflictException", http.StatusConflict)
	if !strings.Contains(err.Error(), "Could not delete because PermissionSet has ApplicationProfile associated with it.") {
		t.Errorf("conflict %q is not in AWS's words", err)
	}
	h.clock.Advance(time.Second - time.Millisecond)
	wantAPIError(t, del(), "ConflictException", http.StatusConflict)
	h.clock.Advance(time.Millisecond)
	ok(t, del())
	if _, found := h.emu.PermissionSet(arn); found {
		t.Fatalf("permission set still there after delete")
	}
	wantAPIError(t, del(), "ResourceNotFoundException", http.StatusNotFound)
}

// A set provisioned to an account without an assignment there keeps its
// role in the account: AWS refuses to delete it.
func TestDeleteProvisionedPermissionSetConflicts(t *testing.T) {
	h := newHarness(t, Options{}, 1)
	arn := h.createPS(t, "JIT-Provisioned", "PT1H")
	_, err := h.sso.ProvisionPermissionSet(t.Context(), &ssoadmin.ProvisionPermissionSetInput{
		InstanceArn: aws.String(DefaultInstanceARN), PermissionSetArn: aws.String(arn),
		TargetType: types.ProvisionTargetTypeAwsAccount, TargetId: aws.String(account),
	})
	ok(t, err)
	h.clock.Advance(time.Hour)
	_, err = h.sso.DeletePermissionSet(t.Context(), &ssoadmin.DeletePermissionSetInput{InstanceArn: aws.String(DefaultInstanceARN), PermissionSetArn: aws.String(arn)})
	wantAPIError(t, err, "ConflictException", http.StatusConflict)
	if !strings.Contains(err.Error(), "still provisioned") {
		t.Errorf("conflict %q does not say the set is still provisioned", err)
	}
}

func TestListPermissionSetsAndInstances(t *testing.T) {
	h := newHarness(t, Options{}, 1)
	want := map[string]bool{}
	for i := range 11 {
		want[h.createPS(t, fmt.Sprintf("Set%02d", i), "PT1H")] = true
	}
	got := map[string]bool{}
	p := ssoadmin.NewListPermissionSetsPaginator(h.sso, &ssoadmin.ListPermissionSetsInput{InstanceArn: aws.String(DefaultInstanceARN)})
	for p.HasMorePages() {
		out, err := p.NextPage(t.Context())
		ok(t, err)
		for _, arn := range out.PermissionSets {
			got[arn] = true
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("listed sets (-want +got):\n%s", diff)
	}
	if calls := h.emu.Calls()["ListPermissionSets"]; calls != 3 {
		t.Errorf("11 sets took %d ListPermissionSets calls, want 3 pages", calls)
	}
	if names := h.emu.PermissionSets(); len(names) != 11 || names[0].Name != "Set00" {
		t.Errorf("PermissionSets() = %d sets starting %q, want 11 sorted by name", len(names), names[0].Name)
	}

	inst, err := h.sso.ListInstances(t.Context(), &ssoadmin.ListInstancesInput{})
	ok(t, err)
	if len(inst.Instances) != 1 || aws.ToString(inst.Instances[0].InstanceArn) != DefaultInstanceARN ||
		aws.ToString(inst.Instances[0].IdentityStoreId) != DefaultIdentityStoreID || inst.Instances[0].Status != types.InstanceStatusActive {
		t.Errorf("ListInstances = %+v, want the one configured instance", inst.Instances)
	}
}

func TestCustomInstance(t *testing.T) {
	const instance = "arn:aws:sso:::instance/ssoins-7223abcdef012345"
	h := newHarness(t, Options{InstanceARN: instance, IdentityStoreID: "d-aaaaaaaaaa"}, 1)
	out, err := h.sso.CreatePermissionSet(t.Context(), &ssoadmin.CreatePermissionSetInput{InstanceArn: aws.String(instance), Name: aws.String("X")})
	ok(t, err)
	if arn := aws.ToString(out.PermissionSet.PermissionSetArn); !strings.HasPrefix(arn, "arn:aws:sso:::permissionSet/ssoins-7223abcdef012345/ps-") {
		t.Errorf("ARN %q is not under the configured instance", arn)
	}
	_, err = h.sso.ListPermissionSets(t.Context(), &ssoadmin.ListPermissionSetsInput{InstanceArn: aws.String(DefaultInstanceARN)})
	wantAPIError(t, err, "ResourceNotFoundException", http.StatusNotFound)
}

// A permission set holds at most 75 tags (TagList's max in botocore's
// model): TagResource that would go beyond is refused, re-tagging a key it
// has is not.
func TestTagsPerResourceLimit(t *testing.T) {
	h := newHarness(t, Options{}, 1)
	var tags []types.Tag
	for i := range 75 {
		tags = append(tags, types.Tag{Key: aws.String(fmt.Sprintf("k%02d", i)), Value: aws.String("v")})
	}
	arn := h.createPS(t, "JIT-Full", "PT1H", tags...)
	tag := func(key string) error {
		_, err := h.sso.TagResource(t.Context(), &ssoadmin.TagResourceInput{InstanceArn: aws.String(DefaultInstanceARN), ResourceArn: aws.String(arn),
			Tags: []types.Tag{{Key: aws.String(key), Value: aws.String("w")}}})
		return err
	}
	ok(t, tag("k00"))
	wantAPIError(t, tag("one-more"), "ServiceQuotaExceededException", http.StatusPaymentRequired)
	if s, _ := h.emu.PermissionSet(arn); len(s.Tags) != 75 || s.Tags["k00"] != "w" {
		t.Errorf("%d tags, k00=%q; want 75 with k00 re-tagged", len(s.Tags), s.Tags["k00"])
	}
}
