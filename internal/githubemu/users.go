package githubemu

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v62/github"
)

// Users, teams and organization membership, which the App reads to expand
// owners and to check who may approve.

func (s *Server) getUser(w http.ResponseWriter, r *http.Request, c caller) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.userLocked(r.PathValue("username")); u != nil {
		writeJSON(w, http.StatusOK, s.ownerJSON(u.login))
		return
	}
	s.notFound(w)
}

func (s *Server) listTeams(w http.ResponseWriter, r *http.Request, c caller) {
	s.mu.Lock()
	defer s.mu.Unlock()
	org := r.PathValue("org")
	if !s.orgs[strings.ToLower(org)] {
		s.notFound(w)
		return
	}
	var out []*github.Team
	for _, k := range sortedKeys(s.teams) {
		if t := s.teams[k]; strings.EqualFold(t.org, org) {
			out = append(out, s.teamJSON(t))
		}
	}
	writePage(s, w, r, out)
}

// pathTeamLocked is the team {org}/{team_slug}, or nil.
func (s *Server) pathTeamLocked(r *http.Request) *team {
	return s.teams[key(r.PathValue("org"), r.PathValue("team_slug"))]
}

func (s *Server) listTeamMembers(w http.ResponseWriter, r *http.Request, c caller) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.pathTeamLocked(r); t != nil {
		out := make([]*github.User, 0, len(t.members))
		for _, m := range t.members {
			out = append(out, s.userJSON(m))
		}
		writePage(s, w, r, out)
		return
	}
	s.notFound(w)
}

func (s *Server) getTeamMembership(w http.ResponseWriter, r *http.Request, c caller) {
	s.mu.Lock()
	defer s.mu.Unlock()
	login := r.PathValue("username")
	if t := s.pathTeamLocked(r); t != nil && t.memberSet[strings.ToLower(login)] {
		writeJSON(w, http.StatusOK, &github.Membership{
			URL:   ptr(fmt.Sprintf("%s/teams/%d/memberships/%s", s.baseURL, t.id, login)),
			State: ptr("active"),
			Role:  ptr("member"),
		})
		return
	}
	s.notFound(w)
}

func (s *Server) checkOrgMember(w http.ResponseWriter, r *http.Request, c caller) {
	s.mu.Lock()
	defer s.mu.Unlock()
	org, login := r.PathValue("org"), strings.ToLower(r.PathValue("username"))
	for _, t := range s.teams {
		if strings.EqualFold(t.org, org) && t.memberSet[login] {
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	s.notFound(w)
}

// ---- repositories ----

func (s *Server) getRepo(w http.ResponseWriter, r *http.Request, c caller, rp *repo) {
	s.respond(w, http.StatusOK, func() any { return s.repoJSON(rp) })
}

func (s *Server) getPermission(w http.ResponseWriter, r *http.Request, c caller, rp *repo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(r.PathValue("username"))
	if u == nil {
		s.notFound(w)
		return
	}
	perm := rp.permissions[strings.ToLower(u.login)]
	if perm == "" {
		switch s.association(rp, u.login) {
		case "OWNER":
			perm = "admin"
		case "MEMBER":
			perm = "write"
		default:
			perm = "read"
		}
	}
	legacy := perm
	switch perm {
	case "maintain":
		legacy = "write"
	case "triage":
		legacy = "read"
	}
	writeJSON(w, http.StatusOK, map[string]any{"permission": legacy, "role_name": perm, "user": s.userJSON(u.login)})
}
