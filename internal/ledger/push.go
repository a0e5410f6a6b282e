package ledger

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// ErrPushRejected wraps a push the remote refused because main moved on;
// Push returns it when every attempt was rejected.
var ErrPushRejected = errors.New("push rejected: the branch moved on")

// Push pushes HEAD to branch on remote. When the remote has moved on (another
// run or a merge pushed first), it fetches, rebases the local commits onto
// the remote branch and calls replan, which must plan again from the fresh
// state (Requests) and commit whatever is still to do; then it pushes again,
// up to Options.PushAttempts times. It never forces: what is on main stays.
//
// A local commit whose file was changed on the remote meanwhile is dropped
// during the rebase rather than merged: its transition was planned on stale
// state, and replan decides again what that file needs. replan may be nil.
func (r *Repo) Push(ctx context.Context, remote, branch string, replan func(ctx context.Context) error) error {
	var last error
	for attempt := 1; attempt <= r.opts.PushAttempts; attempt++ {
		rejected, err := r.pushOnce(ctx, remote, branch)
		if err != nil {
			return err
		}
		if !rejected {
			return nil
		}
		last = fmt.Errorf("pushing to %s %s (attempt %d of %d): %w", remote, branch, attempt, r.opts.PushAttempts, ErrPushRejected)
		if attempt == r.opts.PushAttempts {
			break
		}
		r.opts.Logger.InfoContext(ctx, "push rejected, rebasing onto the remote and planning again",
			"remote", remote, "branch", branch, "attempt", attempt)
		if err := sleep(ctx, time.Duration(attempt)*r.opts.RetryDelay); err != nil {
			return err
		}
		dropped, err := r.Sync(ctx, remote, branch)
		if err != nil {
			return err
		}
		if len(dropped) > 0 {
			r.opts.Logger.InfoContext(ctx, "dropped local commits whose files changed on the remote",
				"commits", strings.Join(dropped, "; "))
		}
		if replan != nil {
			if err := replan(ctx); err != nil {
				return fmt.Errorf("planning again after a rejected push: %w", err)
			}
		}
	}
	return last
}

// pushOnce pushes and says whether the remote rejected it as not a fast
// forward. Any other failure (a protected branch, no permission, no network)
// is an error: retrying would not help.
func (r *Repo) pushOnce(ctx context.Context, remote, branch string) (rejected bool, err error) {
	ref := "HEAD:refs/heads/" + branch
	out, err := r.git.run(ctx, nil, "push", "--porcelain", remote, ref)
	if err == nil {
		return false, nil
	}
	var ge *GitError
	if errors.As(err, &ge) {
		// --porcelain: "!\t<src>:<dst>\t[rejected] (fetch first)" and the
		// like on stdout.
		for _, line := range strings.Split(string(out), "\n") {
			if !strings.HasPrefix(line, "!\t") {
				continue
			}
			if strings.Contains(line, "[rejected]") &&
				(strings.Contains(line, "fetch first") || strings.Contains(line, "non-fast-forward") || strings.Contains(line, "stale info")) {
				return true, nil
			}
			// Two pushes racing on the remote: the loser's ref update
			// finds main moved under it. That is a lost race, not a
			// failure, and fetch, rebase and retry resolve it.
			if strings.Contains(line, "[remote rejected]") && strings.Contains(line, "failed to update ref") {
				return true, nil
			}
		}
		if strings.Contains(ge.Stderr, "cannot lock ref 'refs/heads/"+branch+"'") {
			return true, nil
		}
	}
	return false, fmt.Errorf("pushing to %s %s: %w", remote, branch, err)
}

// Sync fetches branch from remote and rebases the local commits onto it, so
// that Requests sees what others pushed. Local commits that conflict are
// dropped (see Push); their subjects are returned.
func (r *Repo) Sync(ctx context.Context, remote, branch string) (dropped []string, err error) {
	if _, err := r.git.run(ctx, nil, "fetch", "--quiet", "--no-tags", remote, "refs/heads/"+branch); err != nil {
		return nil, fmt.Errorf("fetching %s %s: %w", remote, branch, err)
	}
	upstream, err := r.git.run(ctx, nil, "rev-parse", "--verify", "FETCH_HEAD^{commit}")
	if err != nil {
		return nil, fmt.Errorf("reading the fetched %s %s: %w", remote, branch, err)
	}
	onto := strings.TrimSpace(string(upstream))
	_, err = r.git.run(ctx, nil, "rebase", "--no-autostash", onto)
	for tries := 0; err != nil; tries++ {
		inProgress, perr := r.rebaseInProgress(ctx)
		if perr != nil {
			return dropped, perr
		}
		if !inProgress || tries > 10000 {
			return dropped, fmt.Errorf("rebasing onto %s %s: %w", remote, branch, err)
		}
		subject, _ := r.git.run(ctx, nil, "log", "-1", "--format=%s", "REBASE_HEAD")
		dropped = append(dropped, strings.TrimSpace(string(subject)))
		_, err = r.git.run(ctx, nil, "rebase", "--skip")
	}
	return dropped, nil
}

func (r *Repo) rebaseInProgress(ctx context.Context) (bool, error) {
	for _, name := range []string{"rebase-merge", "rebase-apply"} {
		out, err := r.git.run(ctx, nil, "rev-parse", "--path-format=absolute", "--git-path", name)
		if err != nil {
			return false, fmt.Errorf("checking for a rebase in progress: %w", err)
		}
		if _, err := os.Stat(strings.TrimSpace(string(out))); err == nil {
			return true, nil
		}
	}
	return false, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
