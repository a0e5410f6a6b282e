package githubemu

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"
)

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
	s.handle("GET /repos/{owner}/{repo}/installation", authJWT, s.getRepoInstallation)

	s.handle("GET /users/{username}", authToken, s.getUser)
	s.handle("GET /orgs/{org}/teams", authToken, s.listTeams)
	s.handle("GET /orgs/{org}/teams/{team_slug}/members", authToken, s.listTeamMembers)
	s.handle("GET /orgs/{org}/teams/{team_slug}/memberships/{username}", authToken, s.getTeamMembership)
	s.handle("GET /orgs/{org}/members/{username}", authToken, s.checkOrgMember)

	s.handle("GET /repos/{owner}/{repo}", authToken, s.getRepo)
	s.handle("GET /repos/{owner}/{repo}/collaborators/{username}/permission", authToken, s.getPermission)
	s.handle("GET /repos/{owner}/{repo}/git/ref/{ref...}", authToken, s.getRef)
	s.handle("GET /repos/{owner}/{repo}/git/trees/{tree_sha}", authToken, s.getTree)
	s.handle("GET /repos/{owner}/{repo}/contents/{path...}", authToken, s.getContents)
	s.handle("PUT /repos/{owner}/{repo}/contents/{path...}", authToken, s.putContents)
	s.handle("DELETE /repos/{owner}/{repo}/contents/{path...}", authToken, s.deleteContents)

	s.handle("GET /repos/{owner}/{repo}/commits/{sha}/pulls", authToken, s.listCommitPulls)
	s.handle("GET /repos/{owner}/{repo}/pulls", authToken, s.listPulls)
	s.handle("GET /repos/{owner}/{repo}/pulls/{number}", authToken, s.getPull)
	s.handle("PATCH /repos/{owner}/{repo}/pulls/{number}", authToken, s.patchPull)
	s.handle("GET /repos/{owner}/{repo}/pulls/{number}/files", authToken, s.listPullFiles)
	s.handle("GET /repos/{owner}/{repo}/pulls/{number}/commits", authToken, s.listPullCommits)
	s.handle("GET /repos/{owner}/{repo}/pulls/{number}/reviews", authToken, s.listReviews)
	s.handle("POST /repos/{owner}/{repo}/pulls/{number}/reviews", authToken, s.createReview)
	s.handle("GET /repos/{owner}/{repo}/pulls/{number}/reviews/{review_id}", authToken, s.getReview)
	s.handle("PUT /repos/{owner}/{repo}/pulls/{number}/reviews/{review_id}", authToken, s.updateReview)
	s.handle("PUT /repos/{owner}/{repo}/pulls/{number}/reviews/{review_id}/dismissals", authToken, s.dismissReviewAPI)
	s.handle("GET /repos/{owner}/{repo}/pulls/{number}/requested_reviewers", authToken, s.listRequested)
	s.handle("POST /repos/{owner}/{repo}/pulls/{number}/requested_reviewers", authToken, s.requestReviewersAPI(false))
	s.handle("DELETE /repos/{owner}/{repo}/pulls/{number}/requested_reviewers", authToken, s.requestReviewersAPI(true))
	s.handle("GET /repos/{owner}/{repo}/pulls/{number}/merge", authToken, s.isMerged)
	s.handle("PUT /repos/{owner}/{repo}/pulls/{number}/merge", authToken, s.mergeAPI)

	s.handle("GET /repos/{owner}/{repo}/issues/{number}", authToken, s.getIssue)
	s.handle("PATCH /repos/{owner}/{repo}/issues/{number}", authToken, s.patchIssue)
	s.handle("GET /repos/{owner}/{repo}/issues/{number}/labels", authToken, s.listLabels)
	s.handle("POST /repos/{owner}/{repo}/issues/{number}/labels", authToken, s.labelsAPI("add"))
	s.handle("PUT /repos/{owner}/{repo}/issues/{number}/labels", authToken, s.labelsAPI("set"))
	s.handle("DELETE /repos/{owner}/{repo}/issues/{number}/labels", authToken, s.labelsAPI("clear"))
	s.handle("DELETE /repos/{owner}/{repo}/issues/{number}/labels/{name}", authToken, s.removeLabel)
	s.handle("GET /repos/{owner}/{repo}/issues/{number}/comments", authToken, s.listComments)
	s.handle("POST /repos/{owner}/{repo}/issues/{number}/comments", authToken, s.createComment)
	s.handle("PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}", authToken, s.patchComment)

	s.handle("POST /repos/{owner}/{repo}/check-runs", authToken, s.createCheckRun)
	s.handle("GET /repos/{owner}/{repo}/check-runs/{check_run_id}", authToken, s.getCheckRun)
	s.handle("PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}", authToken, s.updateCheckRun)
	s.handle("GET /repos/{owner}/{repo}/check-runs/{check_run_id}/annotations", authToken, s.listAnnotations)
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
			s.listCheckRunsForRef(w, r, c)
		})
}

