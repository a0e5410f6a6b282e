package githubemu

import (
	"encoding/json"
	"net/http"
	"strings"
)

// The REST endpoints, one file per resource as go-github splits its client:
// apps.go, users.go (users, teams, repositories), contents.go (git data and
// contents), pulls.go, reviews.go, issues.go, checks.go.
func (s *Server) routes() {
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.count(r.Method + " <unknown>")
		s.notFound(w)
	})

	// The App itself, authenticated with its JWT.
	s.handle("GET /app", authJWT, s.getApp)
	s.handle("GET /app/installations", authJWT, s.listInstallations)
	s.handle("POST /app/installations/{installation_id}/access_tokens", authJWT, s.createToken)
	s.handle("GET /repos/{owner}/{repo}/installation", authJWT, s.inRepo(s.getRepoInstallation))

	// The App-manifest flow: the web form (outside the API prefix, like
	// GitHub's web pages) and the unauthenticated code exchange.
	s.mux.HandleFunc("POST /organizations/{org}/settings/apps/new", s.newAppFromManifest)
	s.mux.HandleFunc("POST "+s.prefix+"/app-manifests/{code}/conversions", s.createFromManifest)

	s.handle("GET /users/{username}", authToken, s.getUser)
	s.handle("GET /orgs/{org}/teams", authToken, s.inOrg(s.listTeams))
	s.handle("GET /orgs/{org}/teams/{team_slug}/members", authToken, s.inTeam(s.listTeamMembers))
	s.handle("GET /orgs/{org}/teams/{team_slug}/memberships/{username}", authToken, s.inTeam(s.getTeamMembership))
	s.handle("GET /orgs/{org}/members/{username}", authToken, s.inOrg(s.checkOrgMember))

	s.handle("GET /repos/{owner}/{repo}", authToken, s.inRepo(s.getRepo))
	s.handle("GET /repos/{owner}/{repo}/collaborators/{username}/permission", authToken, s.inRepo(s.getPermission))
	s.handle("GET /repos/{owner}/{repo}/git/ref/{ref...}", authToken, s.inRepo(s.getRef))
	s.handle("POST /repos/{owner}/{repo}/git/refs", authToken, s.inRepo(s.createRef))
	s.handle("GET /repos/{owner}/{repo}/git/trees/{tree_sha}", authToken, s.inRepo(s.getTree))
	s.handle("GET /repos/{owner}/{repo}/contents/{path...}", authToken, s.inRepo(s.getContents))
	s.handle("PUT /repos/{owner}/{repo}/contents/{path...}", authToken, s.inRepo(s.putContents))
	s.handle("DELETE /repos/{owner}/{repo}/contents/{path...}", authToken, s.inRepo(s.deleteContents))

	s.handle("GET /repos/{owner}/{repo}/commits", authToken, s.inRepo(s.listCommits))
	s.handle("GET /repos/{owner}/{repo}/compare/{basehead...}", authToken, s.inRepo(s.compare))
	s.handle("GET /repos/{owner}/{repo}/commits/{sha}/pulls", authToken, s.inRepo(s.listCommitPulls))
	s.handle("GET /repos/{owner}/{repo}/pulls", authToken, s.inRepo(s.listPulls))
	s.handle("POST /repos/{owner}/{repo}/pulls", authToken, s.inRepo(s.createPull))
	s.handle("GET /repos/{owner}/{repo}/pulls/{number}", authToken, s.inPull(s.getPull))
	s.handle("PATCH /repos/{owner}/{repo}/pulls/{number}", authToken, s.inPull(s.patchPull))
	s.handle("GET /repos/{owner}/{repo}/pulls/{number}/files", authToken, s.inPull(s.listPullFiles))
	s.handle("GET /repos/{owner}/{repo}/pulls/{number}/commits", authToken, s.inPull(s.listPullCommits))
	s.handle("GET /repos/{owner}/{repo}/pulls/{number}/reviews", authToken, s.inPull(s.listReviews))
	s.handle("POST /repos/{owner}/{repo}/pulls/{number}/reviews", authToken, s.inPull(s.createReview))
	s.handle("GET /repos/{owner}/{repo}/pulls/{number}/reviews/{review_id}", authToken, s.inReview(s.getReview))
	s.handle("PUT /repos/{owner}/{repo}/pulls/{number}/reviews/{review_id}", authToken, s.inReview(s.reviewTextAPI("body", s.editReview)))
	s.handle("PUT /repos/{owner}/{repo}/pulls/{number}/reviews/{review_id}/dismissals", authToken, s.inReview(s.reviewTextAPI("message", s.dismissReview)))
	s.handle("GET /repos/{owner}/{repo}/pulls/{number}/requested_reviewers", authToken, s.inPull(s.listRequested))
	s.handle("POST /repos/{owner}/{repo}/pulls/{number}/requested_reviewers", authToken, s.inPull(s.requestReviewersAPI(false)))
	s.handle("DELETE /repos/{owner}/{repo}/pulls/{number}/requested_reviewers", authToken, s.inPull(s.requestReviewersAPI(true)))
	s.handle("GET /repos/{owner}/{repo}/pulls/{number}/merge", authToken, s.inPull(s.isMerged))
	s.handle("PUT /repos/{owner}/{repo}/pulls/{number}/merge", authToken, s.inPull(s.mergeAPI))

	s.handle("GET /repos/{owner}/{repo}/issues/{number}", authToken, s.inPull(s.getIssue))
	s.handle("PATCH /repos/{owner}/{repo}/issues/{number}", authToken, s.inPull(s.patchIssue))
	s.handle("POST /repos/{owner}/{repo}/issues/{number}/labels", authToken, s.inPull(s.labelsAPI("add")))
	s.handle("PUT /repos/{owner}/{repo}/issues/{number}/labels", authToken, s.inPull(s.labelsAPI("set")))
	s.handle("DELETE /repos/{owner}/{repo}/issues/{number}/labels", authToken, s.inPull(s.labelsAPI("clear")))
	s.handle("DELETE /repos/{owner}/{repo}/issues/{number}/labels/{name}", authToken, s.inPull(s.removeLabel))
	s.handle("POST /repos/{owner}/{repo}/issues/{number}/comments", authToken, s.inPull(s.createComment))
	// GitHub's GET issues/comments/{comment_id} and issues/{number}/labels
	// (comments, events) overlap as ServeMux patterns: one pattern serves
	// them all, each counted under its own route.
	issueGets := map[string]http.HandlerFunc{
		"labels":   s.served("GET /repos/{owner}/{repo}/issues/{number}/labels", authToken, s.inPull(s.listLabels)),
		"comments": s.served("GET /repos/{owner}/{repo}/issues/{number}/comments", authToken, s.inPull(s.listComments)),
		"events":   s.served("GET /repos/{owner}/{repo}/issues/{number}/events", authToken, s.inPull(s.listIssueEvents)),
	}
	commentByID := s.served("GET /repos/{owner}/{repo}/issues/comments/{comment_id}", authToken, s.inRepo(s.getComment))
	s.mux.HandleFunc("GET "+s.prefix+"/repos/{owner}/{repo}/issues/{number}/{sub}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("number") == "comments" {
			r.SetPathValue("comment_id", r.PathValue("sub"))
			commentByID(w, r)
			return
		}
		if h := issueGets[r.PathValue("sub")]; h != nil {
			h(w, r)
			return
		}
		s.count(r.Method + " <unknown>")
		s.notFound(w)
	})
	s.handle("PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}", authToken, s.inRepo(s.patchComment))

	s.handle("POST /repos/{owner}/{repo}/check-runs", authToken, s.inRepo(s.asApp(s.createCheckRun)))

	s.handle("POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches", authToken, s.inRepo(s.createDispatch))
	s.handle("GET /repos/{owner}/{repo}/check-runs/{check_run_id}", authToken, s.inRepo(s.getCheckRun))
	s.handle("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}", authToken, s.inRepo(s.asApp(s.updateCheckRun)))
	s.handle("GET /repos/{owner}/{repo}/check-runs/{check_run_id}/annotations", authToken, s.inRepo(s.listAnnotations))
	// go-github leaves the slashes of a branch name unescaped here, so the
	// ref is everything between commits/ and /check-runs.
	s.handleAs("GET /repos/{owner}/{repo}/commits/{ref...}", "GET /repos/{owner}/{repo}/commits/{ref}/check-runs", authToken,
		func(w http.ResponseWriter, r *http.Request, c caller) {
			ref, ok := strings.CutSuffix(r.PathValue("ref"), "/check-runs")
			if !ok || ref == "" {
				s.notFound(w)
				return
			}
			r.SetPathValue("ref", ref)
			s.inRepo(s.listCheckRunsForRef)(w, r, c)
		})
}

