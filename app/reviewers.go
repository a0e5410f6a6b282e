package app

import (
	"slices"
	"strings"

	"github.com/jit-access/jit/internal/approval"
	"github.com/jit-access/jit/internal/change"
	"github.com/jit-access/jit/internal/judgment"
)

// reviewRequests are the users and team slugs apply asks to review: the
// decision's next reviewers that the pull request does not already ask
// (requested_reviewers and requested_teams, as the payload or the API
// tells), the author never, and:
//
//   - On the event of a pull request opened, or marked ready for review,
//     that is not a draft (codeOwnersAsked), not the code owners of its
//     changed files: GitHub asks them itself. "Code owners are
//     automatically requested for review when someone opens a pull request
//     that modifies code that they own. Code owners are not automatically
//     requested to review draft pull requests. [...] When you mark a draft
//     pull request as ready for review, code owners are automatically
//     notified." ("About code owners", docs.github.com). The owners are
//     read from the same CODEOWNERS of the base branch, through the same
//     rule (judgment.Rules.OwnersOf), as the approval's.
//   - When the state did not move (changed is false), only those who have
//     not reviewed the pull request yet (a team: none of its members), so
//     that nobody is asked again on every event: a code owner GitHub did
//     not ask (one without write access: "The people you choose as code
//     owners must have write permissions for the repository") is asked at
//     the next event, or by the sweep. Without the reviews (a first
//     evaluation), nobody is.
func (h *handler) reviewRequests(a *assessment, changed bool) (users, teams []string) {
	pr := a.pr
	users, teams = splitReviewers(a.decision.NextReviewers, h.repo.Owner, pr.Author)
	users, teams = notRequested(users, pr.RequestedUsers), notRequested(teams, pr.RequestedTeams)
	if a.codeOwnersAsked {
		ownerUsers, ownerTeams := splitReviewers(codeOwnersOf(a.rules, a.files), h.repo.Owner, pr.Author)
		users, teams = notRequested(users, ownerUsers), notRequested(teams, ownerTeams)
	}
	if changed || len(users)+len(teams) == 0 {
		return users, teams
	}
	if !a.reviewsRead {
		return nil, nil
	}
	users = slices.DeleteFunc(users, func(u string) bool {
		return slices.ContainsFunc(a.reviews, func(r approval.Review) bool { return strings.EqualFold(r.User, u) })
	})
	teams = slices.DeleteFunc(teams, func(slug string) bool {
		for _, r := range a.reviews {
			if r.User == "" || strings.EqualFold(r.User, pr.Author) {
				continue
			}
			member, err := a.teams.IsMember(h.repo.Owner+"/"+slug, r.User)
			if err != nil {
				// Not knowing, ask nobody rather than again.
				h.log.Warn("reading a team to ask its review", "team", slug, "err", err)
				return true
			}
			if member {
				return true
			}
		}
		return false
	})
	return users, teams
}

// codeOwnersOf are the owners, as written in CODEOWNERS, of the files a
// change touches (both paths of a rename): those GitHub asks to review.
func codeOwnersOf(rules judgment.Rules, files []change.File) []string {
	var out []string
	for _, f := range files {
		for _, p := range []string{f.Path, f.PreviousPath} {
			if p == "" {
				continue
			}
			for _, o := range rules.OwnersOf(p) {
				if !slices.Contains(out, o) {
					out = append(out, o)
				}
			}
		}
	}
	return out
}
