package githubemu

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/google/go-github/v62/github"
)

// A pull request's issue: its state, labels, comments and events.

func (s *Server) getIssue(w http.ResponseWriter, r *http.Request, c caller, rp *repo, pr *pull) {
	s.respond(w, http.StatusOK, func() any { return s.issueJSON(rp, pr) })
}

func (s *Server) patchIssue(w http.ResponseWriter, r *http.Request, c caller, rp *repo, pr *pull) {
	req, ok := decodeInto[github.IssueRequest](s, w, r)
	if !ok {
		return
	}
	evs, err := s.editPull(r.Context(), rp, pr, c.login, req.Title, req.Body, req.State)
	if err != nil {
		s.writeErr(w, err)
		return
	}
	if req.Labels != nil {
		more, err := s.setLabels(r.Context(), rp, pr, c.login, "set", *req.Labels)
		if err != nil {
			s.writeErr(w, err)
			return
		}
		evs = append(evs, more...)
	}
	s.hooks.enqueue(evs)
	s.respond(w, http.StatusOK, func() any { return s.issueJSON(rp, pr) })
}

func (s *Server) writeLabels(w http.ResponseWriter, r *http.Request, rp *repo, pr *pull, paged bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ls := s.labelsJSON(rp, pr)
	if paged {
		ls = paginate(s, w, r, ls)
	}
	writeJSON(w, http.StatusOK, ls)
}

func (s *Server) listLabels(w http.ResponseWriter, r *http.Request, c caller, rp *repo, pr *pull) {
	s.writeLabels(w, r, rp, pr, true)
}

// labelNames accepts every body shape GitHub does: ["a"], {"labels":["a"]}
// and {"labels":[{"name":"a"}]}.
func labelNames(r *http.Request) ([]string, error) {
	var raw json.RawMessage
	if err := decodeBody(r, &raw); err != nil {
		return nil, err
	}
	if len(raw) == 0 {
		return nil, nil
	}
	var names []string
	if json.Unmarshal(raw, &names) == nil {
		return names, nil
	}
	var obj struct {
		Labels json.RawMessage `json:"labels"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, err
	}
	if json.Unmarshal(obj.Labels, &names) == nil {
		return names, nil
	}
	var objs []struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(obj.Labels, &objs); err != nil {
		return nil, errors.New("labels must be a list of names")
	}
	for _, o := range objs {
		names = append(names, o.Name)
	}
	return names, nil
}

func (s *Server) labelsAPI(mode string) pullHandler {
	return func(w http.ResponseWriter, r *http.Request, c caller, rp *repo, pr *pull) {
		var names []string
		if mode != "clear" {
			var err error
			if names, err = labelNames(r); err != nil {
				s.badJSON(w, err)
				return
			}
		}
		m := mode
		if mode == "clear" {
			m = "set"
		}
		evs, err := s.setLabels(r.Context(), rp, pr, c.login, m, names)
		if !s.applied(w, evs, err) {
			return
		}
		if mode == "clear" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		s.writeLabels(w, r, rp, pr, false)
	}
}

func (s *Server) removeLabel(w http.ResponseWriter, r *http.Request, c caller, rp *repo, pr *pull) {
	evs, err := s.setLabels(r.Context(), rp, pr, c.login, "remove", []string{r.PathValue("name")})
	if !s.applied(w, evs, err) {
		return
	}
	s.writeLabels(w, r, rp, pr, false)
}

func (s *Server) listComments(w http.ResponseWriter, r *http.Request, c caller, rp *repo, pr *pull) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*github.IssueComment, 0, len(pr.comments))
	for _, id := range pr.comments {
		out = append(out, s.commentJSON(rp, rp.comments[id]))
	}
	writePage(s, w, r, out)
}

func (s *Server) createComment(w http.ResponseWriter, r *http.Request, c caller, rp *repo, pr *pull) {
	s.textChange(w, r, "IssueComment", "body", http.StatusCreated, func(body string) (func() any, []pendingEvent, error) {
		cm, evs, err := s.addComment(rp, pr, c.login, body)
		return func() any { return s.commentJSON(rp, cm) }, evs, err
	})
}

// getComment answers GET /repos/{owner}/{repo}/issues/comments/{comment_id}:
// one comment of the repository's issues and pull requests.
func (s *Server) getComment(w http.ResponseWriter, r *http.Request, c caller, rp *repo) {
	id, err := strconv.ParseInt(r.PathValue("comment_id"), 10, 64)
	if err != nil {
		s.notFound(w)
		return
	}
	s.mu.Lock()
	cm := rp.comments[id]
	var out *github.IssueComment
	if cm != nil {
		out = s.commentJSON(rp, cm)
	}
	s.mu.Unlock()
	if out == nil {
		s.notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) patchComment(w http.ResponseWriter, r *http.Request, c caller, rp *repo) {
	id, err := strconv.ParseInt(r.PathValue("comment_id"), 10, 64)
	if err != nil {
		s.notFound(w)
		return
	}
	s.textChange(w, r, "IssueComment", "body", http.StatusOK, func(body string) (func() any, []pendingEvent, error) {
		cm, evs, err := s.editComment(rp, id, c.login, body)
		return func() any { return s.commentJSON(rp, cm) }, evs, err
	})
}

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
