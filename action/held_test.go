package action_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jit-access/jit/action"
	"github.com/jit-access/jit/internal/clock"
)

// wait is one "waiting for the next ..." the run logged.
type wait struct {
	What string
	At   time.Time
}

// waitLog is the run's logger: on each wait it logs, it moves the held
// clock to the instant waited for, and records the wait. The held clock is
// the reconciler's in the tests of what a run waits for: it stands still at
// the instant the test chose, so the run's window starts exactly there
// however slowly the machine runs, and moves only when the run says it is
// waiting, straight to the instant it waits for. A run on the shared,
// real-speed clock instead starts whenever the clone before it is done:
// under load, seconds late, past what it was meant to wait for.
type waitLog struct {
	clk   *clock.Held
	mu    sync.Mutex
	waits []wait
}

func (h *waitLog) Enabled(context.Context, slog.Level) bool { return true }
func (h *waitLog) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *waitLog) WithGroup(string) slog.Handler            { return h }

func (h *waitLog) Handle(_ context.Context, r slog.Record) error {
	what, ok := strings.CutPrefix(r.Message, "waiting for the next ")
	if !ok {
		return nil
	}
	w := wait{What: what}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "at" && a.Value.Kind() == slog.KindTime {
			w.At = a.Value.Time()
		}
		return true
	})
	h.mu.Lock()
	h.waits = append(h.waits, w)
	h.mu.Unlock()
	h.clk.Set(w.At)
	return nil
}

// runAt reconciles from a fresh clone on a clock held at the instant at,
// which moves only to what the run waits for, and returns the report and
// those waits. The shared clock is moved to at too, so that the emulators
// agree on the time. The minute is a hang guard, not a timing bound: a run
// that waited without saying so would wait forever on the held clock.
func (e *env) runAt(t testing.TB, at time.Time, lookahead time.Duration, mods ...recOption) (action.Report, []wait) {
	t.Helper()
	e.clk.Set(at)
	clk := clock.Hold(at)
	h := &waitLog{clk: clk}
	mods = append(mods, func(o *action.Options) { o.Clock, o.Logger = clk, slog.New(h) })
	r := e.reconciler(t, e.clone(t), mods...)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	rep, err := r.Run(ctx, action.RunOptions{Lookahead: lookahead})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return rep, h.waits
}
