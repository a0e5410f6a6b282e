package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"

	"github.com/jit-access/jit/internal/audit"
)

func newAuditCmd() *cobra.Command {
	var (
		f                    audit.Filter
		repo, format         string
		sinceText, untilText string
		withGitHub           bool
		af                   appFlags
		githubRepo, base     string
		installationID       int64
	)
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Export every request on main with its approvals and timings, as CSV or JSON",
		Long: `audit reads the access repository's git history and writes one record per
request file ever merged to main: requester, account, permission set or
custom policies, requested and effective duration, justification, pull
request, approvals (who, stage, when, note), when it was merged, activated,
expires and ended, and its final state and why.

With --github it adds, after those, one record per request pull request that
never merged, read from GitHub: pending (open), rejected (changes requested),
expired-unapproved (closed by the App's sweep, label jit:expired), withdrawn
(closed by its author) or closed, with the request as it stood at the head
commit, when the pull request was opened and closed, and its reviews (who,
decision, when, note). GitHub credentials: the App (--app-id and
JIT_PRIVATE_KEY or --private-key-file; the installation is looked up) or
GITHUB_TOKEN, and --github-repo.

--since and --until select requests whose life (merge to end, or to now when
still open; for a pull request that never merged, opening to closing)
overlaps the period. They take RFC 3339 times or dates; a date given to
--until includes that whole day (UTC). The clone needs its full history (not
a shallow clone).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if f.Since, err = parseWhen("--since", sinceText, false); err != nil {
				return err
			}
			if f.Until, err = parseWhen("--until", untilText, true); err != nil {
				return err
			}
			if !f.Since.IsZero() && !f.Until.IsZero() && f.Until.Before(f.Since) {
				return fmt.Errorf("--until %s is before --since %s", untilText, sinceText)
			}
			if format != "csv" && format != "json" {
				return fmt.Errorf("--format %q: want csv or json", format)
			}
			var gh audit.GitHub
			if withGitHub {
				log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: slog.LevelWarn}))
				if gh, err = auditGitHub(cmd.Context(), af, githubRepo, installationID, log); err != nil {
					return err
				}
			}
			collectLessOften()
			records, err := audit.Collect(cmd.Context(), repo, f)
			if err != nil {
				return err
			}
			if gh != nil {
				unmerged, err := audit.CollectPullRequests(cmd.Context(), gh, base, f)
				if err != nil {
					return fmt.Errorf("reading the request pull requests that never merged: %w", err)
				}
				records = append(records, unmerged...)
			}
			if format == "json" {
				return audit.WriteJSON(cmd.OutOrStdout(), records)
			}
			return audit.WriteCSV(cmd.OutOrStdout(), records)
		},
	}
	cmd.Flags().StringVar(&repo, "repo", ".", "the access repository's clone, with full history")
	cmd.Flags().StringVar(&sinceText, "since", "", "only requests still open at or after this time (RFC 3339 or YYYY-MM-DD)")
	cmd.Flags().StringVar(&untilText, "until", "", "only requests merged at or before this time (RFC 3339, or YYYY-MM-DD for the whole day)")
	cmd.Flags().StringVar(&f.Account, "account", "", "only requests for this account (as written in the request)")
	cmd.Flags().StringVar(&f.User, "user", "", "only requests by this GitHub login")
	cmd.Flags().StringVar(&format, "format", "csv", "csv or json")
	cmd.Flags().BoolVar(&withGitHub, "github", false, "also export the request pull requests that never merged, with their reviews (needs GitHub credentials)")
	af.register(cmd)
	cmd.Flags().StringVar(&githubRepo, "github-repo", os.Getenv("GITHUB_REPOSITORY"), "the access repository on GitHub, OWNER/NAME (env GITHUB_REPOSITORY)")
	cmd.Flags().Int64Var(&installationID, "installation-id", 0, "the App's installation id on the repository (looked up when 0)")
	cmd.Flags().StringVar(&base, "base", audit.DefaultBase, "the branch request pull requests merge into")
	return cmd
}

// collectLessOften trades memory for CPU time in the audit, unless GOGC or
// GOMEMLIMIT say otherwise: it keeps every commit of main in memory and
// makes short-lived garbage in proportion (commit objects, YAML), so the
// garbage collector's default pace spends a tenth of its time on a long
// history. Three times the live heap, capped at 768 MiB, keeps a
// 100,000-grant history within 1 GiB of peak RSS.
func collectLessOften() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(768 << 20)
	}
}

// auditGitHub gives `jit audit --github` its GitHub access, resolved as
// the reconcile's (the App with its installation looked up, else
// GITHUB_TOKEN) with the App's flags of serve and sweep.
func auditGitHub(ctx context.Context, af appFlags, repo string, installationID int64, log *slog.Logger) (audit.GitHub, error) {
	gh, err := connectGitHub(ctx, os.Getenv, af.appID, af.privateKeyFile, af.githubURL, repo, installationID, log)
	if err != nil {
		return nil, err
	}
	if gh == nil {
		return nil, errors.New("--github needs GitHub credentials: the App's (--app-id or JIT_APP_ID, and JIT_PRIVATE_KEY or --private-key-file) or GITHUB_TOKEN")
	}
	return gh, nil
}

// parseWhen reads a time flag: RFC 3339, or a date in UTC; a date that
// ends a period means the end of that day.
func parseWhen(flag, text string, endOfDay bool) (time.Time, error) {
	if text == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, text); err == nil {
		return t, nil
	}
	d, err := time.Parse(time.DateOnly, text)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q: want a date like 2026-11-23 or a time like 2026-11-23T10:00:00Z", flag, text)
	}
	if endOfDay {
		d = d.Add(24*time.Hour - time.Nanosecond)
	}
	return d, nil
}
