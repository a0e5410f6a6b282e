package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/jit-access/jit/internal/clock"
	"github.com/jit-access/jit/internal/identitycenter/idcemu"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/internal/testworld"
	"github.com/jit-access/jit/internal/wanttext"
)

// TestSync runs jit sync against both emulators: no difference opens
// nothing, a new account in AWS opens one pull request that changes only
// .github/jit.yaml, and the next run updates that pull request.
func TestSync(t *testing.T) {
	ctx := t.Context()
	emu := awsOrganisation(t, 4, 2, 0)
	dir := t.TempDir()
	if r := run(t, newInitCmd(noTerminalReader, testBuild), nil, "--from-aws", "--repo", "acme/access", "--admins", "@acme/sso-admins", dir); r.code != 0 {
		t.Fatalf("jit init: exit %d: %v\n%s", r.code, r.err, r.stderr)
	}
	original, err := os.ReadFile(filepath.Join(dir, layout.ConfigPath))
	if err != nil {
		t.Fatal(err)
	}

	gh, api := testworld.GitHub(t, clock.At(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)), "sync-bot")
	if err := gh.CreateRepo("acme", "access", map[string][]byte{layout.ConfigPath: original}); err != nil {
		t.Fatal(err)
	}
	token, err := gh.UserToken("sync-bot")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"GITHUB_TOKEN": token, "GH_CONFIG_DIR": t.TempDir()}
	getenv := func(k string) string { return env[k] }
	sync := func() result {
		t.Helper()
		return run(t, newSyncCmd(getenv), nil, "--repo", dir, "--github-repo", "acme/access", "--github-url", api)
	}
	client, err := github.NewClient(nil).WithAuthToken(token).WithEnterpriseURLs(api, api)
	if err != nil {
		t.Fatal(err)
	}
	openPulls := func() []*github.PullRequest {
		t.Helper()
		prs, _, err := client.PullRequests.List(ctx, "acme", "access", &github.PullRequestListOptions{State: "all"})
		if err != nil {
			t.Fatal(err)
		}
		return prs
	}

	// Nothing differs: nothing is opened.
	r := sync()
	if r.code != 0 || !strings.Contains(r.stdout, "matches AWS (5 accounts, 2 permission sets): nothing to propose") {
		t.Fatalf("jit sync: exit %d %v\n%s%s", r.code, r.err, r.stdout, r.stderr)
	}
	if prs := openPulls(); len(prs) != 0 {
		t.Fatalf("no difference opened %d pull requests", len(prs))
	}

	// A new account in AWS: one pull request changing only .github/jit.yaml.
	prod, err := emu.AddOrganizationalUnit(idcemu.DefaultRootID, "Data")
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.AddAccount(prod, "300000000001", "Data Lake", "data@example.com"); err != nil {
		t.Fatal(err)
	}
	r = sync()
	prURL := strings.TrimSuffix(api, "/api/v3/") + "/acme/access/pull/1"
	if r.code != 0 || !strings.Contains(r.stdout, "opened "+prURL) {
		t.Fatalf("jit sync: exit %d %v\n%s%s", r.code, r.err, r.stdout, r.stderr)
	}
	pr, err := gh.PullRequest("acme", "access", 1)
	if err != nil {
		t.Fatal(err)
	}
	if pr.GetHead().GetRef() != "jit/sync" || pr.GetBase().GetRef() != "main" || !strings.Contains(pr.GetBody(), "`data-lake`: 300000000001 (Data Lake), Root/Data") {
		t.Errorf("pull request %s -> %s:\n%s", pr.GetHead().GetRef(), pr.GetBase().GetRef(), pr.GetBody())
	}
	files, _, err := client.PullRequests.ListFiles(ctx, "acme", "access", 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].GetFilename() != layout.ConfigPath {
		t.Errorf("the pull request changes %d files, want only .github/jit.yaml", len(files))
	}
	proposed := func() string {
		t.Helper()
		fc, _, _, err := client.Repositories.GetContents(ctx, "acme", "access", layout.ConfigPath, &github.RepositoryContentGetOptions{Ref: "jit/sync"})
		if err != nil {
			t.Fatal(err)
		}
		s, err := fc.GetContent()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	got := proposed()
	wanttext.All(t, "the proposed config", got, "- name: data-lake\n    id: \"300000000001\"\n    # Root/Data\n", "permission_sets: []\n", "# The standard permission sets, which already exist in IAM Identity Center.\n")
	// The edit adds the account and nothing else: comments and blank lines
	// stay (only the spaces before an inline comment are yaml.v3's).
	block := "  - name: data-lake\n    id: \"300000000001\"\n    # Root/Data\n    # An SSO admin decides which permission sets this account offers.\n    permission_sets: []\n"
	if a, b := spaced(strings.Replace(got, block, "", 1)), spaced(string(original)); a != b {
		t.Errorf("the proposed config changes more than the new account:\n%s\nwas:\n%s", got, original)
	}
	// What sync proposes passes jit validate.
	check := t.TempDir()
	if err := os.MkdirAll(filepath.Join(check, ".github"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(check, layout.ConfigPath), []byte(got), 0o644); err != nil {
		t.Fatal(err)
	}
	if v := run(t, newValidateCmd(func(string) string { return "" }), nil, "--repo", check); v.code != 0 {
		t.Errorf("jit validate of the proposed config: exit %d\n%s%s", v.code, v.stdout, v.stderr)
	}

	// Another change in AWS: the same pull request gets a commit and a new
	// description; no second one is opened.
	if err := emu.SetAccountStatus("200000000003", "SUSPENDED"); err != nil {
		t.Fatal(err)
	}
	r = sync()
	if r.code != 0 || !strings.Contains(r.stdout, "updated "+prURL) {
		t.Fatalf("jit sync again: exit %d %v\n%s%s", r.code, r.err, r.stdout, r.stderr)
	}
	if prs := openPulls(); len(prs) != 1 {
		t.Errorf("%d pull requests, want 1", len(prs))
	}
	pr, _ = gh.PullRequest("acme", "access", 1)
	if !strings.Contains(pr.GetBody(), "`data-lake`") || !strings.Contains(pr.GetBody(), "200000000003, SUSPENDED") {
		t.Errorf("the description was not updated:\n%s", pr.GetBody())
	}
	commits, _, err := client.PullRequests.ListCommits(ctx, "acme", "access", 1, nil)
	if err != nil || len(commits) != 2 {
		t.Errorf("%d commits (%v), want 2", len(commits), err)
	}
	if got := proposed(); strings.Contains(got, "200000000003") || !strings.Contains(got, "300000000001") {
		t.Errorf("the proposed config after the second run:\n%s", got)
	}

	// Run once more with nothing new: the pull request already proposes it.
	r = sync()
	if r.code != 0 || !strings.Contains(r.stdout, prURL+" already proposes this") {
		t.Errorf("jit sync a third time: exit %d %v\n%s%s", r.code, r.err, r.stdout, r.stderr)
	}
	if commits, _, _ := client.PullRequests.ListCommits(ctx, "acme", "access", 1, nil); len(commits) != 2 {
		t.Errorf("a run with nothing new added a commit: %d", len(commits))
	}

	// Once that pull request is closed, its branch stands on a stale base:
	// sync refuses and says how to go on, rather than force-pushing.
	if _, _, err := client.PullRequests.Edit(ctx, "acme", "access", 1, &github.PullRequest{State: github.String("closed")}); err != nil {
		t.Fatal(err)
	}
	r = sync()
	if r.code != 2 || !strings.Contains(r.err.Error(), "left from pull request #1, which is closed: delete the branch") {
		t.Errorf("jit sync after the pull request was closed: exit %d %v", r.code, r.err)
	}
	if prs := openPulls(); len(prs) != 1 {
		t.Errorf("%d pull requests, want 1", len(prs))
	}

	// --dry-run shows the differences and touches no pull request.
	r = run(t, newSyncCmd(func(string) string { return "" }), nil, "--repo", dir, "--dry-run")
	if r.code != 0 || !strings.Contains(r.stdout, "1 new and 1 removed accounts") || !strings.Contains(r.stdout, "--dry-run: no pull request") {
		t.Errorf("jit sync --dry-run: exit %d %v\n%s%s", r.code, r.err, r.stdout, r.stderr)
	}
}

// spaced is s with every run of spaces inside a line made one.
func spaced(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		indent := len(l) - len(strings.TrimLeft(l, " "))
		lines[i] = l[:indent] + strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n")
}
