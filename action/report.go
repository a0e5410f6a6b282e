package action

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jit-access/jit/internal/lifecycle"
)

// Entry is one grant in a Report.
type Entry struct {
	Path string
	// Grant names the access, e.g. "payments-prod/ReadOnlyAccess".
	Grant       string
	Requester   string
	PullRequest int
	// At is when the transition happened (AWS confirmed it); for active
	// and pending entries, when the run looked.
	At time.Time
	// ExpiresAt is the grant's end, when known.
	ExpiresAt time.Time
	// TimeLeft is ExpiresAt minus the run's end, for active grants.
	TimeLeft time.Duration
	// StartAt is a scheduled grant's start_at.
	StartAt time.Time
	// Reason says why a grant failed, drifted, is pending or is in error.
	Reason string
}

// Lag is how long after its expiry a grant was revoked; 0 when not an expiry.
func (e Entry) Lag() time.Duration {
	if e.ExpiresAt.IsZero() || e.At.IsZero() {
		return 0
	}
	return e.At.Sub(e.ExpiresAt)
}

// Report says what one run did.
type Report struct {
	Start, End time.Time
	DryRun     bool
	Activated  []Entry
	// Extended lists requests with extends: that moved their grant's end
	// in this run; ExpiresAt is the new end, Reason names the grant.
	Extended []Entry
	Expired  []Entry
	Revoked  []Entry
	// Failed lists grants recorded as failed in this run (never provisioned).
	Failed []Entry
	// Drift lists active grants found without their assignment and ended.
	Drift []Entry
	// Active lists grants still active when the run ended, with time left.
	Active []Entry
	// Pending lists grants left for later: intents another run is carrying
	// out, activations waiting for an earlier revocation on their assignment.
	Pending []Entry
	// Refused lists activations refused because the run had no GitHub
	// credentials to check their approval; they stay pending and the run
	// fails so that someone notices.
	Refused []Entry
	// Errors lists what could not be done and is retried by the next run,
	// e.g. a revocation AWS did not confirm. A run with errors fails.
	Errors []Entry
	// Invalid lists grants whose status makes no sense; a person must look.
	Invalid []Entry
	// Orphans lists jit permission sets deleted because no live grant owns
	// them: Grant is the set's name, Reason its ARN.
	Orphans []Entry
	// Scheduled lists merged grants waiting for their start_at (StartAt)
	// when the run ended.
	Scheduled []Entry
	// Reviewed lists emergency grants whose review after the fact was
	// recorded in this run; Reason names the reviewers.
	Reviewed []Entry
	// PostHocOverdue lists emergency grants still without a review after
	// the fact once emergency.review_within has passed. They are flagged for
	// people to follow up; the run does not fail for them.
	PostHocOverdue []Entry
	// Plan is what a dry run would do.
	Plan *lifecycle.Plan
	// Unverified is set when main has no allowed-signers file: statuses on
	// main are then taken as written, and anyone who can write to main can
	// forge a grant's record. The run goes on (it is how every run worked
	// before signing), but says so loudly every time.
	Unverified string
	// Skipped says why the run did nothing: another run held the reconcile
	// lease for the whole wait. That run does the work; this one is not a
	// failure.
	Skipped string
}

// OK reports whether the run did everything it had to: no errors and no
// activation left pending for want of credentials.
func (r Report) OK() bool { return len(r.Errors) == 0 && len(r.Invalid) == 0 && len(r.Refused) == 0 }

