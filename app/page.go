package app

import (
	"context"
	"fmt"

	"github.com/jit-access/jit/internal/catalog"
	"github.com/jit-access/jit/internal/ghauth"
	"github.com/jit-access/jit/internal/ghrepo"
	"github.com/jit-access/jit/internal/judgment"
	"github.com/jit-access/jit/internal/owners"
	"github.com/jit-access/jit/schema"
)

// RepoRules reads what the request page shows of an access repository the
// App is installed on: the config and CODEOWNERS of its default branch
// (the rules every request is judged by), and that branch. A config with
// errors is an error; CODEOWNERS that cannot be used gives nil owners,
// as then only SSO admins approve.
func (s *Server) RepoRules(ctx context.Context, repo ghrepo.Repo) (*schema.Config, *owners.Rules, string, error) {
	id, err := s.gh.FindInstallation(ctx, repo)
	if err != nil {
		return nil, nil, "", err
	}
	h := &handler{gh: ghrepo.New(s.installation(id), repo), repo: repo, clock: s.clock, log: s.log}
	branch, err := h.gh.DefaultBranch(ctx)
	if err != nil {
		return nil, nil, "", fmt.Errorf("reading the default branch of %s: %w", repo, err)
	}
	r, err := judgment.LoadRules(ctx, apiFiles{gh: h.gh, ref: branch})
	if err != nil {
		return nil, nil, "", err
	}
	if r.ConfigErr != nil {
		return nil, nil, "", r.ConfigErr
	}
	if r.OwnersErr != nil {
		return r.Config, nil, branch, nil
	}
	return r.Config, r.Owners, branch, nil
}

// PageSource reads the request page's data for repo through the App: the
// catalog of its default branch's rules, linking to apiURL's web pages.
func (s *Server) PageSource(repo ghrepo.Repo) catalog.Source {
	return func(ctx context.Context) (*catalog.Page, *schema.Config, error) {
		cfg, rules, branch, err := s.RepoRules(ctx, repo)
		if err != nil {
			return nil, nil, err
		}
		p, err := catalog.NewPage(cfg, catalog.Options{Owners: rules}, repo.String(), branch, ghauth.WebURL(s.opts.BaseURL))
		return p, cfg, err
	}
}
