package githubemu

import (
	"context"
	"fmt"
	"net/http"
)

// markReachable applies GitHub's rule that a pull request is merged when its
// head commit becomes reachable from its base branch by any route (another
// pull request's merge, a push, a fast-forward of a shared head): every
// open pull request into main whose head is now an ancestor of tip is
// closed as merged, by login (the merger or pusher; "" when unknown), with
// its head as the merge commit. before is main's tip before the move: the
// pull request's commits and files stay what they were against it, as
// GitHub keeps them. It returns their "closed" events. The caller holds
// rp.git.mu.
func (s *Server) markReachable(ctx context.Context, rp *repo, login, before, tip string) []pendingEvent {
	type open struct {
		pr   *pull
		head string
	}
	s.mu.Lock()
	var cands []open
	for _, n := range sortedPullNumbers(rp) {
		pr := rp.pulls[n]
		if pr.state == "open" && !pr.merged && pr.base() == "main" {
			cands = append(cands, open{pr, pr.headSHA(rp)})
		}
	}
	s.mu.Unlock()
	var evs []pendingEvent
	for _, c := range cands {
		if c.head == "" {
			continue
		}
		if !rp.git.isAncestor(ctx, c.head, tip) {
			continue
		}
		base := before
		if base == "" {
			base = tip
		}
		mb, err := rp.git.mergeBase(ctx, base, c.head)
		if err != nil {
			mb = c.head
		}
		now := s.now()
		s.mu.Lock()
		pr := c.pr
		if pr.merged || pr.state != "open" {
			s.mu.Unlock()
			continue
		}
		pr.merged, pr.state, pr.mergedAt, pr.closedAt, pr.updated = true, "closed", now, now, now
		pr.closedBy = login
		pr.mergedBy, pr.mergeCommit, pr.headAtMerge, pr.mainAtMerge, pr.baseAtMrg = login, c.head, c.head, base, mb
		s.mu.Unlock()
		evs = append(evs, s.pullEvent(ctx, rp, pr, "closed", login, nil))
	}
	return evs
}

// FastForward moves main of owner/name to sha as a push by pusher would
// (e.g. an admin pushing an approved head from their machine): only
// forward, no merge commit. Every open pull request whose head becomes
// reachable is merged by GitHub's rule, and the push event is delivered.
func (s *Server) FastForward(owner, name, sha, pusher string) error {
	rp, err := s.driverRepo(owner, name)
	if err != nil {
		return err
	}
	ctx := context.Background()
	rp.git.mu.Lock()
	old, err := rp.git.branchTip("main")
	if err == nil {
		sha, err = rp.git.resolve(ctx, sha)
	}
	if err == nil {
		if _, aerr := rp.git.run(ctx, nil, nil, "merge-base", "--is-ancestor", old, sha); aerr != nil {
			err = statusErr(http.StatusUnprocessableEntity, "Update is not a fast forward")
		}
	}
	if err == nil {
		err = rp.git.moveBranch(ctx, "main", sha, old, "")
	}
	var evs []pendingEvent
	if err == nil {
		evs = s.markReachable(ctx, rp, pusher, old, sha)
	}
	rp.git.mu.Unlock()
	if err != nil {
		return fmt.Errorf("fast-forwarding main of %s/%s to %s: %w", owner, name, sha, err)
	}
	s.hooks.deliverNow(evs)
	s.notePush(rp)
	return nil
}
