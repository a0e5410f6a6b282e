package githubemu

import (
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/google/go-github/v62/github"
)

// listIssueEvents answers GET /repos/{owner}/{repo}/issues/{number}/events
// with the events the emulator models: review_dismissed, whose actor is who
// dismissed the review and whose dismissed_review says what it was (its
// state in lower case, as GitHub writes it), oldest first.
func (s *Server) listIssueEvents(w http.ResponseWriter, r *http.Request, c caller, rp *repo, pr *pull) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var dismissed []*review
	for _, rv := range pr.reviews {
		if rv.dismissedBy != "" {
			dismissed = append(dismissed, rv)
		}
	}
	sort.SliceStable(dismissed, func(i, j int) bool { return dismissed[i].dismissedAt.Before(dismissed[j].dismissedAt) })
	out := make([]*github.IssueEvent, 0, len(dismissed))
	for _, rv := range dismissed {
		id := rv.id + 1<<40 // an event id apart from the review's own
		out = append(out, &github.IssueEvent{
			ID:        ptr(id),
			URL:       ptr(fmt.Sprintf("%s/repos/%s/%s/issues/events/%d", s.baseURL, rp.owner, rp.name, id)),
			Actor:     s.userJSON(rv.dismissedBy),
			Event:     ptr("review_dismissed"),
			CreatedAt: &github.Timestamp{Time: rv.dismissedAt},
			DismissedReview: &github.DismissedReview{
				State:            ptr(strings.ToLower(rv.dismissedFrom)),
				ReviewID:         ptr(rv.id),
				DismissalMessage: ptr(rv.dismissalMessage),
			},
		})
	}
	writePage(s, w, r, out)
}
