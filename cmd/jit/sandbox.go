package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/jit-access/jit/internal/clock"
	"github.com/jit-access/jit/internal/sandbox"
)

func newSandboxCmd() *cobra.Command {
	var (
		keep  string
		step  bool
		serve bool
		debug bool
		now   string
	)
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Run the whole lifecycle locally against emulated GitHub and AWS",
		Long: `sandbox plays jit's lifecycle on this machine, with no setup and no network:
it starts an emulator of the GitHub REST API and one of AWS IAM Identity
Center on loopback, creates a temporary access repository from this
repository's template, runs the GitHub App (jit serve) behind the emulator's
signed webhooks and the reconcile (jit reconcile) against the emulated
Identity Center, and tells the story step by step.

GitHub and AWS are emulated: nothing is sent anywhere.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			out := cmd.OutOrStdout()
			dir, err := os.MkdirTemp("", "jit-sandbox-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			level := slog.LevelError
			if debug {
				level = slog.LevelDebug
			}
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
			clk := &clock.Offset{} // people watch the sandbox on the wall clock
			if now != "" {
				t, err := time.Parse(time.RFC3339, now)
				if err != nil {
					return fmt.Errorf("--now %q: %w (use RFC 3339, e.g. 2026-12-31T23:59:30Z)", now, err)
				}
				clk = clock.At(t)
			}
			w, err := sandbox.Start(ctx, sandbox.Options{Dir: dir, Clock: clk, AllowSelfReview: true, Logger: log})
			if err != nil {
				return err
			}
			defer w.Close()
			fmt.Fprintf(out, `jit sandbox: GitHub and AWS IAM Identity Center are EMULATED on this machine
(loopback only); nothing leaves it. The GitHub App, the reconcile and the
validator are jit's real code, talking to the emulators through the real
go-github, ghinstallation and aws-sdk-go-v2 clients.

  GitHub API emulator:       %s
  Identity Center emulator:  %s
  jit App webhook:           %s
  request page:              %s
  access repository:         %s/%s (people: octocat, alice (owner of payments-prod),
                             bob and dave (SSO admins), carol, erin, mallory)
`, w.GitHubURL, w.IDCURL, w.AppURL, w.PageURL, sandbox.Org, sandbox.RepoName)
			_, err = sandbox.RunStory(ctx, w, sandbox.StoryOptions{Out: out, Step: step, In: cmd.InOrStdin()})
			if err != nil {
				return &exitError{code: 1, err: fmt.Errorf("the sandbox story failed: %w", err)}
			}
			if keep != "" {
				if err := keepRepo(ctx, w, keep, out); err != nil {
					return err
				}
			}
			if serve {
				return serveSandbox(cmd, w, out)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&keep, "keep", "", "leave a clone of the access repository in this directory to inspect")
	cmd.Flags().BoolVar(&step, "step", false, "wait for Enter between steps")
	cmd.Flags().BoolVar(&serve, "serve", false, "keep the emulators and the App running after the story, until interrupted")
	cmd.Flags().StringVar(&now, "now", "", "start the sandbox's clock at this RFC 3339 instant instead of the wall clock, for a reproducible run")
	cmd.Flags().BoolVar(&debug, "debug", false, "log every request of the emulators and the App to stderr")
	return cmd
}

func keepRepo(ctx context.Context, w *sandbox.World, dir string, out io.Writer) error {
	if _, err := os.Stat(dir); err == nil {
		return fmt.Errorf("--keep %s: the directory exists; name a new one", dir)
	}
	if err := w.CloneTo(ctx, dir); err != nil {
		return fmt.Errorf("keeping the access repository: %w", err)
	}
	fmt.Fprintf(out, "\nThe access repository is kept in %s (try: git -C %s log --stat).\n", dir, dir)
	return nil
}

func serveSandbox(cmd *cobra.Command, w *sandbox.World, out io.Writer) error {
	token, err := w.GitHub.UserToken("octocat")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, `
The emulators and the App keep running until you press Ctrl-C. Explore them:

  # the emulated Identity Center, with the AWS CLI (dummy credentials; nothing is checked)
  export AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
  aws sso-admin list-account-assignments --endpoint-url %s \
    --instance-arn %s --account-id 111122223333 --permission-set-arn %s
  aws identitystore list-users --endpoint-url %s --identity-store-id %s

  # the emulated GitHub, with curl (a token acting as octocat)
  curl -H 'Authorization: token %s' %srepos/%s/%s/pulls?state=all

  # the App's webhook (deliveries must be signed with the sandbox's secret)
  curl %s

  # the request page, in a browser (its link opens the emulator's address,
  # which has no web pages: the sandbox story shows the file it fills in)
  %s
`, sandbox.DummyAccessKeyID, sandbox.DummySecretAccessKey, w.IDCURL, w.IDC.InstanceARN(), w.PermissionSetARNs["ReadOnlyAccess"],
		w.IDCURL, w.IDC.IdentityStoreID(), token, w.GitHubURL, sandbox.Org, sandbox.RepoName,
		w.AppURL[:len(w.AppURL)-len("/webhook")]+"/healthz", w.PageURL)
	<-cmd.Context().Done()
	fmt.Fprintln(out, "\nstopped.")
	return nil
}
