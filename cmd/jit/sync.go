package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/spf13/cobra"

	"github.com/jit-access/jit/internal/configsync"
	"github.com/jit-access/jit/internal/discover"
	"github.com/jit-access/jit/internal/propose"
	"github.com/jit-access/jit/schema"
)

// syncBranch is the one branch jit sync proposes its changes on.
const syncBranch = "jit/sync"

// syncOptions is one run of jit sync.
type syncOptions struct {
	Repo       string // the checkout
	GithubRepo string
	GithubURL  string
	DryRun     bool
	getenv     func(string) string
}

func newSyncCmd(getenv func(string) string) *cobra.Command {
	o := syncOptions{getenv: getenv}
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Propose the accounts and permission sets AWS gained or lost as one pull request",
		Long: `Sync reads from AWS what jit init --from-aws reads (the accounts with their
OU paths, and the permission sets of the config's instance) and compares it
with .github/jit.yaml: accounts by id, permission sets by ARN.

When they differ it opens one pull request on the branch jit/sync that changes
only .github/jit.yaml, for the SSO admins to review; when that pull request is
open already it adds a commit and rewrites its description instead. New
accounts are listed one by one with their OU path in a comment and no
permission sets: an admin decides what each offers. Accounts that AWS no
longer has, or that are suspended or closing, and permission sets the
instance no longer has are removed (with the removed sets' names from every
account and auto-approval rule). When nothing differs it does nothing.

AWS credentials come from the default chain (AWS_ENDPOINT_URL is honoured);
the region and instance from the config. GitHub: a token in GITHUB_TOKEN or
GH_TOKEN (or gh's login), allowed to push branches and open pull requests.`,
		Example: `  jit sync --dry-run
  GITHUB_TOKEN=... jit sync --github-repo acme/access`,
		Args: cobra.NoArgs,
		RunE: runs(o.run),
	}
	checkoutFlag(cmd, &o.Repo)
	f := cmd.Flags()
	f.StringVar(&o.GithubRepo, "github-repo", getenv("GITHUB_REPOSITORY"), "the access repository on GitHub, OWNER/NAME (default: GITHUB_REPOSITORY, else the origin remote)")
	githubURLFlag(cmd, &o.GithubURL, "")
	f.BoolVar(&o.DryRun, "dry-run", false, "print the differences, open or change no pull request")
	return cmd
}

func (o *syncOptions) run(ctx context.Context, stdout, stderr io.Writer) error {
	path := filepath.Join(o.Repo, filepath.FromSlash(configPath))
	src, err := readRegularFile(path, 1<<20)
	if err != nil {
		return fmt.Errorf("reading the config: %w", err)
	}
	cfg, findings := schema.ParseConfig(configPath, src)
	if schema.HasErrors(findings) || cfg == nil {
		printFindings(stderr, findings)
		return fmt.Errorf("%s has errors (above); fix them before jit sync compares it with AWS", configPath)
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(cfg.IdentityCenter.Region))
	if err != nil {
		return fmt.Errorf("loading the AWS configuration: %w", err)
	}
	res, err := discover.Run(ctx, awsCfg, discover.Options{InstanceARN: cfg.IdentityCenter.InstanceARN})
	if err != nil {
		return fmt.Errorf("reading from AWS: %w", err)
	}
	d := configsync.Compare(cfg, res)
	if d.Empty() {
		fmt.Fprintf(stdout, "%s matches AWS (%d accounts, %d permission sets): nothing to propose\n", configPath, len(cfg.Accounts), len(cfg.PermissionSets))
		return nil
	}
	out, err := configsync.Apply(src, d)
	if err != nil {
		return fmt.Errorf("editing %s: %w", configPath, err)
	}
	// What sync proposes must pass jit validate: the same parser decides.
	if _, after := schema.ParseConfig(configPath, out); schema.HasErrors(after) {
		printFindings(stderr, after)
		return errors.New("the config jit sync would propose has errors (above); nothing was proposed")
	}
	fmt.Fprintf(stdout, "%d new and %d removed accounts, %d new and %d removed permission sets\n",
		len(d.NewAccounts), len(d.GoneAccounts), len(d.NewSets), len(d.GoneSets))
	if o.DryRun {
		fmt.Fprint(stdout, "\n"+d.Summary()+"\n--dry-run: no pull request opened or changed\n")
		return nil
	}
	repo, err := githubRepoOf(ctx, o.Repo, o.GithubRepo, "jit sync")
	if err != nil {
		return err
	}
	c, err := userClient(o.getenv, o.GithubURL)
	if err != nil {
		return err
	}
	if c == nil {
		return errors.New("jit sync needs a GitHub token that may push branches and open pull requests: set GITHUB_TOKEN (or use --dry-run)")
	}
	r, err := propose.Keep(ctx, c, repo, propose.Request{
		Path: configPath, Content: out, Branch: syncBranch,
		Title: "jit sync: accounts and permission sets from AWS", Body: d.Summary(),
	})
	if err != nil {
		return err
	}
	switch {
	case r.Opened:
		fmt.Fprintf(stdout, "opened %s\n", r.URL)
	case r.Committed:
		fmt.Fprintf(stdout, "updated %s\n", r.URL)
	default:
		fmt.Fprintf(stdout, "%s already proposes this\n", r.URL)
	}
	return nil
}
