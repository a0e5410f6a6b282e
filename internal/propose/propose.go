// Package propose opens a request pull request through the GitHub API with
// the requester's own token: a branch from the default branch, one commit
// adding the request file, and the pull request into the default branch.
// Every step first looks for what an earlier, interrupted run left, so
// running it again finishes the job instead of failing or duplicating it.
// Keep is jit sync's variant: one pull request on a fixed branch, updated
// by later runs.
package propose

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v62/github"

	"github.com/jit-access/jit/internal/ghrepo"
)

// Request is the pull request to open.
type Request struct {
	// Path and Content are the request file.
	Path    string
	Content []byte
	// Branch is the new branch's name.
	Branch string
	Title  string
	Body   string
}

// Open opens (or finds, when an earlier run got that far) the pull request
// and returns its web address.
func Open(ctx context.Context, c *github.Client, repo ghrepo.Repo, req Request) (string, error) {
	o, n := repo.Owner, repo.Name
	r, _, err := c.Repositories.Get(ctx, o, n)
	if err != nil {
		return "", fmt.Errorf("reading %s: %w", repo, err)
	}
	base := r.GetDefaultBranch()
	if base == "" {
		return "", fmt.Errorf("%s reports no default branch", repo)
	}
	ref, _, err := c.Git.GetRef(ctx, o, n, "heads/"+base)
	if err != nil {
		return "", fmt.Errorf("reading %s's %s: %w", repo, base, err)
	}
	_, _, err = c.Git.CreateRef(ctx, o, n, &github.Reference{Ref: github.String("refs/heads/" + req.Branch), Object: &github.GitObject{SHA: ref.Object.SHA}})
	if err != nil && !exists(err) {
		return "", fmt.Errorf("creating the branch %s on %s: %w", req.Branch, repo, err)
	}
	if err := commitFile(ctx, c, repo, req); err != nil {
		return "", err
	}
	open, _, err := c.PullRequests.List(ctx, o, n, &github.PullRequestListOptions{State: "open", Head: o + ":" + req.Branch})
	if err != nil {
		return "", fmt.Errorf("looking for an open pull request of %s: %w", req.Branch, err)
	}
	if len(open) > 0 {
		return open[0].GetHTMLURL(), nil
	}
	pr, _, err := c.PullRequests.Create(ctx, o, n, &github.NewPullRequest{Title: &req.Title, Head: &req.Branch, Base: &base, Body: &req.Body})
	if err != nil {
		return "", fmt.Errorf("opening the pull request of %s on %s: %w", req.Branch, repo, err)
	}
	return pr.GetHTMLURL(), nil
}

// commitFile adds the file on the branch, unless an earlier run did; a
// different file at that path on the branch is an error, never replaced.
func commitFile(ctx context.Context, c *github.Client, repo ghrepo.Repo, req Request) error {
	cur, _, _, err := c.Repositories.GetContents(ctx, repo.Owner, repo.Name, req.Path, &github.RepositoryContentGetOptions{Ref: req.Branch})
	switch {
	case err == nil && cur != nil:
		got, derr := cur.GetContent()
		if derr == nil && bytes.Equal([]byte(got), req.Content) {
			return nil
		}
		return fmt.Errorf("the branch %s of %s already has a different %s; choose another --name", req.Branch, repo, req.Path)
	case err != nil && !notFound(err):
		return fmt.Errorf("reading %s on %s: %w", req.Path, req.Branch, err)
	}
	_, _, err = c.Repositories.CreateFile(ctx, repo.Owner, repo.Name, req.Path, &github.RepositoryContentFileOptions{
		Message: github.String(req.Title), Content: req.Content, Branch: github.String(req.Branch),
	})
	if err != nil {
		return fmt.Errorf("committing %s on %s: %w", req.Path, req.Branch, err)
	}
	return nil
}

func notFound(err error) bool {
	var e *github.ErrorResponse
	return errors.As(err, &e) && e.Response != nil && e.Response.StatusCode == http.StatusNotFound
}

// exists is GitHub's answer to creating a branch that exists.
func exists(err error) bool {
	var e *github.ErrorResponse
	if !errors.As(err, &e) || e.Response == nil || e.Response.StatusCode != http.StatusUnprocessableEntity {
		return false
	}
	msgs := []string{e.Message}
	for _, fe := range e.Errors {
		msgs = append(msgs, fe.Message)
	}
	for _, m := range msgs {
		if strings.Contains(m, "already exists") {
			return true
		}
	}
	return false
}
