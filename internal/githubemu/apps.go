package githubemu

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/google/go-github/v62/github"
)

// The App's own endpoints, authenticated with its JWT: the App, its one
// installation and installation tokens.

func (s *Server) getApp(w http.ResponseWriter, r *http.Request, c caller) {
	s.respond(w, http.StatusOK, func() any { return s.appJSON() })
}

func (s *Server) installationFullJSON() *github.Installation {
	in := s.installationJSON()
	in.AppID = ptr(s.app.id)
	in.AppSlug = ptr(s.app.slug)
	in.TargetType = ptr("Organization")
	in.RepositorySelection = ptr("all")
	in.AccessTokensURL = ptr(fmt.Sprintf("%s/app/installations/%d/access_tokens", s.baseURL, s.app.installationID))
	in.Permissions = s.appJSON().Permissions
	in.Events = s.appJSON().Events
	for _, o := range slices.Sorted(maps.Keys(s.orgs)) {
		in.Account = s.ownerJSON(s.userLocked(o).login)
		in.TargetID = in.Account.ID
		break
	}
	return in
}

func (s *Server) listInstallations(w http.ResponseWriter, r *http.Request, c caller) {
	s.mu.Lock()
	defer s.mu.Unlock()
	writePage(s, w, r, []*github.Installation{s.installationFullJSON()})
}

func (s *Server) getRepoInstallation(w http.ResponseWriter, r *http.Request, c caller, rp *repo) {
	s.respond(w, http.StatusOK, func() any { return s.installationFullJSON() })
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, c caller) {
	id, err := strconv.ParseInt(r.PathValue("installation_id"), 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil || id != s.app.installationID {
		s.notFound(w)
		return
	}
	tok := "ghs_" + randomHex(18)
	expires := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	s.tokens[tok] = &token{login: s.app.bot.login, installation: true, expires: expires}
	writeJSON(w, http.StatusCreated, map[string]any{
		"token":                tok,
		"expires_at":           expires.Format(time.RFC3339),
		"permissions":          s.appJSON().Permissions,
		"repository_selection": "all",
	})
}
