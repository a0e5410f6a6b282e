package ledger

import (
	"context"
	"errors"
	"fmt"
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
	args := []string{"push", "--porcelain"}
	refs := []string{"HEAD:refs/heads/" + branch}
	l := r.lease
	var leaseSHA string
	var leaseExpires time.Time
	if l != nil {
		// The lease is renewed in the same atomic push: main moves only
		// while this run still holds it.
		l.mu.Lock()
		defer l.mu.Unlock()
		extra, spec, sha, expires, err := l.pushArgs(ctx)
		if err != nil {
			return false, err
		}
		args, refs = append(args, extra...), append(refs, spec)
		leaseSHA, leaseExpires = sha, expires
	}
	out, err := r.git.run(ctx, nil, append(append(args, remote), refs...)...)
	if err == nil {
		if l != nil {
			l.sha, l.expires = leaseSHA, leaseExpires
		}
		return false, nil
	}
	// The remote's lease is not the one this run wrote last: lost.
	if l != nil && leaseStale(string(out)) {
		return false, fmt.Errorf("pushing to %s %s: %w", remote, branch, ErrLeaseLost)
	}
	var ge *GitError
	if errors.As(err, &ge) {
		// --porcelain: "!\t<src>:<dst>\t[rejected] (fetch first)" and the
		// like on stdout.
		for _, line := range strings.Split(string(out), "\n") {
			if !strings.HasPrefix(line, "!\t") || !strings.Contains(line, ":refs/heads/"+branch+"\t") {
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
	if l != nil && leaseRejected(string(out), err) {
		return false, fmt.Errorf("pushing to %s %s: %w", remote, branch, ErrLeaseLost)
	}
	return false, fmt.Errorf("pushing to %s %s: %w", remote, branch, err)
}

// Sync fetches branch from remote and replays the local commits onto it, so
// that Requests sees what others pushed. A local commit whose file changed
// on the remote since the two diverged is dropped, whether or not git could
// merge the two texts: its transition was computed from a version of the
// file that is no longer the one it would be written onto (a revocation the
// App wrote meanwhile must never be overwritten by it). The dropped commits'
// subjects are returned; the caller plans again from what main now says.
func (r *Repo) Sync(ctx context.Context, remote, branch string) (dropped []string, err error) {
	if _, err := r.git.run(ctx, nil, "fetch", "--quiet", "--no-tags", remote, "refs/heads/"+branch); err != nil {
		return nil, fmt.Errorf("fetching %s %s: %w", remote, branch, err)
	}
	upstream, err := r.git.run(ctx, nil, "rev-parse", "--verify", "FETCH_HEAD^{commit}")
	if err != nil {
		return nil, fmt.Errorf("reading the fetched %s %s: %w", remote, branch, err)
	}
	onto := strings.TrimSpace(string(upstream))
	local, err := r.localCommits(ctx, onto)
	if err != nil {
		return nil, err
	}
	// HEAD moves: the next Commit looks for main's newest signed record
	// again rather than name a commit the reset leaves behind.
	r.signedTip("")
	// The clone holds nothing but committed transitions (Commit writes and
	// commits one file at a time), so a hard reset loses nothing.
	if _, err := r.git.run(ctx, nil, "reset", "--quiet", "--hard", onto); err != nil {
		return nil, fmt.Errorf("moving to %s %s: %w", remote, branch, err)
	}
	for _, c := range local.commits {
		if c.touches(local.changed) {
			dropped = append(dropped, c.subject)
			continue
		}
		if _, err := r.git.run(ctx, nil, "cherry-pick", "--allow-empty-message", c.sha); err != nil {
			// The file is untouched upstream, so this is not expected;
			// dropping is the safe side (the next plan decides again).
			if _, aerr := r.git.run(ctx, nil, "cherry-pick", "--abort"); aerr != nil {
				return dropped, fmt.Errorf("replaying %q onto %s %s: %w (and aborting: %v)", c.subject, remote, branch, err, aerr)
			}
			dropped = append(dropped, c.subject)
		}
	}
	return dropped, nil
}

// localCommit is one commit of this clone not yet on the remote.
type localCommit struct {
	sha, subject string
	files        []string
}

func (c localCommit) touches(changed map[string]bool) bool {
	for _, f := range c.files {
		if changed[f] {
			return true
		}
	}
	return false
}

// divergence is what separates HEAD from the fetched remote branch: the
// local commits, oldest first, and the files the remote changed since.
type divergence struct {
	commits []localCommit
	changed map[string]bool
}

func (r *Repo) localCommits(ctx context.Context, onto string) (divergence, error) {
	d := divergence{changed: map[string]bool{}}
	out, err := r.git.run(ctx, nil, "merge-base", "HEAD", onto)
	if err != nil {
		return d, fmt.Errorf("finding where this clone and the remote diverged: %w", err)
	}
	base := strings.TrimSpace(string(out))
	if out, err = r.git.run(ctx, nil, "diff", "--name-only", "-z", "--no-renames", base, onto); err != nil {
		return d, fmt.Errorf("listing the files changed on the remote: %w", err)
	}
	for _, f := range strings.Split(string(out), "\x00") {
		if f != "" {
			d.changed[f] = true
		}
	}
	// One record per commit: a NUL, SHA, subject; then its files.
	out, err = r.git.run(ctx, nil, "log", "--reverse", "--no-renames", "--format=%x00%x00%H%x00%s", "--name-only", "-z", base+"..HEAD")
	if err != nil {
		return d, fmt.Errorf("listing the local commits: %w", err)
	}
	for _, rec := range strings.Split(string(out), "\x00\x00") {
		if rec == "" {
			continue
		}
		parts := strings.Split(strings.Trim(rec, "\x00\n"), "\x00")
		if len(parts) < 2 {
			return d, fmt.Errorf("unexpected git log output %q", rec)
		}
		c := localCommit{sha: parts[0], subject: parts[1]}
		for _, f := range parts[2:] {
			if f = strings.TrimSpace(f); f != "" {
				c.files = append(c.files, f)
			}
		}
		d.commits = append(d.commits, c)
	}
	return d, nil
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
