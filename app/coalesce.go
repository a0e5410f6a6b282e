package app

import "sync"

// coalescer runs at most one job per key at a time and keeps at most one
// more waiting: a job asked for while one runs is folded into a single
// re-run after it, however many were asked. /jit recheck uses it per pull
// request, so that a flood of rechecks costs two evaluations, not one each.
type coalescer struct {
	mu      sync.Mutex
	running map[string]*coalesced
}

type coalesced struct{ again bool }

func newCoalescer() *coalescer { return &coalescer{running: map[string]*coalesced{}} }

// do runs fn for key, or, when a run for key is under way, marks that one
// to run once more and returns at once with queued set.
func (c *coalescer) do(key string, fn func() (string, error)) (res string, queued bool, err error) {
	c.mu.Lock()
	if st, ok := c.running[key]; ok {
		st.again = true
		c.mu.Unlock()
		return "", true, nil
	}
	st := &coalesced{}
	c.running[key] = st
	c.mu.Unlock()
	for {
		res, err = fn()
		c.mu.Lock()
		if err != nil || !st.again {
			delete(c.running, key)
			c.mu.Unlock()
			return res, false, err
		}
		st.again = false
		c.mu.Unlock()
	}
}