// ---- app ----

func (s *Server) getApp(w http.ResponseWriter, r *http.Request, c caller) {
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, s.appJSON())
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
	for _, o := range sortedKeys(s.orgs) {
		in.Account = s.ownerJSON(s.userLocked(o).login)
		in.TargetID = in.Account.ID
		break
	}
	return in
}

func (s *Server) listInstallations(w http.ResponseWriter, r *http.Request, c caller) {
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, paginate(s, w, r, []*github.Installation{s.installationFullJSON()}))
}

func (s *Server) getRepoInstallation(w http.ResponseWriter, r *http.Request, c caller) {
	if _, ok := s.pathRepo(w, r); !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, s.installationFullJSON())
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

// ---- users, teams, permissions ----

func (s *Server) getUser(w http.ResponseWriter, r *http.Request, c caller) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(r.PathValue("username"))
	if u == nil {
		s.notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, s.ownerJSON(u.login))
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
	writeJSON(w, http.StatusOK, paginate(s, w, r, out))
}

func (s *Server) listTeamMembers(w http.ResponseWriter, r *http.Request, c caller) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.teams[key(r.PathValue("org"), r.PathValue("team_slug"))]
	if t == nil {
		s.notFound(w)
		return
	}
	out := make([]*github.User, 0, len(t.members))
	for _, m := range t.members {
		out = append(out, s.userJSON(m))
	}
	writeJSON(w, http.StatusOK, paginate(s, w, r, out))
}

func (s *Server) getTeamMembership(w http.ResponseWriter, r *http.Request, c caller) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.teams[key(r.PathValue("org"), r.PathValue("team_slug"))]
	login := r.PathValue("username")
	if t == nil || !t.memberSet[strings.ToLower(login)] {
		s.notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, &github.Membership{
		URL:   ptr(fmt.Sprintf("%s/teams/%d/memberships/%s", s.baseURL, t.id, login)),
		State: ptr("active"),
		Role:  ptr("member"),
	})
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

func (s *Server) getRepo(w http.ResponseWriter, r *http.Request, c caller) {
	rp, ok := s.pathRepo(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, s.repoJSON(rp))
}

