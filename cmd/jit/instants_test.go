package main

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/jit-access/jit/internal/audit"
	"github.com/jit-access/jit/internal/githubemu"
	"github.com/jit-access/jit/internal/gittest"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/internal/sandbox"
	"github.com/jit-access/jit/internal/testworld"
	"github.com/jit-access/jit/schema"
)

// Instants that break naive time code, each with a working-hours rule in
// Europe/Berlin (the auto-approval rule of payments-staging, rewritten by
// the test) and when that rule must and must not approve. The expectations
// are written out by hand, not computed with the code under test: a check
// that used UTC, a fixed +01:00 or the wrong calendar day would disagree.
// instantOptions starts the worlds of these tests: Identity Center answers
// quickly, and the story's self-review is accepted by GitHub so that jit's
// refusal shows.
var instantOptions = sandbox.Options{AsyncDelay: 20 * time.Millisecond, AllowSelfReview: true}

var hardInstants = []struct {
	name  string
	start time.Time
	// days, from and to replace the rule's working hours.
	days, from, to string
	// hours: a request opened this long after start is auto-approved or not.
	hours []hoursCheck
}{
	{
		// 00:59:30 on Friday 1 January 2027 in Berlin, while UTC is still on
		// Thursday 31 December 2026: the year, the day and the weekday differ.
		name: "new year's eve", start: time.Date(2026, 12, 31, 23, 59, 30, 0, time.UTC),
		days: "[fri]", from: "00:30", to: "18:00",
		hours: []hoursCheck{{0, true}},
	},
	{
		// 00:59:30 on Wednesday 1 March 2028 in Berlin, while UTC is on
		// Tuesday 29 February, the leap day.
		name: "leap day", start: time.Date(2028, 2, 29, 23, 59, 30, 0, time.UTC),
		days: "[wed]", from: "00:30", to: "18:00",
		hours: []hoursCheck{{0, true}},
	},
	{
		// 01:59:30 CET on Sunday 28 March 2027; at 01:00 UTC Berlin jumps to
		// 03:00 CEST, so a minute later it is 03:00:31 there. A fixed offset
		// would say 02:00:31.
		name: "Berlin daylight saving", start: time.Date(2027, 3, 28, 0, 59, 30, 0, time.UTC),
		days: "[sun]", from: "03:00", to: "18:00",
		hours: []hoursCheck{{0, false}, {61 * time.Second, true}},
	},
}

// statesMu guards the states the parallel subtests collect.
var statesMu sync.Mutex

type hoursCheck struct {
	after time.Duration
	want  bool
}

// TestLifecycleAtHardInstants runs the sandbox's end-to-end story, and a
// scheduled request with working-hours auto-approval, at each instant.
// Expiry, start_at, working hours and the audit must be right at each, and
// `jit validate` must pass on main after every commit, whatever state the
// reconcile wrote.
func TestLifecycleAtHardInstants(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatalf("loading Europe/Berlin: %v", err)
	}
	states := map[string]bool{}
	t.Run("instants", func(t *testing.T) {
		for _, tc := range hardInstants {
			t.Run(tc.name+"/story", func(t *testing.T) {
				t.Parallel()
				w := testworld.New(t, tc.start, instantOptions)
				var out bytes.Buffer
				if _, err := sandbox.RunStory(t.Context(), w.World, sandbox.StoryOptions{Out: &out}); err != nil {
					t.Fatalf("the story at %s: %v\n%s", tc.start.Format(time.RFC3339), err, out.String())
				}
				recs := checkMain(t, w, states)
				for _, r := range recs {
					checkTimes(t, r, nil)
				}
			})
			t.Run(tc.name+"/scheduled and working hours", func(t *testing.T) {
				t.Parallel()
				// This world starts two minutes early, so that the scheduled
				// request is merged before the instant and its window spans it.
				w := testworld.New(t, tc.start.Add(-2*time.Minute), instantOptions)
				scheduledAndHours(t, w, berlin, tc.start, tc.days, tc.from, tc.to, tc.hours)
				recs := checkMain(t, w, states)
				if len(recs) != 2 {
					t.Fatalf("audit has %d records, want the scheduled grant and the auto-approved one", len(recs))
				}
				start := tc.start.Add(20 * time.Second).UTC()
				for _, r := range recs {
					if r.Requester == "erin" {
						checkTimes(t, r, &start)
					} else {
						checkTimes(t, r, nil)
					}
				}
			})
		}
	})
	// Every state the reconcile and the App write during these stories was
	// seen on main, and every one of them passed jit validate.
	var seen []string
	for s := range states {
		seen = append(seen, s)
	}
	slices.Sort(seen)
	for _, want := range []string{schema.StateActivating, schema.StateActive, schema.StateExpired, schema.StateRevoking, schema.StateRevoked, schema.StateExtended} {
		if !states[want] {
			t.Errorf("state %q was never written on main (seen: %v)", want, seen)
		}
	}
}

