package rolepolicy

import (
	_ "embed"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jit-access/jit/internal/clock"
	"github.com/jit-access/jit/internal/identitycenter/idcemu"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/schema"
)

//go:embed testdata/config.yaml
var baseConfig string

func config(t *testing.T, yaml string) *schema.Config {
	t.Helper()
	cfg, fs := schema.ParseConfig(layout.ConfigPath, []byte(yaml))
	if cfg == nil {
		t.Fatalf("config: %v", fs)
	}
	return cfg
}

// call is one authorization IAM makes: an action on one resource, with the
// tags of the resource and of the request.
type call struct {
	action, resource string
	resourceTags     map[string]string
	requestTags      map[string]string
}

// allows evaluates the identity policy the way IAM does for the keys the
// generated policies use: some Allow statement must match the action, the
// resource and every condition. Unknown operators fail the test, so a
// policy cannot pass by using a condition this evaluator ignores.
func allows(t *testing.T, d Document, c call) bool {
	t.Helper()
	for _, s := range d.Statement {
		if s.Effect != "Allow" || !matchAny(s.Action, c.action) || !matchAny(s.Resource, c.resource) {
			continue
		}
		if conditionsHold(t, s.Condition, c) {
			return true
		}
	}
	return false
}

func matchAny(patterns []string, v string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(strings.ReplaceAll(p, "/", "\x00"), strings.ReplaceAll(v, "/", "\x00")); ok {
			return true
		}
	}
	return false
}

func conditionsHold(t *testing.T, cond map[string]map[string]any, c call) bool {
	t.Helper()
	value := func(key string) (string, bool) {
		if k, ok := strings.CutPrefix(key, "aws:ResourceTag/"); ok {
			v, ok := c.resourceTags[k]
			return v, ok
		}
		if k, ok := strings.CutPrefix(key, "aws:RequestTag/"); ok {
			v, ok := c.requestTags[k]
			return v, ok
		}
		t.Fatalf("condition key %s is not modelled by this test", key)
		return "", false
	}
	for op, keys := range cond {
		for key, want := range keys {
			switch op {
			case "StringEquals":
				got, ok := value(key)
				if !ok || !slices.Contains(strs(want), got) {
					return false
				}
			case "ForAllValues:StringEquals":
				if key != "aws:TagKeys" {
					t.Fatalf("ForAllValues on %s is not modelled", key)
				}
				for k := range c.requestTags {
					if !slices.Contains(strs(want), k) {
						return false
					}
				}
			default:
				t.Fatalf("operator %s is not modelled by this test", op)
			}
		}
	}
	return true
}

func strs(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []string:
		return v
	}
	return nil
}

const (
	instance   = "arn:aws:sso:::instance/ssoins-0123456789abcdef"
	configured = "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-0123456789abcdef"
	adminSet   = "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-aaaaaaaaaaaaaaaa"
	jitSet     = "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-bbbbbbbbbbbbbbbb"
	account    = "arn:aws:sso:::account/111122223333"
)

var jitTags = map[string]string{"jit:managed": "true", "jit:request": "requests/payments-prod/a.yaml"}

