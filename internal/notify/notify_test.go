package notify

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jit-access/jit/internal/syncbuf"
)

// The secret parts of the webhook URLs; they must never reach a log line
// or an error.
const (
	slackPath   = "/services/T000/B000/slacksecret0123456789"
	teamsPath   = "/workflows/abc/triggers/manual/paths/invoke"
	teamsSecret = "sig=teamssecret0123456789"
)

// receiver is a loopback webhook endpoint that answers with scripted
// statuses (then 200) and records what it was sent.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	statuses []int
	headers  map[string]string // sent with the scripted answers
	bodies   []map[string]any
	paths    []string
	ctypes   []string
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	t.Helper()
	r := &receiver{statuses: statuses}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		data, err := io.ReadAll(req.Body)
		if err != nil {
			t.Errorf("reading the body: %v", err)
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Errorf("body is not JSON: %v: %s", err, data)
		}
		r.mu.Lock()
		r.bodies = append(r.bodies, m)
		r.paths = append(r.paths, req.URL.RequestURI())
		r.ctypes = append(r.ctypes, req.Header.Get("Content-Type"))
		status := http.StatusOK
		if len(r.statuses) > 0 {
			status, r.statuses = r.statuses[0], r.statuses[1:]
			for k, v := range r.headers {
				w.Header().Set(k, v)
			}
		}
		r.mu.Unlock()
		w.WriteHeader(status)
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.bodies)
}

