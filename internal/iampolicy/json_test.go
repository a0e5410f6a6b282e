package iampolicy

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLintJSON(t *testing.T) {
	tests := []struct {
		name    string
		json    string
		want    []want
		wantDoc string // "" when the policy cannot be parsed
	}{
		{
			name: "valid",
			json: `{
  "Version": "2012-10-17",
  "Statement": [{"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/<a&b>"}]
}`,
			wantDoc: `{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/<a&b>"}]}`,
		},
		{
			name: "missing comma",
			json: `{
  "Version": "2012-10-17"
  "Statement": []
}`,
			want: []want{{at: `"Statement"`, sev: Error, msg: "invalid JSON: invalid character '\"' after object key:value pair"}},
		},
		{
			name: "trailing comma",
			json: `{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
  ]
}`,
			want: []want{{at: "]", sev: Error, msg: "invalid JSON: invalid character ']' looking for beginning of value",
				sugg: "JSON allows no comma after the last element; remove it"}},
		},
		{
			name: "document ends early",
			json: "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n",
			want: []want{{at: "\n", sev: Error, msg: "invalid JSON: the document ends too early",
				sugg: "a closing }, ] or \" is missing"}},
		},
		{
			name: "text after the document",
			json: `{"Version": "2012-10-17", "Statement": []}
}`,
			want: []want{{at: "}#2", sev: Error, msg: "invalid JSON: unexpected text after the end of the policy document",
				sugg: "remove it, or check that every { and [ is closed at the right place"}},
		},
		{
			name: "single quotes",
			json: `{'Version': '2012-10-17'}`,
			want: []want{{at: "'Version", sev: Error, msg: "invalid JSON: invalid character '\\''", sugg: "JSON strings and names use double quotes"}},
		},
		{
			name: "not an object",
			json: `["s3:GetObject"]`,
			want: []want{{at: "[", sev: Error, msg: "the policy must be an object with Version and Statement, not a list",
				sugg: `write {"Version": "2012-10-17", "Statement": [...]}`}},
			wantDoc: `["s3:GetObject"]`,
		},
		{
			name: "grammar and action errors at their lines",
			json: `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["s3:GetObjekt", "iam:PassRole"],
      "Resource": "*",
      "Principal": {"AWS": "*"},
      "Condition": {"StringEqualsIgnorecase": {"aws:username": "x"}}
    }
  ]
}`,
			want: []want{
				{at: `"s3:GetObjekt"`, sev: Error, msg: `statement 1: unknown action "s3:GetObjekt"`, sugg: `did you mean "s3:GetObject"?`},
				{at: `"iam:PassRole"`, sev: Warning, msg: `statement 1: iam:PassRole is a privilege-escalation action: it can hand a more powerful role to an AWS service and act through that service`,
					sugg: "approve only if the task needs it, and limit Resource to what it needs"},
				{at: `"*"`, sev: Warning, msg: `statement 1: Resource "*" applies the allowed actions to every resource in the account, not just the ones the task needs`,
					sugg: "list the ARNs of the resources the task needs"},
				{at: `"Principal"`, sev: Error, msg: "statement 1: Principal is not allowed in a permission set's inline policy: it is an identity-based policy and applies to whoever uses the permission set",
					sugg: "remove Principal"},
				{at: `"StringEqualsIgnorecase"`, sev: Error, msg: `statement 1: unknown condition operator "StringEqualsIgnorecase"`, sugg: `did you mean "StringEqualsIgnoreCase"?`},
			},
			wantDoc: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObjekt","iam:PassRole"],"Resource":"*","Principal":{"AWS":"*"},"Condition":{"StringEqualsIgnorecase":{"aws:username":"x"}}}]}`,
		},
		{
			name:    "empty",
			json:    " \n ",
			want:    []want{{at: " ", sev: Error, msg: "the policy is empty", sugg: `write a JSON policy document: {"Version": "2012-10-17", "Statement": [...]}`}},
			wantDoc: "",
		},
		{
			name: "nested too deeply",
			json: strings.Repeat("[", 40) + strings.Repeat("]", 40),
			want: []want{{at: strings.Repeat("[", 7), sev: Error, msg: "the policy is nested more than 32 levels deep"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc, got := LintJSON([]byte(tc.json))
			want := expect(t, tc.json, tc.want)
			if tc.name == "nested too deeply" {
				want[0].Col = 34
			}
			if tc.name == "document ends early" {
				want[0].Line, want[0].Col = 3, 17 // just after the last [
			}
			if tc.name == "empty" {
				want[0].Line, want[0].Col = 1, 1
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("issues (-want +got):\n%s", diff)
			}
			if string(doc) != tc.wantDoc {
				t.Errorf("doc = %s, want %s", doc, tc.wantDoc)
			}
		})
	}
}

// TestLintScalarStyles checks that issues in a JSON policy land on the
// right place of the request file for each way YAML can hold the string.
func TestLintScalarStyles(t *testing.T) {
	const head = "account: payments-prod\ncustom_permission_set:\n  name: S3Read\n  inline_policy: "
	tests := []struct {
		name string
		src  string
		at   string // where the unknown action's issue must point
	}{
		{
			name: "literal block",
			src: head + `|
    {
      "Version": "2012-10-17",
      "Statement": {"Effect": "Deny", "Action": "s3:GetObjekt", "Resource": "*"}
    }
`,
			at: `"s3:GetObjekt"`,
		},
		{
			name: "literal block, strip chomping",
			src: head + `|-
    {"Version": "2012-10-17",
     "Statement": {"Effect": "Deny", "Action": "s3:GetObjekt", "Resource": "*"}}
`,
			at: `"s3:GetObjekt"`,
		},
		{
			name: "single-quoted",
			src:  head + `'{"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "s3:GetObjekt", "Resource": "*"}}'` + "\n",
			at:   `"s3:GetObjekt"`,
		},
		{
			name: "double-quoted",
			src:  head + `"{\"Version\": \"2012-10-17\", \"Statement\": {\"Action\": \"s3:GetObjekt\", \"Effect\": \"Deny\", \"Resource\": \"*\"}}"` + "\n",
			at:   `\"s3:GetObjekt`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc, got := Lint(inlinePolicy(t, tc.src))
			_, inFile := LintInFile([]byte(tc.src), inlinePolicy(t, tc.src))
			if diff := cmp.Diff(got, inFile); diff != "" {
				t.Errorf("LintInFile differs from Lint on the usual layout (-Lint +LintInFile):\n%s", diff)
			}
			if !json.Valid(doc) {
				t.Fatalf("doc is not valid JSON: %s", doc)
			}
			line, col := locate(t, tc.src, tc.at)
			if len(got) != 1 || got[0].Message != `statement 1: unknown action "s3:GetObjekt"` {
				t.Fatalf("issues = %+v, want the unknown action only", got)
			}
			if got[0].Line != line || got[0].Col != col {
				t.Errorf("issue at %d:%d, want %d:%d\n%s", got[0].Line, got[0].Col, line, col, tc.src)
			}
		})
	}
}

// TestLintInFileReadsIndentation checks exact columns for a layout Lint
// alone cannot know: four-space indentation and a block deeper in.
func TestLintInFileReadsIndentation(t *testing.T) {
	src := "account: payments-prod\ncustom_permission_set:\n    name: S3Read\n    inline_policy: |\n\n            {\"Version\": \"2012-10-17\",\n             \"Statement\": {\"Effect\": \"Deny\", \"Action\": \"s3:GetObjekt\", \"Resource\": \"*\"}}\n"
	_, got := LintInFile([]byte(src), inlinePolicy(t, src))
	line, col := locate(t, src, `"s3:GetObjekt"`)
	if len(got) != 1 || got[0].Line != line || got[0].Col != col {
		t.Errorf("issues = %+v, want one at %d:%d", got, line, col)
	}
}
