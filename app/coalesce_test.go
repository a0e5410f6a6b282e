package app

import (
	"sync"
	"sync/atomic"
	"testing"
)

func TestCoalescerRunsOneAndQueuesOne(t *testing.T) {
	c := newCoalescer()
	var runs atomic.Int32
	started, release := make(chan struct{}), make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		res, queued, err := c.do("pr#1", func() (string, error) {
			if runs.Add(1) == 1 {
				close(started)
				<-release
			}
			return "judged", nil
		})
		if res != "judged" || queued || err != nil {
			t.Errorf("first: %q %v %v", res, queued, err)
		}
	}()
	<-started
	var wg sync.WaitGroup
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, queued, _ := c.do("pr#1", func() (string, error) { runs.Add(1); return "", nil }); !queued {
				t.Error("a recheck ran beside the one under way")
			}
		}()
	}
	wg.Wait()
	// Another pull request is not held up.
	if _, queued, _ := c.do("pr#2", func() (string, error) { return "", nil }); queued {
		t.Error("pr#2 was queued behind pr#1")
	}
	close(release)
	<-done
	if n := runs.Load(); n != 2 {
		t.Errorf("%d runs for 101 rechecks, want 2 (one running, one queued)", n)
	}
	// Afterwards a recheck runs again.
	if _, queued, _ := c.do("pr#1", func() (string, error) { return "", nil }); queued {
		t.Error("pr#1 still marked running")
	}
}
