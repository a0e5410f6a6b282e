package action

import (
	"context"
	"fmt"

	"github.com/google/go-github/v62/github"

	"github.com/jit-access/jit/app"
	"github.com/jit-access/jit/internal/approval"
	"github.com/jit-access/jit/internal/change"
)

// NewGitHub builds the GitHub facts source for repo on a go-github client
// that is already authenticated (an App installation or GITHUB_TOKEN). The
// pull request calls are the App's own (app.NewGitHub), so the Action reads
// reviews and commits exactly as the App's check did.
func NewGitHub(c *github.Client, repo app.Repo) GitHub {
	return &gitHub{api: app.NewGitHub(c), repo: repo}
}

type gitHub struct {
	api  app.GitHub
	repo app.Repo
}

func (g *gitHub) PullRequestsWithCommit(ctx context.Context, sha string) ([]int, error) {
	prs, err := g.api.PullRequestsWithCommit(ctx, g.repo, sha)
	if err != nil {
		return nil, err
	}
	out := make([]int, 0, len(prs))
	for _, p := range prs {
		out = append(out, p.Number)
	}
	return out, nil
}

func (g *gitHub) CheckRuns(ctx context.Context, sha string) ([]app.CheckRun, error) {
	return g.api.CheckRuns(ctx, g.repo, sha)
}

func (g *gitHub) File(ctx context.Context, path, ref string) ([]byte, error) {
	data, _, kind, err := g.api.File(ctx, g.repo, path, ref)
	if err != nil {
		return nil, err
	}
	if kind != "file" {
		return nil, fmt.Errorf("%s at %s is a %s, not a file", path, ref, kind)
	}
	return data, nil
}

func (g *gitHub) PullRequest(ctx context.Context, number int) (*app.PR, error) {
	return g.api.PullRequest(ctx, g.repo, number)
}

func (g *gitHub) PullRequestFiles(ctx context.Context, number int) ([]change.File, error) {
	return g.api.PullRequestFiles(ctx, g.repo, number)
}

func (g *gitHub) PullRequestCommits(ctx context.Context, number int) ([]approval.Commit, error) {
	return g.api.PullRequestCommits(ctx, g.repo, number)
}

func (g *gitHub) Reviews(ctx context.Context, number int) ([]approval.Review, error) {
	return g.api.Reviews(ctx, g.repo, number)
}

func (g *gitHub) IsTeamMember(ctx context.Context, org, slug, user string) (bool, error) {
	return g.api.IsTeamMember(ctx, org, slug, user)
}
