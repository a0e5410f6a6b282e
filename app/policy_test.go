package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jit-access/jit/internal/ghrepo"
	"github.com/jit-access/jit/internal/githubemu"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/internal/notify"
	"github.com/jit-access/jit/internal/sandbox"
	"github.com/jit-access/jit/internal/testworld"
)

// The template config (.github/jit.yaml) the sandbox world starts from has
// every request policy of issue 7; these tests drive each through the App.

func requestFor(account, set, duration, extra string) string {
	return "account: " + account + "\npermission_set: " + set + "\nduration: " + duration + "\n" + extra +
		"justification: \"INC-1400: check the nightly settlement job\"\n"
}

// opened is a pull request a policy test opens, and what the App must
// make of it.
type opened struct {
	author, path, request     string
	validate, approval, label string
	// says is in the validation summary when validation fails, otherwise in
	// the sticky comment ("": nothing asked).
	says string
}

// wantOpened opens each pull request in turn and checks the App's verdict.
func wantOpened(t *testing.T, w *testworld.World, prs ...opened) {
	t.Helper()
	for i, o := range prs {
		n := w.Open(t, o.author, fmt.Sprintf("%s/%d", o.author, i), map[string]string{o.path: o.request})
		wantSaying(t, w, n, o.validate, o.approval, o.label, o.says)
	}
}

