package githubemu

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"
)

// Check runs, which only an App may create or update.

type checkRunRequest struct {
	Name        *string                `json:"name"`
	HeadSHA     *string                `json:"head_sha"`
	DetailsURL  *string                `json:"details_url"`
	ExternalID  *string                `json:"external_id"`
	Status      *string                `json:"status"`
	Conclusion  *string                `json:"conclusion"`
	StartedAt   *github.Timestamp      `json:"started_at"`
	CompletedAt *github.Timestamp      `json:"completed_at"`
	Output      *github.CheckRunOutput `json:"output"`
}

var (
	checkStatuses    = map[string]bool{"queued": true, "in_progress": true, "completed": true, "waiting": true, "requested": true, "pending": true}
	checkConclusions = map[string]bool{"success": true, "failure": true, "neutral": true, "cancelled": true, "skipped": true, "timed_out": true, "action_required": true, "stale": true}
	annotationLevels = map[string]bool{"notice": true, "warning": true, "failure": true}
)

// applyCheckRun validates req and applies it to cr; GitHub appends the
// annotations of each update to the ones already there.
func (s *Server) applyCheckRun(cr *checkRun, req checkRunRequest) *StatusError {
	if req.Name != nil {
		if strings.TrimSpace(*req.Name) == "" {
			return fieldErr("name", "name must not be blank")
		}
		cr.name = *req.Name
	}
	if req.Status != nil {
		if !checkStatuses[*req.Status] {
			return fieldErr("status", fmt.Sprintf("status %q is not one of queued, in_progress, completed", *req.Status))
		}
		cr.status = *req.Status
	}
	if req.Conclusion != nil {
		if !checkConclusions[*req.Conclusion] {
			return fieldErr("conclusion", fmt.Sprintf("conclusion %q is not valid", *req.Conclusion))
		}
		cr.conclusion = *req.Conclusion
		cr.status = "completed" // GitHub completes a run given a conclusion
	}
	if cr.status == "completed" && cr.conclusion == "" {
		return fieldErr("conclusion", "conclusion is required when status is completed")
	}
	if cr.status != "completed" {
		cr.conclusion, cr.completed = "", time.Time{}
	}
	if req.DetailsURL != nil {
		cr.detailsURL = *req.DetailsURL
	}
	if req.ExternalID != nil {
		cr.extID = *req.ExternalID
	}
	if req.StartedAt != nil {
		cr.started = req.StartedAt.Time.UTC()
	}
	if cr.status == "completed" {
		switch {
		case req.CompletedAt != nil:
			cr.completed = req.CompletedAt.Time.UTC()
		case cr.completed.IsZero():
			cr.completed = s.now()
		}
	}
	if o := req.Output; o != nil {
		if o.GetTitle() == "" || o.GetSummary() == "" {
			return fieldErr("output", "output needs a title and a summary")
		}
		if len(o.Annotations) > 50 {
			return fieldErr("output.annotations", "at most 50 annotations per request")
		}
		for i, a := range o.Annotations {
			if a.GetPath() == "" || a.StartLine == nil || a.EndLine == nil || !annotationLevels[a.GetAnnotationLevel()] || a.GetMessage() == "" {
				return fieldErr("output.annotations", fmt.Sprintf("annotation %d needs path, start_line, end_line, annotation_level (notice, warning, failure) and message", i))
			}
			if a.StartColumn != nil && a.GetStartLine() != a.GetEndLine() {
				return fieldErr("output.annotations", fmt.Sprintf("annotation %d: start_column and end_column need start_line == end_line", i))
			}
		}
		cr.title, cr.summary, cr.text = o.GetTitle(), o.GetSummary(), o.GetText()
		cr.annotations = append(cr.annotations, o.Annotations...)
	}
	return nil
}

