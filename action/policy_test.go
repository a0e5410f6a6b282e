package action_test

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jit-access/jit/action"
	"github.com/jit-access/jit/internal/chattest"
	"github.com/jit-access/jit/internal/notify"
	"github.com/jit-access/jit/schema"
)

// requestWith is a ReadOnlyAccess request with extra top-level lines.
func requestWith(duration, extra string) []byte {
	return []byte(string(request("ReadOnlyAccess", duration)) + extra)
}

func TestAutoApprovedMergeIsProvisioned(t *testing.T) {
	t.Parallel()
	// The account is open to a team only, and its rule approves the team's
	// short requests: both need team membership resolved through GitHub.
	e := newEnv(t, envOptions{accountExtra: `    requesters: ["@acme/payments-team", "@acme/sso-admins"]
    auto_approve:
      - requesters: ["@acme/payments-team"]
        max_duration: 4h
`})
	e.gh.AddTeam(org, "payments-team", "alice")
	_, auto := e.merge(t, "alice", "alice-auto", request("ReadOnlyAccess", "2h"), "", "")
	_, long := e.merge(t, "alice", "alice-long", request("ReadOnlyAccess", "8h"), "", "")
	_, outsider := e.merge(t, "dave", "dave-ro", request("ReadOnlyAccess", "1h"), "bob", "")
	rep := e.run(t, 0)
	if diff := cmp.Diff([]string{auto}, paths(rep.Activated)); diff != "" {
		t.Fatalf("activated (-want +got):\n%s\n%s", diff, rep)
	}
	if diff := cmp.Diff([]string{long, outsider}, paths(rep.Failed)); diff != "" {
		t.Fatalf("failed (-want +got):\n%s\n%s", diff, rep)
	}
	st := e.status(t, auto)
	want := []schema.Approval{{By: "rule:accounts/payments-prod/auto_approve[0]", Stage: "auto", At: st.MergedAt.UTC(),
		Note: "requester in @acme/payments-team; at most 4h"}}
	if diff := cmp.Diff(want, st.Approvals); diff != "" {
		t.Errorf("approvals (-want +got):\n%s", diff)
	}
	if st.State != schema.StateActive || st.Duration != "2h" {
		t.Errorf("status = %+v", st)
	}
	if got := e.assignments(e.readOnly, "alice"); got != 1 {
		t.Errorf("alice has %d assignments, want 1", got)
	}
	if r := e.status(t, long).Reason; !strings.Contains(r, "merged without the approval") {
		t.Errorf("8h request: reason %q, want the missing approval (the rule allows at most 4h)", r)
	}
	if r := e.status(t, outsider).Reason; !strings.Contains(r, "not valid") || !strings.Contains(r, "@acme/payments-team") {
		t.Errorf("outsider: reason %q, want the requesters list named", r)
	}
}

const emergencyConfig = `emergency:
  requesters: ["@alice"]
  max_duration: 4h
  review_within: 1h
`

