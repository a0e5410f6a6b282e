package app

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// countingJob is a recheck whose authorisation and evaluation are counted
// and can be held until released.
type countingJob struct {
	allow                bool
	auths, evals         atomic.Int32
	holdAuth, holdEval   chan struct{}
	authStarted, started chan struct{}
	once, onceAuth       sync.Once
}

func newCountingJob(allow bool) *countingJob {
	return &countingJob{allow: allow, holdAuth: make(chan struct{}), holdEval: make(chan struct{}),
		authStarted: make(chan struct{}), started: make(chan struct{})}
}

func (j *countingJob) job() recheckJob {
	return recheckJob{
		authorise: func(context.Context) (bool, string, error) {
			j.auths.Add(1)
			j.onceAuth.Do(func() { close(j.authStarted) })
			<-j.holdAuth
			if !j.allow {
				return false, "refused: a stranger", nil
			}
			return true, "", nil
		},
		evaluate: func(context.Context) (string, error) {
			j.evals.Add(1)
			j.once.Do(func() { close(j.started) })
			<-j.holdEval
			return "judged", nil
		},
	}
}

// TestRecheckRunsOneAndQueuesOne: while an evaluation runs, a flood of
// rechecks by the same user costs one authorisation (shared by those that
// came together) and one queued evaluation; every later one is folded
// without any. Another pull request is not held up.
func TestRecheckRunsOneAndQueuesOne(t *testing.T) {
	// Made outside the bubble: its cache's cleaner runs for ever.
	c := newCoalescer(context.Background(), time.Minute)
	synctest.Test(t, func(t *testing.T) {
		j := newCountingJob(true)
		close(j.holdAuth)
		done := make(chan string)
		go func() {
			res, err := c.recheck(context.Background(), "o/r#1", "octocat", j.job())
			if err != nil {
				t.Error(err)
			}
			done <- res
		}()
		<-j.started
		var wg sync.WaitGroup
		outcomes := make(chan string, 100)
		for range 100 {
			wg.Go(func() {
				res, err := c.recheck(context.Background(), "o/r#1", "OctoCat", j.job())
				if err != nil {
					t.Error(err)
				}
				outcomes <- res
			})
		}
		wg.Wait()
		close(outcomes)
		queued := 0
		for o := range outcomes {
			switch o {
			case recheckQueued:
				queued++
			case recheckFolded:
			default:
				t.Errorf("a recheck during the evaluation: %q", o)
			}
		}
		if queued != 1 {
			t.Errorf("%d rechecks queued an evaluation, want 1", queued)
		}
		// Another pull request runs at once.
		other := newCountingJob(true)
		close(other.holdAuth)
		close(other.holdEval)
		if res, _ := c.recheck(context.Background(), "o/r#2", "octocat", other.job()); res != "judged" {
			t.Errorf("#2 was not evaluated at once: %q", res)
		}
		close(j.holdEval)
		if res := <-done; res != "judged" {
			t.Errorf("first: %q", res)
		}
		c.wait()
		if n := j.evals.Load(); n != 2 {
			t.Errorf("%d evaluations for 101 rechecks, want 2 (one running, one queued)", n)
		}
		if n := j.auths.Load(); n != 2 {
			t.Errorf("%d authorisations for 101 rechecks, want 2 (the first, and the one that queued)", n)
		}
		// Afterwards a recheck evaluates at once again.
		if res, _ := c.recheck(context.Background(), "o/r#1", "octocat", j.job()); res != "judged" {
			t.Errorf("#1 still marked running: %q", res)
		}
		c.mu.Lock()
		if len(c.prs) != 0 {
			t.Errorf("state left behind: %v", c.prs)
		}
		c.mu.Unlock()
	})
}

