package propose

import (
	"bytes"
	"context"
	"fmt"

	"github.com/google/go-github/v62/github"

	"github.com/jit-access/jit/internal/ghrepo"
)

// Outcome is what Keep did.
type Outcome struct {
	URL string
	// Opened is true when this run opened the pull request; Committed when it
	// added a commit to its branch.
	Opened, Committed bool
}

// Keep keeps one pull request on a fixed branch (jit sync's) proposing
// req.Content at req.Path: it opens it when none is open, and otherwise adds
// a commit to its branch when the content differs and sets its title and
// body, so reruns update the same pull request instead of opening more.
// A branch left by an interrupted run is used; one left by a merged or
// closed pull request is refused: its base is stale, and jit never
// force-pushes.
func Keep(ctx context.Context, c *github.Client, repo ghrepo.Repo, req Request) (Outcome, error) {
	o, n := repo.Owner, repo.Name
	var out Outcome
	open, _, err := c.PullRequests.List(ctx, o, n, &github.PullRequestListOptions{State: "open", Head: o + ":" + req.Branch})
	if err != nil {
		return out, fmt.Errorf("looking for an open pull request of %s: %w", req.Branch, err)
	}
	var pr *github.PullRequest
	if len(open) > 0 {
		pr = open[0]
	}
	if pr == nil {
		r, _, err := c.Repositories.Get(ctx, o, n)
		if err != nil {
			return out, fmt.Errorf("reading %s: %w", repo, err)
		}
		base := r.GetDefaultBranch()
		if base == "" {
			return out, fmt.Errorf("%s reports no default branch", repo)
		}
		ref, _, err := c.Git.GetRef(ctx, o, n, "heads/"+base)
		if err != nil {
			return out, fmt.Errorf("reading %s's %s: %w", repo, base, err)
		}
		_, _, err = c.Git.CreateRef(ctx, o, n, &github.Reference{Ref: github.String("refs/heads/" + req.Branch), Object: &github.GitObject{SHA: ref.Object.SHA}})
		if err != nil && !exists(err) {
			return out, fmt.Errorf("creating the branch %s on %s: %w", req.Branch, repo, err)
		}
		if err != nil {
			// The branch exists: an interrupted run left it (go on), or an
			// earlier pull request was merged or closed from it, so it
			// stands on a stale base (refuse: jit never force-pushes).
			done, _, err := c.PullRequests.List(ctx, o, n, &github.PullRequestListOptions{State: "closed", Head: o + ":" + req.Branch})
			if err != nil {
				return out, fmt.Errorf("looking for closed pull requests of %s: %w", req.Branch, err)
			}
			if len(done) > 0 {
				return out, fmt.Errorf("the branch %s of %s is left from pull request #%d, which is closed: delete the branch and run again (GitHub's \"Automatically delete head branches\" setting does it on merge)", req.Branch, repo, done[0].GetNumber())
			}
		}
		if out.Committed, err = putFile(ctx, c, repo, req); err != nil {
			return out, err
		}
		created, _, err := c.PullRequests.Create(ctx, o, n, &github.NewPullRequest{Title: &req.Title, Head: &req.Branch, Base: &base, Body: &req.Body})
		if err != nil {
			return out, fmt.Errorf("opening the pull request of %s on %s (run again to finish): %w", req.Branch, repo, err)
		}
		out.URL, out.Opened = created.GetHTMLURL(), true
		return out, nil
	}
	if out.Committed, err = putFile(ctx, c, repo, req); err != nil {
		return out, err
	}
	if pr.GetTitle() != req.Title || pr.GetBody() != req.Body {
		if _, _, err := c.PullRequests.Edit(ctx, o, n, pr.GetNumber(), &github.PullRequest{Title: &req.Title, Body: &req.Body}); err != nil {
			return out, fmt.Errorf("updating pull request #%d: %w", pr.GetNumber(), err)
		}
	}
	out.URL = pr.GetHTMLURL()
	return out, nil
}

// putFile commits req.Content at req.Path on req.Branch unless the branch
// already holds exactly that; it reports whether it committed.
func putFile(ctx context.Context, c *github.Client, repo ghrepo.Repo, req Request) (bool, error) {
	opts := &github.RepositoryContentFileOptions{Message: github.String(req.Title), Content: req.Content, Branch: github.String(req.Branch)}
	cur, _, _, err := c.Repositories.GetContents(ctx, repo.Owner, repo.Name, req.Path, &github.RepositoryContentGetOptions{Ref: req.Branch})
	switch {
	case err == nil && cur != nil:
		got, derr := cur.GetContent()
		if derr == nil && bytes.Equal([]byte(got), req.Content) {
			return false, nil
		}
		opts.SHA = cur.SHA
		_, _, err = c.Repositories.UpdateFile(ctx, repo.Owner, repo.Name, req.Path, opts)
	case err != nil && !notFound(err):
		return false, fmt.Errorf("reading %s on %s: %w", req.Path, req.Branch, err)
	default:
		_, _, err = c.Repositories.CreateFile(ctx, repo.Owner, repo.Name, req.Path, opts)
	}
	if err != nil {
		return false, fmt.Errorf("committing %s on %s: %w", req.Path, req.Branch, err)
	}
	return true, nil
}
