package githubemu

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v62/github"

	"github.com/jit-access/jit/internal/gittest"
)

func TestListPullRequestsWithCommit(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	merged, err := e.emu.OpenPullRequest(org, repoName, "alice", "req-a", "request a",
		map[string][]byte{"requests/payments-prod/a.yaml": []byte("account: payments-prod\n")})
	if err != nil {
		t.Fatal(err)
	}
	branchCommit := e.mustPull(t, merged).GetHead().GetSHA()
	mergeSHA, err := e.emu.Merge(org, repoName, merged, "carol")
	if err != nil {
		t.Fatal(err)
	}
	open, err := e.emu.OpenPullRequest(org, repoName, "alice", "req-b", "request b",
		map[string][]byte{"requests/payments-prod/b.yaml": []byte("account: payments-prod\n")})
	if err != nil {
		t.Fatal(err)
	}
	openHead := e.mustPull(t, open).GetHead().GetSHA()
	mainBefore, err := e.emu.MainSHA(org, repoName)
	if err != nil {
		t.Fatal(err)
	}

	numbers := func(sha string) []int {
		t.Helper()
		prs, _, err := e.app.PullRequests.ListPullRequestsWithCommit(ctx, org, repoName, sha, nil)
		if err != nil {
			t.Fatalf("ListPullRequestsWithCommit(%s): %v", sha, err)
		}
		var ns []int
		for _, p := range prs {
			ns = append(ns, p.GetNumber())
		}
		return ns
	}
	for _, tc := range []struct {
		name string
		sha  string
		want []int
	}{
		{"merge commit", mergeSHA, []int{merged}},
		{"commit of the merged branch", branchCommit, []int{merged}},
		{"head of an open pull request", openHead, []int{open}},
		{"initial commit on main", firstParentRoot(t, e, mainBefore), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, numbers(tc.sha)); diff != "" {
				t.Errorf("pull requests of %s (-want +got):\n%s", tc.sha, diff)
			}
		})
	}
	_, _, err = e.app.PullRequests.ListPullRequestsWithCommit(ctx, org, repoName, "0123456789012345678901234567890123456789", nil)
	if got := statusOf(err); got != 422 {
		t.Errorf("unknown commit: status %d (%v), want 422", got, err)
	}
	if n := e.emu.Requests()["GET /repos/{owner}/{repo}/commits/{sha}/pulls"]; n != 5 {
		t.Errorf("route counted %d requests, want 5", n)
	}
}

func (e *env) mustPull(t *testing.T, n int) *github.PullRequest {
	t.Helper()
	p, err := e.emu.PullRequest(org, repoName, n)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// firstParentRoot returns the root commit reached from sha by first parents.
func firstParentRoot(t *testing.T, e *env, sha string) string {
	t.Helper()
	return gittest.Run(t, e.emu.RepoDir(org, repoName), "rev-list", "--max-parents=0", sha)
}