func (s *Server) createCheckRun(w http.ResponseWriter, r *http.Request, c caller, rp *repo) {
	req, ok := decodeInto[checkRunRequest](s, w, r)
	if !ok {
		return
	}
	if req.Name == nil || req.HeadSHA == nil {
		s.invalid(w, "CheckRun", "name", "missing_field", "name and head_sha are required")
		return
	}
	if !isOID(*req.HeadSHA) || rp.git.commitExists(r.Context(), *req.HeadSHA) != nil {
		s.unprocessable(w, "No commit found for SHA: "+*req.HeadSHA)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cr := &checkRun{id: s.newID(), appID: s.app.id, headSHA: *req.HeadSHA, status: "queued", started: s.now()}
	if err := s.applyCheckRun(cr, req); err != nil {
		s.invalid(w, "CheckRun", err.Field, "invalid", err.Message)
		return
	}
	rp.checkRuns = append(rp.checkRuns, cr)
	writeJSON(w, http.StatusCreated, s.checkRunJSON(rp, cr, false))
}

// withCheckRun runs f with the check run {check_run_id} under the state
// lock, or answers 404.
func (s *Server) withCheckRun(w http.ResponseWriter, r *http.Request, rp *repo, f func(cr *checkRun)) {
	id, err := strconv.ParseInt(r.PathValue("check_run_id"), 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, cr := range rp.checkRuns {
		if err == nil && cr.id == id {
			f(cr)
			return
		}
	}
	s.notFound(w)
}

func (s *Server) getCheckRun(w http.ResponseWriter, r *http.Request, c caller, rp *repo) {
	s.withCheckRun(w, r, rp, func(cr *checkRun) {
		writeJSON(w, http.StatusOK, s.checkRunJSON(rp, cr, false))
	})
}

func (s *Server) updateCheckRun(w http.ResponseWriter, r *http.Request, c caller, rp *repo) {
	req, ok := decodeInto[checkRunRequest](s, w, r)
	if !ok {
		return
	}
	s.withCheckRun(w, r, rp, func(cr *checkRun) {
		if cr.appID != s.app.id {
			s.fail(w, http.StatusForbidden, "Invalid app_id: the check run belongs to another App")
			return
		}
		upd := *cr
		upd.annotations = append([]*github.CheckRunAnnotation(nil), cr.annotations...)
		if err := s.applyCheckRun(&upd, req); err != nil {
			s.invalid(w, "CheckRun", err.Field, "invalid", err.Message)
			return
		}
		*cr = upd
		writeJSON(w, http.StatusOK, s.checkRunJSON(rp, cr, false))
	})
}

func (s *Server) listAnnotations(w http.ResponseWriter, r *http.Request, c caller, rp *repo) {
	s.withCheckRun(w, r, rp, func(cr *checkRun) {
		writePage(s, w, r, append([]*github.CheckRunAnnotation{}, cr.annotations...))
	})
}

func (s *Server) listCheckRunsForRef(w http.ResponseWriter, r *http.Request, c caller, rp *repo) {
	ref := r.PathValue("ref")
	sha, err := rp.git.resolve(r.Context(), ref)
	if err != nil {
		s.unprocessable(w, "No commit found for SHA: "+ref)
		return
	}
	q := r.URL.Query()
	name, status, filter := q.Get("check_name"), q.Get("status"), q.Get("filter")
	appID, _ := strconv.ParseInt(q.Get("app_id"), 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	var sel []*checkRun
	seen := map[string]bool{}
	// Newest first; "latest" (the default) keeps the newest run per name.
	for i := len(rp.checkRuns) - 1; i >= 0; i-- {
		cr := rp.checkRuns[i]
		if cr.headSHA != sha || (name != "" && cr.name != name) || (status != "" && cr.status != status) || (appID != 0 && cr.appID != appID) {
			continue
		}
		if filter != "all" {
			if seen[cr.name] {
				continue
			}
			seen[cr.name] = true
		}
		sel = append(sel, cr)
	}
	sort.SliceStable(sel, func(i, j int) bool { return sel[i].id > sel[j].id })
	page := paginate(s, w, r, sel)
	out := make([]*github.CheckRun, 0, len(page))
	for _, cr := range page {
		out = append(out, s.checkRunJSON(rp, cr, false))
	}
	writeJSON(w, http.StatusOK, &github.ListCheckRunsResults{Total: ptr(len(sel)), CheckRuns: out})
}