// TestVerdictOnOpening opens pull requests, each case in a world of its
// own, and checks the App's verdict on each.
func TestVerdictOnOpening(t *testing.T) {
	for _, tc := range []struct {
		name string
		prs  []opened
	}{
		{"auto-approval rule approves", []opened{
			// bob is an SSO admin; ReadOnlyAccess auto-approves SSO admins for
			// 1h, and the sticky comment names the rule as the approver.
			{"bob", "requests/payments-prod/bob.yaml", requestFor("payments-prod", "ReadOnlyAccess", "1h", ""),
				"success", "success", "jit:approved", "permission_sets/ReadOnlyAccess/auto_approve[0]"},
			// Longer than the rule's 1h: an owner must approve.
			{"bob", "requests/payments-prod/bob4.yaml", requestFor("payments-prod", "ReadOnlyAccess", "4h", ""),
				"success", "failure", "jit:pending-owner", ""},
		}},
		{"request catalog", []opened{
			// data-prod may be requested only by @acme/data-platform and the
			// admins.
			{"octocat", "requests/data-prod/o.yaml", requestFor("data-prod", "ReadOnlyAccess", "2h", ""),
				"failure", "failure", "jit:invalid", "may request data-prod"},
			// erin is in @acme/data-platform.
			{"erin", "requests/data-prod/e.yaml", requestFor("data-prod", "ReadOnlyAccess", "2h", ""),
				"success", "failure", "jit:pending-owner", ""},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { wantOpened(t, testworld.Standard(t), tc.prs...) })
	}
}

func TestAutoApprovalWorkingHours(t *testing.T) {
	w := testworld.Standard(t)
	// payments-staging auto-approves @acme/payments-team (carol) for
	// ReadOnlyAccess up to 4h, Monday to Friday 09:00-18:00 Berlin.
	next := nextWeekday(w.Clock.Now(), time.Tuesday, 10) // 10:00 Berlin on a Tuesday
	w.Clock.Set(next)
	n := w.Open(t, "carol", "carol/in", map[string]string{"requests/payments-staging/in.yaml": requestFor("payments-staging", "ReadOnlyAccess", "2h", "")})
	wantState(t, w.State(t, n), "success", "success", "jit:approved")

	w.Clock.Set(next.Add(10 * time.Hour)) // 20:00 Berlin
	n = w.Open(t, "carol", "carol/out", map[string]string{"requests/payments-staging/out.yaml": requestFor("payments-staging", "ReadOnlyAccess", "2h", "")})
	wantSaying(t, w, n, "success", "failure", "jit:pending-owner", "did not match")
}

// nextWeekday returns the next given weekday after t at hour:00 in Berlin.
func nextWeekday(t time.Time, day time.Weekday, hour int) time.Time {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	d := t.In(loc).AddDate(0, 0, 1)
	for d.Weekday() != day {
		d = d.AddDate(0, 0, 1)
	}
	return time.Date(d.Year(), d.Month(), d.Day(), hour, 0, 0, 0, loc)
}

func TestBreakGlass(t *testing.T) {
	w := testworld.Standard(t)
	// alice (payments-leads) is an emergency requester, up to 4h.
	n := w.Open(t, "alice", "alice/sev1", map[string]string{"requests/payments-prod/sev1.yaml": requestFor("payments-prod", "ReadOnlyAccess", "2h", "emergency: true\n")})
	s := w.State(t, n)
	if s.Approval != "success" || !slices.Contains(s.Labels, "jit:emergency") || !slices.Contains(s.Labels, "jit:approved") {
		t.Fatalf("emergency request: approval %q labels %v\n%s", s.Approval, s.Labels, s.Sticky)
	}
	users, teams, err := w.GitHub.RequestedReviewers(org, repo, n)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(teams, "sso-admins") {
		t.Fatalf("the admins are not asked for a review after the fact: users %v teams %v", users, teams)
	}
	// octocat is not an emergency requester.
	n = w.Open(t, "octocat", "octocat/sev1", map[string]string{"requests/payments-prod/o.yaml": requestFor("payments-prod", "ReadOnlyAccess", "2h", "emergency: true\n")})
	wantState(t, w.State(t, n), "failure", "failure", "jit:invalid")
}

func TestRequireReviewNote(t *testing.T) {
	w := testworld.Standard(t)
	cfg := w.MustOnMain(t, layout.ConfigPath)
	cfg = strings.Replace(cfg, "require_review_note: false", "require_review_note: true", 1)
	if _, err := w.GitHub.CommitToBranch(org, repo, "main", githubemu.Commit{Author: "bob", Message: "require notes",
		Files: map[string][]byte{layout.ConfigPath: []byte(cfg)}}); err != nil {
		t.Fatal(err)
	}
	n := w.Open(t, "octocat", "octocat/note", map[string]string{"requests/payments-prod/n.yaml": testworld.StandardRequest})
	w.Review(t, n, "alice", "APPROVED", "")
	wantSaying(t, w, n, "success", "failure", "jit:pending-owner", "without a written reason")
	w.Review(t, n, "alice", "APPROVED", "INC-1234 is real, ok")
	wantState(t, w.State(t, n), "success", "success", "jit:approved")
}

// receiver is a loopback chat webhook that records messages and can fail.
type receiver struct {
	mu       sync.Mutex
	messages []string
	failures int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failures > 0 {
		r.failures--
		http.Error(w, "try later", http.StatusServiceUnavailable)
		return
	}
	var v any
	if json.Unmarshal(body, &v) != nil {
		http.Error(w, "not json", http.StatusBadRequest)
		return
	}
	r.messages = append(r.messages, string(body))
}

func TestNotificationsOnTransitions(t *testing.T) {
	rec := &receiver{failures: 1} // the first delivery fails and is retried
	srv := httptest.NewServer(rec)
	defer srv.Close()
	n := notify.New(notify.Options{SlackURL: srv.URL, Backoff: time.Millisecond})
	w := testworld.New(t, testworld.Monday, sandbox.Options{Notifier: n})
	pr := w.Open(t, "octocat", "octocat/n", map[string]string{"requests/payments-prod/n.yaml": testworld.StandardRequest})
	w.Review(t, pr, "alice", "APPROVED", "ok")
	// A review that changes nothing notifies nobody.
	w.Review(t, pr, "carol", "COMMENTED", "fyi")
	w.App.Wait()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.messages) != 2 {
		t.Fatalf("got %d messages, want waiting and approved:\n%s", len(rec.messages), strings.Join(rec.messages, "\n"))
	}
	if !strings.Contains(rec.messages[0], "payments-leads") || !strings.Contains(rec.messages[1], "Approved") || !strings.Contains(rec.messages[1], "/pull/1") {
		t.Fatalf("messages do not say who must act, the approval, or link the PR:\n%s", strings.Join(rec.messages, "\n"))
	}
}

