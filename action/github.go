package action

import (
	"context"
	"fmt"

	"github.com/google/go-github/v62/github"

	"github.com/jit-access/jit/app"
	"github.com/jit-access/jit/approval"
	"github.com/jit-access/jit/change"
)

// NewGitHub builds the GitHub facts source for repo on a go-github client
// that is already authenticated (an App installation or GITHUB_TOKEN). The
// pull request calls are the App's own (app.NewGitHub), so the Action reads
// reviews and commits exactly as the App's check did.
func NewGitHub(c *github.Client, repo app.Repo) GitHub {
	return &gitHub{client: c, api: app.NewGitHub(c), repo: repo}
}

type gitHub struct {
	client *github.Client
	api    app.GitHub
	repo   app.Repo
}

func (g *gitHub) PullRequestsWithCommit(ctx context.Context, sha string) ([]int, error) {
	var out []int
	opts := &github.ListOptions{PerPage: 100}
	for {
		prs, resp, err := g.client.PullRequests.ListPullRequestsWithCommit(ctx, g.repo.Owner, g.repo.Name, sha, opts)
		if err != nil {
			return nil, fmt.Errorf("listing the pull requests of commit %s in %s: %w", sha, g.repo, err)
		}
		for _, p := range prs {
			out = append(out, p.GetNumber())
		}
		if resp == nil || resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
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