// scheduledAndHours rewrites payments-staging's auto-approval hours,
// schedules a grant 20 seconds after the instant (start_at written in
// Berlin's offset), so that its day spans the new year, the leap day or the
// change of Berlin's clocks, opens requests at the instant and after it, and
// lets everything expire.
func scheduledAndHours(t *testing.T, w *testworld.World, berlin *time.Location, start time.Time, days, from, to string, checks []hoursCheck) {
	ctx := t.Context()
	gh := w.GitHub
	cfg, err := w.MainFile(ctx, layout.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	const hours = "days: [mon, tue, wed, thu, fri]\n          from: \"09:00\"\n          to: \"18:00\""
	if !strings.Contains(cfg, hours) {
		t.Fatalf("the template's working hours changed; update the test:\n%s", cfg)
	}
	cfg = strings.Replace(cfg, hours, fmt.Sprintf("days: %s\n          from: %q\n          to: %q", days, from, to), 1)
	if _, err := gh.CommitToBranch(sandbox.Org, sandbox.RepoName, "main", githubemu.Commit{Author: "bob", Message: "working hours for the test",
		Files: map[string][]byte{layout.ConfigPath: []byte(cfg)}}); err != nil {
		t.Fatal(err)
	}

	// The scheduled grant: start_at a minute ahead, as a Berlin clock reads.
	startAt := start.Add(20 * time.Second)
	sched := fmt.Sprintf("account: payments-staging\npermission_set: ReadOnlyAccess\nduration: 1d\njustification: \"OPS-1: the night batch at %s\"\nstart_at: %q\n",
		startAt.In(berlin).Format(time.RFC3339), startAt.In(berlin).Format(time.RFC3339))
	n, err := gh.OpenPullRequest(sandbox.Org, sandbox.RepoName, "erin", "erin/sched", "scheduled", map[string][]byte{"requests/payments-staging/erin-batch.yaml": []byte(sched)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gh.SubmitReview(sandbox.Org, sandbox.RepoName, n, "alice", "APPROVED", "ok"); err != nil {
		t.Fatal(err)
	}
	if _, err := gh.MergeProtected(sandbox.Org, sandbox.RepoName, n, "erin"); err != nil {
		t.Fatalf("merging the approved scheduled request: %v", err)
	}
	rep, err := w.Reconcile(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Activated) != 0 {
		t.Fatalf("a grant scheduled for %s was activated at %s", startAt.Format(time.RFC3339), w.Clock.Now().UTC().Format(time.RFC3339))
	}

	// Working hours, judged by the App when it first checks each request.
	if !w.Clock.Now().Before(start) {
		t.Fatalf("the setup took until %s, past the instant %s", w.Clock.Now().UTC().Format(time.RFC3339), start.Format(time.RFC3339))
	}
	var approved int
	for i, c := range checks {
		w.Clock.Set(start.Add(c.after))
		body := "account: payments-staging\npermission_set: ReadOnlyAccess\nduration: 2h\njustification: \"OPS-2: look at the staging queue backlog\"\n"
		n, err := gh.OpenPullRequest(sandbox.Org, sandbox.RepoName, "carol", fmt.Sprintf("carol/hours-%d", i), "hours",
			map[string][]byte{fmt.Sprintf("requests/payments-staging/carol-hours-%d.yaml", i): []byte(body)})
		if err != nil {
			t.Fatal(err)
		}
		st, err := w.PRStatus(n)
		if err != nil {
			t.Fatal(err)
		}
		local := w.Clock.Now().In(berlin).Format("Mon 2006-01-02 15:04:05 MST")
		if got := st.Approval == "success"; got != c.want {
			t.Errorf("a request opened at %s (%s) auto-approved = %v, want %v (hours %s %s-%s)", w.Clock.Now().UTC().Format(time.RFC3339), local, got, c.want, days, from, to)
		}
		if c.want && approved == 0 {
			approved = n
		}
	}
	if approved == 0 {
		t.Fatal("no check of this instant is auto-approved; the test needs one to follow through")
	}
	if _, err := gh.MergeProtected(sandbox.Org, sandbox.RepoName, approved, "carol"); err != nil {
		t.Fatalf("merging the auto-approved request: %v", err)
	}

	// Past start_at: the scheduled grant starts, and the auto-approved one is
	// provisioned although the clock has moved on.
	w.Clock.Set(startAt.Add(time.Second))
	rep, err = w.Reconcile(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Activated) != 2 {
		t.Fatalf("after start_at the reconcile activated %d grants, want the scheduled and the auto-approved one:\n%s", len(rep.Activated), rep)
	}
	st := mainStatus(t, w, "requests/payments-staging/erin-batch.yaml")
	if st.ExpiresAt == nil || !st.ExpiresAt.Equal(startAt.Add(24*time.Hour)) {
		t.Errorf("the scheduled 1d grant expires at %v, want start_at + 24h = %s", st.ExpiresAt, startAt.Add(24*time.Hour).UTC().Format(time.RFC3339))
	}

	// A day later both have expired, each at its own time.
	w.Clock.Set(startAt.Add(24*time.Hour + time.Minute))
	rep, err = w.Reconcile(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Expired) != 2 {
		t.Fatalf("a day after start_at the reconcile expired %d grants, want 2:\n%s", len(rep.Expired), rep)
	}
}

// checkTimes holds a grant's recorded times to its duration. A scheduled
// grant's window is exactly start_at plus the duration. Any other window
// starts when the reconcile records its intent, just before the AWS call, so
// the access is never longer than approved and shorter only by the seconds
// AWS takes to provision it; an hour or a day lost or gained at the instant
// is an error.
func checkTimes(t *testing.T, r audit.Record, scheduled *time.Time) {
	t.Helper()
	if r.ActivatedAt == nil || r.ExpiresAt == nil {
		t.Errorf("%s: activated_at %v, expires_at %v", r.Path, r.ActivatedAt, r.ExpiresAt)
		return
	}
	d, err := schema.ParseDuration(r.EffectiveDuration)
	if err != nil {
		t.Errorf("%s: effective duration %q: %v", r.Path, r.EffectiveDuration, err)
		return
	}
	if scheduled != nil {
		if r.ActivatedAt.Before(*scheduled) {
			t.Errorf("%s: activated at %s, before its start_at %s", r.Path, r.ActivatedAt.Format(time.RFC3339), scheduled.Format(time.RFC3339))
		}
		if want := scheduled.Add(d); !r.ExpiresAt.Equal(want) {
			t.Errorf("%s: expires %s, want start_at + %s = %s", r.Path, r.ExpiresAt.Format(time.RFC3339), r.EffectiveDuration, want.Format(time.RFC3339))
		}
	} else if len(r.ExtendedBy) > 0 || r.Extends != "" {
		// Extended, or an extension: the end is duration after the
		// extension took effect (the extension's activated_at), which the
		// extension's record holds.
		checkExtension(t, r)
	} else if got := r.ExpiresAt.Sub(*r.ActivatedAt); got > d || got < d-30*time.Second {
		t.Errorf("%s: expires %s, %v after its activation at %s; want %s, less at most the seconds provisioning took",
			r.Path, r.ExpiresAt.Format(time.RFC3339), got, r.ActivatedAt.Format(time.RFC3339), r.EffectiveDuration)
	}
	if r.State == schema.StateExpired && (r.EndedAt == nil || r.EndedAt.Before(*r.ExpiresAt)) {
		t.Errorf("%s: expired, but ended at %v before its expiry %s", r.Path, r.EndedAt, r.ExpiresAt.Format(time.RFC3339))
	}
}

// checkExtension checks an extension's record: it ended in state extended,
// its grant's end moved to duration after it took effect.
func checkExtension(t *testing.T, r audit.Record) {
	t.Helper()
	if r.Extends == "" {
		return // the extended grant: its extension's record is checked
	}
	d, _ := schema.ParseDuration(r.EffectiveDuration)
	if r.State != schema.StateExtended {
		t.Errorf("%s: state %s, want extended", r.Path, r.State)
	}
	if got := r.ExpiresAt.Sub(*r.ActivatedAt); got > d || got < d-30*time.Second {
		t.Errorf("%s: the new end %s is %v after the extension took effect at %s; want %s, less at most the seconds it took",
			r.Path, r.ExpiresAt.Format(time.RFC3339), got, r.ActivatedAt.Format(time.RFC3339), r.EffectiveDuration)
	}
}

// checkMain runs jit validate on main after every one of its commits,
// collects the grant states written there, and returns the audit.
func checkMain(t *testing.T, w *testworld.World, states map[string]bool) []audit.Record {
	t.Helper()
	ctx := t.Context()
	dir, err := w.Clone(ctx)
	if err != nil {
		t.Fatal(err)
	}
	commits := strings.Fields(gittest.Output(t, dir, "rev-list", "--first-parent", "--reverse", "HEAD"))
	if len(commits) < 5 {
		t.Fatalf("main has %d commits; the story should have made many", len(commits))
	}
	var seen []string
	for _, c := range commits {
		gittest.Output(t, dir, "checkout", "--quiet", "--detach", c)
		var stdout, stderr bytes.Buffer
		cmd := newValidateCmd(func(string) string { return "" })
		cmd.SetArgs([]string{"--repo", dir})
		cmd.SetOut(&stdout)
		cmd.SetErr(&stderr)
		cmd.SilenceUsage, cmd.SilenceErrors = true, true
		if err := cmd.ExecuteContext(ctx); err != nil {
			t.Errorf("jit validate fails on main at %s (%s): %v\n%s%s", c[:8], strings.TrimSpace(gittest.Output(t, dir, "log", "-1", "--format=%s", c)), err, stdout.String(), stderr.String())
		}
		for _, f := range strings.Fields(gittest.Output(t, dir, "ls-files", "requests/")) {
			if !strings.HasSuffix(f, ".yaml") {
				continue
			}
			var doc struct {
				Status *struct {
					State string `yaml:"state"`
				} `yaml:"status"`
			}
			if err := yaml.Unmarshal([]byte(gittest.Output(t, dir, "show", c+":"+f)), &doc); err != nil {
				t.Errorf("%s at %s: %v", f, c[:8], err)
			}
			if doc.Status != nil && !slices.Contains(seen, doc.Status.State) {
				seen = append(seen, doc.Status.State)
			}
		}
	}
	statesMu.Lock()
	for _, s := range seen {
		states[s] = true
	}
	statesMu.Unlock()
	gittest.Output(t, dir, "checkout", "--quiet", "main")
	recs, err := audit.Collect(ctx, dir, audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func mainStatus(t *testing.T, w *testworld.World, path string) *schema.Status {
	t.Helper()
	st := w.Status(t, path)
	if st == nil {
		t.Fatalf("%s on main has no status", path)
	}
	return st
}
