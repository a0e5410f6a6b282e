package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jit-access/jit/internal/clock"
	"github.com/jit-access/jit/internal/gittest"
	"github.com/jit-access/jit/internal/ledger"
	"github.com/jit-access/jit/schema"
)

func write(t testing.TB, dir, name string, data []byte) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// transition rewrites path's status and commits it the way the reconcile
// does, with trailers.
func transition(t *testing.T, dir, date, path, event string, pr int, st *schema.Status) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, path))
	if err != nil {
		t.Fatal(err)
	}
	data, err = schema.SetStatus(data, st)
	if err != nil {
		t.Fatal(err)
	}
	write(t, dir, path, data)
	msg := "jit: " + event + " " + path + "\n\nJit-Request: " + path + "\nJit-Event: " + event + "\n"
	if pr != 0 {
		msg += "Jit-Pull-Request: " + strconv.Itoa(pr) + "\n"
	}
	gittest.At(t, dir, date, "commit", "-q", "-m", msg, "--", path)
}

const (
	reqX = "# yaml-language-server: $schema=../../schema/request.schema.json\naccount: payments-prod\npermission_set: ReadOnlyAccess\nduration: 4h\njustification: \"=HYPERLINK(1): INC-1234, 5xx\"\n"
	reqY = "account: sandbox\ncustom_permission_set:\n  name: S3Read\n  session_duration: 1h\n  managed_policies: [AmazonS3ReadOnlyAccess]\n  inline_policy:\n    Version: \"2012-10-17\"\n    Statement: []\nduration: 1d\njustification: debugging the bucket policy\n"
	reqZ = "account: payments-prod\npermission_set: ReadOnlyAccess\nduration: 1h\njustification: pending one\n"
)

// buildHistory builds a small access repository's main:
//
//	x: merged by squash (#42), activated with two approvals, expired
//	y: merged by a merge commit (#43), failed
//	z: merged (#44), never reconciled
//	w: merged, revoked on request, later removed from main
func buildHistory(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	gittest.At(t, dir, "2026-11-01T00:00:00Z", "init", "-q", "-b", "main")
	write(t, dir, "README.md", []byte("access\n"))
	gittest.At(t, dir, "2026-11-01T00:00:00Z", "add", "-A")
	gittest.At(t, dir, "2026-11-01T00:00:00Z", "commit", "-q", "-m", "init")

	x := "requests/payments-prod/x.yaml"
	write(t, dir, x, []byte(reqX))
	gittest.At(t, dir, "2026-11-23T10:03:00Z", "add", x)
	gittest.At(t, dir, "2026-11-23T10:03:00Z", "commit", "-q", "-m", "Request payments-prod read-only (#42)\n\nJit-Event: expired\n")
	transition(t, dir, "2026-11-23T10:05:41Z", x, "activated", 42, &schema.Status{
		State: schema.StateActive, PullRequest: 42, Requester: "octocat", Duration: "2h",
		Approvals: []schema.Approval{
			{By: "alice", Stage: "owner", At: *clock.MustParse("2026-11-23T10:02:11Z"), Note: "ok, INC-1234"},
			{By: "bob", Stage: "admin", At: *clock.MustParse("2026-11-23T10:02:50Z")},
		},
		ActivatedAt: clock.MustParse("2026-11-23T10:05:40Z"), ExpiresAt: clock.MustParse("2026-11-23T12:05:40Z"),
		PermissionSetARN: "arn:aws:sso:::permissionSet/ssoins-1/ps-1",
	})

	y := "requests/sandbox/y.yaml"
	gittest.At(t, dir, "2026-11-23T11:00:00Z", "checkout", "-q", "-b", "octocat/y")
	write(t, dir, y, []byte(reqY))
	gittest.At(t, dir, "2026-11-23T11:00:00Z", "add", y)
	gittest.At(t, dir, "2026-11-23T11:00:00Z", "commit", "-q", "-m", "ask for S3")
	gittest.At(t, dir, "2026-11-23T11:00:00Z", "checkout", "-q", "main")
	gittest.At(t, dir, "2026-11-23T11:30:00Z", "merge", "-q", "--no-ff", "-m", "Merge pull request #43 from octocat/y", "octocat/y")
	transition(t, dir, "2026-11-23T11:31:00Z", y, "failed", 43, &schema.Status{
		State: schema.StateFailed, PullRequest: 43, Requester: "octocat",
		EndedAt: clock.MustParse("2026-11-23T11:31:00Z"), Reason: "merged without the admin approval the policy needs",
	})
	transition(t, dir, "2026-11-23T12:05:45Z", x, "expired", 42, &schema.Status{
		State: schema.StateExpired, PullRequest: 42, Requester: "octocat", Duration: "2h",
		Approvals: []schema.Approval{
			{By: "alice", Stage: "owner", At: *clock.MustParse("2026-11-23T10:02:11Z"), Note: "ok, INC-1234"},
			{By: "bob", Stage: "admin", At: *clock.MustParse("2026-11-23T10:02:50Z")},
		},
		ActivatedAt: clock.MustParse("2026-11-23T10:05:40Z"), ExpiresAt: clock.MustParse("2026-11-23T12:05:40Z"), EndedAt: clock.MustParse("2026-11-23T12:05:44Z"),
	})

	w := "requests/sandbox/w.yaml"
	write(t, dir, w, []byte("account: sandbox\npermission_set: Admin\nduration: 1h\njustification: break glass test\n"))
	gittest.At(t, dir, "2026-11-24T09:00:00Z", "add", w)
	gittest.At(t, dir, "2026-11-24T09:00:00Z", "commit", "-q", "-m", "Break glass (#45)")
	transition(t, dir, "2026-11-24T09:01:00Z", w, "activated", 45, &schema.Status{
		State: schema.StateActive, PullRequest: 45, Requester: "Carol", ActivatedAt: clock.MustParse("2026-11-24T09:01:00Z"),
	})
	// Older writers left ended_at out; the transition commit dates it.
	transition(t, dir, "2026-11-24T09:20:00Z", w, "revoked", 45, &schema.Status{
		State: schema.StateRevoked, PullRequest: 45, Requester: "Carol", ActivatedAt: clock.MustParse("2026-11-24T09:01:00Z"),
		RevokedBy: "alice",
	})
	gittest.At(t, dir, "2026-11-30T00:00:00Z", "rm", "-q", w)
	gittest.At(t, dir, "2026-11-30T00:00:00Z", "commit", "-q", "-m", "clean up")

	z := "requests/payments-prod/z.yaml"
	write(t, dir, z, []byte(reqZ))
	gittest.At(t, dir, "2026-12-01T08:00:00Z", "add", z)
	gittest.At(t, dir, "2026-12-01T08:00:00Z", "commit", "-q", "-m", "Quick look (#44)")
	// Outside requests/: not in the audit.
	write(t, dir, "README.md", []byte("changed\n"))
	gittest.At(t, dir, "2026-12-02T00:00:00Z", "commit", "-q", "-am", "docs")
	return dir
}

