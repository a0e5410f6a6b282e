package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/sethvargo/go-githubactions"
	"github.com/spf13/cobra"

	"github.com/jit-access/jit/action"
	"github.com/jit-access/jit/app"
	"github.com/jit-access/jit/internal/clock"
	"github.com/jit-access/jit/internal/ghrepo"
	"github.com/jit-access/jit/internal/identitycenter"
	"github.com/jit-access/jit/internal/judgment"
	"github.com/jit-access/jit/internal/ledger"
	"github.com/jit-access/jit/internal/notify"
)

// reconcileEnv is what `jit reconcile` takes from its surroundings, so that
// tests can run it with no process environment and static AWS credentials.
type reconcileEnv struct {
	getenv func(string) string
	// loadAWS builds the AWS configuration; the default chain in production
	// (the Action's OIDC role).
	loadAWS func(ctx context.Context, region string) (aws.Config, error)
}

func newReconcileCmd() *cobra.Command {
	return newReconcileCmdEnv(reconcileEnv{getenv: os.Getenv, loadAWS: func(ctx context.Context, region string) (aws.Config, error) {
		return config.LoadDefaultConfig(ctx, config.WithRegion(region))
	}})
}

type reconcileFlags struct {
	repo, now, remote, branch string
	lookahead                 time.Duration
	dryRun                    bool
	format                    string
	awsEndpoint               string
	appID                     int64
	privateKeyFile            string
	signingKeyFile            string
	githubURL, githubRepo     string
	installationID            int64
	gitName, gitEmail         string
	leaseTTL, leaseWait       time.Duration
}

