package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/jit-access/jit/internal/chattest"
	"github.com/jit-access/jit/internal/clock"
	"github.com/jit-access/jit/internal/gittest"
	"github.com/jit-access/jit/internal/identitycenter/idcemu"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/internal/testworld"
	"github.com/jit-access/jit/internal/wanttext"
)

// TestReconcileCommandInActions runs `jit reconcile` as the Action does,
// against both emulators, and checks the step outputs, the annotations and
// the job summary.
func TestReconcileCommandInActions(t *testing.T) {
	// The emulators and every run of the command share one clock, started
	// at an instant of the test's choosing and given to the command as --now.
	start := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	clk := clock.At(start)
	idc := idcemu.New(idcemu.Options{Clock: clk, AsyncDelay: 20 * time.Millisecond, RequestsPerSecond: -1, MaxInFlightAssignments: -1})
	its := httptest.NewServer(idc)
	defer its.Close()
	ro := idc.AddPermissionSet("ReadOnlyAccess", time.Hour, []string{"ReadOnlyAccess"}, "")
	alice := idc.AddUser("alice@acme.example", "alice")

	gh, api := testworld.GitHub(t, clk, "alice", "bob", "carol")
	web := strings.TrimSuffix(api, "/api/v3/")
	key, pemKey := appKey(t)
	gh.RegisterApp(77, "jit", &key.PublicKey)
	gh.AddTeam("acme", "payments-leads", "bob")
	gh.AddTeam("acme", "sso-admins", "carol")
	cfg := fmt.Sprintf(`version: 1
identity_center: {region: us-east-1, instance_arn: %s, identity_store_id: %s}
admins: ["@acme/sso-admins"]
users: {alice: alice@acme.example}
accounts:
  - {name: payments-prod, id: "111122223333", permission_sets: [ReadOnlyAccess]}
permission_sets:
  - {name: ReadOnlyAccess, arn: %s}
`, idc.InstanceARN(), idc.IdentityStoreID(), ro)
	if err := gh.CreateRepo("acme", "access", map[string][]byte{
		layout.ConfigPath: []byte(cfg), ".github/CODEOWNERS": []byte("/requests/payments-prod/ @acme/payments-leads\n")}); err != nil {
		t.Fatal(err)
	}
	merge := func(author, name, approver string) {
		n, err := gh.OpenPullRequest("acme", "access", author, name, name, map[string][]byte{"requests/payments-prod/" + name + ".yaml": []byte(
			"account: payments-prod\npermission_set: ReadOnlyAccess\nduration: 1h\njustification: \"INC-42: checking the logs\"\n")})
		if err != nil {
			t.Fatal(err)
		}
		if approver != "" {
			if _, err := gh.SubmitReview("acme", "access", n, approver, "APPROVED", "ok"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := gh.Merge("acme", "access", n, "carol"); err != nil {
			t.Fatal(err)
		}
	}
	merge("alice", "approved", "bob")
	merge("alice", "bypass", "")

	dir := t.TempDir()
	gittest.Run(t, "", "clone", "--quiet", gh.RepoDir("acme", "access"), dir)
	// A loopback Slack webhook: the notifications of the run arrive there.
	hook := chattest.New(t, false)
	outputs, summary := filepath.Join(t.TempDir(), "output"), filepath.Join(t.TempDir(), "summary")
	for _, f := range []string{outputs, summary} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	vars := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": outputs, "GITHUB_STEP_SUMMARY": summary,
		"GITHUB_REPOSITORY": "acme/access", "JIT_APP_ID": "77", "JIT_GITHUB_URL": api,
		"JIT_PRIVATE_KEY":       string(pemKey),
		"JIT_AWS_ENDPOINT":      its.URL,
		"JIT_SLACK_WEBHOOK_URL": hook.URL + "/services/T0/B0/secret",
	}
	env := reconcileEnv{
		getenv: func(k string) string { return vars[k] },
		loadAWS: func(context.Context, string) (aws.Config, error) {
			return aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "not-a-secret", "")}, nil
		},
	}
	res := run(t, newReconcileCmdEnv(env), nil, "--repo", dir, "--now", clk.Now().UTC().Format(time.RFC3339))
	// Recording the bypass as failed is the run doing its job: exit 0, with
	// an error annotation on the file.
	if res.code != 0 {
		t.Fatalf("exit %d (%v)\nstdout:\n%s\nstderr:\n%s", res.code, res.err, res.stdout, res.stderr)
	}
	if n := len(idc.Assignments()); n != 1 || idc.Assignments()[0].PrincipalID != alice {
		t.Errorf("assignments = %+v, want alice's one", idc.Assignments())
	}
	out, _ := os.ReadFile(outputs)
	wanttext.All(t, "outputs", string(out), "activated<<", "\n1\n", "failed<<", "expired<<")
	if !strings.Contains(res.stdout, "::error file=requests/payments-prod/bypass.yaml,title=jit%3A grant failed (not provisioned)::") {
		t.Errorf("no error annotation for the bypass:\n%s", res.stdout)
	}
	// This repository has no .github/jit-signers: every run says that its
	// records cannot be verified.
	if !strings.Contains(res.stdout, "::warning title=jit%3A records on main are not verified::main has no .github/jit-signers") {
		t.Errorf("no warning that main's records are unverified:\n%s", res.stdout)
	}
	sum, _ := os.ReadFile(summary)
	wanttext.All(t, "summary", string(sum), "> [!WARNING]\n> main has no .github/jit-signers", "| activated | `payments-prod/ReadOnlyAccess` | alice | #1 |", "| failed | `payments-prod/ReadOnlyAccess` | alice | #2 |", "| active |")

	hooks := hook.Take()
	got, n := strings.Join(hooks, "\n"), len(hooks)
	wanttext.All(t, "slack messages", got, "Access granted", web+"/acme/access/pull/1", "Access could not be granted", web+"/acme/access/pull/2")
	if n != 2 {
		t.Errorf("%d slack messages, want 2 (activated, failed)", n)
	}
	if strings.Contains(res.stderr, "secret") {
		t.Errorf("the webhook URL leaked into the log:\n%s", res.stderr)
	}

	// A dry run afterwards plans nothing and prints text.
	vars["GITHUB_ACTIONS"] = ""
	dry := run(t, newReconcileCmdEnv(env), nil, "--repo", dir, "--dry-run", "--now", start.Add(2*time.Hour).Format(time.RFC3339))
	if dry.err != nil {
		t.Fatalf("dry run: %v\n%s", dry.err, dry.stderr)
	}
	if !strings.Contains(dry.stdout, "dry run: would activate 0, expire 1") {
		t.Errorf("dry run output:\n%s", dry.stdout)
	}
}

func TestRepoWebURL(t *testing.T) {
	tests := []struct {
		server, api, repo, want string
	}{
		{"https://github.com", "https://api.github.com/", "acme/access", "https://github.com/acme/access"},
		{"", "https://api.github.com/", "acme/access", "https://github.com/acme/access"},
		{"", "https://ghe.acme.example/api/v3/", "acme/access", "https://ghe.acme.example/acme/access"},
		{"", "http://127.0.0.1:8080/api/v3", "acme/access", "http://127.0.0.1:8080/acme/access"},
		{"https://ghe.acme.example/", "https://ghe.acme.example/api/v3/", "acme/access", "https://ghe.acme.example/acme/access"},
		{"https://github.com", "https://api.github.com/", "", ""},
		{"", "not a url", "acme/access", ""},
	}
	for _, tt := range tests {
		if got := repoWebURL(tt.server, tt.api, tt.repo); got != tt.want {
			t.Errorf("repoWebURL(%q, %q, %q) = %q, want %q", tt.server, tt.api, tt.repo, got, tt.want)
		}
	}
}
