package app

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
)

// TestCoalescerRunsOneAndQueuesOne: while a recheck runs, the first of 100
// more waits and runs once after it, the other 99 are folded into that one,
// and another pull request is not held up.
func TestCoalescerRunsOneAndQueuesOne(t *testing.T) {
	c := newCoalescer()
	ctx := context.Background()
	var runs atomic.Int32
	started, release := make(chan struct{}), make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		res, queued, err := c.do(ctx, "pr#1", func() (string, error) {
			runs.Add(1)
			close(started)
			<-release
			return "judged", nil
		})
		if res != "judged" || queued || err != nil {
			t.Errorf("first: %q %v %v", res, queued, err)
		}
	}()
	<-started
	var wg sync.WaitGroup
	var ran, folded atomic.Int32
	waiting := make(chan struct{})
	var once sync.Once
	for range 100 {
		wg.Go(func() {
			_, queued, err := c.do(ctx, "pr#1", func() (string, error) { runs.Add(1); return "again", nil })
			switch {
			case err != nil:
				t.Error(err)
			case queued:
				if folded.Add(1) == 99 {
					once.Do(func() { close(waiting) })
				}
			default:
				ran.Add(1)
			}
		})
	}
	<-waiting // 99 folded while the first still runs
	if runs.Load() != 1 {
		t.Errorf("a recheck ran beside the one under way (%d runs)", runs.Load())
	}
	// Another pull request is not held up.
	if _, queued, _ := c.do(ctx, "pr#2", func() (string, error) { return "", nil }); queued {
		t.Error("pr#2 was queued behind pr#1")
	}
	close(release)
	<-done
	wg.Wait()
	if n, r := runs.Load(), ran.Load(); n != 2 || r != 1 {
		t.Errorf("%d runs for 101 rechecks, %d of the 100 ran; want 2 runs, one of the 100 (the waiting one)", n, r)
	}
	// Afterwards a recheck runs again.
	if _, queued, _ := c.do(ctx, "pr#1", func() (string, error) { return "", nil }); queued {
		t.Error("pr#1 still marked running")
	}
}

// TestCoalescerWaiterGivesUpWithItsDeadline: the caller waiting behind a
// job gives up when its own context ends, and the next caller may wait.
func TestCoalescerWaiterGivesUpWithItsDeadline(t *testing.T) {
	c := newCoalescer()
	started, release := make(chan struct{}), make(chan struct{})
	go c.do(context.Background(), "pr#1", func() (string, error) { close(started); <-release; return "", nil })
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, queued, err := c.do(ctx, "pr#1", func() (string, error) { return "", nil }); queued || err == nil {
		t.Errorf("a waiter whose context ended: queued %v, err %v; want its context's error", queued, err)
	}
	next := make(chan error)
	go func() {
		_, queued, err := c.do(context.Background(), "pr#1", func() (string, error) { return "", nil })
		if queued {
			err = context.Canceled
		}
		next <- err
	}()
	close(release)
	if err := <-next; err != nil {
		t.Errorf("the next caller did not run after the first: %v", err)
	}
}