// Markdown renders the report as the job summary: one table of what
// happened, with the time left of active grants.
func (r Report) Markdown() string {
	var b strings.Builder
	title := "jit reconcile"
	if r.DryRun {
		title += " (dry run: nothing was changed)"
	}
	fmt.Fprintf(&b, "## %s\n\n", title)
	fmt.Fprintf(&b, "Run from %s to %s.\n\n", r.Start.UTC().Format(time.RFC3339), r.End.UTC().Format(time.RFC3339))
	if r.head(&b, "> [!WARNING]\n> %s\n\n", "Nothing was done: %s. That run carries out the plan.\n", planTable) {
		return b.String()
	}
	type row struct {
		what string
		e    Entry
	}
	var rows []row
	add := func(what string, es []Entry) {
		for _, e := range es {
			rows = append(rows, row{what, e})
		}
	}
	add("activated", r.Activated)
	add("extended", r.Extended)
	add("expired", r.Expired)
	add("revoked", r.Revoked)
	add("failed", r.Failed)
	add("drift", r.Drift)
	add("error (retried next run)", r.Errors)
	add("invalid", r.Invalid)
	add("refused (no GitHub credentials)", r.Refused)
	add("emergency not reviewed in time", r.PostHocOverdue)
	add("post-hoc review recorded", r.Reviewed)
	add("pending", r.Pending)
	add("scheduled", r.Scheduled)
	add("active", r.Active)
	if len(rows) == 0 && len(r.Orphans) == 0 {
		b.WriteString("Nothing to do.\n")
		return b.String()
	}
	fmt.Fprintf(&b, "| | grant | requester | PR | when | expires | time left | note |\n|---|---|---|---|---|---|---|---|\n")
	for _, rw := range rows {
		e := rw.e
		pr := ""
		if e.PullRequest > 0 {
			pr = fmt.Sprintf("#%d", e.PullRequest)
		}
		left := ""
		if rw.what == "active" || rw.what == "activated" {
			left = roundLeft(e.TimeLeft)
		}
		when := e.At
		if rw.what == "scheduled" {
			when = e.StartAt
		}
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %s | %s | %s | %s |\n", rw.what, cell(e.Grant), cell(e.Requester), pr,
			stamp(when), stamp(e.ExpiresAt), left, cell(e.Reason))
	}
	for _, o := range r.Orphans {
		fmt.Fprintf(&b, "\nDeleted orphaned permission set `%s` (%s) of `%s`.\n", cell(o.Grant), cell(o.Reason), cell(o.Path))
	}
	return b.String()
}

func planTable(p lifecycle.Plan) string {
	var b strings.Builder
	b.WriteString("| would | grant | path | expires | note |\n|---|---|---|---|---|\n")
	add := func(what string, items []lifecycle.Item) {
		for _, it := range items {
			note := it.Reason
			if it.KeepAssignment {
				note = strings.TrimSpace(note + " assignment kept (still needed)")
			}
			if it.Resume {
				note = strings.TrimSpace(note + " resume an interrupted activation")
			}
			fmt.Fprintf(&b, "| %s | `%s` | `%s` | %s | %s |\n", what, cell(grantName(it.Request)), cell(it.Path), stamp(it.At), cell(note))
		}
	}
	add("activate", p.Activate)
	add("wait and activate", p.Starting)
	add("leave scheduled", p.Scheduled)
	add("expire", p.Expire)
	add("revoke", p.Revoke)
	add("wait and expire", p.Wait)
	add("keep active", p.Active)
	add("leave failed", p.Failed)
	add("leave invalid", p.Invalid)
	return b.String()
}

// String is the plain-text report for a terminal.
func (r Report) String() string {
	var b strings.Builder
	if r.head(&b, "WARNING: %s\n", "nothing done: %s; that run carries out the plan\n", planText) {
		return b.String()
	}
	fmt.Fprintf(&b, "activated %d, expired %d, revoked %d, failed %d, drift %d, errors %d, refused %d, pending %d, scheduled %d, active %d\n",
		len(r.Activated), len(r.Expired), len(r.Revoked), len(r.Failed), len(r.Drift), len(r.Errors), len(r.Refused), len(r.Pending), len(r.Scheduled), len(r.Active))
	for _, l := range []struct {
		what string
		es   []Entry
	}{{"activated", r.Activated}, {"extended", r.Extended}, {"expired", r.Expired}, {"revoked", r.Revoked}, {"failed", r.Failed}, {"drift", r.Drift},
		{"error", r.Errors}, {"invalid", r.Invalid}, {"refused", r.Refused}, {"overdue", r.PostHocOverdue}, {"reviewed", r.Reviewed},
		{"pending", r.Pending}, {"scheduled", r.Scheduled}, {"active", r.Active}} {
		for _, e := range l.es {
			fmt.Fprintf(&b, "  %-9s %s %s", l.what, e.Path, e.Grant)
			if l.what == "active" || l.what == "activated" {
				fmt.Fprintf(&b, " (%s left)", roundLeft(e.TimeLeft))
			}
			if e.Reason != "" {
				b.WriteString(": " + e.Reason)
			}
			b.WriteString("\n")
		}
	}
	for _, o := range r.Orphans {
		fmt.Fprintf(&b, "  orphan    %s %s (%s) deleted\n", o.Path, o.Grant, o.Reason)
	}
	return b.String()
}

