package schema

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRenderRequest(t *testing.T) {
	tests := []struct {
		name    string
		draft   Draft
		comment string
		want    string
	}{{
		name: "standard",
		draft: Draft{Account: "payments-prod", PermissionSet: "ReadOnlyAccess", Duration: "4h",
			Justification: "  INC-1234: investigating elevated 5xx rates\n"},
		want: `# yaml-language-server: $schema=../../schema/request.schema.json
account: payments-prod
permission_set: ReadOnlyAccess
duration: 4h
justification: "INC-1234: investigating elevated 5xx rates"
`,
	}, {
		name: "custom, emergency, scheduled, another schema",
		draft: Draft{Account: "111122223333", Duration: "1d", Justification: "INC-42: read the export bucket",
			Custom: &DraftCustom{Name: "LogsRead", SessionDuration: "2h",
				ManagedPolicies: []string{"job-function/ViewOnlyAccess", "arn:aws:iam::aws:policy/AWSSupportAccess"},
				InlinePolicy:    "\n{\r\n  \"Version\": \"2012-10-17\",  \r\n\t\r\n  \"Statement\": []\n}\n\n"},
			Emergency: true, StartAt: "2026-12-01T08:00:00Z"},
		comment: "yaml-language-server: $schema=https://example.com/request.schema.json",
		want: `# yaml-language-server: $schema=https://example.com/request.schema.json
account: "111122223333"
custom_permission_set:
  name: LogsRead
  session_duration: 2h
  managed_policies:
    - job-function/ViewOnlyAccess
    - "arn:aws:iam::aws:policy/AWSSupportAccess"
  inline_policy: |
    {
      "Version": "2012-10-17",

      "Statement": []
    }
duration: 1d
justification: "INC-42: read the export bucket"
emergency: true
start_at: "2026-12-01T08:00:00Z"
`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, string(RenderRequest(tt.draft, tt.comment))); diff != "" {
				t.Errorf("RenderRequest (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRenderRequestReadsBack checks that every value comes back as the
// same string, whatever YAML would otherwise make of it.
func TestRenderRequestReadsBack(t *testing.T) {
	for _, v := range []string{
		"yes", "No", "ON", "y", "null", "NULL", "~", "true", "0123", "1e5", "0x1F", "0o17", "0b1", ".inf", "-",
		"1_000", "12:30", "2026-12-01", "a: b", "#x", "x #y", "'q'", `"q"`, `back\slash`, "tab\there", "line\nbreak",
		"ü", "\u2028", "\ufeff", "\x7f", "\u0085", "@team", "*alias", "&anchor", "!tag", "%x", "a,b", "[x]", "{x}",
		"|", ">", "?", "4h", "1mo", "S3Read", "job-function/ViewOnlyAccess", "",
	} {
		d := Draft{Account: "acct", PermissionSet: v, Duration: v, Justification: "j" + v}
		data := RenderRequest(d, "")
		req, err := DecodeRequest("requests/acct/x.yaml", data)
		if err != nil {
			t.Errorf("%q: %v\n%s", v, err, data)
			continue
		}
		if req.PermissionSet != v || req.Duration != v || req.Justification != strings.Trim("j"+v, " \t\r\n") {
			t.Errorf("%q came back as %q, %q, %q:\n%s", v, req.PermissionSet, req.Duration, req.Justification, data)
		}
	}
}

func TestRequestSlug(t *testing.T) {
	for in, want := range map[string]string{
		"INC-1234: investigating elevated 5xx rates in the payment API": "inc-1234-investigating-elevated-5xx",
		"   ":                          "request",
		"Ünïcode only ✓":               "n-code-only",
		strings.Repeat("a", 60) + " b": strings.Repeat("a", 40),
	} {
		if got := RequestSlug(in); got != want {
			t.Errorf("RequestSlug(%q) = %q, want %q", in, got, want)
		}
	}
	if got := RequestBranch("payments-prod", "inc-7"); got != "jit/payments-prod/inc-7" {
		t.Errorf("RequestBranch = %q", got)
	}
}
