package schema_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jit-access/jit/internal/clock"
	"github.com/jit-access/jit/internal/wanterr"
	"github.com/jit-access/jit/schema"
)

var activeStatus = &schema.Status{
	State:       schema.StateActive,
	PullRequest: 42,
	Requester:   "octocat",
	Approvals: []schema.Approval{{By: "alice", Stage: "owner", At: *clock.MustParse("2026-11-23T10:02:11Z"),
		Note: "ok for INC-1234: see #ops"}},
	ActivatedAt: clock.MustParse("2026-11-23T11:05:40+01:00"),
	ExpiresAt:   clock.MustParse("2026-11-23T14:05:40Z"),
}

const activeBlock = `status:
  state: active
  pull_request: 42
  requester: octocat
  approvals:
    - by: alice
      stage: owner
      at: 2026-11-23T10:02:11Z
      note: 'ok for INC-1234: see #ops'
  activated_at: 2026-11-23T10:05:40Z
  expires_at: 2026-11-23T14:05:40Z
`

const request = `# yaml-language-server: $schema=../../schema/request.schema.json
account: payments-prod            # must match the folder
permission_set: 'ReadOnlyAccess'
duration: "4h"
justification: >-
  INC-1234: investigating elevated
  5xx rates
`

func TestSetStatus(t *testing.T) {
	tests := []struct {
		name string
		in   string
		st   *schema.Status
		want string
	}{
		{
			name: "no status yet: appended, every other byte kept",
			in:   request,
			st:   activeStatus,
			want: request + activeBlock,
		},
		{
			name: "no trailing newline: one is added before the block",
			in:   strings.TrimSuffix(request, "\n"),
			st:   activeStatus,
			want: request + activeBlock,
		},
		{
			name: "existing status at the end is replaced; a comment after it stays",
			in:   request + "status:\n  state: activating   # intent\n  # inner comment goes with it\n  pull_request: 42\n\n# trailing comment\n",
			st:   activeStatus,
			want: request + activeBlock + "\n# trailing comment\n",
		},
		{
			name: "status in the middle is replaced in place; the next key's comment stays",
			in:   "account: a\nstatus: {state: activating}\n\n# why\njustification: \"x: y\"\n",
			st:   &schema.Status{State: schema.StateFailed, Reason: "merged without approval"},
			want: "account: a\nstatus:\n  state: failed\n  reason: merged without approval\n\n# why\njustification: \"x: y\"\n",
		},
		{
			name: "nil status removes the block",
			in:   request + activeBlock,
			st:   nil,
			want: request,
		},
		{
			name: "nil status on a file without one changes nothing",
			in:   request,
			st:   nil,
			want: request,
		},
		{
			name: "CRLF file keeps CRLF",
			in:   "account: a\r\nduration: 1h\r\n",
			st:   &schema.Status{State: schema.StateRevoking},
			want: "account: a\r\nduration: 1h\r\nstatus:\r\n  state: revoking\r\n",
		},
		{
			name: "document end marker stays last",
			in:   "account: a\n...\n",
			st:   &schema.Status{State: schema.StateRevoking},
			want: "account: a\nstatus:\n  state: revoking\n...\n",
		},
		{
			name: "status with a block scalar and deeper nesting is replaced whole",
			in:   "account: a\nstatus:\n  state: failed\n  reason: |\n    line one\n\n    line two\n  notes:\n  - a\n",
			st:   &schema.Status{State: schema.StateFailed, Reason: "short"},
			want: "account: a\nstatus:\n  state: failed\n  reason: short\n",
		},
		{
			name: "values that need quoting are quoted",
			in:   "account: a\n",
			st:   &schema.Status{State: schema.StateFailed, Reason: "#1: yes\nno"},
			want: "account: a\nstatus:\n  state: failed\n  reason: |-\n    #1: yes\n    no\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := schema.SetStatus([]byte(tt.in), tt.st)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("SetStatus (-want +got):\n%s", diff)
			}
			// Setting the same status again changes nothing.
			again, err := schema.SetStatus(got, tt.st)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(got), string(again)); diff != "" {
				t.Errorf("second SetStatus is not a no-op (-first +second):\n%s", diff)
			}
			// The status reads back as set.
			req, err := schema.DecodeRequest("requests/a/x.yaml", got)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.st
			if want != nil {
				c := *want
				for _, p := range []**time.Time{&c.ActivatedAt, &c.ExpiresAt} {
					if *p != nil {
						u := (*p).UTC()
						*p = &u
					}
				}
				want = &c
			}
			if diff := cmp.Diff(want, req.Status); diff != "" {
				t.Errorf("status read back (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetStatusRoundTrip(t *testing.T) {
	// Append, replace through every state, remove: the requester's bytes
	// come back exactly.
	data := []byte(request)
	var err error
	for _, st := range []*schema.Status{
		{State: lifecycleActivating},
		activeStatus,
		{State: schema.StateRevoking, RevokedBy: "alice", RevokeRequestedAt: clock.MustParse("2026-11-23T12:00:00Z")},
		{State: schema.StateRevoked, EndedAt: clock.MustParse("2026-11-23T12:00:05Z"), Notes: []string{"live sessions may last up to 1h"}},
		nil,
	} {
		data, err = schema.SetStatus(data, st)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(data), request) {
			t.Fatalf("requester's part changed:\n%s", data)
		}
	}
	if diff := cmp.Diff(request, string(data)); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

const lifecycleActivating = "activating"

func TestSetStatusErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"not yaml", "account: [\n", "reading the request file: yaml: line"},
		{"a list", "- a\n", "not a YAML mapping"},
		{"flow mapping", "{account: a, duration: 1h}\n", "line 1: the request file is a flow mapping"},
		{"two status keys", "account: a\nstatus: {}\nstatus: {}\n", "line 3: a second status key"},
		{"empty", "", "not a YAML mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := schema.SetStatus([]byte(tt.in), &schema.Status{State: schema.StateActive})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestDecodeRequest(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    schema.Request
		wantErr string
	}{
		{
			name: "standard",
			in:   request,
			want: schema.Request{Account: "payments-prod", PermissionSet: "ReadOnlyAccess", Duration: "4h",
				Justification: "INC-1234: investigating elevated 5xx rates"},
		},
		{
			name: "inline policy as YAML becomes JSON",
			in:   "account: a\nduration: 1h\ncustom_permission_set:\n  name: S3\n  session_duration: 1h\n  inline_policy:\n    Version: \"2012-10-17\"\n    Statement: []\n",
			want: schema.Request{Account: "a", Duration: "1h", CustomPermissionSet: &schema.CustomPermissionSet{
				Name: "S3", SessionDuration: "1h", InlinePolicy: `{"Version":"2012-10-17","Statement":[]}`}},
		},
		{
			// What approvers read is what is provisioned: an unquoted
			// 012345678901 stays that text (not the number 12345678901) and an
			// unquoted date stays the Version string (not a timestamp).
			name: "inline policy values keep their text",
			in:   "account: a\nduration: 1h\ncustom_permission_set:\n  name: S3\n  session_duration: 1h\n  inline_policy:\n    Version: 2012-10-17\n    Statement:\n      - Effect: Deny\n        Action: \"*\"\n        Resource: \"*\"\n        Condition: {StringNotEquals: {aws:ResourceAccount: 012345678901}, NumericLessThan: {s3:max-keys: 10}}\n",
			want: schema.Request{Account: "a", Duration: "1h", CustomPermissionSet: &schema.CustomPermissionSet{
				Name: "S3", SessionDuration: "1h",
				InlinePolicy: `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:ResourceAccount":"012345678901"},"NumericLessThan":{"s3:max-keys":10}}}]}`}},
		},
		{
			name: "inline policy as a JSON string is compacted",
			in:   "account: a\nduration: 1h\ncustom_permission_set:\n  name: S3\n  managed_policies: [X]\n  inline_policy: '{ \"Version\": \"2012-10-17\" }'\n",
			want: schema.Request{Account: "a", Duration: "1h", CustomPermissionSet: &schema.CustomPermissionSet{
				Name: "S3", ManagedPolicies: []string{"X"}, InlinePolicy: `{"Version":"2012-10-17"}`}},
		},
		{name: "bad JSON inline policy", in: "account: a\ncustom_permission_set:\n  inline_policy: '{'\n", wantErr: "requests/a/x.yaml:3:20: error: inline_policy could not be read as an IAM policy: invalid JSON"},
		{name: "bad yaml", in: "account: a\n  b: c\n", wantErr: "requests/a/x.yaml:2:1: error: invalid YAML"},
		{name: "no account", in: "duration: 1h\n", wantErr: "requests/a/x.yaml: no account"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := schema.DecodeRequest("requests/a/x.yaml", []byte(tt.in))
			if !wanterr.Check(t, err, tt.wantErr) {
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("DecodeRequest (-want +got):\n%s", diff)
			}
		})
	}
}

// A request the App accepts is one the ledger can record a status in: the
// parser refuses, at the line, a layout SetStatus cannot edit.
func TestParseRequestRefusesWhatTheLedgerCannotWrite(t *testing.T) {
	in := `{account: payments-prod, permission_set: ReadOnlyAccess, duration: 4h, justification: "INC-1234: investigating"}` + "\n"
	f, fs := schema.ParseRequest("requests/payments-prod/x.yaml", []byte(in))
	if f != nil || len(fs) != 1 || fs[0].Line != 1 || !strings.Contains(fs[0].Message, "flow mapping") {
		t.Fatalf("ParseRequest = %v, %v; want one error on line 1 about the flow mapping", f, fs)
	}
	if f, fs := schema.ParseRequest("requests/payments-prod/x.yaml", []byte(request)); f == nil {
		t.Fatalf("a block request is refused: %v", fs)
	}
}
