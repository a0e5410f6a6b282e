package app

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// DefaultRetryFor is Options.RetryFor's default: a failed evaluation is
// tried again in-process for this long (GitHub does not redeliver a failed
// delivery by itself).
const DefaultRetryFor = 15 * time.Minute

// Backoff of the in-process retries: the first after retryFirst, doubling up
// to retryMax between tries, so that after an outage the decision arrives
// within retryMax of GitHub's recovery.
const (
	retryFirst = 2 * time.Second
	retryMax   = 30 * time.Second
)

// retries are the evaluations waiting to be tried again, one per pull
// request: a second failure of the same pull request joins the first.
type retries struct {
	mu      sync.Mutex
	pending map[string]bool
	stop    chan struct{}
	stopped bool
	wg      sync.WaitGroup
}

func newRetries() *retries {
	return &retries{pending: map[string]bool{}, stop: make(chan struct{})}
}

// Close stops the in-process retries of failed evaluations and the
// reconcile schedules, and waits for a retry under way; for graceful
// shutdown and tests. The sweep catches up
// with whatever was left.
func (s *Server) Close() {
	r := s.retries
	r.mu.Lock()
	if !r.stopped {
		r.stopped = true
		close(r.stop)
	}
	r.mu.Unlock()
	r.wg.Wait()
	// The reconcile schedules and queued rechecks end too.
	s.cancel()
	s.sched.Wait()
	s.rechecks.wait()
}

// retryLater tries a failed evaluation again in the background until it
// succeeds or Options.RetryFor has passed. Only events whose handling is an
// evaluation are retried: re-running a command could answer it twice.
func (s *Server) retryLater(log *slog.Logger, event string, body []byte) {
	if s.opts.RetryFor <= 0 {
		return
	}
	switch event {
	case "pull_request", "pull_request_review", "check_run":
	default:
		return
	}
	var e envelope
	if err := json.Unmarshal(body, &e); err != nil {
		return
	}
	number := 0
	switch {
	case e.PullRequest != nil:
		number = e.PullRequest.GetNumber()
	case e.CheckRun != nil && len(e.CheckRun.PullRequests) > 0:
		number = e.CheckRun.PullRequests[0].Number
	}
	key := fmt.Sprintf("%d %s/%s#%d %s", e.Installation.ID, e.Repository.Owner.Login, e.Repository.Name, number, event)
	s.retryEvaluation(log, key, func(ctx context.Context) (string, error) {
		return s.dispatch(context.WithValue(ctx, retryingKey{}, true), log, event, body)
	})
}

// retryingKey marks the context of a retried evaluation. The failed one may
// have added the status comment before its check run (apply), so a retry
// of a pull request's opening is not taken for its first evaluation, which
// adds the comment without listing the comments first.
type retryingKey struct{}

// retrying reports whether ctx is a retried evaluation's.
func retrying(ctx context.Context) bool { return ctx.Value(retryingKey{}) != nil }

// retryEvaluation tries a failed evaluation again in the background, under
// key (one retry at a time per key), until it succeeds or Options.RetryFor
// has passed.
func (s *Server) retryEvaluation(log *slog.Logger, key string, evaluate func(ctx context.Context) (string, error)) {
	if s.opts.RetryFor <= 0 {
		return
	}
	r := s.retries
	r.mu.Lock()
	if r.stopped || r.pending[key] {
		r.mu.Unlock()
		return
	}
	r.pending[key] = true
	r.wg.Add(1)
	r.mu.Unlock()
	go func() {
		defer r.wg.Done()
		defer func() {
			r.mu.Lock()
			delete(r.pending, key)
			r.mu.Unlock()
		}()
		deadline := time.Now().Add(s.opts.RetryFor)
		wait := retryFirst
		for attempt := 1; time.Now().Before(deadline); attempt++ {
			t := time.NewTimer(wait)
			select {
			case <-r.stop:
				t.Stop()
				return
			case <-t.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), s.opts.HandlerTimeout)
			res, err := evaluate(ctx)
			cancel()
			if err == nil {
				log.Info("evaluation retried and done", "attempt", attempt, "result", res)
				return
			}
			log.Warn("evaluation retried and failed again", "attempt", attempt, "err", err, "next_in", min(wait*2, retryMax))
			wait = min(wait*2, retryMax)
		}
		log.Error("evaluation given up after retrying; the sweep judges it again", "retried_for", s.opts.RetryFor)
	}()
}