func TestEmergencyIsProvisionedAndReviewedAfterTheFact(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{configExtra: emergencyConfig})
	n, path := e.merge(t, "alice", "alice-sos", requestWith("2h", "emergency: true\n"), "", "")
	_, refused := e.merge(t, "dave", "dave-sos", requestWith("2h", "emergency: true\n"), "", "")
	rep := e.run(t, 0)
	if diff := cmp.Diff([]string{path}, paths(rep.Activated)); diff != "" {
		t.Fatalf("activated (-want +got):\n%s\n%s", diff, rep)
	}
	if diff := cmp.Diff([]string{refused}, paths(rep.Failed)); diff != "" {
		t.Fatalf("failed (-want +got):\n%s\n%s", diff, rep)
	}
	st := e.status(t, path)
	want := []schema.Approval{{By: "emergency", Stage: "emergency", At: st.MergedAt.UTC()}}
	if diff := cmp.Diff(want, st.Approvals); diff != "" || st.PostHocReviews != nil {
		t.Fatalf("approvals (-want +got):\n%s\npost-hoc: %+v", diff, st.PostHocReviews)
	}
	if len(rep.PostHocOverdue) != 0 {
		t.Errorf("flagged before review_within passed:\n%s", rep)
	}

	// Nobody reviews within the hour: flagged, and the run still succeeds.
	e.clk.Advance(time.Hour + time.Minute)
	rep = e.run(t, 0)
	if diff := cmp.Diff([]string{path}, paths(rep.PostHocOverdue)); diff != "" {
		t.Fatalf("overdue (-want +got):\n%s\n%s", diff, rep)
	}
	if !rep.OK() || !strings.Contains(rep.PostHocOverdue[0].Reason, "no review by an owner or SSO admin within 1h") {
		t.Errorf("overdue entry %+v; report OK = %v", rep.PostHocOverdue[0], rep.OK())
	}
	if !strings.Contains(rep.Markdown(), "| emergency not reviewed in time | `payments-prod/ReadOnlyAccess` | alice | #1 |") {
		t.Errorf("summary lacks the overdue grant:\n%s", rep.Markdown())
	}
	before := e.log(t)

	// The owner reviews the merged pull request; the next run records it.
	if _, err := e.gh.SubmitReview(org, repoName, n, "bob", "APPROVED", "looked at INC-1234, fine"); err != nil {
		t.Fatal(err)
	}
	rep = e.run(t, 0)
	if diff := cmp.Diff([]string{path}, paths(rep.Reviewed)); diff != "" || len(rep.PostHocOverdue) != 0 {
		t.Fatalf("reviewed (-want +got):\n%s\n%s", diff, rep)
	}
	st = e.status(t, path)
	if len(st.PostHocReviews) != 1 || st.PostHocReviews[0].By != "bob" || st.PostHocReviews[0].Stage != "owner" ||
		st.PostHocReviews[0].Note != "looked at INC-1234, fine" || st.State != schema.StateActive {
		t.Fatalf("status = %+v", st)
	}
	wantHead := "jit: record post-hoc review of payments-prod/ReadOnlyAccess for alice (#1)\nJit-Request: " + path +
		"\nJit-Event: post-hoc-review\nJit-Pull-Request: 1\n"
	if got := e.log(t); !strings.HasPrefix(got, wantHead) || !strings.HasSuffix(got, before) {
		t.Errorf("log:\n%s", got)
	}

	// Nothing new: nothing committed. After the expiry the review stays.
	after := e.log(t)
	if rep := e.run(t, 0); len(rep.Reviewed) != 0 || e.log(t) != after {
		t.Errorf("a run with nothing new committed:\n%s\n%s", rep, e.log(t))
	}
	e.clk.Advance(time.Hour)
	if rep := e.run(t, 0); len(rep.Expired) != 1 || len(rep.PostHocOverdue) != 0 {
		t.Errorf("expiry run:\n%s", rep)
	}
	if st := e.status(t, path); st.State != schema.StateExpired || len(st.PostHocReviews) != 1 {
		t.Errorf("status after expiry = %+v", st)
	}
}

func TestEndedEmergencyStillUnreviewedIsFlagged(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{configExtra: emergencyConfig})
	n, path := e.merge(t, "alice", "alice-sos", requestWith("1h", "emergency: true\n"), "", "")
	e.run(t, 0)
	e.clk.Advance(3 * time.Hour)
	rep := e.run(t, 0)
	if len(rep.Expired) != 1 || len(rep.PostHocOverdue) != 1 {
		t.Fatalf("expired and overdue in the same run:\n%s", rep)
	}
	// A review long after the grant ended is still recorded, and ends the
	// flag.
	if _, err := e.gh.SubmitReview(org, repoName, n, "carol", "APPROVED", "ok in hindsight"); err != nil {
		t.Fatal(err)
	}
	rep = e.run(t, 0)
	if len(rep.Reviewed) != 1 || len(rep.PostHocOverdue) != 0 {
		t.Fatalf("after the late review:\n%s", rep)
	}
	st := e.status(t, path)
	if st.State != schema.StateExpired || len(st.PostHocReviews) != 1 || st.PostHocReviews[0].By != "carol" || st.PostHocReviews[0].Stage != "admin" {
		t.Errorf("status = %+v", st)
	}
}

