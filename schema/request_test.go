package schema

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const testPath = "requests/payments-prod/x.yaml"

func e(line, col int, msg, fix string) Finding {
	return Finding{Path: testPath, Line: line, Col: col, Severity: SeverityError, Message: msg, Fix: fix}
}

func w(line, col int, msg, fix string) Finding {
	return Finding{Path: testPath, Line: line, Col: col, Severity: SeverityWarning, Message: msg, Fix: fix}
}

func TestValidateRequest(t *testing.T) {
	cfg := testConfig(t)
	// std is a valid standard request; each of set replaces the line with
	// its key, or is added at the end.
	std := func(set ...string) string {
		req := []string{
			"account: payments-prod",
			"permission_set: ReadOnlyAccess",
			"duration: 4h",
			`justification: "INC-1234: investigating 5xx errors"`,
		}
	next:
		for _, l := range set {
			key, _, _ := strings.Cut(l, ":")
			for i, r := range req {
				if strings.HasPrefix(r, key+":") {
					req[i] = l
					continue next
				}
			}
			req = append(req, l)
		}
		return lines(req...)
	}
	custom := func(session, duration string, policy ...string) string {
		return lines(append([]string{
			"account: payments-prod",
			`justification: "INC-1234: investigating 5xx errors"`,
			"duration: " + duration,
			"custom_permission_set:",
			"  name: S3Read",
			"  session_duration: " + session,
		}, policy...)...)
	}
	tests := []struct {
		name string
		path string
		data string
		opts CheckOptions
		want []Finding
	}{
		{name: "valid standard request", data: std(), opts: CheckOptions{Requester: "octocat"}},
		{name: "valid custom request", data: custom("1h", "2h", "  managed_policies: [AmazonS3ReadOnlyAccess]")},
		{name: "requester matched ignoring case", data: std(), opts: CheckOptions{Requester: "OctoCat"}},
		{
			name: "unknown key suggests the closest",
			data: std("justifcation: x"),
			want: []Finding{e(5, 1, `unknown key "justifcation"`, `did you mean "justification"?`)},
		},
		{
			name: "unknown key nested, nothing close",
			data: custom("1h", "2h", "  managed_policies: [AmazonS3ReadOnlyAccess]", "  colour: blue"),
			want: []Finding{e(8, 3, `unknown key "colour" in custom_permission_set`, "remove it; known keys are inline_policy, managed_policies, name, session_duration")},
		},
		{
			name: "missing key",
			data: lines("account: payments-prod", "permission_set: ReadOnlyAccess", `justification: "INC-1234: investigating"`),
			want: []Finding{e(1, 1, `missing key "duration"`, `add "duration: 4h"`)},
		},
		{
			name: "missing nested key",
			data: lines("account: payments-prod", "duration: 4h", `justification: "INC-1234: investigating"`, "custom_permission_set:", "  name: S3Read", "  managed_policies: [AmazonS3ReadOnlyAccess]"),
			want: []Finding{e(4, 1, `missing key "session_duration" in custom_permission_set`, `add "session_duration: 1h"`)},
		},
		{
			name: "account id written as a number",
			data: std("account: 111122223333"),
			want: []Finding{e(1, 10, "account is written as a YAML number (111122223333) but must be a string; quote it", `write account: "111122223333"`)},
		},
		{
			name: "wrong type",
			data: std("duration: [4h]"),
			want: []Finding{e(3, 11, "duration must be a string, not a list", "for example duration: 4h")},
		},
		{
			name: "empty value",
			data: std("account:"),
			want: []Finding{e(1, 9, "account is empty, but must be a string", "give it a value")},
		},
		{
			name: "duration not in the list",
			data: std("duration: 3h"),
			want: []Finding{e(3, 11, `duration "3h" is not allowed`, "use one of 1h, 2h, 4h, 8h, 12h, 1d, 2d, 3d, 1w, 2w, 1mo")},
		},
		{
			name: "neither permission set nor custom set",
			data: lines("account: payments-prod", "duration: 4h", `justification: "INC-1234: investigating"`),
			want: []Finding{e(1, 1, "the file needs exactly one of permission_set, custom_permission_set", "add one of them")},
		},
		{
			name: "both permission set and custom set",
			data: std("custom_permission_set:", "  name: S3Read", "  session_duration: 1h", "  managed_policies: [AmazonS3ReadOnlyAccess]"),
			want: []Finding{e(5, 1, "permission_set and custom_permission_set are both set, but only one of them may be", "keep exactly one of them")},
		},
		{
			name: "unknown account",
			data: std("account: payments-prd"),
			want: []Finding{e(1, 10, `account "payments-prd" is not in .github/jit.yaml`, `did you mean "payments-prod"?`)},
		},
		{
			name: "account by id in the name folder",
			data: lines(`account: "111122223333"`, "permission_set: ReadOnlyAccess", "duration: 4h", `justification: "INC-1234: investigating"`),
		},
		{
			name: "account by name in the id folder",
			path: "requests/111122223333/x.yaml",
			data: std(),
		},
		{
			name: "account does not match the folder",
			path: "requests/data-prod/x.yaml",
			data: std(),
			want: []Finding{{Path: "requests/data-prod/x.yaml", Line: 1, Col: 10, Severity: SeverityError,
				Message: "account payments-prod does not match the folder requests/data-prod/: the folder decides who approves",
				Fix:     "move the file to requests/payments-prod/ or ask for an account of requests/data-prod/"}},
		},
		{
			name: "file outside requests/<account>/",
			path: "x.yaml",
			data: std(),
			want: []Finding{{Path: "x.yaml", Line: 1, Col: 1, Severity: SeverityError,
				Message: "request files live in requests/<account>/, not at x.yaml",
				Fix:     "move the file to requests/payments-prod/x.yaml"}},
		},
		{
			name: "permission set not offered for the account",
			data: std("permission_set: ReadOnlyAcess"),
			want: []Finding{e(2, 17, `permission set "ReadOnlyAcess" is not offered for account payments-prod`, `did you mean "ReadOnlyAccess"?`)},
		},
		{
			name: "permission set of another account",
			path: "requests/data-prod/x.yaml",
			data: std("account: data-prod", "permission_set: PowerUserAccess"),
			want: []Finding{{Path: "requests/data-prod/x.yaml", Line: 2, Col: 17, Severity: SeverityError,
				Message: `permission set "PowerUserAccess" is not offered for account data-prod`,
				Fix:     "use one of ReadOnlyAccess, or define a custom_permission_set"}},
		},
		{
			name: "duration over the account's cap",
			data: std("duration: 2d"),
			want: []Finding{e(3, 11, "duration 2d is longer than the 1d allowed for account payments-prod", "ask for 1d or less")},
		},
		{
			name: "duration over the permission set's cap",
			data: std("permission_set: PowerUserAccess", "duration: 12h"),
			want: []Finding{e(3, 11, "duration 12h is longer than the 8h allowed for permission set PowerUserAccess", "ask for 8h or less")},
		},
		{
			name: "uncapped account, capped set",
			path: "requests/data-prod/x.yaml",
			data: std("account: data-prod", "duration: 2w"),
			want: []Finding{{Path: "requests/data-prod/x.yaml", Line: 3, Col: 11, Severity: SeverityError,
				Message: "duration 2w is longer than the 1w allowed for permission set ReadOnlyAccess", Fix: "ask for 1w or less"}},
		},
		{
			name: "justification too short after trimming",
			data: std(`justification: "   debug     "`),
			want: []Finding{e(4, 16, "justification is 5 characters long without surrounding spaces; at least 10 are needed",
				`say why you need the access, e.g. "INC-1234: investigating 5xx errors in the payment API"`)},
		},
		{
			name: "zero-width characters do not count towards the justification",
			data: std(`justification: "debug\u200b\u200b\u200b\u200b\u200b\u200b"`),
			want: []Finding{e(4, 16, "justification contains the invisible or control character U+200B, which can hide or reorder what approvers and auditors read",
				"write the justification as plain text")},
		},
		{
			name: "terminal escape in the justification",
			data: std(`justification: "INC-1234 \e[8mhidden text"`),
			want: []Finding{e(4, 16, "justification contains the invisible or control character U+001B, which can hide or reorder what approvers and auditors read",
				"write the justification as plain text")},
		},
		{
			name: "right-to-left override in the justification",
			data: std(`justification: "INC-1234 \u202eecnedicni"`),
			want: []Finding{e(4, 16, "justification contains the invisible or control character U+202E, which can hide or reorder what approvers and auditors read",
				"write the justification as plain text")},
		},
		{
			name: "status block from a requester",
			data: std("status:", "  state: active"),
			want: []Finding{e(5, 1, "status: is written by the jit Action after the merge, not by requesters", "remove the status: block")},
		},
		{
			name: "status block allowed on main",
			data: std("status:", "  state: active", "  pull_request: 42", "  approvals: [{by: alice, stage: owner, at: 2026-11-23T10:02:11Z, note: ok}]", "  activated_at: 2026-11-23T10:05:40Z", `  expires_at: "2026-11-23T14:05:40Z"`),
			opts: CheckOptions{AllowStatus: true},
		},
		{
			// The reconcile's intent, recorded before its first AWS call: a
			// file at rest on main may carry it while an activation is in
			// flight or was interrupted.
			name: "activating intent allowed on main",
			data: std("status:", "  state: activating", "  pull_request: 42", "  requester: alice", "  duration: 4h", `  expires_at: "2026-11-23T14:05:40Z"`, "  principal_id: 906787e8a2-0d5c7e4a"),
			opts: CheckOptions{AllowStatus: true},
		},
		{
			name: "activating intent from a requester",
			data: std("status:", "  state: activating"),
			want: []Finding{e(5, 1, "status: is written by the jit Action after the merge, not by requesters", "remove the status: block")},
		},
		{
			name: "status block checked against the schema",
			data: std("status:", "  state: actve", "  approvals: [{by: a, stage: owner, at: yesterday}]"),
			opts: CheckOptions{AllowStatus: true},
			want: []Finding{
				e(6, 10, `status.state "actve" is not allowed`, `did you mean "active"? allowed: activating, revoking, active, expired, revoked, failed, extended`),
				e(7, 41, `status.approvals[0].at "yesterday" is not a valid date-time`, "write an RFC 3339 time such as 2026-11-23T10:02:11Z"),
			},
		},
		{
			name: "requester without an Identity Center user",
			data: std(),
			opts: CheckOptions{Requester: "mallory"},
			want: []Finding{e(1, 1, "GitHub user mallory has no IAM Identity Center user in .github/jit.yaml, so no access can be granted",
				`add "mallory: <user name>" under users: in .github/jit.yaml`)},
		},
		{
			name: "custom set name with a bad character",
			data: lines("account: payments-prod", "duration: 4h", `justification: "INC-1234: investigating"`, "custom_permission_set:", "  name: S3 Read", "  session_duration: 1h", "  managed_policies: [AmazonS3ReadOnlyAccess]"),
			want: []Finding{e(5, 9, `custom_permission_set.name "S3 Read" is not valid`,
				`use letters, digits and + = , . @ _ - only, at most 28 characters: AWS allows 32 characters including the "JIT-" prefix`)},
		},
		{
			name: "custom set name too long with the JIT- prefix",
			data: lines("account: payments-prod", "duration: 4h", `justification: "INC-1234: investigating"`, "custom_permission_set:", "  name: "+strings.Repeat("a", 29), "  session_duration: 1h", "  managed_policies: [AmazonS3ReadOnlyAccess]"),
			want: []Finding{e(5, 9, "custom_permission_set.name is 29 characters long, at most 28 are allowed",
				`use letters, digits and + = , . @ _ - only, at most 28 characters: AWS allows 32 characters including the "JIT-" prefix`)},
		},
		{
			name: "custom set name of exactly 28 characters",
			data: lines("account: payments-prod", "duration: 4h", `justification: "INC-1234: investigating"`, "custom_permission_set:", "  name: "+strings.Repeat("a", 28), "  session_duration: 1h", "  managed_policies: [AmazonS3ReadOnlyAccess]"),
		},
		{
			name: "session duration out of range",
			data: custom("13h", "1d", "  managed_policies: [AmazonS3ReadOnlyAccess]"),
			want: []Finding{e(6, 21, `custom_permission_set.session_duration "13h" is not allowed`, "use one of 1h, 2h, 3h, 4h, 5h, 6h, 7h, 8h, 9h, 10h, 11h, 12h")},
		},
		{
			name: "session longer than the access",
			data: custom("4h", "2h", "  managed_policies: [AmazonS3ReadOnlyAccess]"),
			want: []Finding{e(6, 21, "session_duration 4h is longer than the access duration 2h", "use a session_duration of 2h or less")},
		},
		{
			name: "custom set without any policy",
			data: custom("1h", "2h"),
			want: []Finding{e(4, 1, "custom_permission_set needs at least one of managed_policies, inline_policy", "add one of them")},
		},
		{
			name: "custom set with an empty managed policy list",
			data: custom("1h", "2h", "  managed_policies: []"),
			want: []Finding{e(7, 21, "custom_permission_set.managed_policies has 0 entries, at least 1 are needed", "list at least 1")},
		},
		{
			name: "more than 10 managed policies",
			data: custom("1h", "2h", "  managed_policies: [a, b, c, d, e, f, g, h, i, j, k]"),
			want: []Finding{e(7, 21, "custom_permission_set.managed_policies has 11 entries, at most 10 are allowed", "remove some")},
		},
		{
			name: "managed policy that is not a name or ARN",
			data: custom("1h", "2h", "  managed_policies: [arn:aws:iam::111122223333:policy/Mine]"),
			want: []Finding{e(7, 22, `custom_permission_set.managed_policies[0] "arn:aws:iam::111122223333:policy/Mine" is not valid`,
				"write an AWS managed policy name such as AmazonS3ReadOnlyAccess or its ARN arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")},
		},
		{
			name: "AdministratorAccess is a warning",
			data: custom("1h", "2h", "  managed_policies:", "    - AmazonS3ReadOnlyAccess", "    - arn:aws:iam::aws:policy/AdministratorAccess"),
			want: []Finding{w(9, 7, "managed policy AdministratorAccess gives full control of the account", "ask for the narrowest policy that does the job")},
		},
		{
			name: "IAMFullAccess is a warning",
			data: custom("1h", "2h", "  managed_policies: [IAMFullAccess]"),
			want: []Finding{w(7, 22, "managed policy IAMFullAccess allows iam:*, enough to grant oneself any permission", "ask for the narrowest policy that does the job")},
		},
		{
			name: "an Identity Center administrator policy by ARN is a warning",
			data: custom("1h", "2h", "  managed_policies: [arn:aws:iam::aws:policy/AWSSSOMasterAccountAdministrator]"),
			want: []Finding{w(7, 22, "managed policy AWSSSOMasterAccountAdministrator administers IAM Identity Center, the access jit controls", "ask for the narrowest policy that does the job")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path
			if path == "" {
				path = testPath
			}
			_, got := ValidateRequest(path, []byte(tt.data), cfg, tt.opts)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ValidateRequest findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseRequestFillsTheRequest(t *testing.T) {
	data := lines(
		"# yaml-language-server: $schema=../../schema/request.schema.json",
		"account: payments-prod",
		"duration: 4h",
		`justification: "INC-1234: investigating"`,
		"custom_permission_set:",
		"  name: S3Read",
		"  session_duration: 2h",
		"  inline_policy: |",
		`    {"Version": "2012-10-17",`,
		`     "Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}}`,
		"status:",
		"  state: active",
		"  activated_at: 2026-11-23T10:05:40Z",
	)
	f, fs := ParseRequest(testPath, []byte(data))
	if f == nil {
		t.Fatalf("ParseRequest: %v", fs)
	}
	at := time.Date(2026, 11, 23, 10, 5, 40, 0, time.UTC)
	want := Request{
		Account:       "payments-prod",
		Duration:      "4h",
		Justification: "INC-1234: investigating",
		CustomPermissionSet: &CustomPermissionSet{
			Name:            "S3Read",
			SessionDuration: "2h",
			InlinePolicy:    `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`,
		},
		Status: &Status{State: StateActive, ActivatedAt: &at},
	}
	if diff := cmp.Diff(want, f.Request); diff != "" {
		t.Errorf("Request (-want +got):\n%s", diff)
	}
	if d, err := f.Request.AccessDuration(); err != nil || d != 4*time.Hour {
		t.Errorf("AccessDuration() = %v, %v, want 4h", d, err)
	}
	if d, err := f.Request.CustomPermissionSet.Session(); err != nil || d != 2*time.Hour {
		t.Errorf("Session() = %v, %v, want 2h", d, err)
	}
	for _, tt := range []struct {
		field     string
		line, col int
	}{
		{"account", 2, 10},
		{"custom_permission_set.name", 6, 9},
		{"custom_permission_set.inline_policy", 8, 18},
		{"custom_permission_set.managed_policies", 5, 1}, // absent: its parent
		{"status.activated_at", 13, 17},
		{"nosuch.field", 2, 1},
		{"", 2, 1},
	} {
		if l, c := f.Pos(tt.field); l != tt.line || c != tt.col {
			t.Errorf("Pos(%q) = %d:%d, want %d:%d", tt.field, l, c, tt.line, tt.col)
		}
	}
}

func TestPosOfApprovals(t *testing.T) {
	data := std3("status:", "  state: active", "  approvals:", "    - {by: alice, stage: owner, at: 2026-11-23T10:02:11Z}", "    - {by: bob, stage: admin, at: 2026-11-23T10:03:11Z}")
	f, fs := ParseRequest(testPath, []byte(data))
	if f == nil {
		t.Fatalf("ParseRequest: %v", fs)
	}
	for _, field := range []string{"status.approvals.1.by", "status.approvals[1].by"} {
		if l, c := f.Pos(field); l != 9 || c != 12 {
			t.Errorf("Pos(%q) = %d:%d, want 9:12", field, l, c)
		}
	}
}

func std3(extra ...string) string {
	return lines(append([]string{"account: payments-prod", "permission_set: ReadOnlyAccess", "duration: 4h", `justification: "INC-1234: investigating"`}, extra...)...)
}

func TestCheckRequestWithoutConfig(t *testing.T) {
	f, fs := ParseRequest(testPath, []byte(lines("account: nowhere", "permission_set: X", "duration: 4h", "justification: short")))
	if f == nil {
		t.Fatalf("ParseRequest: %v", fs)
	}
	got := CheckRequest(f, nil, CheckOptions{Requester: "x"})
	want := []Finding{e(4, 16, "justification is 5 characters long without surrounding spaces; at least 10 are needed",
		`say why you need the access, e.g. "INC-1234: investigating 5xx errors in the payment API"`)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CheckRequest (-want +got):\n%s", diff)
	}
}

func TestFindingStringAndSort(t *testing.T) {
	fs := []Finding{
		{Path: "b.yaml", Line: 1, Col: 1, Severity: SeverityError, Message: "m"},
		{Path: "a.yaml", Line: 2, Col: 1, Severity: SeverityWarning, Message: "w", Fix: "f"},
		{Path: "a.yaml", Line: 2, Col: 1, Severity: SeverityError, Message: "z"},
		{Path: "a.yaml", Line: 1, Col: 5, Severity: SeveritySuggestion, Message: "s"},
	}
	SortFindings(fs)
	var got []string
	for _, f := range fs {
		got = append(got, f.String())
	}
	want := []string{
		"a.yaml:1:5: suggestion: s",
		"a.yaml:2:1: error: z",
		"a.yaml:2:1: warning: w (fix: f)",
		"b.yaml:1:1: error: m",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sorted findings (-want +got):\n%s", diff)
	}
	if got, want := ErrorText(fs), "a.yaml:2:1: error: z; b.yaml:1:1: error: m"; got != want {
		t.Errorf("ErrorText = %q, want %q", got, want)
	}
	if got := ErrorText(fs[2:3]); got != "" {
		t.Errorf("ErrorText of a warning = %q, want none", got)
	}
	if !HasErrors(fs) || HasErrors(fs[2:3]) || HasErrors(nil) {
		t.Errorf("HasErrors wrong")
	}
}
