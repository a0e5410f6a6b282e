package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/jit-access/jit/audit"
)

func newAuditCmd() *cobra.Command {
	var (
		f                    audit.Filter
		repo, format         string
		sinceText, untilText string
	)
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Export every request on main with its approvals and timings, as CSV or JSON",
		Long: `audit reads the access repository's git history and writes one record per
request file ever merged to main: requester, account, permission set or
custom policies, requested and effective duration, justification, pull
request, approvals (who, stage, when, note), when it was merged, activated,
expires and ended, and its final state and why.

--since and --until select requests whose life (merge to end, or to now when
still open) overlaps the period. They take RFC 3339 times or dates; a date
given to --until includes that whole day (UTC). The clone needs its full
history (not a shallow clone).`,
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
				return &exitError{code: 2, err: fmt.Errorf("--until %s is before --since %s", untilText, sinceText)}
			}
			if format != "csv" && format != "json" {
				return &exitError{code: 2, err: fmt.Errorf("--format %q: want csv or json", format)}
			}
			records, err := audit.Collect(cmd.Context(), repo, f)
			if err != nil {
				return err
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
	return cmd
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
		return time.Time{}, &exitError{code: 2, err: fmt.Errorf("%s %q: want a date like 2026-11-23 or a time like 2026-11-23T10:00:00Z", flag, text)}
	}
	if endOfDay {
		d = d.Add(24*time.Hour - time.Nanosecond)
	}
	return d, nil
}
