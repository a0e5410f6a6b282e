package ledger

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jit-access/jit/internal/clock"
	"github.com/jit-access/jit/internal/gittest"
	"github.com/jit-access/jit/schema"
)

func TestLeaseOneHolderAtATime(t *testing.T) {
	origin, _, a, b := twoRuns(t)
	ctx := context.Background()
	clk := clock.At(time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC))
	opts := func(owner string) LeaseOptions {
		return LeaseOptions{Remote: "origin", Owner: owner, TTL: time.Minute, Poll: time.Millisecond, Clock: clk}
	}

	la, err := a.AcquireLease(ctx, opts("run-a"))
	if err != nil {
		t.Fatal(err)
	}
	// A second run does not get it while the first is alive.
	if _, err := b.AcquireLease(ctx, opts("run-b")); !errors.Is(err, ErrLeaseHeld) {
		t.Fatalf("second run: error = %v, want ErrLeaseHeld", err)
	}
	// The holder's pushes renew it, atomically with main.
	clk.Advance(50 * time.Second)
	setState(t, a, x, schema.StateActive)
	if err := a.Push(ctx, "origin", "main", nil); err != nil {
		t.Fatal(err)
	}
	if got, want := la.Info().Expires, clk.Now().Add(time.Minute); got.Sub(want).Abs() > time.Second {
		t.Errorf("lease runs out at %s after the push, want about %s", got, want)
	}
	clk.Advance(50 * time.Second)
	if _, err := b.AcquireLease(ctx, opts("run-b")); !errors.Is(err, ErrLeaseHeld) {
		t.Fatalf("after a renewal: error = %v, want ErrLeaseHeld", err)
	}
	// The holder stops renewing (a crash): a minute later the lease is free.
	clk.Advance(11 * time.Second)
	lb, err := b.AcquireLease(ctx, opts("run-b"))
	if err != nil {
		t.Fatalf("after the lease ran out: %v", err)
	}
	// The first run, back to life, can no longer record anything.
	setState(t, a, y, schema.StateActive)
	if err := a.Push(ctx, "origin", "main", nil); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("push without the lease: error = %v, want ErrLeaseLost", err)
	}
	if err := la.Renew(ctx); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("renewal without the lease: error = %v, want ErrLeaseLost", err)
	}
	if got := gittest.Run(t, origin, "log", "--format=%s", "main"); got != "jit: active "+x+"\nseed" {
		t.Errorf("origin history:\n%s", got)
	}
	// Released, the next run takes it at once; a stale release is harmless.
	if err := la.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if err := lb.Release(ctx); err != nil {
		t.Fatal(err)
	}
	lc, err := a.AcquireLease(ctx, opts("run-c"))
	if err != nil {
		t.Fatalf("after the release: %v", err)
	}
	if lc.Info().Owner != "run-c" {
		t.Errorf("owner %q", lc.Info().Owner)
	}
}

func TestLeaseWaitsForTheHolder(t *testing.T) {
	_, clones := setup(t, nil, 2)
	ctx := context.Background()
	clk := clock.At(time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC))
	a, b := open(t, clones[0]), open(t, clones[1])
	la, err := a.AcquireLease(ctx, LeaseOptions{Remote: "origin", Owner: "run-a", TTL: time.Minute, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := b.AcquireLease(ctx, LeaseOptions{Remote: "origin", Owner: "run-b", TTL: time.Minute, Wait: time.Minute, Poll: 10 * time.Millisecond, Clock: clk})
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("the second run did not wait: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	if err := la.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("after the release: %v", err)
	}
}