func TestProvisionerTouchesOnlyWhatJitOwnsOrTheConfigNames(t *testing.T) {
	d, err := Provisioner(config(t, baseConfig))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		call call
		want bool
	}{
		{"read the instance", call{action: "sso:ListPermissionSets", resource: instance}, true},
		{"list the instances (jit sync)", call{action: "sso:ListInstances", resource: "*"}, true},
		{"list the organisation's accounts (jit sync)", call{action: "organizations:ListAccounts", resource: "*"}, true},
		{"change the organisation", call{action: "organizations:MoveAccount", resource: "*"}, false},
		{"create an instance", call{action: "sso:CreateInstance", resource: "*"}, false},
		{"read any set", call{action: "sso:DescribePermissionSet", resource: adminSet}, true},
		{"assign a configured set", call{action: "sso:CreateAccountAssignment", resource: configured}, true},
		{"assign through the instance", call{action: "sso:CreateAccountAssignment", resource: instance}, true},
		{"assign in an account", call{action: "sso:CreateAccountAssignment", resource: account}, true},
		{"assign a jit set", call{action: "sso:CreateAccountAssignment", resource: jitSet, resourceTags: jitTags}, true},
		{"assign an unconfigured admin set", call{action: "sso:CreateAccountAssignment", resource: adminSet}, false},
		{"unassign an unconfigured admin set", call{action: "sso:DeleteAccountAssignment", resource: adminSet}, false},
		{"create with jit's tags", call{action: "sso:CreatePermissionSet", resource: jitSet, requestTags: jitTags}, true},
		{"create without tags", call{action: "sso:CreatePermissionSet", resource: jitSet}, false},
		{"create with another tag as well", call{action: "sso:CreatePermissionSet", resource: jitSet,
			requestTags: map[string]string{"jit:managed": "true", "owner": "x"}}, false},
		{"create tagged jit:managed=false", call{action: "sso:CreatePermissionSet", resource: jitSet,
			requestTags: map[string]string{"jit:managed": "false"}}, false},
		{"tag a jit set with jit's tags", call{action: "sso:TagResource", resource: jitSet, resourceTags: jitTags, requestTags: jitTags}, true},
		{"tag an admin set jit:managed", call{action: "sso:TagResource", resource: adminSet, requestTags: jitTags}, false},
		{"tag a jit set with another key", call{action: "sso:TagResource", resource: jitSet, resourceTags: jitTags,
			requestTags: map[string]string{"jit:managed": "true", "owner": "x"}}, false},
		{"tag the instance", call{action: "sso:TagResource", resource: instance, requestTags: jitTags}, false},
		{"untag anything", call{action: "sso:UntagResource", resource: jitSet, resourceTags: jitTags}, false},
		{"change a jit set", call{action: "sso:PutInlinePolicyToPermissionSet", resource: jitSet, resourceTags: jitTags}, true},
		{"change an admin set", call{action: "sso:PutInlinePolicyToPermissionSet", resource: adminSet}, false},
		{"change a configured set", call{action: "sso:AttachManagedPolicyToPermissionSet", resource: configured}, false},
		{"provision a configured set", call{action: "sso:ProvisionPermissionSet", resource: configured}, false},
		{"provision a jit set", call{action: "sso:ProvisionPermissionSet", resource: jitSet, resourceTags: jitTags}, true},
		{"delete an admin set", call{action: "sso:DeletePermissionSet", resource: adminSet}, false},
		{"delete a jit set", call{action: "sso:DeletePermissionSet", resource: jitSet, resourceTags: jitTags}, true},
		{"look up a user", call{action: "identitystore:GetUserId", resource: "arn:aws:identitystore::111122223333:identitystore/d-0123456789"}, true},
		{"look up a user in another store", call{action: "identitystore:GetUserId", resource: "arn:aws:identitystore::111122223333:identitystore/d-9999999999"}, false},
		{"change a user", call{action: "identitystore:UpdateUser", resource: "arn:aws:identitystore:::user/u-1"}, false},
		{"decrypt without a configured key", call{action: "kms:Decrypt", resource: "arn:aws:kms:us-east-1:111122223333:key/k"}, false},
		{"create a role when the management account is not allowed", call{action: "iam:CreateRole",
			resource: "arn:aws:iam::999988887777:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_x"}, false},
	}
	for _, tt := range tests {
		if got := allows(t, d, tt.call); got != tt.want {
			t.Errorf("%s: %s on %s allowed = %v, want %v", tt.name, tt.call.action, tt.call.resource, got, tt.want)
		}
	}
}

func TestProvisionerKMSKey(t *testing.T) {
	const key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	cfg := config(t, strings.Replace(baseConfig, "identity_store_id: d-0123456789\n", "identity_store_id: d-0123456789\n  kms_key_arn: "+key+"\n", 1))
	d, err := Provisioner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, s := range d.Statement {
		if slices.Contains(s.Action, "kms:Decrypt") {
			found = true
			if !slices.Equal(s.Resource, []string{key}) {
				t.Errorf("kms:Decrypt on %v, want only the instance's key", s.Resource)
			}
			if got := strs(s.Condition["StringEquals"]["kms:ViaService"]); !slices.Equal(got, []string{"identitystore.us-east-1.amazonaws.com", "sso.us-east-1.amazonaws.com"}) {
				t.Errorf("kms:ViaService = %v", got)
			}
		}
	}
	if !found {
		t.Fatal("no kms:Decrypt statement for the configured key")
	}
}

