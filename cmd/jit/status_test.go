package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jit-access/jit/internal/clock"
	"github.com/jit-access/jit/internal/gittest"
	"github.com/jit-access/jit/schema"
)

// grantsRepo commits request files in every state the status table knows.
func grantsRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	gittest.At(t, dir, "2026-11-23T08:00:00Z", "init", "-q", "-b", "main")
	std := func(account, set, dur string) string {
		return "account: " + account + "\npermission_set: " + set + "\nduration: " + dur + "\njustification: INC-1234 looking into it\n"
	}
	custom := "account: sandbox\ncustom_permission_set:\n  name: S3Read\n  session_duration: 1h\n  managed_policies: [AmazonS3ReadOnlyAccess]\nduration: 1d\njustification: debugging the bucket\n"
	files := []struct {
		path, data string
		st         *schema.Status
	}{
		{"requests/payments-prod/a.yaml", std("payments-prod", "ReadOnlyAccess", "4h"), &schema.Status{
			State: schema.StateActive, PullRequest: 42, Requester: "octocat", ActivatedAt: clock.MustParse("2026-11-23T10:05:40Z")}},
		{"requests/payments-prod/b.yaml", std("payments-prod", "PowerUserAccess", "1d"), &schema.Status{
			State: schema.StateActive, PullRequest: 43, Requester: "alice", Duration: "2h", ActivatedAt: clock.MustParse("2026-11-23T11:00:00Z")}},
		{"requests/sandbox/c.yaml", custom, &schema.Status{
			State: schema.StateActive, PullRequest: 44, Requester: "octocat", ActivatedAt: clock.MustParse("2026-11-21T12:00:00Z")}},
		{"requests/payments-prod/late.yaml", std("payments-prod", "ReadOnlyAccess", "1h"), &schema.Status{
			State: schema.StateActive, PullRequest: 40, Requester: "bob", ActivatedAt: clock.MustParse("2026-11-23T10:00:00Z")}},
		{"requests/payments-prod/r.yaml", std("payments-prod", "ReadOnlyAccess", "1w"), &schema.Status{
			State: schema.StateRevoking, PullRequest: 41, Requester: "bob", ActivatedAt: clock.MustParse("2026-11-20T10:00:00Z")}},
		{"requests/payments-prod/new.yaml", std("payments-prod", "ReadOnlyAccess", "8h"), nil},
		{"requests/payments-prod/later.yaml", std("payments-prod", "ReadOnlyAccess", "2h") + "start_at: 2026-11-24T09:00:00Z\n", nil},
		{"requests/payments-prod/crash.yaml", std("payments-prod", "ReadOnlyAccess", "1h"), &schema.Status{
			State: "activating", PullRequest: 45, Requester: "carol"}},
		{"requests/payments-prod/old.yaml", std("payments-prod", "ReadOnlyAccess", "1h"), &schema.Status{
			State: schema.StateExpired, PullRequest: 30, Requester: "octocat", ActivatedAt: clock.MustParse("2026-11-22T10:00:00Z")}},
		{"requests/payments-prod/f.yaml", std("payments-prod", "ReadOnlyAccess", "1h"), &schema.Status{
			State: schema.StateFailed, PullRequest: 31, Requester: "octocat", Reason: "no approval"}},
		{"requests/payments-prod/odd.yaml", std("payments-prod", "ReadOnlyAccess", "1h"), &schema.Status{
			State: "paused", PullRequest: 32, Requester: "dave"}},
	}
	for _, f := range files {
		data := []byte(f.data)
		if f.st != nil {
			var err error
			if data, err = schema.SetStatus(data, f.st); err != nil {
				t.Fatal(err)
			}
		}
		p := filepath.Join(dir, filepath.FromSlash(f.path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeFiles(t, dir, map[string]string{configPath: testConfig})
	gittest.At(t, dir, "2026-11-23T12:00:00Z", "add", "-A")
	gittest.At(t, dir, "2026-11-23T12:00:00Z", "commit", "-q", "-m", "grants")
	return dir
}

func TestStatus(t *testing.T) {
	dir := grantsRepo(t)
	// Not committed: status shows main, not the working tree.
	if err := os.WriteFile(filepath.Join(dir, "requests", "payments-prod", "wip.yaml"), []byte("account: x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{
			name: "everything live",
			args: nil,
			want: `STATE       ACCOUNT        PERMISSION SET   USER     DURATION  EXPIRES               LEFT              PR   REQUEST
expiring    sandbox        S3Read (custom)  octocat  1d        2026-11-22 12:00 UTC  overdue 1d1h      #44  requests/sandbox/c.yaml
expiring    payments-prod  ReadOnlyAccess   bob      1h        2026-11-23 11:00 UTC  overdue 2h02m     #40  requests/payments-prod/late.yaml
expiring    payments-prod  PowerUserAccess  alice    2h        2026-11-23 13:00 UTC  overdue 2m        #43  requests/payments-prod/b.yaml
active      payments-prod  ReadOnlyAccess   octocat  4h        2026-11-23 14:05 UTC  1h03m             #42  requests/payments-prod/a.yaml
revoking    payments-prod  ReadOnlyAccess   bob      1w        -                     -                 #41  requests/payments-prod/r.yaml
activating  payments-prod  ReadOnlyAccess   carol    1h        -                     -                 #45  requests/payments-prod/crash.yaml
pending     payments-prod  ReadOnlyAccess   -        8h        -                     -                 -    requests/payments-prod/new.yaml
scheduled   payments-prod  ReadOnlyAccess   -        2h        2026-11-24 11:00 UTC  starts in 19h57m  -    requests/payments-prod/later.yaml
unknown     payments-prod  ReadOnlyAccess   dave     1h        -                     -                 #32  requests/payments-prod/odd.yaml
`,
		},
		{
			name: "one user, any case",
			args: []string{"--user", "OctoCat"},
			want: `STATE     ACCOUNT        PERMISSION SET   USER     DURATION  EXPIRES               LEFT          PR   REQUEST
expiring  sandbox        S3Read (custom)  octocat  1d        2026-11-22 12:00 UTC  overdue 1d1h  #44  requests/sandbox/c.yaml
active    payments-prod  ReadOnlyAccess   octocat  4h        2026-11-23 14:05 UTC  1h03m         #42  requests/payments-prod/a.yaml
`,
		},
		{
			name: "one account",
			args: []string{"--account", "sandbox"},
			want: `STATE     ACCOUNT  PERMISSION SET   USER     DURATION  EXPIRES               LEFT          PR   REQUEST
expiring  sandbox  S3Read (custom)  octocat  1d        2026-11-22 12:00 UTC  overdue 1d1h  #44  requests/sandbox/c.yaml
`,
		},
		{
			name: "nobody",
			args: []string{"--user", "mallory"},
			want: "No active or pending grants.\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--repo", dir, "--now", "2026-11-23T13:02:30Z"}, tt.args...)
			res := run(t, newStatusCmd(), nil, args...)
			if res.err != nil {
				t.Fatalf("status: %v\n%s", res.err, res.stderr)
			}
			if diff := cmp.Diff(tt.want, res.stdout); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStatusErrors(t *testing.T) {
	dir := grantsRepo(t)
	res := run(t, newStatusCmd(), nil, "--repo", dir, "--now", "yesterday")
	if res.code != 2 || !strings.Contains(res.err.Error(), `--now "yesterday": want a time like`) {
		t.Errorf("bad --now: code %d, %v", res.code, res.err)
	}
	res = run(t, newStatusCmd(), nil, "--repo", t.TempDir())
	if res.code != 2 || !strings.Contains(res.err.Error(), "is not in a git repository") {
		t.Errorf("not a repository: code %d, %v", res.code, res.err)
	}
	// A broken file on main is named, and the rest is still listed.
	if err := os.WriteFile(filepath.Join(dir, "requests", "payments-prod", "bad.yaml"), []byte("account: [\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gittest.At(t, dir, "2026-11-23T12:30:00Z", "add", "-A")
	gittest.At(t, dir, "2026-11-23T12:30:00Z", "commit", "-q", "-m", "bad")
	res = run(t, newStatusCmd(), nil, "--repo", dir, "--now", "2026-11-23T13:02:30Z", "--user", "alice")
	if res.err != nil || !strings.Contains(res.stderr, "jit: cannot read requests/payments-prod/bad.yaml:1:1: error: invalid YAML") ||
		!strings.Contains(res.stdout, "requests/payments-prod/b.yaml") {
		t.Errorf("broken file: %v\nstdout:\n%s\nstderr:\n%s", res.err, res.stdout, res.stderr)
	}
}

func TestTimeLeft(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                    "<1m",
		59 * time.Second:                     "<1m",
		time.Minute:                          "1m",
		59*time.Minute + 59*time.Second:      "59m",
		time.Hour:                            "1h00m",
		3*time.Hour + 58*time.Minute:         "3h58m",
		24 * time.Hour:                       "1d0h",
		2*24*time.Hour + 3*time.Hour + 59*60: "2d3h",
	} {
		if got := timeLeft(d); got != want {
			t.Errorf("timeLeft(%v) = %q, want %q", d, got, want)
		}
	}
}