// The steps the handlers share, so that each holds only what its endpoint
// does: resolving the path, reading the body, applying a change and
// answering.

// repoHandler serves an endpoint under /repos/{owner}/{repo}.
type repoHandler func(w http.ResponseWriter, r *http.Request, c caller, rp *repo)

// pullHandler serves an endpoint of one pull request (or its issue).
type pullHandler func(w http.ResponseWriter, r *http.Request, c caller, rp *repo, pr *pull)

// reviewHandler serves an endpoint of one review of a pull request.
type reviewHandler func(w http.ResponseWriter, r *http.Request, c caller, rp *repo, pr *pull, id int64)

// inRepo resolves {owner}/{repo}, answering 404 when there is no such
// repository.
func (s *Server) inRepo(h repoHandler) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c caller) {
		if rp, ok := s.pathRepo(w, r); ok {
			h(w, r, c, rp)
		}
	}
}

// inPull resolves {owner}/{repo} and {number}, answering 404 when there is
// no such pull request.
func (s *Server) inPull(h pullHandler) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c caller) {
		if rp, pr, ok := s.pathPull(w, r); ok {
			h(w, r, c, rp, pr)
		}
	}
}

// asApp refuses callers that are not an App installation, as GitHub does
// for the checks API.
func (s *Server) asApp(h repoHandler) repoHandler {
	return func(w http.ResponseWriter, r *http.Request, c caller, rp *repo) {
		if !c.installation {
			s.fail(w, http.StatusForbidden, "You must authenticate via a GitHub App.")
			return
		}
		h(w, r, c, rp)
	}
}

