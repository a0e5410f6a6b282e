package action

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/jit-access/jit/internal/lifecycle"
	"github.com/jit-access/jit/internal/notify"
	"github.com/jit-access/jit/schema"
)

// maxNotifying bounds the notifications delivered at once: a slow or
// failing channel retries in the background without holding up the
// revocations the run still has to do at their exact times.
const maxNotifying = 4

// messenger delivers a run's notifications in the background.
type messenger struct {
	n   Notifier
	ctx context.Context
	// stop cancels deliveries still running when the run's wait is over.
	stop context.CancelFunc
	wg   sync.WaitGroup
	sem  chan struct{}

	mu sync.Mutex
	// links are pull request addresses read from GitHub in this run.
	links map[int]string
	// warned are grants announced as expiring in this run.
	warned map[string]bool
}

// newMessenger starts the run's messenger. Deliveries do not end with the
// run's context: a run stopped by an error still reports its failures,
// within Options.NotifyWait.
func newMessenger(ctx context.Context, n Notifier) *messenger {
	mctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	return &messenger{n: n, ctx: mctx, stop: stop, sem: make(chan struct{}, maxNotifying),
		links: map[int]string{}, warned: map[string]bool{}}
}

// notify sends one event in the background, after the commit that records
// what it announces.
func (u *run) notify(ev notify.Event) {
	m := u.msg
	if m == nil || m.n == nil {
		return
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		select {
		case m.sem <- struct{}{}:
		case <-m.ctx.Done():
			u.log.Warn("notification dropped: the run's wait for deliveries ended", "kind", ev.Kind, "path", ev.Request)
			return
		}
		defer func() { <-m.sem }()
		if err := m.n.Notify(m.ctx, ev); err != nil {
			// The notifier logs each channel's failure; this says which
			// grant's message was lost.
			u.log.Warn("notification not delivered", "kind", ev.Kind, "path", ev.Request, "error", err)
		}
	}()
}

// flush waits for the notifications still being delivered, at most
// Options.NotifyWait, then gives up on the rest.
func (u *run) flush() {
	m := u.msg
	if m == nil {
		return
	}
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	t := time.NewTimer(u.opts.NotifyWait)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		u.log.Warn("gave up waiting for notifications still being delivered", "waited", u.opts.NotifyWait)
		m.stop()
		<-done
	}
	m.stop()
}

// event builds a notification about a grant; st is its status as recorded.
func (u *run) event(kind notify.Kind, path string, req schema.Request, st *schema.Status, reason string) notify.Event {
	ev := notify.Event{Kind: kind, Request: path, Account: req.Account, PermissionSet: req.PermissionSet, Reason: reason}
	if c := req.CustomPermissionSet; c != nil {
		ev.PermissionSet = schema.CustomSetPrefix + c.Name
	}
	if st != nil {
		ev.Requester, ev.PRNumber = st.Requester, st.PullRequest
		if st.ExpiresAt != nil {
			ev.ExpiresAt = *st.ExpiresAt
		}
	}
	if kind != notify.KindFailed && st != nil {
		r := req
		r.Status = st
		if exp, err := lifecycle.ExpiryOf(r); err == nil {
			ev.ExpiresAt = exp
		}
	}
	ev.PRURL = u.prLink(ev.PRNumber)
	return ev
}

// rememberLink keeps a pull request's address as GitHub gave it.
func (u *run) rememberLink(number int, url string) {
	if u.msg == nil || number <= 0 || url == "" {
		return
	}
	u.msg.mu.Lock()
	u.msg.links[number] = url
	u.msg.mu.Unlock()
}

func (u *run) prLink(number int) string {
	if number <= 0 {
		return ""
	}
	if u.msg != nil {
		u.msg.mu.Lock()
		url, ok := u.msg.links[number]
		u.msg.mu.Unlock()
		if ok {
			return url
		}
	}
	if u.opts.RepoURL == "" {
		return ""
	}
	return u.opts.RepoURL + "/pull/" + strconv.Itoa(number)
}

// warnExpiring announces the grants whose warning time has come within
// this run's window, once each, and returns the next warning time in the
// window (zero when there is none).
func (u *run) warnExpiring(now time.Time) time.Time {
	if u.msg == nil {
		return time.Time{}
	}
	lead := u.opts.ExpiringNotice
	var next time.Time
	for _, it := range u.st.plan.Notices(lead, u.rep.Start, u.deadline) {
		at := it.At.Add(-lead)
		if at.After(now) {
			if next.IsZero() {
				next = at
			}
			continue
		}
		u.msg.mu.Lock()
		done := u.msg.warned[it.Path]
		u.msg.warned[it.Path] = true
		u.msg.mu.Unlock()
		if done {
			continue
		}
		ev := u.event(notify.KindExpiring, it.Path, it.Request, it.Request.Status, "")
		ev.ExpiresAt = it.At
		u.log.Info("grant expiring soon", "path", it.Path, "expires_at", it.At)
		u.notify(ev)
	}
	return next
}