func testNotifier(slackURL, teamsURL string, attempts int, logs io.Writer) *Notifier {
	return New(Options{
		SlackURL:   slackURL,
		TeamsURL:   teamsURL,
		Attempts:   attempts,
		Backoff:    time.Millisecond,
		MaxBackoff: 5 * time.Millisecond,
		Logger:     slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
}

var expires = time.Date(2026, 11, 23, 14, 5, 40, 0, time.UTC)

func waitingEvent() Event {
	return Event{
		Kind:          KindWaiting,
		Request:       "requests/payments-prod/inc-1234.yaml",
		Account:       "payments-prod",
		PermissionSet: "ReadOnlyAccess",
		Requester:     "rita",
		PRURL:         "https://github.com/acme/access/pull/42",
		PRNumber:      42,
		Who:           []string{"@acme/payments-leads", "@acme/sso-admins"},
	}
}

func TestSlackMessage(t *testing.T) {
	r := newReceiver(t)
	var logs syncbuf.Buffer
	n := testNotifier(r.URL+slackPath, "", 3, &logs)
	if err := n.Notify(context.Background(), waitingEvent()); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	want := map[string]any{
		"text": "⏳ Waiting for a review: payments-prod/ReadOnlyAccess for @rita (pull request #42)",
		"blocks": []any{
			map[string]any{
				"type": "section",
				"text": map[string]any{"type": "mrkdwn", "text": "*⏳ Waiting for a review*: <https://github.com/acme/access/pull/42|pull request #42>"},
				"fields": []any{
					map[string]any{"type": "mrkdwn", "text": "*Account*\npayments-prod"},
					map[string]any{"type": "mrkdwn", "text": "*Permission set*\nReadOnlyAccess"},
					map[string]any{"type": "mrkdwn", "text": "*Requester*\n@rita"},
					map[string]any{"type": "mrkdwn", "text": "*Waiting for*\n@acme/payments-leads, @acme/sso-admins"},
				},
			},
			map[string]any{"type": "context", "elements": []any{map[string]any{"type": "mrkdwn", "text": "requests/payments-prod/inc-1234.yaml"}}},
		},
	}
	if diff := cmp.Diff([]map[string]any{want}, r.bodies); diff != "" {
		t.Errorf("Slack message (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{slackPath}, r.paths); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
	if r.ctypes[0] != "application/json" {
		t.Errorf("Content-Type = %q", r.ctypes[0])
	}
	if logs.String() != "" {
		t.Errorf("a delivered message logged:\n%s", logs.String())
	}
}

func TestTeamsMessage(t *testing.T) {
	r := newReceiver(t, http.StatusAccepted) // Workflows answer 202
	var logs syncbuf.Buffer
	n := testNotifier("", r.URL+teamsPath+"?"+teamsSecret, 3, &logs)
	ev := Event{
		Kind: KindActivated, Request: "requests/payments-prod/inc-1234.yaml", Account: "payments-prod", PermissionSet: "ReadOnlyAccess",
		Requester: "rita", PRURL: "https://github.com/acme/access/pull/42", PRNumber: 42, ExpiresAt: expires,
	}
	if err := n.Notify(context.Background(), ev); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	summary := "🔓 Access granted: payments-prod/ReadOnlyAccess for @rita (pull request #42)"
	want := map[string]any{
		"type":    "message",
		"summary": summary,
		"attachments": []any{map[string]any{
			"contentType": "application/vnd.microsoft.card.adaptive",
			"contentUrl":  nil,
			"content": map[string]any{
				"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
				"type":    "AdaptiveCard",
				"version": "1.4",
				"body": []any{
					map[string]any{"type": "TextBlock", "text": "🔓 Access granted: pull request #42", "weight": "Bolder", "size": "Medium", "wrap": true},
					map[string]any{"type": "FactSet", "facts": []any{
						map[string]any{"title": "Account", "value": "payments-prod"},
						map[string]any{"title": "Permission set", "value": "ReadOnlyAccess"},
						map[string]any{"title": "Requester", "value": "@rita"},
						map[string]any{"title": "Expires", "value": "2026-11-23 14:05 UTC"},
					}},
					map[string]any{"type": "TextBlock", "text": "requests/payments-prod/inc-1234.yaml", "isSubtle": true, "size": "Small", "wrap": true},
				},
				"fallbackText": summary,
				"actions":      []any{map[string]any{"type": "Action.OpenUrl", "title": "Open pull request #42", "url": "https://github.com/acme/access/pull/42"}},
			},
		}},
	}
	if diff := cmp.Diff([]map[string]any{want}, r.bodies); diff != "" {
		t.Errorf("Teams message (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{teamsPath + "?" + teamsSecret}, r.paths); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
}

// Every kind renders its headline and the facts it knows; text from the
// request cannot ping a Slack channel or forge a link.
func TestMessagesPerKind(t *testing.T) {
	tests := []struct {
		ev    Event
		slack string // the section's text and fields, joined by " | "
		teams string // the card's title
	}{
		{Event{Kind: KindApproved, Account: "a", PermissionSet: "S", Requester: "@rita", PRNumber: 7},
			"*✅ Approved*: pull request #7 | *Account*\na | *Permission set*\nS | *Requester*\n@rita", "✅ Approved: pull request #7"},
		{Event{Kind: KindExpiring, Account: "a", ExpiresAt: expires, PRURL: "https://x/pull/7", PRNumber: 7},
			"*⌛ Access expiring soon*: <https://x/pull/7|pull request #7> | *Account*\na | *Expires*\n2026-11-23 14:05 UTC", "⌛ Access expiring soon: pull request #7"},
		{Event{Kind: KindExpired, Account: "a", ExpiresAt: expires},
			"*🔒 Access expired*: pull request | *Account*\na | *Expired*\n2026-11-23 14:05 UTC", "🔒 Access expired: pull request"},
		{Event{Kind: KindRevoked, Account: "a", Reason: "revoked by  alice:\nincident <!channel> closed & done"},
			"*⛔ Access revoked*: pull request | *Account*\na | *Reason*\nrevoked by alice: incident &lt;!channel&gt; closed &amp; done", "⛔ Access revoked: pull request"},
		{Event{Kind: KindFailed, Account: "a", Reason: strings.Repeat("x", 600)},
			"*❌ Access could not be granted*: pull request | *Account*\na | *Reason*\n" + strings.Repeat("x", 500) + "…", "❌ Access could not be granted: pull request"},
		{Event{Kind: "paused", Account: "a"},
			"*ℹ️ Request paused*: pull request | *Account*\na", "ℹ️ Request paused: pull request"},
		{Event{Kind: KindWaiting, Account: "a", Who: nil},
			"*⏳ Waiting for a review*: pull request | *Account*\na", "⏳ Waiting for a review: pull request"},
	}
	for _, tt := range tests {
		t.Run(string(tt.ev.Kind), func(t *testing.T) {
			data, err := slackMessage(tt.ev)
			if err != nil {
				t.Fatal(err)
			}
			var sm struct {
				Blocks []struct {
					Text   struct{ Text string }
					Fields []struct{ Text string }
				}
			}
			if err := json.Unmarshal(data, &sm); err != nil {
				t.Fatal(err)
			}
			parts := []string{sm.Blocks[0].Text.Text}
			for _, f := range sm.Blocks[0].Fields {
				parts = append(parts, f.Text)
			}
			if got := strings.Join(parts, " | "); got != tt.slack {
				t.Errorf("Slack section:\n got %q\nwant %q", got, tt.slack)
			}
			data, err = teamsMessage(tt.ev)
			if err != nil {
				t.Fatal(err)
			}
			var tm struct {
				Attachments []struct {
					Content struct {
						Body    []struct{ Text string }
						Actions []any
					}
				}
			}
			if err := json.Unmarshal(data, &tm); err != nil {
				t.Fatal(err)
			}
			card := tm.Attachments[0].Content
			if card.Body[0].Text != tt.teams {
				t.Errorf("Teams title = %q, want %q", card.Body[0].Text, tt.teams)
			}
			if (tt.ev.PRURL != "") != (len(card.Actions) == 1) {
				t.Errorf("Teams actions = %v for PR URL %q", card.Actions, tt.ev.PRURL)
			}
		})
	}
}

func TestRetriesThenSucceeds(t *testing.T) {
	for _, tt := range []struct {
		name     string
		statuses []int
		headers  map[string]string
	}{
		{"500 then success", []int{http.StatusInternalServerError}, nil},
		{"502 and 503 then success", []int{http.StatusBadGateway, http.StatusServiceUnavailable}, nil},
		// Retry-After is capped by MaxBackoff, so the test stays fast.
		{"429 with Retry-After", []int{http.StatusTooManyRequests}, map[string]string{"Retry-After": "30"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newReceiver(t, tt.statuses...)
			r.headers = tt.headers
			var logs syncbuf.Buffer
			n := testNotifier(r.URL+slackPath, "", 4, &logs)
			start := time.Now()
			if err := n.Notify(context.Background(), waitingEvent()); err != nil {
				t.Fatalf("Notify: %v", err)
			}
			if r.count() != len(tt.statuses)+1 {
				t.Errorf("requests = %d, want %d", r.count(), len(tt.statuses)+1)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v: the backoff is not capped", d)
			}
			if got := strings.Count(logs.String(), "notify: retrying"); got != len(tt.statuses) {
				t.Errorf("retry log lines = %d, want %d:\n%s", got, len(tt.statuses), logs.String())
			}
		})
	}
}

func TestGivesUpAfterAttempts(t *testing.T) {
	r := newReceiver(t, 500, 500, 500, 500, 500)
	var logs syncbuf.Buffer
	n := testNotifier(r.URL+slackPath, "", 3, &logs)
	err := n.Notify(context.Background(), waitingEvent())
	if err == nil {
		t.Fatal("Notify succeeded against a failing receiver")
	}
	want := "notify: slack: waiting message for requests/payments-prod/inc-1234.yaml not sent after 3 attempt(s): HTTP 500 Internal Server Error"
	if err.Error() != want {
		t.Errorf("error = %q\nwant    %q", err, want)
	}
	if r.count() != 3 {
		t.Errorf("requests = %d, want 3", r.count())
	}
	if !strings.Contains(logs.String(), "level=ERROR msg=\"notify: message not sent\" sink=slack event=waiting") {
		t.Errorf("failure not logged:\n%s", logs.String())
	}
}

func TestClientErrorsAreNotRetried(t *testing.T) {
	r := newReceiver(t, http.StatusBadRequest, http.StatusBadRequest)
	var logs syncbuf.Buffer
	n := testNotifier(r.URL+slackPath, "", 4, &logs)
	err := n.Notify(context.Background(), waitingEvent())
	if err == nil || !strings.HasSuffix(err.Error(), "not sent after 1 attempt(s): HTTP 400 Bad Request (not retried)") {
		t.Errorf("error = %v", err)
	}
	if r.count() != 1 {
		t.Errorf("requests = %d, want 1", r.count())
	}
}

// A connection that is dropped is a network error: retried, then given up,
// and neither the error nor the log shows the URL.
func TestNetworkErrorsAreRetriedWithoutLeakingTheURL(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	accepted := 0
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			accepted++
			mu.Unlock()
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	var logs syncbuf.Buffer
	url := "http://" + ln.Addr().String() + slackPath
	n := testNotifier(url, "http://"+ln.Addr().String()+teamsPath+"?"+teamsSecret, 3, &logs)
	err = n.Notify(context.Background(), waitingEvent())
	if err == nil {
		t.Fatal("Notify succeeded against a dropping server")
	}
	mu.Lock()
	got := accepted
	mu.Unlock()
	if got != 6 {
		t.Errorf("connections = %d, want 3 per sink", got)
	}
	for _, secret := range []string{slackPath, "slacksecret", teamsSecret, "teamssecret", teamsPath} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error contains %q: %v", secret, err)
		}
		if strings.Contains(logs.String(), secret) {
			t.Errorf("logs contain %q:\n%s", secret, logs.String())
		}
	}
	for _, sink := range []string{"notify: slack:", "notify: teams:"} {
		if !strings.Contains(err.Error(), sink) {
			t.Errorf("error does not name %s: %v", sink, err)
		}
	}
}

func TestOneSinkFailingDoesNotStopTheOther(t *testing.T) {
	bad := newReceiver(t, 500, 500)
	good := newReceiver(t)
	var logs syncbuf.Buffer
	n := testNotifier(bad.URL+slackPath, good.URL+teamsPath, 2, &logs)
	err := n.Notify(context.Background(), waitingEvent())
	if err == nil || !strings.HasPrefix(err.Error(), "notify: slack:") || strings.Contains(err.Error(), "teams") {
		t.Errorf("error = %v, want only the Slack failure", err)
	}
	if good.count() != 1 || bad.count() != 2 {
		t.Errorf("requests: teams %d, slack %d; want 1 and 2", good.count(), bad.count())
	}
}

func TestCancelledContextStopsRetrying(t *testing.T) {
	r := newReceiver(t, 500, 500, 500, 500, 500, 500)
	var logs syncbuf.Buffer
	n := New(Options{SlackURL: r.URL + slackPath, Attempts: 6, Backoff: time.Hour, MaxBackoff: time.Hour,
		Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Notify(ctx, waitingEvent()) }()
	for r.count() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not sent: context canceled") {
			t.Errorf("error = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Notify kept waiting after the context was cancelled")
	}
	if r.count() != 1 {
		t.Errorf("requests = %d, want 1", r.count())
	}
}

func TestFromEnv(t *testing.T) {
	r := newReceiver(t)
	env := map[string]string{
		EnvSlackURL: " " + r.URL + slackPath + "\n",
		EnvTeamsURL: r.URL + teamsPath,
	}
	n := FromEnv(func(k string) string { return env[k] })
	if !n.Enabled() || len(n.sinks) != 2 {
		t.Fatalf("FromEnv: enabled %v with %d sinks, want 2", n.Enabled(), len(n.sinks))
	}
	if n.attempts != DefaultAttempts || n.backoff != DefaultBackoff || n.maxBackoff != DefaultMaxBackoff || n.client.Timeout != DefaultTimeout {
		t.Errorf("defaults not applied: %+v", n)
	}
	if err := n.Notify(context.Background(), waitingEvent()); err != nil || r.count() != 2 {
		t.Errorf("Notify = %v with %d requests, want 2", err, r.count())
	}
	none := FromEnv(func(string) string { return "" })
	if none.Enabled() {
		t.Error("FromEnv without variables is enabled")
	}
	if err := none.Notify(context.Background(), waitingEvent()); err != nil {
		t.Errorf("Notify without channels = %v", err)
	}
	var nilNotifier *Notifier
	if nilNotifier.Enabled() || nilNotifier.Notify(context.Background(), waitingEvent()) != nil {
		t.Error("a nil Notifier did something")
	}
}

func TestUnusableURLsAreLeftOutWithoutLoggingThem(t *testing.T) {
	tests := []struct {
		url, why string
	}{
		{"http://hooks.slack.com" + slackPath, "plain http would send the secret URL in the clear; use https"},
		{"ftp://hooks.slack.com" + slackPath, `scheme "ftp" is not https`},
		{"hooks.slack.com" + slackPath, "not an absolute URL"},
		{"https://[::1" + slackPath, "not an absolute URL"},
	}
	for _, tt := range tests {
		var logs syncbuf.Buffer
		n := testNotifier(tt.url, "", 1, &logs)
		if n.Enabled() {
			t.Errorf("%s: accepted", tt.why)
		}
		if !strings.Contains(logs.String(), "sink=slack error="+strconv.Quote(tt.why)) {
			t.Errorf("log does not say why:\n%s", logs.String())
		}
		if strings.Contains(logs.String(), "slacksecret") {
			t.Errorf("log contains the URL:\n%s", logs.String())
		}
	}
	for _, ok := range []string{"https://hooks.slack.com" + slackPath, "http://127.0.0.1:1" + slackPath, "http://[::1]:1" + slackPath, "http://localhost:1" + slackPath} {
		if err := checkURL(ok); err != nil {
			t.Errorf("checkURL(%q) = %v", ok, err)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	for in, want := range map[string]time.Duration{"": 0, "3": 3 * time.Second, " 1 ": time.Second, "-1": 0, "Wed, 21 Oct 2026 07:28:00 GMT": 0} {
		if got := retryAfter(in); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}
