package app_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jit-access/jit/internal/approval"
	"github.com/jit-access/jit/internal/ghrepo"
	"github.com/jit-access/jit/internal/notify"
	"github.com/jit-access/jit/internal/sandbox"
	"github.com/jit-access/jit/internal/testworld"
)

// TestSweepReminds: after the escalation, the reviewers are reminded 1h,
// then 4h later (the sandbox's request_ttl of 24h leaves no room for the
// daily one), on the pull request and in chat, once each however often the
// sweep runs; a decision stops the reminders.
func TestSweepReminds(t *testing.T) {
	rec := &receiver{}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	n := notify.New(notify.Options{SlackURL: srv.URL, Backoff: time.Millisecond})
	w := testworld.New(t, testworld.Monday, sandbox.Options{Notifier: n})
	ctx := context.Background()
	repoRef := ghrepo.Repo{Owner: org, Name: repo}
	stale := w.Open(t, "octocat", "octocat/stale", map[string]string{"requests/payments-prod/stale.yaml": testworld.StandardRequest})
	decided := w.Open(t, "carol", "carol/later", map[string]string{"requests/payments-prod/later.yaml": strings.Replace(testworld.StandardRequest, "INC-1234", "INC-1236", 1)})

	sweep := func(after time.Duration) ([]int, []int) {
		t.Helper()
		w.Clock.Advance(after)
		res, err := w.App.Sweep(ctx, w.InstallationID, repoRef)
		if err != nil {
			t.Fatalf("sweep: %v", err)
		}
		w.App.Wait()
		return res.Escalated, res.Reminded
	}
	reminders := func(pr int) []string {
		t.Helper()
		comments, err := w.GitHub.Comments(org, repo, pr)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range comments {
			if strings.Contains(c.GetBody(), approval.ReminderMarker) {
				out = append(out, c.GetBody())
			}
		}
		return out
	}

	if esc, rem := sweep(61 * time.Minute); len(esc) != 2 || len(rem) != 0 {
		t.Fatalf("after 1h: escalated %v, reminded %v; want both escalated, none reminded", esc, rem)
	}
	if _, rem := sweep(30 * time.Minute); len(rem) != 0 {
		t.Fatalf("30m after the escalation: reminded %v, want none yet", rem)
	}
	if _, rem := sweep(31 * time.Minute); len(rem) != 2 {
		t.Fatalf("1h after the escalation: reminded %v, want both", rem)
	}
	if _, rem := sweep(time.Minute); len(rem) != 0 {
		t.Fatalf("a sweep right after: reminded %v again", rem)
	}
	got := reminders(stale)
	if len(got) != 1 || !strings.Contains(got[0], "Reminder 1: this request has waited 2h02m for a decision. @acme/payments-leads @acme/sso-admins, please review it.") ||
		!strings.Contains(got[0], "closed as expired at 2026-11-24 09:00 UTC") {
		t.Fatalf("reminder comment:\n%s", strings.Join(got, "\n"))
	}
	// A decision on one request stops its reminders.
	w.Review(t, decided, "alice", "APPROVED", "ok")
	if _, rem := sweep(4 * time.Hour); len(rem) != 1 || rem[0] != stale {
		t.Fatalf("4h after the first reminder: reminded %v, want only #%d", rem, stale)
	}
	// The third would come a day later, after the 24h TTL: none.
	if _, rem := sweep(17 * time.Hour); len(rem) != 0 {
		t.Fatalf("before the TTL: reminded %v", rem)
	}
	if n := len(reminders(stale)); n != 2 {
		t.Fatalf("%d reminders on #%d, want 2", n, stale)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var chat int
	for _, m := range rec.messages {
		if strings.Contains(m, "reminder ") {
			chat++
		}
	}
	if chat != 3 {
		t.Fatalf("%d reminders in chat, want 3:\n%s", chat, strings.Join(rec.messages, "\n"))
	}
}
