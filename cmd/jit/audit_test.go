package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jit-access/jit/internal/gittest"
	"github.com/jit-access/jit/internal/sandbox"
	"github.com/jit-access/jit/internal/testworld"
)

func TestAuditCommand(t *testing.T) {
	dir := grantsRepo(t)
	res := run(t, newAuditCmd(), nil, "--repo", dir, "--user", "octocat", "--account", "payments-prod")
	if res.err != nil {
		t.Fatalf("audit: %v", res.err)
	}
	got := lines(res.stdout)
	if len(got) != 4 || !strings.HasPrefix(got[0], "path,requester,account,permission_set,") {
		t.Fatalf("want a header and one row for each of octocat's three requests on payments-prod (a, f, old), got:\n%s", res.stdout)
	}

	res = run(t, newAuditCmd(), nil, "--repo", dir, "--format", "json", "--user", "alice")
	if res.err != nil {
		t.Fatalf("audit --format json: %v", res.err)
	}
	var records []struct {
		Path, State, Requester string
		Effective              string `json:"effective_duration"`
		MergedAt               string `json:"merged_at"`
	}
	if err := json.Unmarshal([]byte(res.stdout), &records); err != nil {
		t.Fatalf("%v\n%s", err, res.stdout)
	}
	type rec struct{ Path, State, Requester, Effective, MergedAt string }
	var short []rec
	for _, r := range records {
		short = append(short, rec{r.Path, r.State, r.Requester, r.Effective, r.MergedAt})
	}
	want := []rec{{"requests/payments-prod/b.yaml", "active", "alice", "2h", "2026-11-23T12:00:00Z"}}
	if diff := cmp.Diff(want, short); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}

	// --until as a date takes the whole day; the grants were merged at noon.
	res = run(t, newAuditCmd(), nil, "--repo", dir, "--until", "2026-11-22")
	if res.err != nil || len(lines(res.stdout)) != 1 {
		t.Errorf("--until the day before: %v\n%s", res.err, res.stdout)
	}
	res = run(t, newAuditCmd(), nil, "--repo", dir, "--until", "2026-11-23")
	if res.err != nil || len(lines(res.stdout)) != 12 {
		t.Errorf("--until the day: %v, %d lines\n%s", res.err, len(lines(res.stdout)), res.stdout)
	}
}

func TestAuditCommandErrors(t *testing.T) {
	dir := grantsRepo(t)
	tests := []struct {
		args  []string
		want  string
		token string
	}{
		{[]string{"--format", "xml"}, `--format "xml": want csv or json`, ""},
		{[]string{"--since", "last week"}, `--since "last week": want a date like 2026-11-23`, ""},
		{[]string{"--since", "2026-11-23", "--until", "2026-11-01"}, "--until 2026-11-01 is before --since 2026-11-23", ""},
		{[]string{"--github"}, "--github needs GitHub credentials", ""},
		{[]string{"--github", "--app-id", "7", "--github-repo", "acme/access"}, "App credentials need both --app-id", ""},
		{[]string{"--github", "--github-repo", "acme"}, `--github-repo "acme" must be OWNER/NAME`, "a-token"},
		{[]string{"--github", "--private-key-file", "/nonexistent/key.pem"}, "reading the App's private key", ""},
	}
	noGitHubEnv(t)
	for _, tt := range tests {
		t.Setenv("GITHUB_TOKEN", tt.token)
		res := run(t, newAuditCmd(), nil, append([]string{"--repo", dir}, tt.args...)...)
		if res.err == nil || !strings.Contains(res.err.Error(), tt.want) {
			t.Errorf("%v: error %v, want %q", tt.args, res.err, tt.want)
		}
		if res.code != 2 {
			t.Errorf("%v: exit %d, want 2", tt.args, res.code)
		}
	}
	shallow := t.TempDir()
	gittest.At(t, shallow, "2026-11-23T12:00:00Z", "clone", "-q", "--depth", "1", "file://"+dir, ".")
	res := run(t, newAuditCmd(), nil, "--repo", shallow)
	if res.err == nil || !strings.Contains(res.err.Error(), "is shallow") {
		t.Errorf("shallow clone: %v", res.err)
	}
}

// noGitHubEnv clears the environment the GitHub credentials come from, so
// that a developer's or CI's own cannot leak into a test.
func noGitHubEnv(t *testing.T) {
	t.Helper()
	for _, k := range []string{"GITHUB_TOKEN", "JIT_APP_ID", "JIT_PRIVATE_KEY", "JIT_PRIVATE_KEY_FILE", "GITHUB_REPOSITORY", "JIT_GITHUB_URL"} {
		t.Setenv(k, "")
	}
}

