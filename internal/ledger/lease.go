package ledger

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jit-access/jit/internal/clock"
)

// LeaseRef is the ref on the remote that holds the reconcile's lease: a
// commit (with an empty tree, outside every branch) whose message names the
// run that holds it and when the lease runs out. Only one run holds it; every
// push of transitions to main is atomic with a renewal of the lease that
// expects the holder's own lease commit, so a run that lost its lease cannot
// record anything.
const LeaseRef = "refs/jit/reconcile-lease"

// Trailers of a lease commit.
const (
	trailerLeaseOwner   = "Jit-Lease-Owner"
	trailerLeaseExpires = "Jit-Lease-Expires"
)

// ErrLeaseHeld is returned by AcquireLease when another live run kept the
// lease for the whole wait; the error says which run and until when.
var ErrLeaseHeld = errors.New("another reconcile holds the lease")

// ErrLeaseLost is returned by Push and Renew when the lease is no longer
// this run's: it ran out and another run took it. The run must stop.
var ErrLeaseLost = errors.New("the reconcile lease was taken by another run")

// LeaseOptions configure AcquireLease.
type LeaseOptions struct {
	Remote string
	// Owner names the run in the lease, e.g. host, process and a random
	// suffix, or the workflow run.
	Owner string
	// TTL is how long the lease lasts without a renewal: a crashed run's
	// lease is free that long after its last heartbeat.
	TTL time.Duration
	// Wait bounds how long AcquireLease waits for another run's lease to be
	// released or to run out; Poll is how often it looks meanwhile.
	Wait, Poll time.Duration
	// Clock dates the lease; nil: the system clock.
	Clock clock.Clock
}

// LeaseInfo is what a lease commit says.
type LeaseInfo struct {
	Owner   string
	Expires time.Time
}

// Lease is the lease this run holds. Push includes its renewal once the
// repository holds it (AcquireLease).
type Lease struct {
	repo *Repo
	opts LeaseOptions

	mu  sync.Mutex
	sha string // the lease commit on the remote, written by this run
	// expires is when the lease written last runs out.
	expires time.Time
}

// AcquireLease takes the lease on remote for this run, waiting up to
// opts.Wait while another run holds a lease that has not run out. From then
// on, every Push of r renews it atomically with main.
func (r *Repo) AcquireLease(ctx context.Context, opts LeaseOptions) (*Lease, error) {
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Poll <= 0 {
		opts.Poll = 2 * time.Second
	}
	l := &Lease{repo: r, opts: opts}
	deadline := opts.Clock.Now().Add(opts.Wait)
	for {
		cur, info, err := r.readLease(ctx, opts.Remote)
		if err != nil {
			return nil, err
		}
		now := opts.Clock.Now()
		if cur == "" || !info.Expires.After(now) {
			if cur != "" {
				r.opts.Logger.InfoContext(ctx, "taking over a lease that ran out: its run stopped without releasing it",
					"owner", info.Owner, "expired", info.Expires)
			}
			ok, err := l.write(ctx, cur)
			if err != nil {
				return nil, err
			}
			if ok {
				r.lease = l
				return l, nil
			}
			continue // another run took it first: look again
		}
		if !now.Before(deadline) {
			return nil, fmt.Errorf("%w: %s, until %s", ErrLeaseHeld, info.Owner, info.Expires.UTC().Format(time.RFC3339))
		}
		r.opts.Logger.InfoContext(ctx, "waiting for the reconcile lease", "owner", info.Owner, "expires", info.Expires)
		if err := sleep(ctx, opts.Poll); err != nil {
			return nil, err
		}
	}
}

// Info is the lease as this run last wrote it.
func (l *Lease) Info() LeaseInfo {
	l.mu.Lock()
	defer l.mu.Unlock()
	return LeaseInfo{Owner: l.opts.Owner, Expires: l.expires}
}

// Renew extends the lease by its TTL. ErrLeaseLost means another run holds
// it now.
func (l *Lease) Renew(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	ok, err := l.writeLocked(ctx, l.sha)
	if err != nil {
		return err
	}
	if !ok {
		return ErrLeaseLost
	}
	return nil
}

// Release deletes the lease if it is still this run's, so that the next run
// need not wait for it to run out.
func (l *Lease) Release(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.repo.lease == l {
		l.repo.lease = nil
	}
	out, err := l.repo.git.run(ctx, nil, "push", "--porcelain", "--force-with-lease="+LeaseRef+":"+l.sha, l.opts.Remote, ":"+LeaseRef)
	if err != nil {
		if leaseRejected(string(out), err) {
			return nil // another run holds it already
		}
		return fmt.Errorf("releasing the reconcile lease: %w", err)
	}
	return nil
}

func (l *Lease) write(ctx context.Context, expect string) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.writeLocked(ctx, expect)
}

