package app

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"

	"github.com/jit-access/jit/internal/ghrepo"
)

// coalescer runs at most one job per key at a time and keeps at most one
// more waiting: jobs asked for while one runs are folded into a single
// run after it, however many were asked. /jit recheck uses it per pull
// request, so that a flood of rechecks costs two evaluations, not one each.
// The caller that waits runs that job itself, within its own deadline: no
// caller runs more than one job, however long a flood lasts.
type coalescer struct {
	mu      sync.Mutex
	running map[string]*coalesced
	// refused remembers who was refused a recheck on which pull request,
	// so that their next ones are ignored without a single API call.
	refused *expirable.LRU[string, bool]
}

type coalesced struct {
	// done is closed when the job under way ends.
	done chan struct{}
	// waiting is set while a caller waits to run the next job.
	waiting bool
}

func newCoalescer() *coalescer {
	return &coalescer{running: map[string]*coalesced{}, refused: expirable.NewLRU[string, bool](4096, nil, refusedRecheckTTL)}
}

// refusedRecheckTTL is how long a refused recheck is remembered.
const refusedRecheckTTL = 10 * time.Minute

func refusedKey(repo ghrepo.Repo, number int, user string) string {
	return strings.ToLower(repo.String() + "#" + strconv.Itoa(number) + " " + user)
}

func (c *coalescer) refuse(repo ghrepo.Repo, number int, user string) {
	c.refused.Add(refusedKey(repo, number, user), true)
}

// wasRefused reports whether user was refused a recheck of the pull
// request recently. The user is the delivery's comment author: refusing on
// the signed payload's word is safe, as it can only refuse.
func (c *coalescer) wasRefused(repo ghrepo.Repo, number int, user string) bool {
	_, ok := c.refused.Get(refusedKey(repo, number, user))
	return ok
}

// do runs fn for key. When a job for key is under way, the first caller
// to ask waits for it to end and then runs fn; later callers, until that
// one starts, return at once with queued set: their job is the waiting
// one's.
func (c *coalescer) do(ctx context.Context, key string, fn func() (string, error)) (res string, queued bool, err error) {
	c.mu.Lock()
	for {
		st, ok := c.running[key]
		if !ok {
			break
		}
		if st.waiting {
			c.mu.Unlock()
			return "", true, nil
		}
		st.waiting = true
		c.mu.Unlock()
		select {
		case <-st.done:
		case <-ctx.Done():
			c.mu.Lock()
			st.waiting = false
			c.mu.Unlock()
			return "", false, ctx.Err()
		}
		c.mu.Lock()
	}
	st := &coalesced{done: make(chan struct{})}
	c.running[key] = st
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.running, key)
		close(st.done)
		c.mu.Unlock()
	}()
	res, err = fn()
	return res, false, err
}
