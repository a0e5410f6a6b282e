package githubemu

import (
	"context"
)

// markReachable applies GitHub's rule that a pull request is merged when its
// head commit becomes reachable from its base branch by any route (another
// pull request's merge, a push): every other open pull request into main
// whose head is now an ancestor of tip is closed as merged, by login, with
// its head as the merge commit. It returns their "closed" events. The
// caller holds rp.git.mu.
func (s *Server) markReachable(ctx context.Context, rp *repo, login, tip string) []pendingEvent {
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
		now := s.now()
		s.mu.Lock()
		pr := c.pr
		pr.merged, pr.state, pr.mergedAt, pr.closedAt, pr.updated = true, "closed", now, now, now
		pr.closedBy = login
		pr.mergedBy, pr.mergeCommit, pr.headAtMerge, pr.mainAtMerge = login, c.head, c.head, tip
		s.mu.Unlock()
		if mb, err := rp.git.mergeBase(ctx, tip, c.head); err == nil {
			s.mu.Lock()
			pr.baseAtMrg = mb
			s.mu.Unlock()
		}
		evs = append(evs, s.pullEvent(ctx, rp, pr, "closed", login, nil))
	}
	return evs
}
