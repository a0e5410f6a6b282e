package githubemu

import (
	"fmt"
	"hash/fnv"
	"maps"
	"net/http"
	"slices"
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

// inOrg resolves {org}, answering 404 when there is no such organization.
func (s *Server) inOrg(h func(w http.ResponseWriter, r *http.Request, c caller, org string)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c caller) {
		org := r.PathValue("org")
		s.mu.Lock()
		known := s.orgs[strings.ToLower(org)]
		s.mu.Unlock()
		if !known {
			s.notFound(w)
			return
		}
		h(w, r, c, org)
	}
}

func (s *Server) listTeams(w http.ResponseWriter, r *http.Request, c caller, org string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*github.Team
	for _, k := range slices.Sorted(maps.Keys(s.teams)) {
		if t := s.teams[k]; strings.EqualFold(t.org, org) {
			out = append(out, s.teamJSON(t))
		}
	}
	writePage(s, w, r, out)
}

// teamHandler serves an endpoint of one team.
type teamHandler func(w http.ResponseWriter, r *http.Request, c caller, t *team)

// inTeam resolves {org}/{team_slug}, answering 404 when there is no such
// team.
func (s *Server) inTeam(h teamHandler) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c caller) {
		s.mu.Lock()
		t := s.teams[key(r.PathValue("org"), r.PathValue("team_slug"))]
		s.mu.Unlock()
		if t == nil {
			s.notFound(w)
			return
		}
		h(w, r, c, t)
	}
}

func (s *Server) listTeamMembers(w http.ResponseWriter, r *http.Request, c caller, t *team) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*github.User, 0, len(t.members))
	for _, m := range t.members {
		out = append(out, s.userJSON(m))
	}
	writePage(s, w, r, out)
}

func (s *Server) getTeamMembership(w http.ResponseWriter, r *http.Request, c caller, t *team) {
	s.mu.Lock()
	defer s.mu.Unlock()
	login := r.PathValue("username")
	if !t.memberSet[strings.ToLower(login)] {
		s.notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, &github.Membership{
		URL:   ptr(fmt.Sprintf("%s/teams/%d/memberships/%s", s.baseURL, t.id, login)),
		State: ptr("active"),
		Role:  ptr("member"),
	})
}

func (s *Server) checkOrgMember(w http.ResponseWriter, r *http.Request, c caller, org string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	login := strings.ToLower(r.PathValue("username"))
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
	perm := s.permissionLocked(rp, u.login)
	legacy := perm
	switch perm {
	case "maintain":
		legacy = "write"
	case "triage":
		legacy = "read"
	}
	writeJSON(w, http.StatusOK, map[string]any{"permission": legacy, "role_name": perm, "user": s.userJSON(u.login)})
}

// userIDLocked gives a new account its id. GitHub's ids never change and
// are never reused; here they also do not depend on the order accounts were
// added in, so a config can pin them (users: login: {github_id: ...}) and
// the sandbox and tests see the same id for the same login every run. A
// login registered again after a rename gets the next free id.
func (s *Server) userIDLocked(login string) int64 {
	h := fnv.New32a()
	h.Write([]byte(strings.ToLower(login)))
	id := 1_000_000 + int64(h.Sum32()%89_000_000)
	for s.userIDTakenLocked(id) {
		id++
	}
	return id
}

func (s *Server) userIDTakenLocked(id int64) bool {
	for _, u := range s.users {
		if u.id == id {
			return true
		}
	}
	return false
}

// UserID is the id of the account that holds login now; 0 when none does.
func (s *Server) UserID(login string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.userLocked(login); u != nil {
		return u.id
	}
	return 0
}

// RenameUser renames the account login to newLogin, as a user can on
// GitHub: the account keeps its id, its email, its team memberships and
// repository permissions, which follow the account, not the name; login is then free for another
// account to register with AddUser, which gets a new id. What the account
// did before the rename (pull requests, reviews, comments) keeps the login
// it was done under, so it renders as whichever account holds that login:
// tests of a reused login act with the new account after the rename.
func (s *Server) RenameUser(login, newLogin string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[strings.ToLower(login)]
	if u == nil || u.typ != "User" {
		return fmt.Errorf("renaming %s: no such user", login)
	}
	if s.users[strings.ToLower(newLogin)] != nil {
		return fmt.Errorf("renaming %s: %s is taken", login, newLogin)
	}
	delete(s.users, strings.ToLower(login))
	u.login = newLogin
	s.users[strings.ToLower(newLogin)] = u
	for e, l := range s.emails {
		if strings.EqualFold(l, login) {
			s.emails[e] = newLogin
		}
	}
	for _, t := range s.teams {
		if !t.memberSet[strings.ToLower(login)] {
			continue
		}
		delete(t.memberSet, strings.ToLower(login))
		t.memberSet[strings.ToLower(newLogin)] = true
		for i, m := range t.members {
			if strings.EqualFold(m, login) {
				t.members[i] = newLogin
			}
		}
	}
	for _, rp := range s.repos {
		if p, ok := rp.permissions[strings.ToLower(login)]; ok {
			delete(rp.permissions, strings.ToLower(login))
			rp.permissions[strings.ToLower(newLogin)] = p
		}
	}
	for _, tok := range s.tokens {
		if strings.EqualFold(tok.login, login) {
			tok.login = newLogin
		}
	}
	return nil
}