func TestScheduledStart(t *testing.T) {
	w := testworld.Standard(t)
	now := w.Clock.Now().UTC()
	soon := now.Add(48 * time.Hour).Format(time.RFC3339)
	tooFar := now.Add(40 * 24 * time.Hour).Format(time.RFC3339)
	wantOpened(t, w,
		opened{"octocat", "requests/payments-prod/later.yaml", requestFor("payments-prod", "ReadOnlyAccess", "4h", "start_at: "+soon+"\n"),
			"success", "failure", "jit:pending-owner", ""},
		opened{"octocat", "requests/payments-prod/far.yaml", requestFor("payments-prod", "ReadOnlyAccess", "4h", "start_at: "+tooFar+"\n"),
			"failure", "failure", "jit:invalid", "start_at"},
	)
}

func TestSweepEscalatesThenClosesStaleRequests(t *testing.T) {
	w := testworld.Standard(t)
	ctx := context.Background()
	stale := w.Open(t, "octocat", "octocat/stale", map[string]string{"requests/payments-prod/stale.yaml": testworld.StandardRequest})
	approved := w.Open(t, "carol", "carol/ok", map[string]string{"requests/payments-prod/ok.yaml": strings.Replace(testworld.StandardRequest, "INC-1234", "INC-1235", 1)})
	w.Review(t, approved, "alice", "APPROVED", "ok")
	repoRef := ghrepo.Repo{Owner: org, Name: repo}

	// Nothing is due yet.
	res, err := w.App.Sweep(ctx, w.InstallationID, repoRef)
	if err != nil || len(res.Escalated)+len(res.Closed) != 0 {
		t.Fatalf("early sweep: %+v, %v", res, err)
	}
	// After escalate_after (1h) the admins are asked too, once.
	w.Clock.Advance(time.Hour + time.Minute)
	res, err = w.App.Sweep(ctx, w.InstallationID, repoRef)
	if err != nil || len(res.Escalated) != 1 || res.Escalated[0] != stale {
		t.Fatalf("sweep after 1h: %+v, %v", res, err)
	}
	if _, teams, _ := w.GitHub.RequestedReviewers(org, repo, stale); !slices.Contains(teams, "sso-admins") {
		t.Fatalf("the admins were not asked after escalate_after: %v", teams)
	}
	if res, _ = w.App.Sweep(ctx, w.InstallationID, repoRef); len(res.Escalated) != 0 {
		t.Fatalf("escalated twice: %+v", res)
	}
	// After request_ttl (24h) the unapproved request is closed; the
	// approved one is left for its requester to merge.
	w.Clock.Advance(24 * time.Hour)
	res, err = w.App.Sweep(ctx, w.InstallationID, repoRef)
	if err != nil || len(res.Closed) != 1 || res.Closed[0] != stale {
		t.Fatalf("sweep after the ttl: %+v, %v", res, err)
	}
	pr, err := w.GitHub.PullRequest(org, repo, stale)
	if err != nil {
		t.Fatal(err)
	}
	labels, _ := w.GitHub.Labels(org, repo, stale)
	if pr.GetState() != "closed" || !slices.Contains(labels, "jit:expired") {
		t.Fatalf("stale request: state %s labels %v", pr.GetState(), labels)
	}
	if pr, _ := w.GitHub.PullRequest(org, repo, approved); pr.GetState() != "open" {
		t.Fatalf("the approved request was closed by the sweep")
	}
}
