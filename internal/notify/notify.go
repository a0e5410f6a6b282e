// Package notify posts request events to Slack and Microsoft Teams through
// incoming webhooks: a request waiting for someone, approved, activated,
// expiring soon, expired, revoked or failed, each with a link to its pull
// request.
//
// The webhook URLs are secrets (anyone who has one can post to the
// channel), so they come from the environment, never from the repository,
// and are never logged: log lines and errors name the sink ("slack",
// "teams"), never its URL.
//
// Delivery is best effort. Network errors, 429 and 5xx answers are retried
// with exponential backoff (honouring Retry-After) a bounded number of
// times; what still fails is logged. Notify's error is a summary for logs
// and tests: callers must never fail an approval, a grant or a revocation
// because a chat message did not go out.
package notify

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Environment variables holding the webhook URLs.
const (
	EnvSlackURL = "JIT_SLACK_WEBHOOK_URL"
	EnvTeamsURL = "JIT_TEAMS_WEBHOOK_URL"
)

// Defaults of Options.
const (
	DefaultAttempts   = 4
	DefaultBackoff    = time.Second
	DefaultMaxBackoff = 30 * time.Second
	DefaultTimeout    = 10 * time.Second
)

// Kind is what happened to a request.
type Kind string

// The events worth a message.
const (
	// KindWaiting: the request waits for someone's review (Event.Who).
	KindWaiting Kind = "waiting"
	// KindApproved: the approval policy is met; the request can be merged.
	KindApproved Kind = "approved"
	// KindActivated: the grant is active in AWS until Event.ExpiresAt.
	KindActivated Kind = "activated"
	// KindExpiring: the grant ends soon (at Event.ExpiresAt).
	KindExpiring Kind = "expiring"
	// KindExpired: the grant ended at its expiry.
	KindExpired Kind = "expired"
	// KindRevoked: the grant was revoked early (Event.Reason).
	KindRevoked Kind = "revoked"
	// KindFailed: the grant could not be provisioned (Event.Reason).
	KindFailed Kind = "failed"
)

// Event is one thing to tell a channel about a request.
type Event struct {
	Kind Kind
	// Request is the request file's path, e.g. requests/payments-prod/x.yaml.
	Request       string
	Account       string
	PermissionSet string
	// Requester is the GitHub login of the pull request's author.
	Requester string
	PRURL     string
	PRNumber  int
	// Who must act next, as written (@user, @org/team), for KindWaiting.
	Who []string
	// ExpiresAt is when the grant ends (activated, expiring, expired).
	ExpiresAt time.Time
	// Reason says why (revoked, failed), or anything worth adding.
	Reason string
}

// Options configure a Notifier. Zero values take the defaults.
type Options struct {
	// SlackURL and TeamsURL are the incoming webhook URLs; an empty one
	// disables that channel. They must be https (http only to a loopback
	// address, for tests and the sandbox).
	SlackURL string
	TeamsURL string
	// Client sends the requests; one with a DefaultTimeout by default.
	Client *http.Client
	// Attempts is how many times one message is tried in all.
	Attempts int
	// Backoff is the wait before the first retry; it doubles after each,
	// up to MaxBackoff, which also caps a Retry-After.
	Backoff    time.Duration
	MaxBackoff time.Duration
	// Logger receives delivery failures; slog.Default() when nil.
	Logger *slog.Logger
}

// Notifier sends events to the configured channels. A nil or unconfigured
// Notifier sends nothing. It is safe for concurrent use.
type Notifier struct {
	sinks      []sink
	client     *http.Client
	attempts   int
	backoff    time.Duration
	maxBackoff time.Duration
	log        *slog.Logger
}

// sink is one channel: its name for logs and how to render a message.
type sink struct {
	name   string
	url    string
	render func(Event) ([]byte, error)
}

// FromEnv builds a Notifier from JIT_SLACK_WEBHOOK_URL and
// JIT_TEAMS_WEBHOOK_URL (os.Getenv in production), with the default
// retries. A URL that is not usable is logged (without itself) and left
// out.
func FromEnv(getenv func(string) string) *Notifier {
	return New(Options{SlackURL: strings.TrimSpace(getenv(EnvSlackURL)), TeamsURL: strings.TrimSpace(getenv(EnvTeamsURL))})
}

// New builds a Notifier. A URL that is not usable is logged (without
// itself) and left out.
func New(o Options) *Notifier {
	n := &Notifier{
		client:     o.Client,
		attempts:   o.Attempts,
		backoff:    o.Backoff,
		maxBackoff: o.MaxBackoff,
		log:        o.Logger,
	}
	if n.client == nil {
		n.client = &http.Client{Timeout: DefaultTimeout}
	}
	// Zero or negative: the default.
	n.attempts = cmp.Or(max(n.attempts, 0), DefaultAttempts)
	n.backoff = cmp.Or(max(n.backoff, 0), DefaultBackoff)
	n.maxBackoff = cmp.Or(max(n.maxBackoff, 0), DefaultMaxBackoff)
	n.log = cmp.Or(n.log, slog.Default())
	for _, s := range []sink{{"slack", o.SlackURL, slackMessage}, {"teams", o.TeamsURL, teamsMessage}} {
		if s.url == "" {
			continue
		}
		if err := checkURL(s.url); err != nil {
			n.log.Warn("notify: webhook URL not used", "sink", s.name, "error", err)
			continue
		}
		n.sinks = append(n.sinks, s)
	}
	return n
}

