package githubemu

import (
	"net/http"
	"slices"
)

// listCommitPulls serves GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls
// (go-github's PullRequests.ListPullRequestsWithCommit), which the reconcile
// uses to find the pull request that merged a request file.
//
// As on GitHub: a commit on main is associated only with the merged pull
// requests that introduced it (as their merge commit or as one of their
// commits); a commit not on main with every pull request, open or merged,
// whose commits contain it. Oldest pull request first.
func (s *Server) listCommitPulls(w http.ResponseWriter, r *http.Request, c caller, rp *repo) {
	sha, err := rp.git.resolve(r.Context(), r.PathValue("sha"))
	if err != nil {
		// GitHub answers 422 for a SHA that is no commit of the repository.
		s.unprocessable(w, "No commit found for SHA: "+r.PathValue("sha"))
		return
	}
	onMain := false
	if tip, err := rp.git.branchTip("main"); err == nil {
		onMain = rp.git.isAncestor(r.Context(), sha, tip)
	}
	type candidate struct {
		pr         *pull
		from, head string
		mergeSHA   string
	}
	s.mu.Lock()
	var cands []candidate
	for _, n := range sortedPullNumbers(rp) {
		pr := rp.pulls[n]
		if onMain && !pr.merged {
			continue
		}
		from, _ := s.diffBaseSnapshot(rp, pr)
		cands = append(cands, candidate{pr: pr, from: from, head: pr.headSHA(rp), mergeSHA: pr.mergeCommit})
	}
	s.mu.Unlock()
	var sel []*pull
	for _, cd := range cands {
		if cd.mergeSHA == sha {
			sel = append(sel, cd.pr)
			continue
		}
		if cd.head == "" {
			continue
		}
		from := cd.from
		if from == "" {
			base, err := rp.git.branchTip("main")
			if err != nil {
				continue
			}
			if from, err = rp.git.mergeBase(r.Context(), base, cd.head); err != nil {
				continue
			}
		}
		commits, err := rp.git.log(r.Context(), from, cd.head)
		if err != nil {
			s.gitFail(w, err)
			return
		}
		if slices.ContainsFunc(commits, func(lc logEntry) bool { return lc.sha == sha }) {
			sel = append(sel, cd.pr)
		}
	}
	s.writePulls(w, r, rp, sel)
}
