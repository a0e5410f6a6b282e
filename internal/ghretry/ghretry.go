// Package ghretry is the HTTP transport under every GitHub API client of
// jit: it retries what GitHub asks to be retried and never calls GitHub
// inside a window GitHub asked it to stay away.
//
// It stacks two maintained libraries rather than a hand-written loop:
// github.com/gofri/go-github-ratelimit/v2 keeps one shared window per
// transport for GitHub's secondary rate limits (Retry-After, or
// X-RateLimit-Reset) and its primary limit (X-RateLimit-Remaining: 0 until
// X-RateLimit-Reset): while a window is open no request of the transport
// leaves, whichever goroutine sends it. github.com/hashicorp/go-retryablehttp
// retries 5xx, 429 and network failures with capped exponential backoff and
// honours Retry-After and X-RateLimit-Reset. The only code of our own is the
// policy (what is worth retrying, how long to wait at most) and rewinding
// request bodies for the rate limiter's own retries.
package ghretry

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gofri/go-github-ratelimit/v2/github_ratelimit"
	"github.com/gofri/go-github-ratelimit/v2/github_ratelimit/github_primary_ratelimit"
	"github.com/gofri/go-github-ratelimit/v2/github_ratelimit/github_secondary_ratelimit"
	"github.com/hashicorp/go-retryablehttp"
)

// Defaults of Options.
const (
	DefaultRetryMax = 4
	DefaultWaitMin  = 500 * time.Millisecond
	DefaultWaitMax  = 30 * time.Second
)

// Options tune the retries. Zero fields take the defaults.
type Options struct {
	// RetryMax is how many times one request is retried after a 5xx, a
	// 429 or a network failure.
	RetryMax int
	// WaitMin and WaitMax bound the backoff between retries. A Retry-After
	// or X-RateLimit-Reset beyond WaitMax is not waited for: the response
	// is returned and the caller's own safety net (the App's sweep, the
	// next reconcile) takes over.
	WaitMin, WaitMax time.Duration
	// Logger receives one line per retry and per rate-limit window.
	// Default: slog.Default().
	Logger *slog.Logger
}

// New returns a transport that sends through base (nil:
// http.DefaultTransport) with GitHub's rate limits and retries applied.
func New(base http.RoundTripper, o Options) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	if o.RetryMax == 0 {
		o.RetryMax = DefaultRetryMax
	}
	o.RetryMax = max(o.RetryMax, 0)
	if o.WaitMin <= 0 {
		o.WaitMin = DefaultWaitMin
	}
	if o.WaitMax <= 0 {
		o.WaitMax = DefaultWaitMax
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	log := o.Logger
	limited := github_ratelimit.New(rewind{base},
		github_secondary_ratelimit.WithSingleSleepLimit(o.WaitMax, func(c *github_secondary_ratelimit.CallbackContext) {
			log.Warn("GitHub secondary rate limit beyond the longest wait; giving the response back", "url", c.Request.URL.Path, "reset", c.ResetTime)
		}),
		github_secondary_ratelimit.WithLimitDetectedCallback(func(c *github_secondary_ratelimit.CallbackContext) {
			log.Warn("GitHub secondary rate limit: no call until it lifts", "url", c.Request.URL.Path, "reset", c.ResetTime)
		}),
		github_primary_ratelimit.WithLimitDetectedCallback(func(c *github_primary_ratelimit.CallbackContext) {
			log.Warn("GitHub rate limit exhausted: no call until it resets", "category", c.Category, "reset", c.ResetTime)
		}),
	)
	c := retryablehttp.NewClient()
	c.HTTPClient = &http.Client{
		Transport: primaryAsResponse{limited},
		// Redirects are the outer client's business (go-github's).
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	c.RetryMax, c.RetryWaitMin, c.RetryWaitMax = o.RetryMax, o.WaitMin, o.WaitMax
	c.Logger = retryLogger{log}
	c.CheckRetry = func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		if resp != nil {
			if wait, ok := rateLimitWait(resp, time.Now()); ok && wait > o.WaitMax {
				return false, nil // too long to wait in-process
			}
			if resp.StatusCode == http.StatusForbidden {
				// 403 is retried only as a rate limit, never as a refusal.
				_, ok := rateLimitWait(resp, time.Now())
				return ok, nil
			}
		}
		return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
	}
	c.Backoff = func(min, max time.Duration, attempt int, resp *http.Response) time.Duration {
		if resp != nil {
			if wait, ok := rateLimitWait(resp, time.Now()); ok {
				return wait
			}
		}
		return retryablehttp.DefaultBackoff(min, max, attempt, resp)
	}
	// The last response goes back to go-github, which turns it into its
	// own error types (RateLimitError, ErrorResponse) for the caller.
	c.ErrorHandler = retryablehttp.PassthroughErrorHandler
	return &retryablehttp.RoundTripper{Client: c}
}

// rateLimitWait is how long GitHub asked to wait before the next call:
// Retry-After (seconds or a date) on any response, or the time until
// X-RateLimit-Reset (and a second) when X-RateLimit-Remaining is 0 on a
// 403 or 429.
func rateLimitWait(resp *http.Response, now time.Time) (time.Duration, bool) {
	if v := resp.Header.Get("Retry-After"); v != "" {
		if s, err := strconv.ParseInt(v, 10, 64); err == nil && s >= 0 {
			return time.Duration(s) * time.Second, true
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(t.Sub(now), 0), true
		}
	}
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusTooManyRequests {
		return 0, false
	}
	if resp.Header.Get("X-RateLimit-Remaining") != "0" {
		return 0, false
	}
	reset, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64)
	if err != nil {
		return 0, false
	}
	// A second more: the reset is a whole second, and the limiter's own
	// window must have closed when the retry reaches it.
	return max(time.Unix(reset, 0).Sub(now), 0) + time.Second, true
}

// primaryAsResponse turns the primary limiter's error (the limit was just
// reached, or a call was held back during its window) back into GitHub's
// answer, 403 with X-RateLimit-Remaining 0 and X-RateLimit-Reset, so that
// the retry waits for the reset and go-github sees its RateLimitError.
type primaryAsResponse struct{ base http.RoundTripper }

func (p primaryAsResponse) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := p.base.RoundTrip(req)
	var limit *github_primary_ratelimit.RateLimitReachedError
	if err == nil || !errors.As(err, &limit) || limit.Response == nil {
		return resp, err
	}
	out := limit.Response
	if out.Header.Get("X-RateLimit-Reset") == "" && limit.ResetTime != nil {
		out.Header.Set("X-RateLimit-Reset", strconv.FormatInt(limit.ResetTime.Unix(), 10))
	}
	if out.Request == nil {
		out.Request = req
	}
	return out, nil
}

// rewind gives every attempt a fresh copy of the request body: the rate
// limiter retries a request by sending it again.
type rewind struct{ base http.RoundTripper }

func (r rewind) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody || req.GetBody == nil {
		return r.base.RoundTrip(req)
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	out := req.Clone(req.Context())
	out.Body = body
	return r.base.RoundTrip(out)
}

// retryLogger adapts slog to retryablehttp's LeveledLogger; its per-request
// debug lines are dropped.
type retryLogger struct{ l *slog.Logger }

func (r retryLogger) Error(msg string, kv ...any) { r.l.Error(msg, kv...) }
func (r retryLogger) Info(msg string, kv ...any)  { r.l.Info(msg, kv...) }
func (r retryLogger) Debug(string, ...any)        {}
func (r retryLogger) Warn(msg string, kv ...any)  { r.l.Warn(msg, kv...) }
