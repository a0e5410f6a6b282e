// Package clock gives jit and its emulators one notion of "now".
//
// Production code uses Real. The sandbox and tests use Offset, which runs at
// real speed (so timeouts, polling and AWS's asynchronous status behave as
// they do for real) but can be moved forward, so that a grant's expiry can be
// reached in seconds and the emulators and jit agree on what time it is.
package clock

import (
	"sync"
	"time"
)

// Clock tells the time.
type Clock interface {
	Now() time.Time
}

// Real is the system clock.
type Real struct{}

// Now returns the current system time.
func (Real) Now() time.Time { return time.Now() }

// Offset is the system clock shifted by an adjustable amount. It is safe for
// concurrent use; the zero value is the system clock.
type Offset struct {
	mu     sync.RWMutex
	offset time.Duration
}

// At returns a clock that reads start now and runs at real speed from there.
// Every test world starts from an instant its test chooses, so that no test
// depends on today's date; `jit sandbox` uses it with the wall clock or --now.
func At(start time.Time) *Offset {
	return &Offset{offset: time.Until(start)}
}

// Now returns the system time plus the current offset.
func (o *Offset) Now() time.Time {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return time.Now().Add(o.offset)
}

// Advance moves the clock forward by d; a negative d is ignored because time
// going backwards is not something jit has to survive in the sandbox.
func (o *Offset) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	o.mu.Lock()
	o.offset += d
	o.mu.Unlock()
}

// Set moves the clock so that Now returns approximately t. It never moves the
// clock backwards.
func (o *Offset) Set(t time.Time) {
	o.Advance(time.Until(t) - o.current())
}

func (o *Offset) current() time.Duration {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return o.offset
}

// MustParse reads an RFC 3339 instant written literally in a test or a
// fixture, as a pointer for the optional times of a grant's status. A
// malformed literal is a mistake in code, not input, so it panics, as
// regexp.MustCompile does.
func MustParse(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}