func TestScheduledStartWaitsThenActivatesOnTime(t *testing.T) {
	e := newEnv(t, envOptions{})
	start := e.clk.Now().UTC().Truncate(time.Second).Add(time.Hour)
	_, path := e.merge(t, "alice", "alice-later", requestWith("2h", "start_at: \""+start.Format(time.RFC3339)+"\"\n"), "bob", "")
	rep := e.run(t, 0)
	if len(rep.Activated) != 0 || len(e.idc.Assignments()) != 0 {
		t.Fatalf("provisioned before start_at:\n%s", rep)
	}
	if diff := cmp.Diff([]string{path}, paths(rep.Scheduled)); diff != "" || !rep.Scheduled[0].StartAt.Equal(start) {
		t.Fatalf("scheduled (-want +got):\n%s\n%s", diff, rep)
	}
	if !strings.Contains(rep.Markdown(), "| scheduled | `payments-prod/ReadOnlyAccess` |  |  | "+start.Format(time.RFC3339)+" |") {
		t.Errorf("summary lacks the scheduled grant:\n%s", rep.Markdown())
	}
	if st := e.status(t, path); st != nil {
		t.Fatalf("a scheduled grant got a status before its start: %+v", st)
	}

	// A run whose lookahead reaches start_at waits for it and activates
	// it then: exactly then, on a clock that moves only to what the run
	// waits for, so that a slow machine cannot make it late or early.
	rep, waits := e.runAt(t, start.Add(-1500*time.Millisecond), 3*time.Second)
	if diff := cmp.Diff([]wait{{"scheduled start", start}}, waits); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{path}, paths(rep.Activated)); diff != "" {
		t.Fatalf("activated (-want +got):\n%s\n%s", diff, rep)
	}
	st := e.status(t, path)
	if !st.ActivatedAt.Equal(start) {
		t.Errorf("activated at %s, want at start_at %s", st.ActivatedAt, start)
	}
	if !st.ExpiresAt.Equal(start.Add(2 * time.Hour)) {
		t.Errorf("expires_at = %s, want start_at + 2h = %s", st.ExpiresAt, start.Add(2*time.Hour))
	}
	if rep, _ := e.runAt(t, start.Add(2*time.Hour-time.Second), 0); len(rep.Expired) != 0 {
		t.Fatalf("expired a second early:\n%s", rep)
	}
	if rep, _ := e.runAt(t, start.Add(2*time.Hour), 0); len(rep.Expired) != 1 || e.assignments(e.readOnly, "alice") != 0 {
		t.Fatalf("not expired at start_at + 2h:\n%s", rep)
	}
}

func TestMergedAfterStartAt(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	now := e.clk.Now().UTC().Truncate(time.Second)
	late := now.Add(-30 * time.Minute)
	_, inWindow := e.merge(t, "alice", "alice-late", requestWith("1h", "start_at: \""+late.Format(time.RFC3339)+"\"\n"), "bob", "")
	_, gone := e.merge(t, "dave", "dave-gone", requestWith("1h", "start_at: \""+now.Add(-2*time.Hour).Format(time.RFC3339)+"\"\n"), "bob", "")
	rep := e.run(t, 0)
	if diff := cmp.Diff([]string{inWindow}, paths(rep.Activated)); diff != "" {
		t.Fatalf("activated (-want +got):\n%s\n%s", diff, rep)
	}
	if diff := cmp.Diff([]string{gone}, paths(rep.Failed)); diff != "" {
		t.Fatalf("failed (-want +got):\n%s\n%s", diff, rep)
	}
	if st := e.status(t, inWindow); !st.ExpiresAt.Equal(late.Add(time.Hour)) {
		t.Errorf("merged within its window: expires_at %s, want start_at + 1h = %s", st.ExpiresAt, late.Add(time.Hour))
	}
	st := e.status(t, gone)
	if st.State != schema.StateFailed || !strings.Contains(st.Reason, "its window ended before it was merged") || st.ActivatedAt != nil {
		t.Errorf("status = %+v", st)
	}
	if got := e.assignments(e.readOnly, "dave"); got != 0 {
		t.Errorf("dave has %d assignments", got)
	}
}