func TestProvisionerManagementAccount(t *testing.T) {
	d, err := Provisioner(config(t, baseConfig+"allow_management_account: true\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		call call
		want bool
	}{
		{call{action: "iam:CreateRole", resource: "arn:aws:iam::999988887777:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_ReadOnly_1"}, true},
		{call{action: "iam:PutRolePolicy", resource: "arn:aws:iam::999988887777:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_x"}, true},
		{call{action: "iam:CreateSAMLProvider", resource: "arn:aws:iam::999988887777:saml-provider/AWSSSO_abc_DO_NOT_DELETE"}, true},
		{call{action: "iam:CreateRole", resource: "arn:aws:iam::999988887777:role/admin"}, false},
		{call{action: "iam:CreateRole", resource: "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/x"}, false},
		{call{action: "iam:CreateSAMLProvider", resource: "arn:aws:iam::999988887777:saml-provider/Okta"}, false},
		{call{action: "iam:CreateAccessKey", resource: "arn:aws:iam::999988887777:user/x"}, false},
	} {
		if got := allows(t, d, c.call); got != c.want {
			t.Errorf("%s on %s allowed = %v, want %v", c.call.action, c.call.resource, got, c.want)
		}
	}
}

func TestProvisionerPartitionFromTheInstance(t *testing.T) {
	cn := strings.NewReplacer("arn:aws:", "arn:aws-cn:", "us-east-1", "cn-north-1").Replace(baseConfig)
	d, err := Provisioner(config(t, cn))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range d.Statement {
		for _, r := range s.Resource {
			// jit sync's read-only discovery calls have no resource to
			// name, in any partition.
			if s.Sid == "DiscoverForJitSync" && r == "*" {
				continue
			}
			if !strings.HasPrefix(r, "arn:aws-cn:") {
				t.Errorf("statement %s: resource %s is not in the instance's partition aws-cn", s.Sid, r)
			}
		}
	}
	tr, err := Trust("acme/access", "111122223333", "aws-cn")
	if err != nil {
		t.Fatal(err)
	}
	if p := tr.Statement[0].Principal["Federated"]; !strings.HasPrefix(p, "arn:aws-cn:iam::111122223333:") {
		t.Errorf("trust principal %s, want the aws-cn partition", p)
	}
}

func TestTrustPinsTheJitEnvironment(t *testing.T) {
	d, err := Trust("acme/access", "111122223333", "aws")
	if err != nil {
		t.Fatal(err)
	}
	cond := d.Statement[0].Condition["StringEquals"]
	if cond["token.actions.githubusercontent.com:sub"] != "repo:acme/access:environment:jit" || cond["token.actions.githubusercontent.com:aud"] != "sts.amazonaws.com" {
		t.Errorf("trust conditions = %v", cond)
	}
	for _, bad := range [][3]string{{"acme", "111122223333", "aws"}, {"acme/access", "12", "aws"}, {"acme/access", "111122223333", "gov"}, {"acme/acc:ess", "111122223333", "aws"}} {
		if _, err := Trust(bad[0], bad[1], bad[2]); err == nil {
			t.Errorf("Trust(%q, %q, %q) accepted", bad[0], bad[1], bad[2])
		}
	}
}

// The IAM statements for the management account allow every IAM call the
// Identity Center emulator makes with the caller's permissions for an
// assignment there, and without allow_management_account none of them is.
func TestProvisionerManagementAccountCoversTheEmulatorsIAMCalls(t *testing.T) {
	allowed, err := Provisioner(config(t, baseConfig+"allow_management_account: true\n"))
	if err != nil {
		t.Fatal(err)
	}
	refused, err := Provisioner(config(t, baseConfig))
	if err != nil {
		t.Fatal(err)
	}
	emu := idcemu.New(idcemu.Options{Clock: clock.At(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))})
	set := emu.AddPermissionSet("ReadOnlyAccess", time.Hour, []string{"ReadOnlyAccess"}, "")
	calls := emu.ManagementAccountIAM(set)
	if len(calls) == 0 {
		t.Fatal("the emulator lists no IAM calls")
	}
	for _, c := range calls {
		if !allows(t, allowed, call{action: c.Action, resource: c.Resource}) {
			t.Errorf("with allow_management_account, %s on %s is not allowed", c.Action, c.Resource)
		}
		if allows(t, refused, call{action: c.Action, resource: c.Resource}) {
			t.Errorf("without allow_management_account, %s on %s is allowed", c.Action, c.Resource)
		}
	}
}
