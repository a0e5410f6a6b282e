// Package chattest holds a loopback chat webhook (Slack, Teams) for the
// tests of what jit tells people: it records every message it receives.
//
// Only _test.go files import this package.
package chattest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// Receiver is the webhook: every POST's path (without the leading /) and
// body are recorded as "path: body", e.g. "slack: {...}". One started to
// fail answers 503, as a chat service that is down.
type Receiver struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
	fail   bool
}

// New starts a Receiver that the test's clean-up stops; fail makes it
// answer every message with 503.
func New(t testing.TB, fail bool) *Receiver {
	r := &Receiver{fail: fail}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.bodies = append(r.bodies, req.URL.Path[1:]+": "+string(body))
		r.mu.Unlock()
		if r.fail {
			http.Error(w, "down", http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(r.Close)
	return r
}

// Take returns the messages received so far and forgets them.
func (r *Receiver) Take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.bodies
	r.bodies = nil
	return out
}