// notifierTo sends the run's notices to r's /slack and /teams, retrying
// once at once.
func notifierTo(r *chattest.Receiver) *notify.Notifier {
	return notify.New(notify.Options{SlackURL: r.URL + "/slack", TeamsURL: r.URL + "/teams", Attempts: 2,
		Backoff: time.Millisecond, MaxBackoff: time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
}

// count is how many messages on sink contain all of want.
func count(msgs []string, sink string, want ...string) int {
	n := 0
next:
	for _, m := range msgs {
		if !strings.HasPrefix(m, sink+": ") {
			continue
		}
		for _, w := range want {
			if !strings.Contains(m, w) {
				continue next
			}
		}
		n++
	}
	return n
}

func TestNotificationsReachTheChannels(t *testing.T) {
	e := newEnv(t, envOptions{})
	rcv := chattest.New(t, false)
	web := strings.TrimSuffix(e.ghURL, "/api/v3/") + "/" + org + "/" + repoName
	notifier := withNotifier(notifierTo(rcv), web)
	a, short := e.merge(t, "alice", "alice-ro", request("ReadOnlyAccess", "1h"), "bob", "")
	b, revoked := e.merge(t, "dave", "dave-ro", request("ReadOnlyAccess", "8h"), "bob", "")
	c, _ := e.merge(t, "carol", "carol-bypass", request("ReadOnlyAccess", "1h"), "", "")
	link := func(n int) string { return web + "/pull/" + strconv.Itoa(n) }

	rep := e.run(t, 0, notifier)
	if len(rep.Activated) != 2 || len(rep.Failed) != 1 {
		t.Fatalf("first run:\n%s", rep)
	}
	msgs := rcv.Take()
	for _, sink := range []string{"slack", "teams"} {
		if got := count(msgs, sink, "Access granted", link(a)); got != 1 {
			t.Errorf("%s: %d activated messages for #%d, want 1:\n%s", sink, got, a, strings.Join(msgs, "\n"))
		}
		if got := count(msgs, sink, "Access granted", link(b)); got != 1 {
			t.Errorf("%s: %d activated messages for #%d, want 1", sink, got, b)
		}
		if got := count(msgs, sink, "Access could not be granted", link(c), "merged without the approval"); got != 1 {
			t.Errorf("%s: %d failed messages for #%d, want 1:\n%s", sink, got, c, strings.Join(msgs, "\n"))
		}
	}
	if len(msgs) != 6 {
		t.Errorf("%d messages, want 6:\n%s", len(msgs), strings.Join(msgs, "\n"))
	}

	// Expiring: the run whose window holds the warning time (expiry minus
	// 15 minutes) waits for it and warns once; the next run does not repeat it.
	// Both on a clock held at the run's start, which moves only to what the
	// run waits for: the warning is in the first run's window however
	// slowly the machine clones, and before the second's.
	exp := *e.status(t, short).ExpiresAt
	warn := exp.Add(-15 * time.Minute)
	_, waits := e.runAt(t, warn.Add(-time.Second), 2*time.Second, notifier)
	if diff := cmp.Diff([]wait{{"expiring warning", warn}}, waits); diff != "" {
		t.Errorf("first run's waits (-want +got):\n%s", diff)
	}
	if _, waits := e.runAt(t, warn.Add(time.Second), 2*time.Second, notifier); len(waits) != 0 {
		t.Errorf("second run waited for %v", waits)
	}
	msgs = rcv.Take()
	if got := count(msgs, "slack", "Access expiring soon", link(a)); got != 1 || len(msgs) != 2 {
		t.Errorf("%d expiring messages for #%d on slack, want 1 (and 2 in all):\n%s", got, a, strings.Join(msgs, "\n"))
	}

	// Revoked by request, and expired.
	dir := e.clone(t)
	st := e.status(t, revoked)
	now := e.clk.Now().UTC()
	st.State, st.RevokedBy, st.RevokeRequestedAt, st.Reason = schema.StateRevoking, "bob", &now, "INC closed"
	writeStatus(t, dir, revoked, st, "jit: request revocation")
	e.clk.Set(exp)
	rep = e.run(t, 0, notifier)
	if len(rep.Expired) != 1 || len(rep.Revoked) != 1 {
		t.Fatalf("ending run:\n%s", rep)
	}
	msgs = rcv.Take()
	for _, sink := range []string{"slack", "teams"} {
		if got := count(msgs, sink, "Access expired", link(a)); got != 1 {
			t.Errorf("%s: %d expired messages for #%d, want 1:\n%s", sink, got, a, strings.Join(msgs, "\n"))
		}
		if got := count(msgs, sink, "Access revoked", link(b), "by bob: INC closed"); got != 1 {
			t.Errorf("%s: %d revoked messages for #%d, want 1:\n%s", sink, got, b, strings.Join(msgs, "\n"))
		}
	}
}

func TestFailingChannelDoesNotFailTheRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	rcv := chattest.New(t, true)
	_, path := e.merge(t, "alice", "alice-ro", request("ReadOnlyAccess", "1h"), "bob", "")
	rep := e.run(t, 0, withNotifier(notifierTo(rcv), ""))
	if diff := cmp.Diff([]string{path}, paths(rep.Activated)); diff != "" || !rep.OK() {
		t.Fatalf("activated (-want +got):\n%s\n%s", diff, rep)
	}
	// Both channels were tried twice (Attempts: 2) before the run ended.
	if got := len(rcv.Take()); got != 4 {
		t.Errorf("%d delivery attempts, want 4", got)
	}
	if st := e.status(t, path); st.State != schema.StateActive {
		t.Errorf("status = %+v", st)
	}
}

// slowNotifier never answers until its context ends.
type slowNotifier struct{ calls chan struct{} }

func (s slowNotifier) Notify(ctx context.Context, _ notify.Event) error {
	s.calls <- struct{}{}
	<-ctx.Done()
	return ctx.Err()
}

func TestHangingChannelIsGivenUpAfterNotifyWait(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.merge(t, "alice", "alice-ro", request("ReadOnlyAccess", "1h"), "bob", "")
	n := slowNotifier{calls: make(chan struct{}, 10)}
	started := time.Now()
	rep := e.run(t, 0, func(o *action.Options) { o.Notifier, o.NotifyWait = n, 200*time.Millisecond })
	if len(rep.Activated) != 1 || !rep.OK() || len(n.calls) != 1 {
		t.Fatalf("run with a hanging channel (%d calls):\n%s", len(n.calls), rep)
	}
	if d := time.Since(started); d > 10*time.Second {
		t.Errorf("the run took %s with a hanging channel", d)
	}
}