// checkURL accepts https URLs, and http ones to loopback addresses. The
// error never contains the URL.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return errors.New("not an absolute URL")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); (ip != nil && ip.IsLoopback()) || host == "localhost" {
			return nil
		}
		return errors.New("plain http would send the secret URL in the clear; use https")
	}
	return fmt.Errorf("scheme %q is not https", u.Scheme)
}

// Enabled reports whether any channel is configured.
func (n *Notifier) Enabled() bool { return n != nil && len(n.sinks) > 0 }

// Notify sends the event to every configured channel at once and waits
// for them, retrying as configured. Failures are logged; the returned
// error summarises them for logs and tests and must never be treated as
// fatal. A nil Notifier does nothing.
func (n *Notifier) Notify(ctx context.Context, ev Event) error {
	if !n.Enabled() {
		return nil
	}
	errs := make([]error, len(n.sinks))
	var wg sync.WaitGroup
	for i, s := range n.sinks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = n.deliver(ctx, s, ev)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// deliver renders and posts one message, with retries.
func (n *Notifier) deliver(ctx context.Context, s sink, ev Event) error {
	body, err := s.render(ev)
	if err != nil {
		err = fmt.Errorf("notify: %s: rendering the %s message: %w", s.name, ev.Kind, err)
		n.log.Error("notify: message not sent", "sink", s.name, "event", string(ev.Kind), "request", ev.Request, "error", err)
		return err
	}
	wait := n.backoff
	for attempt := 1; ; attempt++ {
		retryAfter, err := n.post(ctx, s, body)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			err = fmt.Errorf("notify: %s: %s message for %s not sent: %w (last attempt: %v)", s.name, ev.Kind, ev.Request, ctx.Err(), err)
			n.log.Error("notify: message not sent", "sink", s.name, "event", string(ev.Kind), "request", ev.Request, "attempts", attempt, "error", err)
			return err
		}
		var perm permanentError
		if errors.As(err, &perm) || attempt >= n.attempts {
			err = fmt.Errorf("notify: %s: %s message for %s not sent after %d attempt(s): %w", s.name, ev.Kind, ev.Request, attempt, err)
			n.log.Error("notify: message not sent", "sink", s.name, "event", string(ev.Kind), "request", ev.Request, "attempts", attempt, "error", err)
			return err
		}
		delay := min(max(wait, retryAfter), n.maxBackoff)
		n.log.Warn("notify: retrying", "sink", s.name, "event", string(ev.Kind), "request", ev.Request, "attempt", attempt, "in", delay, "error", err)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			err = fmt.Errorf("notify: %s: %s message for %s not sent: %w", s.name, ev.Kind, ev.Request, ctx.Err())
			n.log.Error("notify: message not sent", "sink", s.name, "event", string(ev.Kind), "request", ev.Request, "attempts", attempt, "error", err)
			return err
		case <-t.C:
		}
		wait = min(wait*2, n.maxBackoff)
	}
}

// permanentError is an answer that a retry would not change (4xx but 429).
type permanentError struct{ status int }

func (e permanentError) Error() string {
	return fmt.Sprintf("HTTP %d %s (not retried)", e.status, http.StatusText(e.status))
}

// post sends one attempt. It returns the Retry-After the server asked for
// and an error that never contains the URL.
func (n *Notifier) post(ctx context.Context, s sink, body []byte) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return 0, errors.New("building the request failed")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := n.client.Do(req)
	if err != nil {
		return 0, withoutURL(err)
	}
	// Drain a little so that the connection can be reused; webhook answers
	// are tiny ("ok", "1", or empty).
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return 0, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return retryAfter(resp.Header.Get("Retry-After")), fmt.Errorf("HTTP %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	default:
		return 0, permanentError{resp.StatusCode}
	}
}

// withoutURL strips the URL that net/http puts in its errors
// (Post "https://hooks.slack.com/services/...": ...).
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		inner := ue.Err
		if ue.Timeout() {
			return fmt.Errorf("%s: timed out: %w", ue.Op, stripURLs(inner))
		}
		return fmt.Errorf("%s: %w", ue.Op, stripURLs(inner))
	}
	return stripURLs(err)
}

// stripURLs drops an error whose text still holds a URL (a redirect to
// another URL, for instance) in favour of a plain description.
func stripURLs(err error) error {
	if s := err.Error(); strings.Contains(s, "://") {
		return errors.New("request failed (details withheld: they contain a URL)")
	}
	return err
}

// retryAfter reads a Retry-After in seconds; dates and junk count as none.
func retryAfter(v string) time.Duration {
	s, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || s < 0 {
		return 0
	}
	return time.Duration(s) * time.Second
}
