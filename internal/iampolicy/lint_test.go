package iampolicy

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// want is an expected issue located by the text it points at, so that
// positions are checked against the file rather than recomputed by hand.
type want struct {
	at        string // text at the issue's position; "text#2" is its second occurrence
	sev       Severity
	msg, sugg string
}

// locate returns the 1-based line and column of the n-th occurrence of the
// text in src.
func locate(t *testing.T, src, at string) (int, int) {
	t.Helper()
	n := 1
	if i := strings.LastIndex(at, "#"); i > 0 {
		fmt.Sscanf(at[i+1:], "%d", &n)
		at = at[:i]
	}
	off := -1
	for range n {
		i := strings.Index(src[off+1:], at)
		if i < 0 {
			t.Fatalf("%q (occurrence %d) not in the test source", at, n)
		}
		off += 1 + i
	}
	line := strings.Count(src[:off], "\n") + 1
	col := off - strings.LastIndex(src[:off], "\n")
	return line, col
}

func expect(t *testing.T, src string, wants []want) []Issue {
	t.Helper()
	var out []Issue
	for _, w := range wants {
		line, col := locate(t, src, w.at)
		out = append(out, Issue{Line: line, Col: col, Severity: w.sev, Message: w.msg, Suggestion: w.sugg})
	}
	return out
}

// requestFile embeds a policy written as YAML in a request file, where the
// linter meets it.
func requestFile(policy string) string {
	var b strings.Builder
	b.WriteString("account: payments-prod\nduration: 4h\ncustom_permission_set:\n  name: S3Read\n  inline_policy:\n")
	for _, line := range strings.Split(strings.TrimSpace(policy), "\n") {
		b.WriteString("    " + line + "\n")
	}
	return b.String()
}

// inlinePolicy parses a request file and returns its inline_policy node.
func inlinePolicy(t testing.TB, src string) *yaml.Node {
	t.Helper()
	var f yaml.Node
	if err := yaml.Unmarshal([]byte(src), &f); err != nil {
		t.Fatalf("test file does not parse: %v\n%s", err, src)
	}
	cps := f.Content[0].Content
	for i := 0; i+1 < len(cps); i += 2 {
		if cps[i].Value != "custom_permission_set" {
			continue
		}
		set := cps[i+1].Content
		for j := 0; j+1 < len(set); j += 2 {
			if set[j].Value == "inline_policy" {
				return set[j+1]
			}
		}
	}
	t.Fatal("no inline_policy in the test file")
	return nil
}

const validPolicy = `
Version: "2012-10-17"
Statement:
  - Sid: ReadBucket
    Effect: Allow
    Action: [s3:GetObject, s3:ListBucket]
    Resource: [arn:aws:s3:::my-bucket, "arn:aws:s3:::my-bucket/${aws:username}/*"]
    Condition:
      Bool: {aws:SecureTransport: true}
      IpAddress: {aws:SourceIp: [203.0.113.0/24, "2001:db8::/32"]}
      StringLike: {s3:prefix: ["home/", "home/${aws:username}/*"]}
      ForAnyValue:StringEqualsIfExists: {aws:TagKeys: [team]}
      DateLessThan: {aws:CurrentTime: "2026-12-31T00:00:00Z"}
      NumericLessThanEquals: {s3:max-keys: 100}
      Null: {aws:MultiFactorAuthAge: "false"}
  - Effect: Deny
    Action: "*"
    NotResource: "arn:aws:iam::${aws:PrincipalAccount}:role/*"
`