const wantCSV = `path,requester,account,permission_set,custom_permission_set,custom_policies,requested_duration,effective_duration,justification,pull_request,approvals,merged_at,merge_commit,activated_at,expires_at,ended_at,state,why,opened_at,closed_at,head_commit,reviews,extends,extended_by
requests/payments-prod/x.yaml,octocat,payments-prod,ReadOnlyAccess,,,4h,2h,"'=HYPERLINK(1): INC-1234, 5xx",42,"alice(owner,2026-11-23T10:02:11Z,ok, INC-1234); bob(admin,2026-11-23T10:02:50Z)",2026-11-23T10:03:00Z,X,2026-11-23T10:05:40Z,2026-11-23T12:05:40Z,2026-11-23T12:05:44Z,expired,access duration ran out,,,,,,
requests/sandbox/y.yaml,octocat,sandbox,,S3Read,AmazonS3ReadOnlyAccess; inline,1d,1d,debugging the bucket policy,43,,2026-11-23T11:30:00Z,Y,,,2026-11-23T11:31:00Z,failed,merged without the admin approval the policy needs,,,,,,
requests/sandbox/w.yaml,Carol,sandbox,Admin,,,1h,1h,break glass test,45,,2026-11-24T09:00:00Z,W,2026-11-24T09:01:00Z,2026-11-24T10:01:00Z,2026-11-24T09:20:00Z,revoked,revocation asked for by alice; request file removed from main,,,,,,
requests/payments-prod/z.yaml,,payments-prod,ReadOnlyAccess,,,1h,1h,pending one,44,,2026-12-01T08:00:00Z,Z,,,,pending,merged; not yet activated,,,,,,
`

