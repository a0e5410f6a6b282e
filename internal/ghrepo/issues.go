package ghrepo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/go-github/v62/github"
)

// Labels and comments of a pull request (issues API).

func (g *goGitHub) AddLabels(ctx context.Context, number int, labels []string) error {
	r := g.r
	_, _, err := g.c.Issues.AddLabelsToIssue(ctx, r.Owner, r.Name, number, labels)
	return wrap(err, "labelling %s#%d", r, number)
}

// optional is nil for "": a field left out of the request.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (g *goGitHub) SetLabels(ctx context.Context, number int, labels []string) error {
	r := g.r
	_, _, err := g.c.Issues.ReplaceLabelsForIssue(ctx, r.Owner, r.Name, number, labels)
	return wrap(err, "setting the labels of %s#%d", r, number)
}

func (g *goGitHub) RemoveLabel(ctx context.Context, number int, label string) error {
	r := g.r
	_, err := g.c.Issues.RemoveLabelForIssue(ctx, r.Owner, r.Name, number, label)
	if errors.Is(wrap(err, ""), ErrNotFound) {
		return nil // already gone: the goal is reached
	}
	return wrap(err, "removing label %s from %s#%d", label, r, number)
}

func (g *goGitHub) Comments(ctx context.Context, number int) ([]Comment, error) {
	r := g.r
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: perPage}}
	out, err := listAll(func(page int) ([]*github.IssueComment, *github.Response, error) {
		opts.Page = page
		return g.c.Issues.ListComments(ctx, r.Owner, r.Name, number, opts)
	}, func(c *github.IssueComment) Comment {
		return Comment{ID: c.GetID(), Author: c.GetUser().GetLogin(), AuthorID: c.GetUser().GetID(), Body: c.GetBody(), Issue: number}
	})
	return out, wrap(err, "listing comments of %s#%d", r, number)
}

func (g *goGitHub) Comment(ctx context.Context, id int64) (Comment, error) {
	r := g.r
	c, _, err := g.c.Issues.GetComment(ctx, r.Owner, r.Name, id)
	if err != nil {
		return Comment{}, wrap(err, "reading comment %d of %s", id, r)
	}
	// The issue_url ends in /issues/{number}.
	_, num, _ := strings.Cut(c.GetIssueURL(), "/issues/")
	n, err := strconv.Atoi(num)
	if err != nil {
		return Comment{}, fmt.Errorf("reading comment %d of %s: its issue_url %q names no issue", id, r, c.GetIssueURL())
	}
	return Comment{ID: c.GetID(), Author: c.GetUser().GetLogin(), AuthorID: c.GetUser().GetID(), Body: c.GetBody(), Issue: n}, nil
}

func (g *goGitHub) CreateComment(ctx context.Context, number int, body string) error {
	_, err := g.AddComment(ctx, number, body)
	return err
}

func (g *goGitHub) AddComment(ctx context.Context, number int, body string) (int64, error) {
	r := g.r
	c, _, err := g.c.Issues.CreateComment(ctx, r.Owner, r.Name, number, &github.IssueComment{Body: github.String(body)})
	if err != nil {
		return 0, wrap(err, "commenting on %s#%d", r, number)
	}
	return c.GetID(), nil
}

func (g *goGitHub) EditComment(ctx context.Context, id int64, body string) error {
	r := g.r
	_, _, err := g.c.Issues.EditComment(ctx, r.Owner, r.Name, id, &github.IssueComment{Body: github.String(body)})
	return wrap(err, "editing comment %d in %s", id, r)
}
