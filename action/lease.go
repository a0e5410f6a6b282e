package action

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/jit-access/jit/internal/ledger"
)

// defaultOwner names a run in the lease: where it runs and a random part,
// so that two runs on one machine differ.
func defaultOwner() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	owner := fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))
	if id := os.Getenv("GITHUB_RUN_ID"); id != "" {
		owner = "github-run-" + id + "/" + owner
	}
	return owner
}

// hold takes the reconcile lease and keeps it alive until release is
// called. The returned context ends if the lease is lost: a run that no
// longer holds it must not act in AWS either. held is false when another
// run kept the lease for the whole wait; why says which.
func (r *Reconciler) hold(ctx context.Context) (runCtx context.Context, release func(), held bool, why string, err error) {
	l, err := r.opts.Ledger.AcquireLease(ctx, ledger.LeaseOptions{
		Remote: r.opts.Remote, Owner: r.opts.Owner, TTL: r.opts.LeaseTTL,
		Wait: r.opts.LeaseWait, Poll: r.opts.LeasePoll, Clock: r.opts.Clock,
	})
	if errors.Is(err, ledger.ErrLeaseHeld) {
		return nil, nil, false, err.Error(), nil
	}
	if err != nil {
		return nil, nil, false, "", fmt.Errorf("taking the reconcile lease on %s: %w", r.opts.Remote, err)
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(r.opts.LeaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-runCtx.Done():
				return
			case <-t.C:
			}
			err := l.Renew(runCtx)
			switch {
			case errors.Is(err, ledger.ErrLeaseLost):
				r.log.ErrorContext(ctx, "the reconcile lease was taken by another run; stopping", "owner", r.opts.Owner)
				cancel(err)
				return
			case err != nil && runCtx.Err() == nil:
				// Renewed at the next tick or by the next push; past the
				// TTL another run may take it, and this run's pushes fail.
				r.log.WarnContext(ctx, "renewing the reconcile lease", "error", err)
			}
		}
	}()
	release = func() {
		close(stop)
		<-done
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer rcancel()
		if err := l.Release(rctx); err != nil {
			r.log.WarnContext(ctx, "releasing the reconcile lease; it runs out by itself", "error", err, "ttl", r.opts.LeaseTTL)
		}
		cancel(nil)
	}
	return runCtx, release, true, "", nil
}
