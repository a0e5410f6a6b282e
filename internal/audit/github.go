package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/jit-access/jit/app"
	"github.com/jit-access/jit/internal/approval"
	"github.com/jit-access/jit/internal/change"
)

// PullRequest is what the export needs to know about one pull request from
// the list call, before any per-pull-request call is made.
type PullRequest struct {
	Number   int
	Author   string
	HeadSHA  string
	BaseRef  string
	State    string // "open" or "closed"
	Merged   bool
	OpenedAt time.Time
	// ClosedAt is zero while the pull request is open.
	ClosedAt time.Time
	Labels   []string
}

// GitHub lists the REST calls the export of unmerged requests makes, for the
// access repository. NewGitHub builds it on go-github; tests use the GitHub
// emulator through the same implementation.
type GitHub interface {
	// PullRequests lists every pull request into base, open and closed,
	// oldest first, in one paged listing.
	PullRequests(ctx context.Context, base string) ([]PullRequest, error)
	// PullRequestFiles lists the files a pull request changes. The files
	// API reports no modes.
	PullRequestFiles(ctx context.Context, number int) ([]change.File, error)
	Reviews(ctx context.Context, number int) ([]approval.Review, error)
	// File returns path's content at ref and GitHub's content type ("file",
	// "symlink", "submodule", "dir"); content only for a file.
	File(ctx context.Context, path, ref string) (data []byte, kind string, err error)
	// ClosedBy returns the login of whoever closed the pull request, ""
	// when GitHub does not say (a deleted account).
	ClosedBy(ctx context.Context, number int) (string, error)
}

// NewGitHub reads repo through a go-github client that is already
// authenticated (an App installation or a token). Files, reviews and contents
// are read by the App's own calls (app.NewGitHub), so the export sees a pull
// request exactly as the App's check did.
func NewGitHub(c *github.Client, repo app.Repo) GitHub {
	return &goGitHub{c: c, api: app.NewGitHub(c), repo: repo}
}

type goGitHub struct {
	c    *github.Client
	api  app.GitHub
	repo app.Repo
}

func (g *goGitHub) PullRequests(ctx context.Context, base string) ([]PullRequest, error) {
	var out []PullRequest
	opts := &github.PullRequestListOptions{State: "all", Base: base, Sort: "created", Direction: "asc",
		ListOptions: github.ListOptions{PerPage: 100}}
	for {
		ps, resp, err := g.c.PullRequests.List(ctx, g.repo.Owner, g.repo.Name, opts)
		if err != nil {
			return nil, fmt.Errorf("listing the pull requests of %s: %w", g.repo, err)
		}
		for _, p := range ps {
			pr := PullRequest{
				Number:   p.GetNumber(),
				Author:   p.GetUser().GetLogin(),
				HeadSHA:  p.GetHead().GetSHA(),
				BaseRef:  p.GetBase().GetRef(),
				State:    p.GetState(),
				Merged:   p.GetMerged() || p.MergedAt != nil,
				OpenedAt: p.GetCreatedAt().Time,
				ClosedAt: p.GetClosedAt().Time,
			}
			for _, l := range p.Labels {
				pr.Labels = append(pr.Labels, l.GetName())
			}
			out = append(out, pr)
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

func (g *goGitHub) PullRequestFiles(ctx context.Context, number int) ([]change.File, error) {
	return g.api.PullRequestFiles(ctx, g.repo, number)
}

func (g *goGitHub) Reviews(ctx context.Context, number int) ([]approval.Review, error) {
	return g.api.Reviews(ctx, g.repo, number)
}

func (g *goGitHub) File(ctx context.Context, path, ref string) ([]byte, string, error) {
	data, _, kind, err := g.api.File(ctx, g.repo, path, ref)
	return data, kind, err
}

func (g *goGitHub) ClosedBy(ctx context.Context, number int) (string, error) {
	// Only the issue carries closed_by; the pull request object does not.
	is, _, err := g.c.Issues.Get(ctx, g.repo.Owner, g.repo.Name, number)
	if err != nil {
		return "", fmt.Errorf("reading who closed %s#%d: %w", g.repo, number, err)
	}
	return is.GetClosedBy().GetLogin(), nil
}