func newReconcileCmdEnv(env reconcileEnv) *cobra.Command {
	var f reconcileFlags
	cmd := &cobra.Command{
		Use:   "reconcile",
		Short: "Provision merged requests and revoke expired or revoked grants, committing each transition",
		Long: `Reconcile IAM Identity Center with the grants on main, level-triggered:
every merged request is checked again against the approval policy (through
the GitHub API) and provisioned, every grant whose expiry has passed is
revoked however late the run is, grants expiring within --lookahead are
revoked at their exact time, and revocations asked for with /jit revoke are
carried out. Each transition is its own commit with Jit-Request, Jit-Event
and Jit-Pull-Request trailers (and, when it is signed, Jit-Previous: the
newest signed record before it, whose signature it checked), pushed
without force.

AWS credentials come from the default chain (in the Action: the role assumed
through GitHub's OIDC token). GitHub credentials: the App (--app-id and
JIT_PRIVATE_KEY or JIT_PRIVATE_KEY_FILE) or GITHUB_TOKEN; without either,
activations are refused while expiries and revocations still run.

Exit status: 0 when everything was done, 1 when a grant could not be handled
(reported, retried by the next run), 2 when the run could not work at all.

Notifications go to Slack and Microsoft Teams incoming webhooks when
JIT_SLACK_WEBHOOK_URL or JIT_TEAMS_WEBHOOK_URL is set (from secrets, never
from the repository): activated, expiring (15 minutes before; sent by the run
whose lookahead window holds that moment), expired, revoked and failed, with a
link to the pull request. A message that cannot be delivered is logged and
never fails the run.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runReconcile(cmd.Context(), env, f, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	getenv := env.getenv
	id, _ := strconv.ParseInt(getenv("JIT_APP_ID"), 10, 64)
	fl.StringVar(&f.repo, "repo", ".", "the clone of the access repository")
	fl.StringVar(&f.now, "now", "", "run as if it were this time (RFC 3339), for rehearsals; the clock still runs")
	fl.DurationVar(&f.lookahead, "lookahead", 0, "wait for grants expiring within this and revoke each at its time (e.g. 5m: the schedule's interval)")
	fl.BoolVar(&f.dryRun, "dry-run", false, "print the plan and change nothing")
	fl.StringVar(&f.remote, "remote", action.DefaultRemote, "git remote to push to")
	fl.StringVar(&f.branch, "branch", action.DefaultBranch, "branch holding the grants")
	fl.StringVar(&f.format, "format", "", "output: text, or github (outputs, annotations, job summary); default github when GITHUB_ACTIONS=true")
	fl.StringVar(&f.awsEndpoint, "aws-endpoint", getenv("JIT_AWS_ENDPOINT"), "AWS endpoint override, e.g. the emulator (env JIT_AWS_ENDPOINT)")
	fl.Int64Var(&f.appID, "app-id", id, "GitHub App id (env JIT_APP_ID)")
	fl.StringVar(&f.privateKeyFile, "private-key-file", getenv("JIT_PRIVATE_KEY_FILE"), "PEM file of the App's private key (env JIT_PRIVATE_KEY_FILE; or the key itself in JIT_PRIVATE_KEY)")
	fl.StringVar(&f.githubURL, "github-url", firstNonEmpty(getenv("JIT_GITHUB_URL"), "https://api.github.com/"), "GitHub REST API root (env JIT_GITHUB_URL)")
	fl.StringVar(&f.githubRepo, "github-repo", getenv("GITHUB_REPOSITORY"), "the access repository on GitHub, OWNER/NAME (env GITHUB_REPOSITORY)")
	fl.Int64Var(&f.installationID, "installation-id", 0, "the App's installation id on the repository (looked up when 0)")
	fl.StringVar(&f.signingKeyFile, "signing-key-file", getenv("JIT_SIGNING_KEY_FILE"), "SSH private key (ssh-ed25519) that signs jit's commits, listed in .github/jit-signers (env JIT_SIGNING_KEY_FILE; or the key itself in JIT_SIGNING_KEY)")
	fl.StringVar(&f.gitName, "git-name", "jit[bot]", "author and committer name of the transition commits")
	fl.StringVar(&f.gitEmail, "git-email", "jit[bot]@users.noreply.github.com", "author and committer email of the transition commits")
	fl.DurationVar(&f.leaseTTL, "lease-ttl", action.DefaultLeaseTTL, "how long the reconcile lease outlives its last renewal: a crashed run's grants are resumed that long after it stopped")
	fl.DurationVar(&f.leaseWait, "lease-wait", action.DefaultLeaseWait, "how long to wait for another run's lease before stopping without doing anything (negative: do not wait)")
	return cmd
}

// signingKeyFile returns the path of the commit-signing key: the file
// given, or the key given in the environment (a secret) written to a file
// only this user can read, removed by cleanup. Empty when neither is set.
func signingKeyFile(file, key string) (string, func(), error) {
	nothing := func() {}
	if file != "" || key == "" {
		return file, nothing, nil
	}
	dir, err := os.MkdirTemp("", "jit-signing-")
	if err != nil {
		return "", nothing, fmt.Errorf("writing the signing key: %w", err)
	}
	cleanup := func() { os.RemoveAll(dir) }
	path := filepath.Join(dir, "key")
	if !strings.HasSuffix(key, "\n") {
		key += "\n" // ssh-keygen refuses a key without its final newline
	}
	if err := os.WriteFile(path, []byte(key), 0o600); err != nil {
		cleanup()
		return "", nothing, fmt.Errorf("writing the signing key: %w", err)
	}
	return path, cleanup, nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func runReconcile(ctx context.Context, env reconcileEnv, f reconcileFlags, stdout, stderr io.Writer) error {
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	format := f.format
	if format == "" {
		format = "text"
		if env.getenv("GITHUB_ACTIONS") == "true" {
			format = "github"
		}
	}
	if format != "text" && format != "github" {
		return fmt.Errorf("--format %q: use text or github", format)
	}
	clk := &clock.Offset{}
	if f.now != "" {
		t, err := time.Parse(time.RFC3339, f.now)
		if err != nil {
			return fmt.Errorf("--now %q: %w (use RFC 3339, e.g. 2026-11-23T14:05:40Z)", f.now, err)
		}
		// At, not Set: Set never moves a clock back, so a --now in the
		// past was silently ignored.
		clk = clock.At(t)
	}
	lo := ledger.Options{Name: f.gitName, Email: f.gitEmail, Logger: log}
	if f.now != "" {
		lo.Clock = clk // the commits are dated at the instant the run is told it is
	}
	keyFile, cleanup, err := signingKeyFile(f.signingKeyFile, env.getenv("JIT_SIGNING_KEY"))
	if err != nil {
		return err
	}
	defer cleanup()
	lo.SigningKey = keyFile
	repo, err := ledger.Open(f.repo, lo)
	if err != nil {
		return err
	}
	rs, err := judgment.LoadRules(ctx, ledger.Files{Git: repo, Branch: f.branch})
	if err != nil {
		return err
	}
	if rs.ConfigErr != nil {
		for _, fd := range rs.ConfigFindings {
			fmt.Fprintln(stderr, fd.String())
		}
		return fmt.Errorf("nothing can be reconciled safely: %w", rs.ConfigErr)
	}
	cfg := rs.Config
	awsCfg, err := env.loadAWS(ctx, cfg.IdentityCenter.Region)
	if err != nil {
		return fmt.Errorf("loading AWS credentials: %w", err)
	}
	idc := identitycenter.NewFromConfig(awsCfg, identitycenter.Options{
		Region:          cfg.IdentityCenter.Region,
		InstanceARN:     cfg.IdentityCenter.InstanceARN,
		IdentityStoreID: cfg.IdentityCenter.IdentityStoreID,
		Endpoint:        f.awsEndpoint,
		Clock:           clk,
		Logger:          log,
	})
	gh, err := connectGitHub(ctx, env.getenv, f.appID, f.privateKeyFile, f.githubURL, f.githubRepo, f.installationID, log)
	if err != nil {
		return err
	}
	opts := action.Options{Ledger: repo, IdentityCenter: idc, Remote: f.remote, Branch: f.branch,
		LeaseTTL: f.leaseTTL, LeaseWait: f.leaseWait, Clock: clk, Logger: log,
		RepoURL: repoWebURL(env.getenv("GITHUB_SERVER_URL"), f.githubURL, f.githubRepo)}
	// The webhook URLs are secrets: they come from the environment only
	// and are never logged.
	if n := notify.FromEnv(env.getenv); n.Enabled() {
		opts.Notifier = n
	}
	if gh != nil {
		opts.GitHub, opts.Bot, opts.AppID = gh, gh.Bot, f.appID
	} else {
		log.Warn("no GitHub credentials (App or GITHUB_TOKEN): merged requests are not provisioned in this run")
	}
	rec, err := action.New(opts)
	if err != nil {
		return err
	}
	rep, runErr := rec.Run(ctx, action.RunOptions{Lookahead: f.lookahead, DryRun: f.dryRun})

	var sweepErr error
	if gh != nil && gh.InstallationID != 0 && !f.dryRun {
		sweepErr = sweep(ctx, env.getenv, f, gh, log)
	}

	if format == "github" {
		writeActionOutputs(githubactions.New(githubactions.WithGetenv(env.getenv), githubactions.WithWriter(stdout)), rep, errors.Join(runErr, sweepErr))
	} else {
		fmt.Fprint(stdout, rep.String())
	}
	switch {
	case runErr != nil:
		return runErr
	case sweepErr != nil:
		return &exitError{code: 1, err: sweepErr}
	case !rep.OK():
		return &exitError{code: 1, err: errors.New("some grants could not be handled; they are retried by the next run (see the report)")}
	}
	return nil
}

// writeActionOutputs sets the step's outputs, annotates every grant that
// failed or could not be handled, and writes the job summary.
func writeActionOutputs(a *githubactions.Action, rep action.Report, err error) {
	a.SetOutput("activated", strconv.Itoa(len(rep.Activated)))
	a.SetOutput("expired", strconv.Itoa(len(rep.Expired)))
	a.SetOutput("revoked", strconv.Itoa(len(rep.Revoked)))
	a.SetOutput("failed", strconv.Itoa(len(rep.Failed)))
	a.SetOutput("errors", strconv.Itoa(len(rep.Errors)+len(rep.Refused)+len(rep.Invalid)))
	a.SetOutput("scheduled", strconv.Itoa(len(rep.Scheduled)))
	a.SetOutput("post-hoc-overdue", strconv.Itoa(len(rep.PostHocOverdue)))
	annotate := func(title string, es []action.Entry, warn bool) {
		for _, e := range es {
			fields := map[string]string{"title": title}
			if e.Path != "" {
				fields["file"] = e.Path
			}
			msg := strings.TrimSpace(e.Grant + ": " + e.Reason)
			if warn {
				a.WithFieldsMap(fields).Warningf("%s", msg)
			} else {
				a.WithFieldsMap(fields).Errorf("%s", msg)
			}
		}
	}
	if rep.Unverified != "" {
		a.WithFieldsMap(map[string]string{"title": "jit: records on main are not verified"}).Warningf("%s", rep.Unverified)
	}
	annotate("jit: grant failed (not provisioned)", rep.Failed, false)
	annotate("jit: not done, retried next run", rep.Errors, false)
	annotate("jit: activation refused without GitHub credentials", rep.Refused, false)
	annotate("jit: invalid grant status", rep.Invalid, false)
	annotate("jit: drift", rep.Drift, true)
	annotate("jit: emergency access not reviewed after the fact in time", rep.PostHocOverdue, true)
	if err != nil {
		a.Errorf("jit reconcile: %s", err)
	}
	a.AddStepSummary(rep.Markdown())
}

// repoWebURL is the access repository's web address, for links in
// notifications: GITHUB_SERVER_URL in Actions, else the web host of the
// REST API root (api.github.com is github.com; GitHub Enterprise Server and
// the emulator serve the API under /api/v3 on the web host). "" when the
// repository is not known.
func repoWebURL(serverURL, apiURL, repo string) string {
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || owner == "" || name == "" {
		return ""
	}
	base := strings.TrimSuffix(serverURL, "/")
	if base == "" {
		u, err := url.Parse(apiURL)
		if err != nil || u.Host == "" {
			return ""
		}
		if u.Host == "api.github.com" {
			base = "https://github.com"
		} else {
			path := strings.TrimSuffix(u.Path, "/")
			path = strings.TrimSuffix(path, "/api/v3")
			base = u.Scheme + "://" + u.Host + path
		}
	}
	return base + "/" + owner + "/" + name
}

// connectGitHub gives the run its GitHub access: the App's (with its
// installation looked up unless --installation-id) or GITHUB_TOKEN's; nil
// when there are no credentials.
func connectGitHub(ctx context.Context, getenv func(string) string, appID int64, keyFile, githubURL, githubRepo string, installationID int64, log *slog.Logger) (*ghrepo.Session, error) {
	creds, ok, err := githubCredentials(getenv, appID, keyFile, githubURL, log)
	if err != nil || !ok {
		return nil, err
	}
	repo, err := ghrepo.Parse(githubRepo)
	if err != nil {
		return nil, fmt.Errorf("--github-repo %w (GITHUB_REPOSITORY in Actions)", err)
	}
	return ghrepo.Connect(ctx, creds, repo, installationID)
}

// githubCredentials reads the GitHub credentials of a command: the App's
// (its id, and its private key from keyFile or JIT_PRIVATE_KEY), else
// GITHUB_TOKEN. ok is false when there are none.
func githubCredentials(getenv func(string) string, appID int64, keyFile, githubURL string, log *slog.Logger) (creds ghrepo.Credentials, ok bool, err error) {
	key, err := privateKey(getenv, keyFile)
	if err != nil {
		return creds, false, err
	}
	token := getenv("GITHUB_TOKEN")
	if appID == 0 && len(key) == 0 && token == "" {
		return creds, false, nil
	}
	if (appID == 0) != (len(key) == 0) {
		return creds, false, errors.New("App credentials need both --app-id (JIT_APP_ID) and the private key (JIT_PRIVATE_KEY or JIT_PRIVATE_KEY_FILE)")
	}
	return ghrepo.Credentials{BaseURL: githubURL, AppID: appID, PrivateKey: key, Token: token, Logger: log}, true, nil
}

// privateKey reads the App's private key from file, else from
// JIT_PRIVATE_KEY; nil when neither is set.
func privateKey(getenv func(string) string, file string) ([]byte, error) {
	if file == "" {
		return []byte(getenv("JIT_PRIVATE_KEY")), nil
	}
	key, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading the App's private key: %w", err)
	}
	return key, nil
}

// sweep runs the App's sweep on the repository after the reconcile, as the
// App authenticated for it.
func sweep(ctx context.Context, getenv func(string) string, f reconcileFlags, gh *ghrepo.Session, log *slog.Logger) error {
	key, err := privateKey(getenv, f.privateKeyFile)
	if err != nil {
		return err
	}
	srv, err := app.New(app.Options{AppID: f.appID, PrivateKey: key, BaseURL: f.githubURL, BotLogin: gh.Bot, Logger: log,
		// The sweep receives no webhooks; the constructor wants a secret.
		WebhookSecret: []byte("reconcile-receives-no-webhooks")})
	if err != nil {
		return fmt.Errorf("the App's sweep: %w", err)
	}
	defer srv.Close()
	res, err := srv.Sweep(ctx, gh.InstallationID, gh.Repo())
	if err != nil {
		return fmt.Errorf("the App's sweep: %w", err)
	}
	log.Info("sweep done", "judged", res.Judged, "escalated", res.Escalated, "reminded", res.Reminded, "closed", res.Closed)
	return nil
}
