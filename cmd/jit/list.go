package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/google/go-github/v62/github"
	"github.com/spf13/cobra"

	"github.com/jit-access/jit/internal/catalog"
	"github.com/jit-access/jit/internal/ghauth"
	"github.com/jit-access/jit/internal/ghrepo"
	"github.com/jit-access/jit/internal/owners"
	"github.com/jit-access/jit/schema"
)

// newListCmd builds jit list reading the environment (the GitHub
// token) through getenv.
func newListCmd(getenv func(string) string) *cobra.Command {
	o := listOptions{getenv: getenv}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List what a requester may ask for, for how long and who approves it",
		Long: `list reads .github/jit.yaml and .github/CODEOWNERS and shows the accounts
and permission sets a requester may ask for (the requesters rules applied),
each one's longest duration, who approves it (owners, then SSO admins for a
custom set) and the auto-approval rules that would apply.

Team entries of requesters lists are read from GitHub when a token is at hand
(GITHUB_TOKEN, GH_TOKEN or the GitHub CLI's login); without one, what only a
team would allow is shown as "only if in @org/team".

Exit status: 0 listed, 2 jit could not run.`,
		Example: `  jit list
  jit list --requester alice
  GITHUB_TOKEN=$(gh auth token) jit list --requester alice --format json`,
		Args: cobra.NoArgs,
		RunE: runs(o.run),
	}
	checkoutFlag(cmd, &o.repo)
	f := cmd.Flags()
	f.StringVar(&o.requester, "requester", "", "GitHub login to apply the requesters rules to (default: show the rules)")
	f.StringVar(&o.format, "format", "text", "output format: text or json")
	githubURLFlag(cmd, &o.githubURL, "")
	return cmd
}

type listOptions struct {
	repo, requester, format, githubURL string
	getenv                             func(string) string
}

func (o *listOptions) run(ctx context.Context, stdout, stderr io.Writer) error {
	if o.format != "text" && o.format != "json" {
		return fmt.Errorf("--format %q: want text or json", o.format)
	}
	cfg, rules, err := loadRules(ctx, o.repo, stderr)
	if err != nil {
		return err
	}
	opts := catalog.Options{Requester: o.requester, Owners: rules}
	if o.requester != "" {
		teams, err := o.teams(ctx)
		if err != nil {
			return err
		}
		if teams != nil {
			opts.Teams = teams
		}
	}
	c, err := catalog.Build(cfg, opts)
	if err != nil {
		return err
	}
	if o.requester != "" {
		c = c.Requestable()
	}
	if o.format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(c)
	}
	return catalog.WriteText(stdout, c)
}

// teams is a GitHub-backed team resolver when a token is found, nil when
// none is (membership is then shown as unchecked).
func (o *listOptions) teams(ctx context.Context) (*ghrepo.Teams, error) {
	c, err := userClient(o.getenv, o.githubURL)
	if err != nil || c == nil {
		return nil, err
	}
	return ghrepo.NewTeams(ctx, ghrepo.Members(c)), nil
}

// userClient is a GitHub client with the person's own token, nil when no
// token is found; githubURL "" is github.com.
func userClient(getenv func(string) string, githubURL string) (*github.Client, error) {
	host, err := ghauth.Host(githubURL)
	if err != nil {
		return nil, err
	}
	login, err := ghauth.Find(getenv, host)
	if err != nil {
		return nil, nil
	}
	return ghrepo.TokenClient(ghrepo.Credentials{BaseURL: githubURL, Token: login.Token})
}

// loadRules reads the config and CODEOWNERS of the working tree; a config
// with errors stops the command, CODEOWNERS problems are printed.
func loadRules(ctx context.Context, repo string, stderr io.Writer) (*schema.Config, *owners.Rules, error) {
	rs, findings, err := loadRuleFiles(ctx, worktreeSource{dir: repo})
	if err != nil {
		return nil, nil, err
	}
	if rs.ConfigErr != nil {
		printFindings(stderr, rs.ConfigFindings)
		return nil, nil, fmt.Errorf("%s has errors; fix them first", configPath)
	}
	printFindings(stderr, findings[len(rs.ConfigFindings):])
	return rs.Config, rs.Owners, nil
}
