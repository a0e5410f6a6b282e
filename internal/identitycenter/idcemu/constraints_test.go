package idcemu

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin/types"
	"github.com/google/go-cmp/cmp"
)

// The emulator refuses what AWS's request validator refuses, with AWS's
// error code and wording, from the constraints generated out of botocore's
// models.
func TestGeneratedInputConstraints(t *testing.T) {
	h, inst, ps := withOpsSet(t)
	uid := h.emu.AddUser("alice@acme.example", "Alice")

	tags := make([]types.Tag, 76)
	for i := range tags {
		tags[i] = types.Tag{Key: aws.String(fmt.Sprintf("k%d", i)), Value: aws.String("v")}
	}
	for _, c := range []struct {
		name string
		call func() error
		want string
	}{
		{"76 tags", func() error {
			_, err := h.sso.CreatePermissionSet(t.Context(), &ssoadmin.CreatePermissionSetInput{InstanceArn: inst, Name: aws.String("Tagged"), Tags: tags})
			return err
		}, "Value '76 items' at 'tags' failed to satisfy constraint: Member must have length less than or equal to 75"},
		{"MaxResults above the model's range", func() error {
			_, err := h.sso.ListPermissionSets(t.Context(), &ssoadmin.ListPermissionSetsInput{InstanceArn: inst, MaxResults: aws.Int32(101)})
			return err
		}, "Value '101' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100"},
		{"principal type outside the enum", func() error {
			_, err := h.sso.CreateAccountAssignment(t.Context(), &ssoadmin.CreateAccountAssignmentInput{InstanceArn: inst, PermissionSetArn: ps,
				PrincipalId: aws.String(uid), PrincipalType: "ROBOT", TargetId: aws.String("111122223333"), TargetType: types.TargetTypeAwsAccount})
			return err
		}, "Value 'ROBOT' at 'principalType' failed to satisfy constraint: Member must satisfy enum value set: [USER, GROUP]"},
		{"a tag key outside the pattern", func() error {
			_, err := h.sso.CreatePermissionSet(t.Context(), &ssoadmin.CreatePermissionSetInput{InstanceArn: inst, Name: aws.String("Tagged"),
				Tags: []types.Tag{{Key: aws.String("bad*key"), Value: aws.String("v")}}})
			return err
		}, "Value 'bad*key' at 'tags.1.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern"},
		{"a provisioning status outside the enum", func() error {
			_, err := h.sso.ListPermissionSetsProvisionedToAccount(t.Context(), &ssoadmin.ListPermissionSetsProvisionedToAccountInput{InstanceArn: inst,
				AccountId: aws.String("111122223333"), ProvisioningStatus: "OUTDATED"})
			return err
		}, "Value 'OUTDATED' at 'provisioningStatus' failed to satisfy constraint: Member must satisfy enum value set: [LATEST_PERMISSION_SET_PROVISIONED, LATEST_PERMISSION_SET_NOT_PROVISIONED]"},
		{"an account filter outside the pattern", func() error {
			_, err := h.sso.ListAccountAssignmentsForPrincipal(t.Context(), &ssoadmin.ListAccountAssignmentsForPrincipalInput{InstanceArn: inst,
				PrincipalId: aws.String(uid), PrincipalType: types.PrincipalTypeUser, Filter: &types.ListAccountAssignmentsFilter{AccountId: aws.String("1234")}})
			return err
		}, "Value '1234' at 'filter.accountId' failed to satisfy constraint: Member must have length between 12 and 12, inclusive"},
		{"a name longer than 32", func() error {
			_, err := h.sso.CreatePermissionSet(t.Context(), &ssoadmin.CreatePermissionSetInput{InstanceArn: inst, Name: aws.String(strings.Repeat("n", 33))})
			return err
		}, "at 'name' failed to satisfy constraint: Member must have length between 1 and 32, inclusive"},
	} {
		err := c.call()
		wantAPIError(t, err, "ValidationException", http.StatusBadRequest)
		if err != nil && !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v\nwant %q", c.name, err, c.want)
		}
	}
	// 75 tags are accepted.
	if _, err := h.sso.CreatePermissionSet(t.Context(), &ssoadmin.CreatePermissionSetInput{InstanceArn: inst, Name: aws.String("Tagged"), Tags: tags[:75]}); err != nil {
		t.Errorf("75 tags: %v", err)
	}
}

// Each operation's constraints come from walking its input shape
// depth-first in member order, through nested structures and lists of
// structures; members with nothing to check are left out.
func TestConstraintsWalkNestedStructuresAndLists(t *testing.T) {
	m := serviceModel{
		operations: map[string]string{"Op": "In"},
		shapes: map[string]modelShape{
			"In":      {kind: "structure", members: []modelMember{{"Flag", "Flag", false}, {"Kind", "Kind", false}, {"Max", "Max", false}, {"Name", "Name", true}, {"Tags", "TagList", false}}},
			"Flag":    {kind: "boolean"},
			"Name":    {kind: "string", min: ptrInt(1), max: ptrInt(32), pattern: `^(?:[\w]+)$`},
			"TagList": {kind: "list", max: ptrInt(75), member: "Tag"},
			"Tag":     {kind: "structure", members: []modelMember{{"Key", "Name", true}}},
			"Max":     {kind: "integer", min: ptrInt(1), max: ptrInt(100)},
			"Kind":    {kind: "string", enum: []string{"USER", "GROUP"}},
		},
	}
	type row struct {
		Path, Kind, Pattern string
		Required            bool
		Min, Max            *int
		Enum                []string
	}
	var got []row
	for _, c := range constraintsOf([]serviceModel{m})["Op"] {
		r := row{Path: c.path, Kind: c.kind, Required: c.required, Min: c.min, Max: c.max, Enum: c.enum}
		if c.pattern != nil {
			r.Pattern = c.pattern.String()
		}
		got = append(got, r)
	}
	want := []row{
		{Path: "Kind", Kind: "string", Enum: []string{"USER", "GROUP"}},
		{Path: "Max", Kind: "integer", Min: ptrInt(1), Max: ptrInt(100)},
		{Path: "Name", Required: true, Kind: "string", Min: ptrInt(1), Max: ptrInt(32), Pattern: `^(?:[\w]+)$`},
		{Path: "Tags", Kind: "list", Max: ptrInt(75)},
		{Path: "Tags[]", Kind: "structure"},
		{Path: "Tags[].Key", Required: true, Kind: "string", Min: ptrInt(1), Max: ptrInt(32), Pattern: `^(?:[\w]+)$`},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("constraints (-want +got):\n%s", diff)
	}
}
