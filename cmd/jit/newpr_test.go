package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jit-access/jit/internal/gittest"
)

func TestNewPR(t *testing.T) {
	gh, api := gitHubOnMonday(t, "octocat")
	createAccessRepo(t, gh)
	token, err := gh.UserToken("octocat")
	if err != nil {
		t.Fatal(err)
	}
	// Only this token: no GITHUB_TOKEN or gh login of the machine.
	t.Setenv("GITHUB_TOKEN", token)
	t.Setenv("GH_TOKEN", "")
	t.Setenv("GH_CONFIG_DIR", t.TempDir())

	dir := newTestRepo(t, true, nil)
	gittest.Output(t, dir, "remote", "add", "origin", "git@github.com:acme/access.git")
	args := []string{"--account", "payments-prod", "--permission-set", "ReadOnlyAccess", "--duration", "4h",
		"--justification", "INC-1234: investigating elevated 5xx rates", "--pr", "--github-url", api}
	r := newCmd(t, dir, false, "", args...)
	if r.code != 0 {
		t.Fatalf("jit new --pr: exit %d: %v\n%s", r.code, r.err, r.stderr)
	}
	rel := "requests/payments-prod/inc-1234-investigating-elevated-5xx.yaml"
	prURL := strings.TrimSuffix(api, "/api/v3/") + "/acme/access/pull/1"
	matchLines(t, "stdout", lines(r.stdout), []string{"wrote " + rel, "opened " + prURL})

	pr, err := gh.PullRequest("acme", "access", 1)
	if err != nil {
		t.Fatal(err)
	}
	if pr.GetUser().GetLogin() != "octocat" || pr.GetHead().GetRef() != "jit/payments-prod/inc-1234-investigating-elevated-5xx" ||
		pr.GetBase().GetRef() != "main" || pr.GetTitle() != "ReadOnlyAccess on payments-prod for 4h" || !strings.HasPrefix(pr.GetBody(), "INC-1234: investigating elevated 5xx rates") {
		t.Errorf("pull request: by %s, %s -> %s, %q, %q", pr.GetUser().GetLogin(), pr.GetHead().GetRef(), pr.GetBase().GetRef(), pr.GetTitle(), pr.GetBody())
	}
	local, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		t.Fatal(err)
	}
	head := pr.GetHead().GetSHA()
	if head == "" {
		t.Fatal("no head commit")
	}

	// Running the same command again (as after a crash) finds the pull
	// request instead of opening a second one.
	r = newCmd(t, dir, false, "", args...)
	if r.code != 0 || !strings.Contains(r.stdout, "opened "+prURL) {
		t.Errorf("jit new --pr again: exit %d %v\n%s%s", r.code, r.err, r.stdout, r.stderr)
	}
	if _, err := gh.PullRequest("acme", "access", 2); err == nil {
		t.Errorf("running jit new --pr again opened a second pull request")
	}
	again, _ := os.ReadFile(filepath.Join(dir, rel))
	if string(again) != string(local) {
		t.Errorf("the local file changed on the second run")
	}

	// No token: the file is written, and jit says how to finish.
	t.Setenv("GITHUB_TOKEN", "")
	r = newCmd(t, dir, false, "", "--account", "payments-prod", "--permission-set", "ReadOnlyAccess", "--duration", "1h",
		"--justification", "INC-99: one more look", "--pr", "--github-repo", "acme/access")
	if r.code != 2 || !strings.Contains(r.err.Error(), "no GitHub token") || !strings.Contains(r.err.Error(), "run the same command again") {
		t.Errorf("jit new --pr without a token: exit %d, %v", r.code, r.err)
	}
}

func TestRepoFromRemote(t *testing.T) {
	for in, want := range map[string]string{
		"git@github.com:acme/access.git":          "acme/access",
		"https://github.com/acme/access":          "acme/access",
		"https://github.com/acme/access.git":      "acme/access",
		"ssh://git@ghe.example.com/acme/access":   "acme/access",
		"https://ghe.example.com/acme/access.git": "acme/access",
	} {
		got, err := repoFromRemote(in)
		if err != nil || got.String() != want {
			t.Errorf("repoFromRemote(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	if _, err := repoFromRemote("access"); err == nil {
		t.Errorf("a remote without OWNER/ was accepted")
	}
}