// TestRechecksOneAfterAnotherAreRateLimited: rechecks sent one after
// another, each answered before the next, are folded too: the first few
// are evaluated at once, then one every 10 s, in the background.
func TestRechecksOneAfterAnotherAreRateLimited(t *testing.T) {
	c := newCoalescer(context.Background(), time.Minute)
	synctest.Test(t, func(t *testing.T) {
		for _, slow := range []time.Duration{0, 8 * time.Second} {
			j := newCountingJob(true)
			close(j.holdAuth)
			close(j.holdEval)
			evaluate := j.job().evaluate
			job := j.job()
			// An evaluation that takes as long as a delivery may does not
			// earn the next recheck an evaluation of its own.
			job.evaluate = func(ctx context.Context) (string, error) {
				time.Sleep(slow)
				return evaluate(ctx)
			}
			start := time.Now()
			var at []time.Duration
			for range 1000 {
				res, err := c.recheck(context.Background(), "o/r#1", "octocat", job)
				if err != nil {
					t.Fatal(err)
				}
				if res == "judged" {
					at = append(at, time.Since(start))
				}
				time.Sleep(20 * time.Millisecond)
			}
			c.wait()
			flood := time.Since(start)
			// The burst at once, then one every 10 s during the flood.
			want := recheckBurst + int(flood/recheckEvery)
			if n := int(j.evals.Load()); n < want-1 || n > want+1 {
				t.Errorf("evaluations %s each: %d for 1,000 rechecks over %s, want %d±1", slow, n, flood, want)
			}
			// Slow evaluations earn part of a turn each: a few more run in
			// their delivery before the burst is spent.
			if len(at) < recheckBurst || (slow == 0 && len(at) != recheckBurst) || len(at) > want {
				t.Errorf("evaluations %s each: evaluated in the delivery at %v, want the first %d (a few more when slow)", slow, at, recheckBurst)
			}
			if n := j.auths.Load(); n != j.evals.Load() {
				t.Errorf("%d authorisations for %d evaluations, want one each", n, j.evals.Load())
			}
			time.Sleep(time.Minute) // the rate is back to its burst
		}
	})
}

// TestRecheckRefusalIsAskedOnce: rechecks by a stranger that arrive
// together share one authorisation, and none evaluates.
func TestRecheckRefusalIsAskedOnce(t *testing.T) {
	// Made outside the bubble: its cache's cleaner runs for ever.
	c := newCoalescer(context.Background(), time.Minute)
	synctest.Test(t, func(t *testing.T) {
		j := newCountingJob(false)
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				if res, err := c.recheck(context.Background(), "o/r#1", "mallory", j.job()); res != "refused: a stranger" || err != nil {
					t.Errorf("a stranger's recheck: %q, %v", res, err)
				}
			})
		}
		synctest.Wait() // all 50 wait for the one authorisation
		close(j.holdAuth)
		wg.Wait()
		if a, e := j.auths.Load(), j.evals.Load(); a != 1 || e != 0 {
			t.Errorf("%d authorisations and %d evaluations for 50 rechecks by a stranger, want 1 and 0", a, e)
		}
		if len(c.prs) != 0 {
			t.Errorf("state left behind: %v", c.prs)
		}
	})
}

// TestRecheckAuthorisationErrorIsShared: a failed authorisation fails the
// rechecks that waited for it, and the next recheck asks again.
func TestRecheckAuthorisationErrorIsShared(t *testing.T) {
	c := newCoalescer(context.Background(), time.Minute)
	boom := errors.New("GitHub is down")
	job := recheckJob{
		authorise: func(context.Context) (bool, string, error) { return false, "", boom },
		evaluate:  func(context.Context) (string, error) { t.Error("evaluated without authorisation"); return "", nil },
	}
	if _, err := c.recheck(context.Background(), "o/r#1", "octocat", job); !errors.Is(err, boom) {
		t.Errorf("err %v, want %v", err, boom)
	}
	if len(c.prs) != 0 {
		t.Errorf("state left behind: %v", c.prs)
	}
}