func (s *Server) getPermission(w http.ResponseWriter, r *http.Request, c caller) {
	rp, ok := s.pathRepo(w, r)
	if !ok {
		return
	}
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

// ---- git data and contents ----

func (s *Server) getRef(w http.ResponseWriter, r *http.Request, c caller) {
	rp, ok := s.pathRepo(w, r)
	if !ok {
		return
	}
	ref := strings.TrimPrefix(r.PathValue("ref"), "refs/")
	sha, found := rp.git.readRef("refs/" + ref)
	if !found || !(strings.HasPrefix(ref, "heads/") || strings.HasPrefix(ref, "tags/")) {
		s.notFound(w)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, &github.Reference{
		Ref:    ptr("refs/" + ref),
		URL:    ptr(fmt.Sprintf("%s/repos/%s/%s/git/refs/%s", s.baseURL, rp.owner, rp.name, ref)),
		Object: &github.GitObject{Type: ptr("commit"), SHA: ptr(sha), URL: ptr(fmt.Sprintf("%s/repos/%s/%s/git/commits/%s", s.baseURL, rp.owner, rp.name, sha))},
		NodeID: ptr("REF_" + sha[:12]),
	})
}

func (s *Server) getTree(w http.ResponseWriter, r *http.Request, c caller) {
	rp, ok := s.pathRepo(w, r)
	if !ok {
		return
	}
	// GitHub takes a tree SHA (how clients walk down directories) or a
	// commit-ish whose tree is meant.
	commit, err := rp.git.resolveTree(r.Context(), r.PathValue("tree_sha"))
	if err != nil {
		s.notFound(w)
		return
	}
	recursive := r.URL.Query().Get("recursive") != ""
	entries, err := rp.git.lsTree(r.Context(), commit, "", recursive)
	if err != nil {
		s.gitFail(w, err)
		return
	}
	treeSHA, err := rp.git.cached("tree:"+commit, func() (any, error) {
		out, err := rp.git.run(r.Context(), nil, nil, "rev-parse", commit+"^{tree}")
		return strings.TrimSpace(string(out)), err
	})
	if err != nil {
		s.gitFail(w, err)
		return
	}
	s.mu.Lock()
	base := s.baseURL
	s.mu.Unlock()
	tree := &github.Tree{SHA: ptr(treeSHA.(string)), Truncated: ptr(false)}
	for _, e := range entries {
		te := &github.TreeEntry{
			Path: ptr(e.path), Mode: ptr(e.mode), Type: ptr(e.typ), SHA: ptr(e.oid),
			URL: ptr(fmt.Sprintf("%s/repos/%s/%s/git/%ss/%s", base, rp.owner, rp.name, e.typ, e.oid)),
		}
		if e.typ == "blob" {
			te.Size = ptr(e.size)
		}
		tree.Entries = append(tree.Entries, te)
	}
	writeJSON(w, http.StatusOK, tree)
}

func (s *Server) contentJSON(rp *repo, ref string, e treeEntry, content []byte, withContent bool) *github.RepositoryContent {
	s.mu.Lock()
	base := s.baseURL
	s.mu.Unlock()
	full := rp.owner + "/" + rp.name
	name := e.path[strings.LastIndex(e.path, "/")+1:]
	typ := map[string]string{"blob": "file", "tree": "dir", "commit": "submodule"}[e.typ]
	if e.mode == "120000" {
		typ = "symlink"
	}
	out := &github.RepositoryContent{
		Type:    ptr(typ),
		Name:    ptr(name),
		Path:    ptr(e.path),
		SHA:     ptr(e.oid),
		Size:    ptr(e.size),
		URL:     ptr(fmt.Sprintf("%s/repos/%s/contents/%s?ref=%s", base, full, e.path, ref)),
		GitURL:  ptr(fmt.Sprintf("%s/repos/%s/git/%ss/%s", base, full, e.typ, e.oid)),
		HTMLURL: ptr(fmt.Sprintf("%s/%s/blob/%s/%s", htmlBase(base), full, ref, e.path)),
	}
	if typ == "file" {
		out.DownloadURL = ptr(fmt.Sprintf("%s/%s/raw/%s/%s", htmlBase(base), full, ref, e.path))
	}
	if withContent {
		if typ == "symlink" {
			out.Target = ptr(string(content))
		} else if len(content) > 1<<20 {
			out.Encoding, out.Content = ptr("none"), ptr("")
		} else {
			out.Encoding, out.Content = ptr("base64"), ptr(wrap64(content))
		}
	}
	return out
}

// wrap64 encodes like GitHub: base64 in lines of 60 characters.
func wrap64(b []byte) string {
	enc := base64Std(b)
	var sb strings.Builder
	for len(enc) > 60 {
		sb.WriteString(enc[:60])
		sb.WriteByte('\n')
		enc = enc[60:]
	}
	sb.WriteString(enc)
	if sb.Len() > 0 {
		sb.WriteByte('\n')
	}
	return sb.String()
}

func (s *Server) getContents(w http.ResponseWriter, r *http.Request, c caller) {
	rp, ok := s.pathRepo(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	ref := r.URL.Query().Get("ref")
	if ref == "" {
		ref = "main"
	}
	commit, err := rp.git.resolve(ctx, ref)
	if err != nil {
		s.fail(w, http.StatusNotFound, "No commit found for the ref "+ref)
		return
	}
	path := strings.Trim(r.PathValue("path"), "/")
	if path == "" {
		entries, err := rp.git.lsTree(ctx, commit, "", false)
		if err != nil {
			s.gitFail(w, err)
			return
		}
		s.writeDir(w, r, rp, ref, entries)
		return
	}
	entries, err := rp.git.lsTree(ctx, commit, path, false)
	if err != nil || len(entries) != 1 || entries[0].path != path {
		s.notFound(w)
		return
	}
	e := entries[0]
	switch {
	case e.typ == "tree":
		children, err := rp.git.lsTree(ctx, commit, path+"/", false)
		if err != nil {
			s.gitFail(w, err)
			return
		}
		s.writeDir(w, r, rp, ref, children)
		return
	case e.typ == "commit":
		writeJSON(w, http.StatusOK, s.contentJSON(rp, ref, e, nil, false))
		return
	}
	content, err := rp.git.blob(ctx, e.oid)
	if err != nil {
		s.gitFail(w, err)
		return
	}
	if e.mode == "120000" {
		// GitHub answers a symlink to a regular file in the repository with
		// that file, and anything else with the link itself.
		target := resolveLink(path, string(content))
		if t, err := rp.git.lsTree(ctx, commit, target, false); err == nil && len(t) == 1 && t[0].path == target && t[0].typ == "blob" && t[0].mode != "120000" {
			if tc, err := rp.git.blob(ctx, t[0].oid); err == nil {
				e, content = t[0], tc
			}
		}
	}
	if accept := r.Header.Get("Accept"); strings.Contains(accept, ".raw") && e.mode != "120000" {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(content)
		return
	}
	writeJSON(w, http.StatusOK, s.contentJSON(rp, ref, e, content, true))
}

// resolveLink joins a symlink's target to the link's directory, "" when it
// leaves the repository.
func resolveLink(link, target string) string {
	if strings.HasPrefix(target, "/") {
		return ""
	}
	dir := ""
	if i := strings.LastIndex(link, "/"); i >= 0 {
		dir = link[:i]
	}
	var parts []string
	if dir != "" {
		parts = strings.Split(dir, "/")
	}
	for _, p := range strings.Split(target, "/") {
		switch p {
		case "", ".":
		case "..":
			if len(parts) == 0 {
				return ""
			}
			parts = parts[:len(parts)-1]
		default:
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "/")
}

func (s *Server) writeDir(w http.ResponseWriter, r *http.Request, rp *repo, ref string, entries []treeEntry) {
	out := make([]*github.RepositoryContent, 0, len(entries))
	for _, e := range entries {
		out = append(out, s.contentJSON(rp, ref, e, nil, false))
	}
	writeJSON(w, http.StatusOK, out)
}

type contentsRequest struct {
	Message   *string              `json:"message"`
	Content   *string              `json:"content"`
	SHA       *string              `json:"sha"`
	Branch    *string              `json:"branch"`
	Author    *github.CommitAuthor `json:"author"`
	Committer *github.CommitAuthor `json:"committer"`
}

func (s *Server) putContents(w http.ResponseWriter, r *http.Request, c caller) {
	s.writeContents(w, r, c, false)
}

func (s *Server) deleteContents(w http.ResponseWriter, r *http.Request, c caller) {
	s.writeContents(w, r, c, true)
}

// writeContents is the contents API's create, update and delete: a real
// commit on the branch, refused with 409 when the caller's blob sha is stale.
func (s *Server) writeContents(w http.ResponseWriter, r *http.Request, c caller, del bool) {
	rp, ok := s.pathRepo(w, r)
	if !ok {
		return
	}
	var req contentsRequest
	if err := decodeBody(r, &req); err != nil {
		s.badJSON(w, err)
		return
	}
	path := strings.Trim(r.PathValue("path"), "/")
	if err := validPath(path); err != nil {
		s.invalid(w, "Commit", "path", "invalid", err.Error())
		return
	}
	if req.Message == nil || strings.TrimSpace(*req.Message) == "" {
		s.invalid(w, "Commit", "message", "missing_field", "message is required")
		return
	}
	var content []byte
	if !del {
		if req.Content == nil {
			s.invalid(w, "Commit", "content", "missing_field", "content is required")
			return
		}
		var err error
		if content, err = base64Decode(*req.Content); err != nil {
			s.invalid(w, "Commit", "content", "invalid", "content is not valid Base64")
			return
		}
	} else if req.SHA == nil || *req.SHA == "" {
		s.invalid(w, "Commit", "sha", "missing_field", "\"sha\" wasn't supplied.")
		return
	}
	branch := "main"
	if req.Branch != nil && *req.Branch != "" {
		branch = *req.Branch
	}
	now := s.now()
	me := s.identityOf(c.login, now)
	committer := me
	if req.Committer != nil && req.Committer.GetName() != "" && req.Committer.GetEmail() != "" {
		committer = identity{name: req.Committer.GetName(), email: req.Committer.GetEmail(), when: now}
	}
	author := committer
	if req.Author != nil && req.Author.GetName() != "" && req.Author.GetEmail() != "" {
		author = identity{name: req.Author.GetName(), email: req.Author.GetEmail(), when: now}
	}
	for _, id := range []identity{author, committer} {
		if strings.ContainsAny(id.name+id.email, "<>\n") {
			s.invalid(w, "Commit", "author", "invalid", "names and emails must not contain <, > or newlines")
			return
		}
	}
	ctx := r.Context()
	rp.git.mu.Lock()
	defer rp.git.mu.Unlock()
	var sha string
	var created bool
	var mode string
	for attempt := 0; ; attempt++ {
		tip, err := rp.git.branchTip(branch)
		if err != nil {
			s.fail(w, http.StatusNotFound, "Branch "+branch+" not found")
			return
		}
		entries, _ := rp.git.lsTree(ctx, tip, path, false)
		var cur *treeEntry
		if len(entries) == 1 && entries[0].path == path {
			cur = &entries[0]
		}
		switch {
		case cur != nil && cur.typ != "blob":
			s.invalid(w, "Commit", "path", "invalid", path+" is a directory or submodule")
			return
		case cur == nil && del:
			s.notFound(w)
			return
		case cur != nil && (req.SHA == nil || *req.SHA == ""):
			s.invalid(w, "Commit", "sha", "missing_field", "\"sha\" wasn't supplied.")
			return
		case cur != nil && *req.SHA != cur.oid:
			s.fail(w, http.StatusConflict, fmt.Sprintf("%s does not match %s", path, *req.SHA))
			return
		}
		created = cur == nil
		mode = "100644"
		if cur != nil {
			mode = cur.mode
		}
		sha, err = rp.git.commit(ctx, branch, tip, tip, author, committer, *req.Message,
			[]fileChange{{path: path, content: content, mode: mode, delete: del}})
		if errors.Is(err, errStaleRef) && attempt < 5 {
			continue
		}
		if err != nil {
			s.gitFail(w, err)
			return
		}
		break
	}
	s.mu.Lock()
	base := s.baseURL
	s.mu.Unlock()
	commits, err := rp.git.log(ctx, sha+"^", sha)
	if err != nil || len(commits) != 1 {
		s.gitFail(w, fmt.Errorf("reading back commit %s: %v", sha, err))
		return
	}
	lc := commits[0]
	resp := map[string]any{"content": nil, "commit": s.gitCommitJSON(base, rp, lc)}
	status := http.StatusOK
	if !del {
		entries, err := rp.git.lsTree(ctx, sha, path, false)
		if err != nil || len(entries) != 1 {
			s.gitFail(w, fmt.Errorf("reading back %s: %v", path, err))
			return
		}
		cj := s.contentJSON(rp, branch, entries[0], nil, false)
		resp["content"] = cj
		if created {
			status = http.StatusCreated
		}
	}
	writeJSON(w, status, resp)
}

func (s *Server) gitCommitJSON(base string, rp *repo, lc logEntry) *github.Commit {
	full := rp.owner + "/" + rp.name
	cm := &github.Commit{
		SHA:       ptr(lc.sha),
		NodeID:    ptr("C_" + lc.sha[:12]),
		Message:   ptr(lc.message),
		Author:    &github.CommitAuthor{Name: ptr(lc.authorName), Email: ptr(lc.authorEmail), Date: ts(lc.authorDate)},
		Committer: &github.CommitAuthor{Name: ptr(lc.committerName), Email: ptr(lc.committerE), Date: ts(lc.committerDate)},
		Tree:      &github.Tree{SHA: ptr(lc.tree)},
		URL:       ptr(fmt.Sprintf("%s/repos/%s/git/commits/%s", base, full, lc.sha)),
		HTMLURL:   ptr(fmt.Sprintf("%s/%s/commit/%s", htmlBase(base), full, lc.sha)),
	}
	for _, p := range lc.parents {
		cm.Parents = append(cm.Parents, &github.Commit{SHA: ptr(p), URL: ptr(fmt.Sprintf("%s/repos/%s/git/commits/%s", base, full, p))})
	}
	return cm
}

// ---- pull requests ----

func (s *Server) listPulls(w http.ResponseWriter, r *http.Request, c caller) {
	rp, ok := s.pathRepo(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	if state != "open" && state != "closed" && state != "all" {
		s.invalid(w, "PullRequest", "state", "invalid", "state must be open, closed or all")
		return
	}
	head := q.Get("head")
	base := q.Get("base")
	s.mu.Lock()
	var sel []*pull
	for _, n := range sortedPullNumbers(rp) {
		pr := rp.pulls[n]
		if state != "all" && pr.state != state {
			continue
		}
		if head != "" && head != rp.owner+":"+pr.branch && head != pr.branch {
			continue
		}
		if base != "" && base != "main" {
			continue
		}
		sel = append(sel, pr)
	}
	s.mu.Unlock()
	// GitHub's default order is newest first.
	if q.Get("direction") != "asc" {
		for i, j := 0, len(sel)-1; i < j; i, j = i+1, j-1 {
			sel[i], sel[j] = sel[j], sel[i]
		}
	}
	page := paginate(s, w, r, sel)
	extras := make([]pullExtra, len(page))
	for i, pr := range page {
		extras[i] = s.pullGit(r.Context(), rp, pr, false)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*github.PullRequest, 0, len(page))
	for i, pr := range page {
		out = append(out, s.pullJSON(rp, pr, extras[i]))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getPull(w http.ResponseWriter, r *http.Request, c caller) {
	rp, pr, ok := s.pathPull(w, r)
	if !ok {
		return
	}
	x := s.pullGit(r.Context(), rp, pr, true)
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, s.pullJSON(rp, pr, x))
}

func (s *Server) respondPull(w http.ResponseWriter, r *http.Request, rp *repo, pr *pull, status int) {
	x := s.pullGit(r.Context(), rp, pr, true)
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, status, s.pullJSON(rp, pr, x))
}

func (s *Server) patchPull(w http.ResponseWriter, r *http.Request, c caller) {
	rp, pr, ok := s.pathPull(w, r)
	if !ok {
		return
	}
	var req struct {
		Title *string `json:"title"`
		Body  *string `json:"body"`
		State *string `json:"state"`
		Base  *string `json:"base"`
	}
	if err := decodeBody(r, &req); err != nil {
		s.badJSON(w, err)
		return
	}
	if req.Base != nil && *req.Base != "main" {
		s.invalid(w, "PullRequest", "base", "invalid", "the emulator's pull requests target main")
		return
	}
	evs, err := s.editPull(r.Context(), rp, pr, c.login, req.Title, req.Body, req.State)
	if err != nil {
		s.writeErr(w, err)
		return
	}
	s.hooks.enqueue(evs)
	s.respondPull(w, r, rp, pr, http.StatusOK)
}

func (s *Server) listPullFiles(w http.ResponseWriter, r *http.Request, c caller) {
	rp, pr, ok := s.pathPull(w, r)
	if !ok {
		return
	}
	x := s.pullGit(r.Context(), rp, pr, false)
	s.mu.Lock()
	from, _ := s.diffBaseSnapshot(rp, pr)
	base := s.baseURL
	s.mu.Unlock()
	var err error
	if from == "" {
		from, err = rp.git.mergeBase(r.Context(), x.base, x.head)
		if err != nil {
			s.gitFail(w, err)
			return
		}
	}
	files, err := rp.git.diff(r.Context(), from, x.head)
	if err != nil {
		s.gitFail(w, err)
		return
	}
	full := rp.owner + "/" + rp.name
	out := make([]*github.CommitFile, 0, len(files))
	for _, f := range files {
		oid := f.newOID
		if f.status == "removed" {
			oid = f.oldOID
		}
		cf := &github.CommitFile{
			SHA:         ptr(oid),
			Filename:    ptr(f.path),
			Status:      ptr(f.status),
			Additions:   ptr(f.additions),
			Deletions:   ptr(f.deletions),
			Changes:     ptr(f.additions + f.deletions),
			BlobURL:     ptr(fmt.Sprintf("%s/%s/blob/%s/%s", htmlBase(base), full, x.head, f.path)),
			RawURL:      ptr(fmt.Sprintf("%s/%s/raw/%s/%s", htmlBase(base), full, x.head, f.path)),
			ContentsURL: ptr(fmt.Sprintf("%s/repos/%s/contents/%s?ref=%s", base, full, f.path, x.head)),
		}
		if f.patch != "" {
			cf.Patch = ptr(f.patch)
		}
		if f.previous != "" {
			cf.PreviousFilename = ptr(f.previous)
		}
		out = append(out, cf)
	}
	writeJSON(w, http.StatusOK, paginate(s, w, r, out))
}

func (s *Server) listPullCommits(w http.ResponseWriter, r *http.Request, c caller) {
	rp, pr, ok := s.pathPull(w, r)
	if !ok {
		return
	}
	x := s.pullGit(r.Context(), rp, pr, false)
	s.mu.Lock()
	from, _ := s.diffBaseSnapshot(rp, pr)
	s.mu.Unlock()
	var err error
	if from == "" {
		if from, err = rp.git.mergeBase(r.Context(), x.base, x.head); err != nil {
			s.gitFail(w, err)
			return
		}
	}
	commits, err := rp.git.log(r.Context(), from, x.head)
	if err != nil {
		s.gitFail(w, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*github.RepositoryCommit, 0, len(commits))
	for _, lc := range commits {
		cm := s.gitCommitJSON(s.baseURL, rp, lc)
		rc := &github.RepositoryCommit{
			SHA: ptr(lc.sha), NodeID: cm.NodeID, Commit: cm, URL: cm.URL, HTMLURL: cm.HTMLURL,
			Parents: cm.Parents,
		}
		// GitHub links a commit to an account by its email; an unknown
		// email leaves author/committer null.
		if l := s.loginForEmailLocked(lc.authorEmail); l != "" {
			rc.Author = s.userJSON(l)
		}
		if l := s.loginForEmailLocked(lc.committerE); l != "" {
			rc.Committer = s.userJSON(l)
		}
		out = append(out, rc)
	}
	writeJSON(w, http.StatusOK, paginate(s, w, r, out))
}

// ---- reviews ----

func (s *Server) listReviews(w http.ResponseWriter, r *http.Request, c caller) {
	rp, pr, ok := s.pathPull(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []*github.PullRequestReview{}
	for _, rv := range pr.reviews {
		if rv.state == "PENDING" && !strings.EqualFold(rv.user, c.login) {
			continue // a pending review is visible to its author only
		}
		out = append(out, s.reviewJSON(rp, pr, rv))
	}
	writeJSON(w, http.StatusOK, paginate(s, w, r, out))
}

func (s *Server) pathReview(w http.ResponseWriter, r *http.Request) (*repo, *pull, int64, bool) {
	rp, pr, ok := s.pathPull(w, r)
	if !ok {
		return nil, nil, 0, false
	}
	id, err := strconv.ParseInt(r.PathValue("review_id"), 10, 64)
	if err != nil {
		s.notFound(w)
		return nil, nil, 0, false
	}
	return rp, pr, id, true
}

func (s *Server) getReview(w http.ResponseWriter, r *http.Request, c caller) {
	rp, pr, id, ok := s.pathReview(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rv := s.findReviewLocked(pr, id)
	if rv == nil || (rv.state == "PENDING" && !strings.EqualFold(rv.user, c.login)) {
		s.notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, s.reviewJSON(rp, pr, rv))
}

func (s *Server) createReview(w http.ResponseWriter, r *http.Request, c caller) {
	rp, pr, ok := s.pathPull(w, r)
	if !ok {
		return
	}
	var req github.PullRequestReviewRequest
	if err := decodeBody(r, &req); err != nil {
		s.badJSON(w, err)
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
	if err != nil {
		s.writeErr(w, err)
		return
	}
	s.hooks.enqueue(evs)
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, s.reviewJSON(rp, pr, s.findReviewLocked(pr, id)))
}

func (s *Server) updateReview(w http.ResponseWriter, r *http.Request, c caller) {
	rp, pr, id, ok := s.pathReview(w, r)
	if !ok {
		return
	}
	var req struct {
		Body *string `json:"body"`
	}
	if err := decodeBody(r, &req); err != nil {
		s.badJSON(w, err)
		return
	}
	if req.Body == nil {
		s.invalid(w, "PullRequestReview", "body", "missing_field", "body is required")
		return
	}
	rv, evs, err := s.editReview(r.Context(), rp, pr, id, c.login, *req.Body)
	if err != nil {
		s.writeErr(w, err)
		return
	}
	s.hooks.enqueue(evs)
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, s.reviewJSON(rp, pr, rv))
}

func (s *Server) dismissReviewAPI(w http.ResponseWriter, r *http.Request, c caller) {
	rp, pr, id, ok := s.pathReview(w, r)
	if !ok {
		return
	}
	var req struct {
		Message *string `json:"message"`
	}
	if err := decodeBody(r, &req); err != nil {
		s.badJSON(w, err)
		return
	}
	if req.Message == nil {
		s.invalid(w, "PullRequestReview", "message", "missing_field", "message is required")
		return
	}
	rv, evs, err := s.dismissReview(r.Context(), rp, pr, id, c.login, *req.Message)
	if err != nil {
		s.writeErr(w, err)
		return
	}
	s.hooks.enqueue(evs)
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, s.reviewJSON(rp, pr, rv))
}

func (s *Server) listRequested(w http.ResponseWriter, r *http.Request, c caller) {
	rp, pr, ok := s.pathPull(w, r)
	if !ok {
		return
	}
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

func (s *Server) requestReviewersAPI(remove bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c caller) {
		rp, pr, ok := s.pathPull(w, r)
		if !ok {
			return
		}
		var req github.ReviewersRequest
		if err := decodeBody(r, &req); err != nil {
			s.badJSON(w, err)
			return
		}
		if len(req.Reviewers)+len(req.TeamReviewers) == 0 {
			s.invalid(w, "PullRequest", "reviewers", "missing_field", "reviewers or team_reviewers is required")
			return
		}
		evs, err := s.requestReviewers(r.Context(), rp, pr, c.login, req.Reviewers, req.TeamReviewers, remove)
		if err != nil {
			s.writeErr(w, err)
			return
		}
		s.hooks.enqueue(evs)
		status := http.StatusCreated
		if remove {
			status = http.StatusOK
		}
		s.respondPull(w, r, rp, pr, status)
	}
}

func (s *Server) isMerged(w http.ResponseWriter, r *http.Request, c caller) {
	_, pr, ok := s.pathPull(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	merged := pr.merged
	s.mu.Unlock()
	if !merged {
		s.notFound(w)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) mergeAPI(w http.ResponseWriter, r *http.Request, c caller) {
	rp, pr, ok := s.pathPull(w, r)
	if !ok {
		return
	}
	var req struct {
		CommitTitle   string  `json:"commit_title"`
		CommitMessage *string `json:"commit_message"`
		SHA           string  `json:"sha"`
		MergeMethod   string  `json:"merge_method"`
	}
	if err := decodeBody(r, &req); err != nil {
		s.badJSON(w, err)
		return
	}
	o := mergeOptions{method: req.MergeMethod, sha: req.SHA, title: req.CommitTitle, protected: true}
	if req.CommitMessage != nil {
		o.message, o.hasMessage = *req.CommitMessage, true
	}
	sha, evs, err := s.merge(r.Context(), rp, pr, c.login, o)
	if err != nil {
		s.writeErr(w, err)
		return
	}
	s.hooks.enqueue(evs)
	writeJSON(w, http.StatusOK, &github.PullRequestMergeResult{SHA: ptr(sha), Merged: ptr(true), Message: ptr("Pull Request successfully merged")})
}

// ---- issues: state, labels, comments ----

func (s *Server) getIssue(w http.ResponseWriter, r *http.Request, c caller) {
	rp, pr, ok := s.pathPull(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, s.issueJSON(rp, pr))
}

func (s *Server) patchIssue(w http.ResponseWriter, r *http.Request, c caller) {
	rp, pr, ok := s.pathPull(w, r)
	if !ok {
		return
	}
	var req struct {
		Title  *string   `json:"title"`
		Body   *string   `json:"body"`
		State  *string   `json:"state"`
		Labels *[]string `json:"labels"`
	}
	if err := decodeBody(r, &req); err != nil {
		s.badJSON(w, err)
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
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, s.issueJSON(rp, pr))
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

func (s *Server) listLabels(w http.ResponseWriter, r *http.Request, c caller) {
	rp, pr, ok := s.pathPull(w, r)
	if !ok {
		return
	}
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

func (s *Server) labelsAPI(mode string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c caller) {
		rp, pr, ok := s.pathPull(w, r)
		if !ok {
			return
		}
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
		if err != nil {
			s.writeErr(w, err)
			return
		}
		s.hooks.enqueue(evs)
		if mode == "clear" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		s.writeLabels(w, r, rp, pr, false)
	}
}

func (s *Server) removeLabel(w http.ResponseWriter, r *http.Request, c caller) {
	rp, pr, ok := s.pathPull(w, r)
	if !ok {
		return
	}
	evs, err := s.setLabels(r.Context(), rp, pr, c.login, "remove", []string{r.PathValue("name")})
	if err != nil {
		s.writeErr(w, err)
		return
	}
	s.hooks.enqueue(evs)
	s.writeLabels(w, r, rp, pr, false)
}

func (s *Server) listComments(w http.ResponseWriter, r *http.Request, c caller) {
	rp, pr, ok := s.pathPull(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*github.IssueComment, 0, len(pr.comments))
	for _, id := range pr.comments {
		out = append(out, s.commentJSON(rp, rp.comments[id]))
	}
	writeJSON(w, http.StatusOK, paginate(s, w, r, out))
}

func (s *Server) createComment(w http.ResponseWriter, r *http.Request, c caller) {
	rp, pr, ok := s.pathPull(w, r)
	if !ok {
		return
	}
	var req struct {
		Body *string `json:"body"`
	}
	if err := decodeBody(r, &req); err != nil {
		s.badJSON(w, err)
		return
	}
	if req.Body == nil {
		s.invalid(w, "IssueComment", "body", "missing_field", "body is required")
		return
	}
	cm, evs, err := s.addComment(rp, pr, c.login, *req.Body)
	if err != nil {
		s.writeErr(w, err)
		return
	}
	s.hooks.enqueue(evs)
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusCreated, s.commentJSON(rp, cm))
}

func (s *Server) patchComment(w http.ResponseWriter, r *http.Request, c caller) {
	rp, ok := s.pathRepo(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("comment_id"), 10, 64)
	if err != nil {
		s.notFound(w)
		return
	}
	var req struct {
		Body *string `json:"body"`
	}
	if err := decodeBody(r, &req); err != nil {
		s.badJSON(w, err)
		return
	}
	if req.Body == nil {
		s.invalid(w, "IssueComment", "body", "missing_field", "body is required")
		return
	}
	cm, evs, err := s.editComment(rp, id, c.login, *req.Body)
	if err != nil {
		s.writeErr(w, err)
		return
	}
	s.hooks.enqueue(evs)
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, s.commentJSON(rp, cm))
}

// ---- check runs ----

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

func (s *Server) requireApp(w http.ResponseWriter, c caller) bool {
	if !c.installation {
		s.fail(w, http.StatusForbidden, "You must authenticate via a GitHub App.")
		return false
	}
	return true
}

func (s *Server) createCheckRun(w http.ResponseWriter, r *http.Request, c caller) {
	rp, ok := s.pathRepo(w, r)
	if !ok || !s.requireApp(w, c) {
		return
	}
	var req checkRunRequest
	if err := decodeBody(r, &req); err != nil {
		s.badJSON(w, err)
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

func (s *Server) pathCheckRunLocked(rp *repo, r *http.Request) *checkRun {
	id, err := strconv.ParseInt(r.PathValue("check_run_id"), 10, 64)
	if err != nil {
		return nil
	}
	for _, cr := range rp.checkRuns {
		if cr.id == id {
			return cr
		}
	}
	return nil
}

func (s *Server) getCheckRun(w http.ResponseWriter, r *http.Request, c caller) {
	rp, ok := s.pathRepo(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cr := s.pathCheckRunLocked(rp, r)
	if cr == nil {
		s.notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, s.checkRunJSON(rp, cr, false))
}

func (s *Server) updateCheckRun(w http.ResponseWriter, r *http.Request, c caller) {
	rp, ok := s.pathRepo(w, r)
	if !ok || !s.requireApp(w, c) {
		return
	}
	var req checkRunRequest
	if err := decodeBody(r, &req); err != nil {
		s.badJSON(w, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cr := s.pathCheckRunLocked(rp, r)
	if cr == nil {
		s.notFound(w)
		return
	}
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
}

func (s *Server) listAnnotations(w http.ResponseWriter, r *http.Request, c caller) {
	rp, ok := s.pathRepo(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cr := s.pathCheckRunLocked(rp, r)
	if cr == nil {
		s.notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, paginate(s, w, r, append([]*github.CheckRunAnnotation{}, cr.annotations...)))
}

func (s *Server) listCheckRunsForRef(w http.ResponseWriter, r *http.Request, c caller) {
	rp, ok := s.pathRepo(w, r)
	if !ok {
		return
	}
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

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// base64Decode accepts standard base64 with or without line breaks, as
// GitHub does for contents writes.
func base64Decode(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == ' ' {
			return -1
		}
		return r
	}, s)
	return base64.StdEncoding.DecodeString(s)
}
