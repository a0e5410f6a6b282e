package app

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"

	"github.com/jit-access/jit/internal/ghrepo"
)

// coalescer runs at most one job per key at a time and keeps at most one
// more waiting: a job asked for while one runs is folded into a single
// re-run after it, however many were asked. /jit recheck uses it per pull
// request, so that a flood of rechecks costs two evaluations, not one each.
type coalescer struct {
	mu      sync.Mutex
	running map[string]*coalesced
	// refused remembers who was refused a recheck on which pull request,
	// so that their next ones are ignored without a single API call.
	refused *expirable.LRU[string, bool]
}

type coalesced struct{ again bool }

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
