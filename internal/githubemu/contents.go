package githubemu

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v62/github"
)

// Git data (refs, trees) and the contents API, both read from and
// written to the repository's real git history.

func (s *Server) getRef(w http.ResponseWriter, r *http.Request, c caller, rp *repo) {
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

func (s *Server) getTree(w http.ResponseWriter, r *http.Request, c caller, rp *repo) {
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
	base := s.base()
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
	base := s.base()
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

func (s *Server) getContents(w http.ResponseWriter, r *http.Request, c caller, rp *repo) {
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
	// GitHub lists at most 1,000 entries of a directory.
	entries = entries[:min(len(entries), maxDirEntries)]
	out := make([]*github.RepositoryContent, 0, len(entries))
	for _, e := range entries {
		c := s.contentJSON(rp, ref, e, nil, false)
		if c.GetType() == "submodule" {
			// As GitHub does in a directory listing, "for backwards
			// compatibility"; only the submodule's own path says
			// "submodule".
			c.Type = ptr("file")
		}
		out = append(out, c)
	}
	writeJSON(w, http.StatusOK, out)
}

// maxDirEntries is the contents API's cap on a directory listing.
const maxDirEntries = 1000

type contentsRequest struct {
	Message   *string              `json:"message"`
	Content   *string              `json:"content"`
	SHA       *string              `json:"sha"`
	Branch    *string              `json:"branch"`
	Author    *github.CommitAuthor `json:"author"`
	Committer *github.CommitAuthor `json:"committer"`
}

func (s *Server) putContents(w http.ResponseWriter, r *http.Request, c caller, rp *repo) {
	s.writeContents(w, r, c, rp, false)
}

func (s *Server) deleteContents(w http.ResponseWriter, r *http.Request, c caller, rp *repo) {
	s.writeContents(w, r, c, rp, true)
}

// writeContents is the contents API's create, update and delete: a real
// commit on the branch, refused with 409 when the caller's blob sha is stale.
func (s *Server) writeContents(w http.ResponseWriter, r *http.Request, c caller, rp *repo, del bool) {
	req, ok := decodeInto[contentsRequest](s, w, r)
	if !ok {
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
	base := s.base()
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