func TestCollectCSV(t *testing.T) {
	dir := buildHistory(t)
	records, err := Collect(context.Background(), dir, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, records); err != nil {
		t.Fatal(err)
	}
	// Merge commits are SHAs; name them by the file they added.
	want := wantCSV
	for _, r := range records {
		letter := strings.ToUpper(strings.TrimSuffix(filepath.Base(r.Path), ".yaml"))
		want = strings.Replace(want, ","+letter+",", ","+r.MergeCommit+",", 1)
	}
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("CSV (-want +got):\n%s", diff)
	}
	// The merge commit of y is the merge on main, not the branch commit.
	if subj := gittest.At(t, dir, "2026-12-02T00:00:00Z", "log", "-1", "--format=%s", records[1].MergeCommit); subj != "Merge pull request #43 from octocat/y" {
		t.Errorf("y merged by %q", subj)
	}
}

func TestCollectEvents(t *testing.T) {
	dir := buildHistory(t)
	records, err := Collect(context.Background(), dir, Filter{Account: "PAYMENTS-PROD", User: "octocat"})
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 1 {
		t.Fatalf("got %d records, want x only", len(records))
	}
	var got []string
	for _, e := range records[0].Events {
		got = append(got, e.At.Format(time.RFC3339)+" "+e.Event)
	}
	// The requester's own "Jit-Event" in the PR's squash message is history
	// too; the state comes from the file, which only the Action writes.
	want := []string{"2026-11-23T10:03:00Z expired", "2026-11-23T10:05:41Z activated", "2026-11-23T12:05:45Z expired"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

func TestCollectFilter(t *testing.T) {
	dir := buildHistory(t)
	tests := []struct {
		name string
		f    Filter
		want []string
	}{
		{"all", Filter{}, []string{"x", "y", "w", "z"}},
		{"account", Filter{Account: "sandbox"}, []string{"y", "w"}},
		{"user, any case", Filter{User: "carol"}, []string{"w"}},
		{"until: merged after is out", Filter{Until: *clock.MustParse("2026-11-23T11:00:00Z")}, []string{"x"}},
		{"since: ended before is out, still open is in", Filter{Since: *clock.MustParse("2026-11-23T12:00:00Z")}, []string{"x", "w", "z"}},
		{"window", Filter{Since: *clock.MustParse("2026-11-24T09:10:00Z"), Until: *clock.MustParse("2026-11-24T09:30:00Z")}, []string{"w"}},
		{"nobody", Filter{User: "mallory"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			records, err := Collect(context.Background(), dir, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range records {
				got = append(got, strings.TrimSuffix(filepath.Base(r.Path), ".yaml"))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteJSON(t *testing.T) {
	dir := buildHistory(t)
	records, err := Collect(context.Background(), dir, Filter{Account: "sandbox"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, records); err != nil {
		t.Fatal(err)
	}
	var back []Record
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(records, back); diff != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", diff)
	}
	if !strings.Contains(buf.String(), `"custom_permission_set": {
      "name": "S3Read",
      "session_duration": "1h",
      "managed_policies": [
        "AmazonS3ReadOnlyAccess"
      ],
      "inline": true
    }`) {
		t.Errorf("custom set not as expected:\n%s", buf.String())
	}
	buf.Reset()
	if err := WriteJSON(&buf, nil); err != nil || buf.String() != "[]\n" {
		t.Errorf("no records: %q, %v; want an empty array", buf.String(), err)
	}
}

func TestCollectErrors(t *testing.T) {
	if _, err := Collect(context.Background(), t.TempDir(), Filter{}); !errors.Is(err, ledger.ErrNotRepository) || !strings.Contains(err.Error(), "is not in a git repository") {
		t.Errorf("not a repository: %v", err)
	}
	dir := buildHistory(t)
	if _, err := Collect(context.Background(), dir, Filter{Ref: "--output=/tmp/x"}); err == nil || !strings.Contains(err.Error(), "must not start with '-'") {
		t.Errorf("option as ref: %v", err)
	}
	if _, err := Collect(context.Background(), dir, Filter{Ref: "nosuchbranch"}); err == nil || !strings.Contains(err.Error(), "reading the history of requests/") {
		t.Errorf("unknown ref: %v", err)
	}
}

func TestCollectEmptyHistory(t *testing.T) {
	dir := t.TempDir()
	gittest.At(t, dir, "2026-11-01T00:00:00Z", "init", "-q", "-b", "main")
	gittest.At(t, dir, "2026-11-01T00:00:00Z", "commit", "-q", "--allow-empty", "-m", "init")
	records, err := Collect(context.Background(), dir, Filter{})
	if err != nil || len(records) != 0 {
		t.Fatalf("Collect = %v, %v; want nothing", records, err)
	}
}
