package app

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/hashicorp/golang-lru/v2/simplelru"
	"golang.org/x/time/rate"

	"github.com/jit-access/jit/internal/ghrepo"
)

// coalescer bounds what /jit recheck costs, per pull request: at most one
// evaluation runs and at most one more waits, however many rechecks come,
// and the evaluations of a pull request's rechecks are rate-limited (a few
// at once, then one every 10 s), so that rechecks sent one after another
// are folded too, not only those sent at once. A recheck that finds one
// waiting is folded into it without a single API call (it would change
// nothing: the waiting evaluation reads everything afresh). Only a recheck
// that would start or queue an evaluation is authorised, and concurrent
// rechecks by one user share one authorisation. A refused user is
// remembered, so that their further rechecks cost nothing either.
type coalescer struct {
	mu  sync.Mutex
	prs map[string]*prRechecks
	// limits are the pull requests' rate limits, the most recently used
	// (a forgotten one is full again: no harm).
	limits *simplelru.LRU[string, *rate.Limiter]
	// refused remembers who was refused a recheck on which pull request.
	refused *expirable.LRU[string, bool]
	// queued counts the evaluations waiting or running in the background,
	// each under base (ended by Server.Close) for at most timeout.
	queued  sync.WaitGroup
	base    context.Context
	timeout time.Duration
}

// prRechecks is the state of one pull request's rechecks; it exists while
// an evaluation runs or waits, or an authorisation is under way.
type prRechecks struct {
	// busy: an evaluation runs or waits for its turn; queued: one more is
	// to run after it.
	busy, queued bool
	// authorising are the authorisations under way, by lower-case login.
	authorising map[string]*authorisation
}

// The rate of a pull request's recheck evaluations: a burst for the
// rechecks people type, then one every 10 s for a flood. The interval is
// longer than an evaluation may take (HandlerTimeout), so that rechecks
// sent one after another, each waiting for its answer, cannot earn a new
// evaluation in the delivery with every slow one.
const (
	recheckBurst = 3
	recheckEvery = 10 * time.Second
)

// authorisation is one user's pending answer, shared by their concurrent
// rechecks.
type authorisation struct {
	done    chan struct{}
	ok      bool
	outcome string
	err     error
}

// recheckSpacing is the least time between the end of a recheck's
// evaluation and the start of the next one of the same pull request.
const recheckSpacing = time.Second

func newCoalescer(base context.Context, timeout time.Duration) *coalescer {
	// NewLRU fails only for a size below 1.
	limits, _ := simplelru.NewLRU[string, *rate.Limiter](4096, nil)
	return &coalescer{prs: map[string]*prRechecks{}, refused: expirable.NewLRU[string, bool](4096, nil, refusedRecheckTTL),
		limits: limits, base: base, timeout: timeout}
}

// reserveLocked takes the pull request's next evaluation slot and says how
// long to wait for it.
func (c *coalescer) reserveLocked(key string) time.Duration {
	l, ok := c.limits.Get(key)
	if !ok {
		l = rate.NewLimiter(rate.Every(recheckEvery), recheckBurst)
		c.limits.Add(key, l)
	}
	return l.Reserve().Delay()
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

// recheckJob is what one recheck needs done, through GitHub.
type recheckJob struct {
	// authorise answers whether the recheck may run (its comment read back
	// and its author's authority checked), and when not, answers the
	// user; outcome says what was done.
	authorise func(ctx context.Context) (ok bool, outcome string, err error)
	// evaluate judges the pull request once, under ctx.
	evaluate func(ctx context.Context) (string, error)
	// failed is told of an evaluation that failed (nil: nobody).
	failed func(error)
}

// Outcomes of a recheck that did no evaluation of its own.
const (
	recheckFolded = "recheck folded into the one already queued"
	recheckQueued = "recheck queued behind the one under way"
)

// recheck runs one recheck by user of the pull request key. When none is
// under way and the rate allows, it evaluates in the caller, under ctx;
// otherwise it queues one, run in the background in its turn, so that no
// delivery waits for more than one evaluation.
func (c *coalescer) recheck(ctx context.Context, key, user string, job recheckJob) (string, error) {
	user = strings.ToLower(user)
	c.mu.Lock()
	p := c.prs[key]
	if p != nil && p.queued {
		c.mu.Unlock()
		return recheckFolded, nil
	}
	if p == nil {
		p = &prRechecks{authorising: map[string]*authorisation{}}
		c.prs[key] = p
	}
	a := p.authorising[user]
	if a == nil {
		a = &authorisation{done: make(chan struct{})}
		p.authorising[user] = a
		c.mu.Unlock()
		a.ok, a.outcome, a.err = job.authorise(ctx)
		c.mu.Lock()
		delete(p.authorising, user)
		close(a.done)
	} else {
		c.mu.Unlock()
		select {
		case <-a.done:
		case <-ctx.Done():
			return "", ctx.Err()
		}
		c.mu.Lock()
	}
	if a.err != nil || !a.ok {
		c.dropIdleLocked(key, p)
		c.mu.Unlock()
		// A recheck that shared the answer shares its outcome; only the
		// one that asked has answered the user.
		return a.outcome, a.err
	}
	switch {
	case p.queued:
		c.mu.Unlock()
		return recheckFolded, nil
	case p.busy:
		p.queued = true
		c.queued.Add(1)
		c.mu.Unlock()
		return recheckQueued, nil
	}
	p.busy = true
	if wait := c.reserveLocked(key); wait > 0 {
		p.queued = true
		c.queued.Add(1)
		c.mu.Unlock()
		go c.runQueued(key, p, job, wait)
		return recheckQueued, nil
	}
	c.mu.Unlock()
	res, err := job.evaluate(ctx)
	if err != nil && job.failed != nil {
		job.failed(err)
	}
	c.ended(key, p, job)
	return res, err
}

// ended follows an evaluation: the one queued meanwhile, if any, runs in
// its turn; when none is, the pull request is forgotten.
func (c *coalescer) ended(key string, p *prRechecks, job recheckJob) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !p.queued {
		p.busy = false
		c.dropIdleLocked(key, p)
		return
	}
	go c.runQueued(key, p, job, c.reserveLocked(key))
}

// runQueued runs the queued evaluation after wait, in the background.
func (c *coalescer) runQueued(key string, p *prRechecks, job recheckJob, wait time.Duration) {
	defer c.queued.Done()
	t := time.NewTimer(wait)
	select {
	case <-t.C:
	case <-c.base.Done():
		t.Stop()
	}
	c.mu.Lock()
	p.queued = false
	c.mu.Unlock()
	if c.base.Err() == nil {
		ctx, cancel := context.WithTimeout(c.base, c.timeout)
		if _, err := job.evaluate(ctx); err != nil && job.failed != nil {
			job.failed(err)
		}
		cancel()
	}
	c.ended(key, p, job)
}

// dropIdleLocked forgets a pull request nothing is happening on.
func (c *coalescer) dropIdleLocked(key string, p *prRechecks) {
	if !p.busy && !p.queued && len(p.authorising) == 0 && c.prs[key] == p {
		delete(c.prs, key)
	}
}

// wait blocks until the queued evaluations have run (or, once base has
// ended, given up).
func (c *coalescer) wait() { c.queued.Wait() }