// planText renders a dry run's plan for a terminal: the counts, then a line
// for each grant.
func planText(p lifecycle.Plan) string {
	var b strings.Builder
	fmt.Fprintf(&b, "dry run: would activate %d, expire %d, revoke %d, wait for %d; %d active, %d scheduled, %d failed, %d invalid\n",
		len(p.Activate), len(p.Expire), len(p.Revoke), len(p.Wait)+len(p.Starting), len(p.Active), len(p.Starting)+len(p.Scheduled), len(p.Failed), len(p.Invalid))
	for _, l := range []struct {
		what  string
		items []lifecycle.Item
	}{{"activate", p.Activate}, {"start", p.Starting}, {"expire", p.Expire}, {"revoke", p.Revoke}, {"wait", p.Wait},
		{"active", p.Active}, {"schedule", p.Scheduled}, {"invalid", p.Invalid}} {
		for _, it := range l.items {
			fmt.Fprintf(&b, "  %-8s %s %s", l.what, it.Path, grantName(it.Request))
			if !it.At.IsZero() {
				fmt.Fprintf(&b, " at %s", it.At.UTC().Format(time.RFC3339))
			}
			if it.KeepAssignment {
				b.WriteString(" (assignment kept)")
			}
			if it.Reason != "" {
				b.WriteString(": " + it.Reason)
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

// head writes the opening the two renderings share, in their own words: the
// warning of an unverified run, then all there is to say of a run that did
// nothing or only planned; done says nothing more follows.
func (r Report) head(b *strings.Builder, warning, skipped string, plan func(lifecycle.Plan) string) (done bool) {
	if r.Unverified != "" {
		fmt.Fprintf(b, warning, r.Unverified)
	}
	if r.Skipped != "" {
		fmt.Fprintf(b, skipped, r.Skipped)
		return true
	}
	if r.Plan != nil {
		b.WriteString(plan(*r.Plan))
		return true
	}
	return false
}

func (r *Report) sort() {
	// A grant another run holds is seen once per iteration; say it once.
	last := map[string]int{}
	for i, e := range r.Pending {
		last[e.Path] = i
	}
	pending := r.Pending[:0]
	for i, e := range r.Pending {
		if last[e.Path] == i {
			pending = append(pending, e)
		}
	}
	r.Pending = pending
	for _, es := range [][]Entry{r.Activated, r.Extended, r.Expired, r.Revoked, r.Failed, r.Drift, r.Errors, r.Pending, r.Refused, r.Invalid, r.Orphans,
		r.Reviewed, r.PostHocOverdue} {
		sort.SliceStable(es, func(i, j int) bool { return es[i].Path < es[j].Path })
	}
	sort.SliceStable(r.Scheduled, func(i, j int) bool { return r.Scheduled[i].StartAt.Before(r.Scheduled[j].StartAt) })
	sort.SliceStable(r.Active, func(i, j int) bool { return r.Active[i].ExpiresAt.Before(r.Active[j].ExpiresAt) })
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func roundLeft(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	if d >= time.Hour {
		return d.Round(time.Minute).String()
	}
	return d.Round(time.Second).String()
}

// cell keeps a value from breaking the markdown table.
func cell(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", "\\|")
	return strings.ReplaceAll(s, "`", "'")
}
