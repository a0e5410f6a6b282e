package githubemu

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/go-github/v62/github"
)

// Reviews and review requests.

func (s *Server) listReviews(w http.ResponseWriter, r *http.Request, c caller, rp *repo, pr *pull) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []*github.PullRequestReview{}
	for _, rv := range pr.reviews {
		if rv.state == "PENDING" && !strings.EqualFold(rv.user, c.login) {
			continue // a pending review is visible to its author only
		}
		out = append(out, s.reviewJSON(rp, pr, rv))
	}
	writePage(s, w, r, out)
}

// inReview resolves the pull request and {review_id}; the review itself is
// looked up under the lock by the handler.
func (s *Server) inReview(h reviewHandler) handlerFunc {
	return s.inPull(func(w http.ResponseWriter, r *http.Request, c caller, rp *repo, pr *pull) {
		id, err := strconv.ParseInt(r.PathValue("review_id"), 10, 64)
		if err != nil {
			s.notFound(w)
			return
		}
		h(w, r, c, rp, pr, id)
	})
}

func (s *Server) getReview(w http.ResponseWriter, r *http.Request, c caller, rp *repo, pr *pull, id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rv := s.findReviewLocked(pr, id)
	if rv == nil || (rv.state == "PENDING" && !strings.EqualFold(rv.user, c.login)) {
		s.notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, s.reviewJSON(rp, pr, rv))
}

func (s *Server) createReview(w http.ResponseWriter, r *http.Request, c caller, rp *repo, pr *pull) {
	req, ok := decodeInto[github.PullRequestReviewRequest](s, w, r)
	if !ok {
		return
	}
	if len(req.Comments) > 0 {
		s.invalid(w, "PullRequestReview", "comments", "invalid", "the emulator does not support review comments")
		return
	}
	event := req.GetEvent()
	if _, ok := map[string]bool{"": true, "APPROVE": true, "REQUEST_CHANGES": true, "COMMENT": true}[event]; !ok {
		s.invalid(w, "PullRequestReview", "event", "invalid", "event must be APPROVE, REQUEST_CHANGES or COMMENT")
		return
	}
	id, evs, err := s.submitReview(r.Context(), rp, pr, c.login, event, req.GetBody(), req.GetCommitID())
	if !s.applied(w, evs, err) {
		return
	}
	s.respond(w, http.StatusOK, func() any { return s.reviewJSON(rp, pr, s.findReviewLocked(pr, id)) })
}

// reviewTextAPI serves the review endpoints that take one required text:
// editing a review (its body) and dismissing one (the message).
func (s *Server) reviewTextAPI(field string, change func(ctx context.Context, rp *repo, pr *pull, id int64, actor, text string) (*review, []pendingEvent, error)) reviewHandler {
	return func(w http.ResponseWriter, r *http.Request, c caller, rp *repo, pr *pull, id int64) {
		s.textChange(w, r, "PullRequestReview", field, http.StatusOK, func(text string) (func() any, []pendingEvent, error) {
			rv, evs, err := change(r.Context(), rp, pr, id, c.login, text)
			return func() any { return s.reviewJSON(rp, pr, rv) }, evs, err
		})
	}
}

func (s *Server) listRequested(w http.ResponseWriter, r *http.Request, c caller, rp *repo, pr *pull) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := struct {
		Users []*github.User `json:"users"`
		Teams []*github.Team `json:"teams"`
	}{Users: []*github.User{}, Teams: []*github.Team{}}
	for _, u := range pr.requestedUsers {
		out.Users = append(out.Users, s.userJSON(u))
	}
	for _, t := range pr.requestedTeams {
		if tm := s.teams[key(rp.owner, t)]; tm != nil {
			out.Teams = append(out.Teams, s.teamJSON(tm))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) requestReviewersAPI(remove bool) pullHandler {
	return func(w http.ResponseWriter, r *http.Request, c caller, rp *repo, pr *pull) {
		req, ok := decodeInto[github.ReviewersRequest](s, w, r)
		if !ok {
			return
		}
		if len(req.Reviewers)+len(req.TeamReviewers) == 0 {
			s.invalid(w, "PullRequest", "reviewers", "missing_field", "reviewers or team_reviewers is required")
			return
		}
		evs, err := s.requestReviewers(r.Context(), rp, pr, c.login, req.Reviewers, req.TeamReviewers, remove)
		if !s.applied(w, evs, err) {
			return
		}
		status := http.StatusCreated
		if remove {
			status = http.StatusOK
		}
		s.respondPull(w, r, rp, pr, status)
	}
}

func (s *Server) isMerged(w http.ResponseWriter, r *http.Request, c caller, _ *repo, pr *pull) {
	s.mu.Lock()
	merged := pr.merged
	s.mu.Unlock()
	if !merged {
		s.notFound(w)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) mergeAPI(w http.ResponseWriter, r *http.Request, c caller, rp *repo, pr *pull) {
	req, ok := decodeInto[struct {
		CommitTitle   string  `json:"commit_title"`
		CommitMessage *string `json:"commit_message"`
		SHA           string  `json:"sha"`
		MergeMethod   string  `json:"merge_method"`
	}](s, w, r)
	if !ok {
		return
	}
	o := mergeOptions{method: req.MergeMethod, sha: req.SHA, title: req.CommitTitle, protected: true}
	if req.CommitMessage != nil {
		o.message, o.hasMessage = *req.CommitMessage, true
	}
	sha, evs, err := s.merge(r.Context(), rp, pr, c.login, o)
	if !s.applied(w, evs, err) {
		return
	}
	writeJSON(w, http.StatusOK, &github.PullRequestMergeResult{SHA: ptr(sha), Merged: ptr(true), Message: ptr("Pull Request successfully merged")})
}