func TestLintYAML(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		want   []want
	}{
		{name: "valid policy", policy: validPolicy},
		{
			name:   "policy that is not a mapping",
			policy: "- Effect: Allow",
			want: []want{{at: "- Effect", sev: Error, msg: "inline_policy is a list, but must be a policy document",
				sugg: "write the policy as a YAML mapping with Version and Statement, or as a JSON string"}},
		},
		{
			name: "old version",
			policy: `
Version: "2008-10-17"
Statement: {Effect: Allow, Action: s3:GetObject, Resource: "arn:aws:s3:::b/*"}`,
			want: []want{{at: `"2008`, sev: Warning, msg: "Version 2008-10-17 is the old policy language: policy variables such as ${aws:username} are taken literally",
				sugg: `use Version "2012-10-17"`}},
		},
		{
			name:   "unquoted version is the same text",
			policy: `{Version: 2012-10-17, Statement: {Effect: Allow, Action: s3:GetObject, Resource: "arn:aws:s3:::b/*"}}`,
		},
		{
			name:   "missing version",
			policy: `Statement: {Effect: Allow, Action: s3:GetObject, Resource: "arn:aws:s3:::b/*"}`,
			want: []want{{at: "Statement", sev: Warning,
				msg:  "Version is missing, so IAM reads the policy in the old 2008-10-17 language, where policy variables such as ${aws:username} are not replaced",
				sugg: `add Version: "2012-10-17"`}},
		},
		{
			name: "unknown version",
			policy: `
Version: "2012-10-18"
Statement: {Effect: Allow, Action: s3:GetObject, Resource: "arn:aws:s3:::b/*"}`,
			want: []want{{at: `"2012-10-18"`, sev: Error, msg: `unknown Version "2012-10-18": IAM accepts only 2012-10-17 and 2008-10-17`,
				sugg: `use Version "2012-10-17"`}},
		},
		{
			name: "unknown top-level key and missing statement",
			policy: `
Version: "2012-10-17"
Statment: []`,
			want: []want{
				{at: "Version", sev: Error, msg: "Statement is missing: a policy needs at least one statement", sugg: "add a Statement list with at least one statement"},
				{at: "Statment", sev: Error, msg: `unknown element "Statment"`, sugg: `did you mean "Statement"?`},
			},
		},
		{
			name: "empty statement list",
			policy: `
Version: "2012-10-17"
Statement: []`,
			want: []want{{at: "[]", sev: Error, msg: "Statement is an empty list: a policy needs at least one statement"}},
		},
		{
			name: "statement of the wrong type",
			policy: `
Version: "2012-10-17"
Statement: [Allow]`,
			want: []want{{at: "Allow", sev: Error, msg: "statement 1 must be an object, not a string"}},
		},
		{
			name: "sid with invalid characters, duplicate sid",
			policy: `
Version: "2012-10-17"
Statement:
  - {Sid: read-bucket, Effect: Allow, Action: s3:GetObject, Resource: "arn:aws:s3:::b/*"}
  - {Sid: Read, Effect: Allow, Action: s3:GetObject, Resource: "arn:aws:s3:::b/*"}
  - {Sid: Read, Effect: Allow, Action: s3:GetObject, Resource: "arn:aws:s3:::b/*"}`,
			want: []want{
				{at: "read-bucket", sev: Error, msg: `statement 1: Sid "read-bucket" may contain only letters A-Z, a-z and digits 0-9`, sugg: `did you mean "readbucket"?`},
				{at: "Read,#2", sev: Error, msg: `statement 3: Sid "Read" is already used by statement 2`, sugg: "give each statement its own Sid"},
			},
		},
		{
			name: "effect missing, misspelt",
			policy: `
Version: "2012-10-17"
Statement:
  - {Action: s3:GetObject, Resource: "arn:aws:s3:::b/*"}
  - {Effect: allow, Action: s3:GetObject, Resource: "arn:aws:s3:::b/*"}
  - {Effect: Permit, Action: s3:GetObject, Resource: "arn:aws:s3:::b/*"}`,
			want: []want{
				{at: "{Action", sev: Error, msg: "statement 1: Effect is missing", sugg: "add Effect: Allow or Effect: Deny"},
				{at: "allow", sev: Error, msg: `statement 2: Effect must be "Allow" or "Deny", not "allow"`, sugg: `did you mean "Allow"?`},
				{at: "Permit", sev: Error, msg: `statement 3: Effect must be "Allow" or "Deny", not "Permit"`, sugg: `write "Allow" or "Deny"`},
			},
		},
		{
			name: "action and resource pairs",
			policy: `
Version: "2012-10-17"
Statement:
  - {Effect: Deny, Action: s3:GetObject, NotAction: s3:PutObject, Resource: "arn:aws:s3:::b/*", NotResource: "arn:aws:s3:::c/*"}
  - {Effect: Deny}`,
			want: []want{
				{at: "NotAction", sev: Error, msg: "statement 1: has both Action and NotAction; use exactly one", sugg: "remove Action or NotAction"},
				{at: "NotResource", sev: Error, msg: "statement 1: has both Resource and NotResource; use exactly one", sugg: "remove Resource or NotResource"},
				{at: "{Effect: Deny}", sev: Error, msg: "statement 2: has neither Action nor NotAction", sugg: "add Action"},
				{at: "{Effect: Deny}", sev: Error, msg: "statement 2: has neither Resource nor NotResource", sugg: "add Resource"},
			},
		},
		{
			name: "principal in an identity policy, unknown statement key",
			policy: `
Version: "2012-10-17"
Statement:
  Effect: Deny
  Principal: {AWS: "*"}
  Action: s3:GetObject
  Resources: "*"`,
			want: []want{
				{at: "Effect", sev: Error, msg: "statement 1: has neither Resource nor NotResource", sugg: "add Resource"},
				{at: "Principal", sev: Error, msg: "statement 1: Principal is not allowed in a permission set's inline policy: it is an identity-based policy and applies to whoever uses the permission set", sugg: "remove Principal"},
				{at: "Resources", sev: Error, msg: `statement 1: unknown element "Resources"`, sugg: `did you mean "Resource"?`},
			},
		},
		{
			name: "unknown actions with suggestions",
			policy: `
Version: "2012-10-17"
Statement:
  Sid: Typos
  Effect: Deny
  Action: [s3:GetObjekt, s4:ListBucket, GetObject, "s3:Get Object", s3:Gett*, ec2:Describ*, lambda:Frobnicate, nosuchservice:Get]
  Resource: "*"`,
			want: []want{
				{at: "s3:GetObjekt", sev: Error, msg: `statement "Typos": unknown action "s3:GetObjekt"`, sugg: `did you mean "s3:GetObject"?`},
				{at: "s4:ListBucket", sev: Error, msg: `statement "Typos": unknown action "s4:ListBucket"`, sugg: `did you mean "s3:ListBucket"?`},
				{at: "GetObject,", sev: Error, msg: `statement "Typos": action "GetObject" has no service prefix`,
					sugg: `did you mean "s3:GetObject"? (5 services have GetObject: s3:GetObject, mediapackagev2:GetObject, mediastore:GetObject, s3-object-lambda:GetObject and 1 more)`},
				{at: `"s3:Get Object"`, sev: Error, msg: `statement "Typos": "s3:Get Object" is not a valid action name`,
					sugg: "write service:Action, e.g. s3:GetObject; only letters, digits, - and the wildcards * and ? are allowed"},
				{at: "s3:Gett*", sev: Error, msg: `statement "Typos": "s3:Gett*" matches no IAM action`, sugg: "check the spelling of the action part"},
				{at: "lambda:Frobnicate", sev: Error, msg: `statement "Typos": unknown action "lambda:Frobnicate"`,
					sugg: `lambda has no action like "Frobnicate"; see the service's actions in the IAM Service Authorization Reference`},
				{at: "nosuchservice:Get", sev: Error, msg: `statement "Typos": unknown action "nosuchservice:Get"`,
					sugg: `unknown service prefix "nosuchservice"; see the IAM Service Authorization Reference for service prefixes`},
			},
		},
		{
			name: "case of action names",
			policy: `
Version: "2012-10-17"
Statement: {Effect: Deny, Action: [S3:getobject, s3:get*], Resource: "*"}`,
			want: []want{{at: "S3:getobject", sev: Suggestion,
				msg:  `statement 1: action "S3:getobject" is spelt "s3:GetObject" by AWS; IAM ignores case, but the usual spelling is easier to review`,
				sugg: `write "s3:GetObject"`}},
		},
		{
			name: "action of the wrong type",
			policy: `
Version: "2012-10-17"
Statement: [{Effect: Deny, Action: [], Resource: "*"}, {Effect: Deny, Action: {s3: Get}, NotResource: [7]}]`,
			want: []want{
				{at: "[]", sev: Error, msg: "statement 1: Action is an empty list"},
				{at: "{s3", sev: Error, msg: "statement 2: Action must be a string or a list of strings, not an object"},
				{at: "7]", sev: Error, msg: "statement 2: each NotResource must be a string, not a number"},
			},
		},
		{
			name: "broad grants warn",
			policy: `
Version: "2012-10-17"
Statement:
  - Effect: Allow
    Action: "*"
    Resource: "*"
  - Effect: Allow
    Action: "*:*"
    Resource: arn:aws:s3:::b
  - Effect: Allow
    NotAction: [iam:*, organizations:*, sts:*, sso:*, sso-directory:*, identitystore:*, lambda:*, ssm:*, ec2-instance-connect:*, ec2:*, ecs:*, codebuild:*, glue:*, sagemaker:*, cloudformation:*, datapipeline:*]
    NotResource: arn:aws:s3:::secret/*`,
			want: []want{
				{at: `"*"`, sev: Warning, msg: `statement 1: Action "*" allows every action of every AWS service: this is administrator access, including changing IAM and IAM Identity Center to keep or widen access`,
					sugg: "list only the actions the task needs"},
				{at: `"*"#2`, sev: Warning, msg: `statement 1: Resource "*" applies the allowed actions to every resource in the account, not just the ones the task needs`,
					sugg: "list the ARNs of the resources the task needs"},
				{at: `"*:*"`, sev: Warning, msg: `statement 2: Action "*:*" allows every action of every AWS service: this is administrator access, including changing IAM and IAM Identity Center to keep or widen access`,
					sugg: "list only the actions the task needs"},
				{at: "NotAction", sev: Warning, msg: "statement 3: NotAction with Allow allows every action except the ones listed, including actions AWS adds later",
					sugg: "list the allowed actions under Action instead"},
				{at: "NotResource", sev: Warning, msg: "statement 3: NotResource with Allow applies the allowed actions to every resource except the ones listed, including resources created later",
					sugg: "list the allowed resources under Resource instead"},
			},
		},
		{
			name: "NotAction with Allow names the escalation it leaves open",
			policy: `
Version: "2012-10-17"
Statement: {Effect: Allow, NotAction: [iam:*, sso:*, sso-directory:*, identitystore:*, organizations:*, sts:AssumeRoleWith*, lambda:*, ssm:*, ec2-instance-connect:*, ec2:*, ecs:*, codebuild:*, glue:*, sagemaker:*, cloudformation:*, datapipeline:*], Resource: "arn:aws:s3:::b"}`,
			want: []want{{at: "NotAction", sev: Warning,
				msg:  "statement 1: NotAction with Allow allows every action except the ones listed, including actions AWS adds later, and privilege-escalation actions such as sts:AssumeRole",
				sugg: "list the allowed actions under Action instead"}},
		},
		{
			name: "privilege escalation, named through wildcards",
			policy: `
Version: "2012-10-17"
Statement:
  - Sid: Escalate
    Effect: Allow
    Action: [iam:PassRole, iam:put*, iam:Attach*Policy, sts:AssumeRole*, iam:CreateAccessKey, organizations:ListAccounts, iam:*, kms:*, s3:*]
    Resource: arn:aws:iam::111122223333:role/app
  - Effect: Deny
    Action: [iam:*]
    Resource: "*"`,
			want: []want{
				{at: "iam:PassRole", sev: Warning, msg: `statement "Escalate": iam:PassRole is a privilege-escalation action: it can hand a more powerful role to an AWS service and act through that service`,
					sugg: "approve only if the task needs it, and limit Resource to what it needs"},
				{at: "iam:put*", sev: Warning, msg: `statement "Escalate": "iam:put*" allows privilege-escalation actions iam:PutGroupPolicy, iam:PutRolePermissionsBoundary, iam:PutRolePolicy, iam:PutUserPermissionsBoundary, iam:PutUserPolicy: each can give the holder more access than this request grants, or access that outlives it`,
					sugg: "list only the actions the task needs"},
				{at: "iam:Attach*Policy", sev: Warning, msg: `statement "Escalate": "iam:Attach*Policy" allows privilege-escalation actions iam:AttachGroupPolicy, iam:AttachRolePolicy, iam:AttachUserPolicy: it can attach or write any permissions for users, groups or roles, or add users to groups, including the principals the holder uses`,
					sugg: "list only the actions the task needs"},
				{at: "sts:AssumeRole*", sev: Warning, msg: `statement "Escalate": "sts:AssumeRole*" allows privilege-escalation actions sts:AssumeRole, sts:AssumeRoleWithSAML, sts:AssumeRoleWithWebIdentity: it can assume other roles and act with their permissions`,
					sugg: "list only the actions the task needs"},
				{at: "iam:CreateAccessKey", sev: Warning, msg: `statement "Escalate": iam:CreateAccessKey is a privilege-escalation action: it can create, reactivate or replace credentials of other IAM users (access keys, passwords, SSH keys, service credentials), which keep working after this grant ends`,
					sugg: "approve only if the task needs it, and limit Resource to what it needs"},
				{at: "organizations:ListAccounts", sev: Warning, msg: `statement "Escalate": organizations:ListAccounts is an AWS Organizations action: its actions read or change the AWS organization: accounts, service control policies and delegated administrators`,
					sugg: "approve only if the task needs it, and limit Resource to what it needs"},
				{at: "iam:*", sev: Warning, msg: `statement "Escalate": "iam:*" allows every iam action: it can create and change users, roles and policies, including its own; it includes privilege-escalation actions iam:AddUserToGroup, iam:AttachGroupPolicy, iam:AttachRolePolicy, iam:AttachUserPolicy, iam:CreateAccessKey and 26 more`,
					sugg: "list only the actions the task needs"},
				{at: "kms:*", sev: Warning, msg: `statement "Escalate": "kms:*" allows every kms action: it can decrypt data and change or schedule deletion of encryption keys`,
					sugg: "list only the actions the task needs"},
			},
		},
		{
			name: "resource ARNs",
			policy: `
Version: "2012-10-17"
Statement:
  Effect: Deny
  Action: s3:GetObject
  Resource:
    - arn:aws:s3:::bucket/*
    - arn:aws:iam::aws:policy/ReadOnlyAccess
    - arn:*:ec2:*:*:instance/*
    - arn:aws:iam::${aws:PrincipalAccount}:user/${aws:username}
    - my-bucket
    - arn:aws:s3
    - arn:amazon:s3:::b
    - arn:aws:S3:::b
    - arn:aws:ec2:EU_WEST:111122223333:instance/i-1
    - arn:aws:ec2:eu-west-1:1234:instance/i-1
    - "arn:aws:ec2:eu-west-1:111122223333:"`,
			want: []want{
				{at: "my-bucket", sev: Error, msg: `statement 1: resource "my-bucket" is not an ARN`, sugg: arnHint},
				{at: "arn:aws:s3\n", sev: Error, msg: `statement 1: resource "arn:aws:s3" has too few parts; an ARN has six, arn:partition:service:region:account-id:resource`, sugg: arnHint},
				{at: "arn:amazon", sev: Error, msg: `statement 1: resource "arn:amazon:s3:::b" has unknown partition "amazon"; use aws (or aws-cn, aws-us-gov)`, sugg: arnHint},
				{at: "arn:aws:S3", sev: Error, msg: `statement 1: resource "arn:aws:S3:::b" has invalid service "S3"`, sugg: arnHint},
				{at: "arn:aws:ec2:EU", sev: Error, msg: `statement 1: resource "arn:aws:ec2:EU_WEST:111122223333:instance/i-1" has invalid region "EU_WEST"`, sugg: arnHint},
				{at: "arn:aws:ec2:eu-west-1:1234", sev: Error, msg: `statement 1: resource "arn:aws:ec2:eu-west-1:1234:instance/i-1" has invalid account "1234"; use a 12-digit account id`, sugg: arnHint},
				{at: `"arn:aws:ec2:eu-west-1:111122223333:"`, sev: Error, msg: `statement 1: resource "arn:aws:ec2:eu-west-1:111122223333:" has no resource part after the account`, sugg: arnHint},
			},
		},
		{
			name: "conditions",
			policy: `
Version: "2012-10-17"
Statement:
  Effect: Deny
  Action: s3:GetObject
  Resource: "*"
  Condition:
    StringEqual: {aws:PrincipalTag/team: ops}
    NullIfExists: {aws:TokenIssueTime: "true"}
    Bool: {aws:SecureTransport: yes, SecureTransport: "true"}
    NumericLessThan: {s3:max-keys: ten}
    DateGreaterThan: {aws:CurrentTime: tomorrow}
    NotIpAddress: {aws:SourceIp: [10.0.0.0/8, 10.0.0.300]}
    StringLike: {aws:userid: []}
    ArnLike: "arn:aws:iam::111122223333:role/x"
    ForAllValues:StringLikeIfExists: {aws:TagKeys: [{a: b}]}`,
			want: []want{
				{at: "StringEqual", sev: Error, msg: `statement 1: unknown condition operator "StringEqual"`, sugg: `did you mean "StringEquals"?`},
				{at: "NullIfExists", sev: Error, msg: `statement 1: unknown condition operator "NullIfExists"`, sugg: `Null takes no IfExists; use "Null"`},
				{at: "yes", sev: Error, msg: `statement 1: Bool value "yes" must be true or false`},
				{at: "SecureTransport: \"", sev: Error, msg: `statement 1: condition key "SecureTransport" has no service prefix`, sugg: "write prefix:key, e.g. aws:SourceIp or s3:prefix"},
				{at: "ten", sev: Error, msg: `statement 1: NumericLessThan value "ten" must be a number`},
				{at: "tomorrow", sev: Error, msg: `statement 1: DateGreaterThan value "tomorrow" must be a date such as 2026-01-31T12:00:00Z or seconds since 1970`},
				{at: "10.0.0.300", sev: Error, msg: `statement 1: NotIpAddress value "10.0.0.300" must be an IP address or CIDR range such as 203.0.113.0/24`},
				{at: "[]}", sev: Error, msg: "statement 1: StringLike has an empty list of values"},
				{at: `"arn:aws:iam`, sev: Error, msg: "statement 1: ArnLike must map condition keys to values",
					sugg: `write condition keys and values, e.g. StringEquals: {"aws:RequestedRegion": "eu-west-1"}`},
				{at: "{a: b}", sev: Error, msg: "statement 1: a ForAllValues:StringLikeIfExists value must be a string, number or boolean, not an object"},
			},
		},
		{
			name: "duplicate keys",
			policy: `
Version: "2012-10-17"
Statement:
  Effect: Deny
  Effect: Allow
  Action: s3:GetObject
  Resource: "*"`,
			want: []want{{at: "Effect#2", sev: Error, msg: `statement 1: "Effect" appears more than once`, sugg: "remove one of them"}},
		},
		{
			name: "aliases are refused",
			policy: `
Version: "2012-10-17"
Statement:
  - &s {Effect: Deny, Action: s3:GetObject, Resource: "*"}
  - *s`,
			want: []want{{at: "*s", sev: Error, msg: "YAML aliases (*name) are not allowed in a policy: reviewers must see every value where it applies",
				sugg: "write the value out in full"}},
		},
		{
			name: "custom tags are refused",
			policy: `
Version: !!binary aGVsbG8=
Statement: {Effect: Deny, Action: s3:GetObject, Resource: "*"}`,
			want: []want{{at: "!!binary", sev: Error, msg: "YAML tag !!binary is not allowed in a policy", sugg: "remove the tag; write the value as plain text"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := requestFile(tc.policy)
			doc, got := Lint(inlinePolicy(t, src))
			if diff := cmp.Diff(expect(t, src, tc.want), got); diff != "" {
				t.Errorf("issues (-want +got):\n%s\nfile:\n%s", diff, src)
			}
			if doc == nil {
				return
			}
			if !json.Valid(doc) {
				t.Fatalf("doc is not valid JSON: %s", doc)
			}
			// The same policy written as JSON must get the same findings.
			_, fromJSON := LintJSON(doc)
			if diff := cmp.Diff(findings(got), findings(fromJSON)); diff != "" {
				t.Errorf("findings of the policy as JSON differ (-yaml +json):\n%s", diff)
			}
		})
	}
}

const arnHint = `write "*" or an ARN: arn:partition:service:region:account-id:resource, e.g. arn:aws:s3:::my-bucket/*`

// findings drops positions, which differ between the two ways of writing
// a policy, and sorts by text.
func findings(issues []Issue) []string {
	var out []string
	for _, i := range issues {
		out = append(out, fmt.Sprintf("%s: %s (%s)", i.Severity, i.Message, i.Suggestion))
	}
	slices.Sort(out)
	return out
}