// TestAuditCommandGitHub runs `jit audit --github` against the GitHub
// emulator, with the App's credentials and with a token.
func TestAuditCommandGitHub(t *testing.T) {
	noGitHubEnv(t)
	ctx := t.Context()
	w := testworld.New(t, time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), sandbox.Options{AsyncDelay: 10 * time.Millisecond})
	gh, owner, name := w.GitHub, sandbox.Org, sandbox.RepoName
	open := func(author, path, body string) int {
		t.Helper()
		n, err := gh.OpenPullRequest(owner, name, author, author+"/"+filepath.Base(path), "request", map[string][]byte{path: []byte(body)})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	std := func(set string) string {
		return "account: payments-prod\npermission_set: " + set + "\nduration: 4h\njustification: INC-7 looking into it\n"
	}
	merged := open("octocat", "requests/payments-prod/merged.yaml", std("ReadOnlyAccess"))
	if _, err := gh.SubmitReview(owner, name, merged, "alice", "APPROVED", "ok"); err != nil {
		t.Fatal(err)
	}
	if _, err := gh.MergeProtected(owner, name, merged, "octocat"); err != nil {
		t.Fatal(err)
	}
	open("carol", "requests/payments-prod/pending.yaml", std("ReadOnlyAccess"))
	rejected := open("dave", "requests/payments-prod/rejected.yaml", std("PowerUserAccess"))
	if _, err := gh.SubmitReview(owner, name, rejected, "alice", "REQUEST_CHANGES", "why?"); err != nil {
		t.Fatal(err)
	}
	dir, err := w.Clone(ctx)
	if err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(t.TempDir(), "app.pem")
	if err := os.WriteFile(key, w.PrivateKeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}

	type rec struct{ Path, Requester, State, Reviews string }
	want := []rec{
		{"requests/payments-prod/merged.yaml", "", "pending", ""},
		{"requests/payments-prod/pending.yaml", "carol", "pending", ""},
		{"requests/payments-prod/rejected.yaml", "dave", "rejected", "alice:changes_requested:why?"},
	}
	decode := func(t *testing.T, out string) []rec {
		t.Helper()
		var records []struct {
			Path, Requester, State string
			Reviews                []struct{ By, State, Note string }
		}
		if err := json.Unmarshal([]byte(out), &records); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		var got []rec
		for _, r := range records {
			var rv []string
			for _, x := range r.Reviews {
				rv = append(rv, x.By+":"+x.State+":"+x.Note)
			}
			got = append(got, rec{r.Path, r.Requester, r.State, strings.Join(rv, ",")})
		}
		return got
	}
	repoFlags := []string{"--repo", dir, "--github", "--format", "json", "--github-url", w.GitHubURL, "--github-repo", owner + "/" + name}

	t.Run("app", func(t *testing.T) {
		res := run(t, newAuditCmd(), nil, append(repoFlags, "--app-id", strconv.Itoa(sandbox.AppID), "--private-key-file", key)...)
		if res.err != nil {
			t.Fatalf("audit --github: %v\n%s", res.err, res.stderr)
		}
		if diff := cmp.Diff(want, decode(t, res.stdout)); diff != "" {
			t.Errorf("records (-want +got):\n%s", diff)
		}
	})
	t.Run("token", func(t *testing.T) {
		token, err := gh.UserToken("bob")
		if err != nil {
			t.Fatal(err)
		}
		t.Setenv("GITHUB_TOKEN", token)
		res := run(t, newAuditCmd(), nil, append(repoFlags, "--user", "dave")...)
		if res.err != nil {
			t.Fatalf("audit --github: %v\n%s", res.err, res.stderr)
		}
		if diff := cmp.Diff(want[2:], decode(t, res.stdout)); diff != "" {
			t.Errorf("records (-want +got):\n%s", diff)
		}
	})
	t.Run("csv", func(t *testing.T) {
		res := run(t, newAuditCmd(), nil, "--repo", dir, "--github", "--github-url", w.GitHubURL, "--github-repo", owner+"/"+name,
			"--app-id", strconv.Itoa(sandbox.AppID), "--private-key-file", key, "--account", "payments-prod")
		if res.err != nil {
			t.Fatalf("audit --github: %v\n%s", res.err, res.stderr)
		}
		got := lines(res.stdout)
		if len(got) != 4 || !strings.HasSuffix(got[0], ",state,why,opened_at,closed_at,head_commit,reviews,extends,extended_by") {
			t.Errorf("want the header with the pull request columns and three rows, got:\n%s", res.stdout)
		}
	})
	t.Run("wrong installation", func(t *testing.T) {
		res := run(t, newAuditCmd(), nil, append(repoFlags, "--app-id", strconv.Itoa(sandbox.AppID), "--private-key-file", key, "--github-repo", "acme/elsewhere")...)
		if res.code != 2 || res.err == nil || !strings.Contains(res.err.Error(), "finding the App's installation on acme/elsewhere") {
			t.Errorf("exit %d, %v; want 2 and the installation not found", res.code, res.err)
		}
	})
}
