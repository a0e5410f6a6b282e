package clock

import (
	"sync"
	"time"
)

// Held is a clock that stands still at the instant a test chose and moves
// only when told, so that what a test sees (an operation's asynchronous
// status, a rate limit, how long a run waits) does not depend on how slowly
// the machine runs. It is safe for concurrent use.
type Held struct {
	mu  sync.Mutex
	now time.Time
}

// Hold returns a clock that reads start until it is moved.
func Hold(start time.Time) *Held { return &Held{now: start} }

// Now returns the instant the clock holds.
func (h *Held) Now() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.now
}

// Advance moves the clock forward by d; a negative d is ignored, as with
// Offset.
func (h *Held) Advance(d time.Duration) { h.Set(h.Now().Add(d)) }

// Set moves the clock to t; it never moves backwards.
func (h *Held) Set(t time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if t.After(h.now) {
		h.now = t
	}
}
