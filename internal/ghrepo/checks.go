package ghrepo

import (
	"context"
	"time"

	"github.com/google/go-github/v62/github"
)

// The check runs jit writes on a commit and reads back (checks API).

func (g *goGitHub) CheckRuns(ctx context.Context, sha string) ([]CheckRun, error) {
	r := g.r
	opts := &github.ListCheckRunsOptions{ListOptions: github.ListOptions{PerPage: perPage}}
	out, err := listAll(func(page int) ([]*github.CheckRun, *github.Response, error) {
		opts.Page = page
		res, resp, err := g.c.Checks.ListCheckRunsForRef(ctx, r.Owner, r.Name, sha, opts)
		if err != nil {
			return nil, resp, err
		}
		return res.CheckRuns, resp, nil
	}, func(c *github.CheckRun) CheckRun {
		return CheckRun{
			ID:         c.GetID(),
			StartedAt:  c.GetStartedAt().Time,
			AppID:      c.GetApp().GetID(),
			Name:       c.GetName(),
			HeadSHA:    c.GetHeadSHA(),
			Conclusion: c.GetConclusion(),
			Title:      c.GetOutput().GetTitle(),
			Summary:    c.GetOutput().GetSummary(),
			Text:       c.GetOutput().GetText(),
			ExternalID: c.GetExternalID(),
		}
	})
	return out, wrap(err, "listing check runs of %s in %s", sha, r)
}

// maxAnnotations is GitHub's limit of annotations per check run request.
const maxAnnotations = 50

func checkOutput(c CheckRun) *github.CheckRunOutput {
	out := &github.CheckRunOutput{
		Title:   github.String(c.Title),
		Summary: github.String(c.Summary),
	}
	if c.Text != "" {
		out.Text = github.String(c.Text)
	}
	for i, a := range c.Annotations {
		if i == maxAnnotations {
			break
		}
		ann := &github.CheckRunAnnotation{
			Path:            github.String(a.Path),
			StartLine:       github.Int(max(a.Line, 1)),
			EndLine:         github.Int(max(a.Line, 1)),
			AnnotationLevel: github.String(a.Level),
			Message:         github.String(a.Message),
		}
		if a.Col > 0 {
			ann.StartColumn = github.Int(a.Col)
			ann.EndColumn = github.Int(a.Col)
		}
		if a.Title != "" {
			ann.Title = github.String(a.Title)
		}
		out.Annotations = append(out.Annotations, ann)
	}
	return out
}

func (g *goGitHub) CreateCheckRun(ctx context.Context, c CheckRun) error {
	r := g.r
	now := github.Timestamp{Time: time.Now()}
	_, _, err := g.c.Checks.CreateCheckRun(ctx, r.Owner, r.Name, github.CreateCheckRunOptions{
		Name:        c.Name,
		HeadSHA:     c.HeadSHA,
		Status:      github.String("completed"),
		Conclusion:  github.String(c.Conclusion),
		CompletedAt: &now,
		Output:      checkOutput(c),
		ExternalID:  optional(c.ExternalID),
	})
	return wrap(err, "creating check run %s on %s in %s", c.Name, c.HeadSHA, r)
}

func (g *goGitHub) UpdateCheckRun(ctx context.Context, c CheckRun) error {
	r := g.r
	now := github.Timestamp{Time: time.Now()}
	_, _, err := g.c.Checks.UpdateCheckRun(ctx, r.Owner, r.Name, c.ID, github.UpdateCheckRunOptions{
		Name:        c.Name,
		Status:      github.String("completed"),
		Conclusion:  github.String(c.Conclusion),
		CompletedAt: &now,
		Output:      checkOutput(c),
		ExternalID:  optional(c.ExternalID),
	})
	return wrap(err, "updating check run %s on %s in %s", c.Name, c.HeadSHA, r)
}