// writeLocked pushes a new lease commit in place of expect ("" for none)
// and reports whether the remote took it.
func (l *Lease) writeLocked(ctx context.Context, expect string) (bool, error) {
	sha, expires, err := l.commit(ctx)
	if err != nil {
		return false, err
	}
	out, err := l.repo.git.run(ctx, nil, "push", "--porcelain", "--force-with-lease="+LeaseRef+":"+expect, l.opts.Remote, sha+":"+LeaseRef)
	if err != nil {
		if leaseRejected(string(out), err) {
			return false, nil
		}
		return false, fmt.Errorf("writing the reconcile lease: %w", err)
	}
	l.sha, l.expires = sha, expires
	return true, nil
}

// commit makes a lease commit running out a TTL from now.
func (l *Lease) commit(ctx context.Context) (sha string, expires time.Time, err error) {
	tree, err := l.repo.git.run(ctx, []byte{}, "hash-object", "-w", "-t", "tree", "--stdin")
	if err != nil {
		return "", time.Time{}, fmt.Errorf("writing the lease's empty tree: %w", err)
	}
	expires = l.opts.Clock.Now().Add(l.opts.TTL).UTC()
	msg := fmt.Sprintf("jit: reconcile lease\n\n%s: %s\n%s: %s\n", trailerLeaseOwner, l.opts.Owner,
		trailerLeaseExpires, expires.Format(time.RFC3339Nano))
	out, err := l.repo.git.run(ctx, []byte(msg), "commit-tree", strings.TrimSpace(string(tree)))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("writing the lease commit: %w", err)
	}
	return strings.TrimSpace(string(out)), expires, nil
}

// pushArgs are the extra arguments of a push of main that renews the lease
// atomically with it, and the lease commit that push writes.
func (l *Lease) pushArgs(ctx context.Context) (args []string, refspec, sha string, expires time.Time, err error) {
	sha, expires, err = l.commit(ctx)
	if err != nil {
		return nil, "", "", time.Time{}, err
	}
	return []string{"--atomic", "--force-with-lease=" + LeaseRef + ":" + l.sha}, sha + ":" + LeaseRef, sha, expires, nil
}

// readLease reads the lease on remote: its commit ("" when there is none)
// and what it says.
func (r *Repo) readLease(ctx context.Context, remote string) (string, LeaseInfo, error) {
	out, err := r.git.run(ctx, nil, "ls-remote", remote, LeaseRef)
	if err != nil {
		return "", LeaseInfo{}, fmt.Errorf("reading the reconcile lease on %s: %w", remote, err)
	}
	fields := strings.Fields(string(out))
	if len(fields) < 2 {
		return "", LeaseInfo{}, nil
	}
	sha := fields[0]
	if _, err := r.git.run(ctx, nil, "-c", "gc.auto=0", "-c", "maintenance.auto=false", "fetch", "--quiet", "--no-tags", "--no-write-fetch-head", remote, LeaseRef); err != nil {
		var ge *GitError
		if errors.As(err, &ge) && strings.Contains(ge.Stderr, "couldn't find remote ref") {
			return "", LeaseInfo{}, nil // released in between
		}
		return "", LeaseInfo{}, fmt.Errorf("fetching the reconcile lease from %s: %w", remote, err)
	}
	msg, err := r.git.run(ctx, nil, "log", "-1", "--format=%(trailers:key="+trailerLeaseOwner+",valueonly)%x00%(trailers:key="+trailerLeaseExpires+",valueonly)", sha)
	if err != nil {
		return "", LeaseInfo{}, fmt.Errorf("reading the reconcile lease %s: %w", sha, err)
	}
	owner, exp, _ := strings.Cut(string(msg), "\x00")
	info := LeaseInfo{Owner: strings.TrimSpace(owner)}
	// A lease that cannot be read is taken as run out: it is not jit's
	// writing, and waiting on it forever would stop every reconcile.
	info.Expires, _ = time.Parse(time.RFC3339Nano, strings.TrimSpace(exp))
	return sha, info, nil
}

// leaseStale reports whether git refused to push because the remote's lease
// is not the one the push expected (--force-with-lease).
func leaseStale(out string) bool {
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "!\t") && strings.Contains(line, LeaseRef) && strings.Contains(line, "stale info") {
			return true
		}
	}
	return false
}

// leaseRejected reports whether a failed push says the lease ref was not
// what the push expected: the porcelain line of the lease ref, or, when two
// runs wrote it at the same instant, the remote's refusal to update it.
func leaseRejected(out string, err error) bool {
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "!\t") || !strings.Contains(line, LeaseRef) {
			continue
		}
		if strings.Contains(line, "stale info") || strings.Contains(line, "already exists") || strings.Contains(line, "fetch first") {
			return true
		}
		if strings.Contains(line, "[remote rejected]") && strings.Contains(line, "failed to update ref") {
			return true
		}
	}
	var ge *GitError
	return errors.As(err, &ge) && strings.Contains(ge.Stderr, "cannot lock ref '"+LeaseRef+"'")
}
