package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/jit-access/jit/internal/ledger"
	"github.com/jit-access/jit/internal/lifecycle"
	"github.com/jit-access/jit/schema"
)

func newStatusCmd() *cobra.Command {
	var o statusOptions
	var nowText string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "List active and pending grants on main with the time they have left",
		Long: `status reads the request files committed on the checked-out branch (main)
and lists the grants that are active, about to be revoked, or merged and
waiting for the reconcile, with the time each has left.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.now = time.Now()
			if nowText != "" {
				t, err := time.Parse(time.RFC3339, nowText)
				if err != nil {
					return fmt.Errorf("--now %q: want a time like 2026-11-23T10:00:00Z", nowText)
				}
				o.now = t
			}
			return o.run(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVar(&o.repo, "repo", ".", "the access repository's clone")
	cmd.Flags().StringVar(&o.user, "user", "", "only grants of this GitHub login")
	cmd.Flags().StringVar(&o.account, "account", "", "only grants on this account (as written in the request)")
	cmd.Flags().StringVar(&nowText, "now", "", "the time to compute time left at (RFC 3339); default: now")
	cmd.Flags().StringVar(&o.format, "format", "text", "output format: text or json")
	cmd.Flags().BoolVar(&o.mine, "mine", false, "only my grants: git's user.email mapped to a login through the config's users")
	return cmd
}

type statusOptions struct {
	repo, user, account, format string
	mine                        bool
	now                         time.Time
	// onAccount matches a request's account with --account, by name or
	// id; set by filters.
	onAccount func(string) bool
}

// statusRow is one line of the table; order sorts the states.
type statusRow struct {
	order                              int
	state, account, set, user, expires string
	duration, left, pr, path           string
	at                                 time.Time
	custom                             bool
	prNumber                           int
}

func (o statusOptions) run(ctx context.Context, stdout, stderr io.Writer) error {
	if o.format != "text" && o.format != "json" {
		return fmt.Errorf("--format %q: want text or json", o.format)
	}
	repo, err := ledger.Open(o.repo, ledger.Options{})
	if err != nil {
		return err
	}
	if err := o.filters(ctx, repo); err != nil {
		return err
	}
	grants, err := repo.Requests(ctx)
	var bad ledger.FileErrors
	switch {
	case errors.As(err, &bad):
		// The table is still useful; the broken files are named so that
		// nobody mistakes them for absent.
		for _, fe := range bad {
			fmt.Fprintf(stderr, "jit: cannot read %s\n", fe.Error())
		}
	case err != nil:
		return err
	}
	plan := lifecycle.PlanAt(grants, o.now, 0)
	var rows []statusRow
	add := func(order int, state string, it lifecycle.Item, left string) {
		r := it.Request
		if o.account != "" && !o.onAccount(r.Account) {
			return
		}
		user := it.Tuple.User
		if r.Status != nil {
			user = r.Status.Requester
		}
		if o.user != "" && !strings.EqualFold(user, o.user) {
			return
		}
		row := statusRow{order: order, state: state, account: r.Account, set: r.PermissionSet,
			user: dash(user), expires: "-", duration: r.Duration, left: left, pr: "-", path: it.Path, at: it.At}
		if c := r.CustomPermissionSet; c != nil {
			row.set, row.custom = c.Name+" (custom)", true
		}
		if st := r.Status; st != nil {
			if st.Duration != "" {
				row.duration = st.Duration
			}
			if st.PullRequest != 0 {
				row.pr, row.prNumber = "#"+strconv.Itoa(st.PullRequest), st.PullRequest
			}
		}
		if !it.At.IsZero() {
			row.expires = it.At.UTC().Format("2006-01-02 15:04 UTC")
		}
		rows = append(rows, row)
	}
	for _, it := range plan.Expire {
		add(0, "expiring", it, "overdue "+timeLeft(o.now.Sub(it.At)))
	}
	for _, it := range plan.Active {
		add(1, "active", it, timeLeft(it.At.Sub(o.now)))
	}
	for _, it := range plan.Revoke {
		add(2, "revoking", it, "-")
	}
	for _, it := range plan.Activate {
		state := "pending"
		if it.Resume {
			state = schema.StateActivating
		}
		add(3, state, it, "-")
	}
	for _, it := range append(append([]lifecycle.Item{}, plan.Starting...), plan.Scheduled...) {
		start, _, _ := it.Request.StartAt()
		it.At, _ = lifecycle.ScheduledEnd(it.Request)
		add(3, "scheduled", it, "starts in "+timeLeft(start.Sub(o.now)))
	}
	for _, it := range plan.Invalid {
		add(4, "unknown", it, "-")
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.order != b.order {
			return a.order < b.order
		}
		if !a.at.Equal(b.at) {
			return a.at.Before(b.at)
		}
		return a.path < b.path
	})
	if o.format == "json" {
		return writeStatusJSON(stdout, rows)
	}
	if len(rows) == 0 {
		_, err := fmt.Fprintln(stdout, "No active or pending grants.")
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STATE\tACCOUNT\tPERMISSION SET\tUSER\tDURATION\tEXPIRES\tLEFT\tPR\tREQUEST")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			r.state, r.account, r.set, r.user, r.duration, r.expires, r.left, r.pr, r.path)
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// timeLeft writes d rounded down to the minute, in the largest units that
// matter to a person: 2d3h, 3h58m, 12m, <1m.
func timeLeft(d time.Duration) string {
	if d < time.Minute {
		return "<1m"
	}
	days := d / (24 * time.Hour)
	hours := (d % (24 * time.Hour)) / time.Hour
	mins := (d % time.Hour) / time.Minute
	switch {
	case days > 0:
		return fmt.Sprintf("%dd%dh", days, hours)
	case hours > 0:
		return fmt.Sprintf("%dh%02dm", hours, mins)
	default:
		return fmt.Sprintf("%dm", mins)
	}
}