// decodeInto reads the request body as JSON into a T, answering 400 when it
// cannot.
func decodeInto[T any](s *Server, w http.ResponseWriter, r *http.Request) (T, bool) {
	var req T
	if err := decodeBody(r, &req); err != nil {
		s.badJSON(w, err)
		return req, false
	}
	return req, true
}

// applied answers the error of a change that failed, or sends the webhooks
// of one that succeeded; it reports whether the handler should answer.
func (s *Server) applied(w http.ResponseWriter, evs []pendingEvent, err error) bool {
	if err != nil {
		s.writeErr(w, err)
		return false
	}
	s.hooks.enqueue(evs)
	return true
}

// respond answers with what build returns, built under the state lock.
func (s *Server) respond(w http.ResponseWriter, status int, build func() any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, status, build())
}

// textChange serves an endpoint whose body has one required text member
// (a comment's body, a review's body, a dismissal's message): change applies
// it and returns what to answer with, which respond builds under the lock.
func (s *Server) textChange(w http.ResponseWriter, r *http.Request, resource, field string, status int, change func(text string) (func() any, []pendingEvent, error)) {
	req, ok := decodeInto[map[string]json.RawMessage](s, w, r)
	if !ok {
		return
	}
	var text *string
	if raw, present := req[field]; present {
		if err := json.Unmarshal(raw, &text); err != nil {
			s.badJSON(w, err)
			return
		}
	}
	if text == nil {
		s.invalid(w, resource, field, "missing_field", field+" is required")
		return
	}
	build, evs, err := change(*text)
	if s.applied(w, evs, err) {
		s.respond(w, status, build)
	}
}

// base is the API's URL, which links in responses start with.
func (s *Server) base() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.baseURL
}

// writePage answers a list with one page of items and the Link header.
func writePage[T any](s *Server, w http.ResponseWriter, r *http.Request, items []T) {
	writeJSON(w, http.StatusOK, paginate(s, w, r, items))
}
