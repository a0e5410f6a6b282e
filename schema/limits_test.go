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
