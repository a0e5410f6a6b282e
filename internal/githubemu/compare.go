package githubemu

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/go-github/v62/github"
)

//go:generate go run ./internal/genschema -openapi $OCTOKIT_OPENAPI -operation repos/compare-commits -status 200 -out testdata/repos-compare-commits.200.schema.json

// Comparing two commits (GET /repos/{owner}/{repo}/compare/{base}...{head},
// operation repos/compare-commits): the commits and files from the merge
// base of base and head to head, as JSON shaped by GitHub's OpenAPI
// description, or as git's unified diff with the diff media type.

// GitHub's caps on a comparison: without paging parameters it lists the
// newest 250 commits; it lists at most 300 files; it refuses a diff of more
// files (406).
const (
	maxComparedCommits = 250
	maxComparedFiles   = 300
)

func (s *Server) compare(w http.ResponseWriter, r *http.Request, c caller, rp *repo) {
	baseRef, headRef, ok := strings.Cut(r.PathValue("basehead"), "...")
	if !ok || baseRef == "" || headRef == "" {
		s.notFound(w)
		return
	}
	// A branch may be named OWNER:BRANCH, as for a fork; the emulator has
	// none, so OWNER is the repository's own.
	for _, ref := range []*string{&baseRef, &headRef} {
		if owner, branch, ok := strings.Cut(*ref, ":"); ok {
			if !strings.EqualFold(owner, rp.owner) {
				s.notFound(w)
				return
			}
			*ref = branch
		}
	}
	ctx := r.Context()
	base, err := rp.git.resolve(ctx, baseRef)
	if err != nil {
		s.notFound(w)
		return
	}
	head, err := rp.git.resolve(ctx, headRef)
	if err != nil {
		s.notFound(w)
		return
	}
	mb, err := rp.git.mergeBase(ctx, base, head)
	if err != nil {
		// Unrelated histories have no merge base: GitHub answers 404.
		s.notFound(w)
		return
	}
	files, err := rp.git.diff(ctx, mb, head)
	if err != nil {
		s.gitFail(w, err)
		return
	}
	if wantsDiff(r.Header.Get("Accept")) {
		if len(files) > maxComparedFiles {
			writeJSON(w, http.StatusNotAcceptable, map[string]any{
				"message":           fmt.Sprintf("Sorry, this diff exceeded the maximum number of files (%d).", maxComparedFiles),
				"errors":            []any{map[string]string{"resource": "Comparison", "field": "diff", "code": "too_large"}},
				"documentation_url": docsURL,
			})
			return
		}
		diff, err := rp.git.unifiedDiff(ctx, mb, head)
		if err != nil {
			s.gitFail(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/vnd.github.diff; charset=utf-8")
		w.Header().Set("X-GitHub-Media-Type", "github.v3; param=diff")
		w.WriteHeader(http.StatusOK)
		w.Write(diff)
		return
	}
	ahead, err := rp.git.log(ctx, mb, head)
	if err != nil {
		s.gitFail(w, err)
		return
	}
	behind, err := rp.git.log(ctx, mb, base)
	if err != nil {
		s.gitFail(w, err)
		return
	}
	baseCommit, err := rp.git.show(ctx, base)
	if err == nil {
		var mbCommit logEntry
		if mbCommit, err = rp.git.show(ctx, mb); err == nil {
			s.writeComparison(w, r, rp, baseRef, headRef, comparison{base: baseCommit, mergeBase: mbCommit, ahead: ahead, behind: len(behind), files: files, head: head})
			return
		}
	}
	s.gitFail(w, err)
}

// wantsDiff reports whether an Accept header asks for the diff media type
// (go-github sends the v3 name).
func wantsDiff(accept string) bool {
	for _, t := range strings.Split(accept, ",") {
		t, _, _ = strings.Cut(strings.TrimSpace(t), ";")
		if t == "application/vnd.github.diff" || t == "application/vnd.github.v3.diff" {
			return true
		}
	}
	return false
}

type comparison struct {
	base, mergeBase logEntry
	ahead           []logEntry
	behind          int
	files           []diffFile
	head            string
}

func (s *Server) writeComparison(w http.ResponseWriter, r *http.Request, rp *repo, baseRef, headRef string, cmp comparison) {
	q := r.URL.Query()
	commits := cmp.ahead
	paged := q.Has("page") || q.Has("per_page")
	if paged {
		// Paging lists the commits oldest first, page by page, and the
		// files with the first page only.
		commits = paginate(s, w, r, commits)
	} else {
		commits = commits[max(0, len(commits)-maxComparedCommits):]
	}
	page, _ := strconv.Atoi(q.Get("page"))
	files := cmp.files
	if paged && page > 1 {
		files = nil
	}
	files = files[:min(len(files), maxComparedFiles)]

	status := "diverged"
	switch {
	case len(cmp.ahead) == 0 && cmp.behind == 0:
		status = "identical"
	case cmp.behind == 0:
		status = "ahead"
	case len(cmp.ahead) == 0:
		status = "behind"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	full := rp.owner + "/" + rp.name
	html := htmlBase(s.baseURL) + "/" + full
	basehead := baseRef + "..." + headRef
	out := map[string]any{
		"url":               fmt.Sprintf("%s/repos/%s/compare/%s", s.baseURL, full, basehead),
		"html_url":          html + "/compare/" + basehead,
		"permalink_url":     fmt.Sprintf("%s/compare/%s...%s", html, cmp.base.sha, cmp.head),
		"diff_url":          html + "/compare/" + basehead + ".diff",
		"patch_url":         html + "/compare/" + basehead + ".patch",
		"base_commit":       s.comparedCommit(rp, cmp.base),
		"merge_base_commit": s.comparedCommit(rp, cmp.mergeBase),
		"status":            status,
		"ahead_by":          len(cmp.ahead),
		"behind_by":         cmp.behind,
		"total_commits":     len(cmp.ahead),
	}
	list := make([]map[string]any, 0, len(commits))
	for _, lc := range commits {
		list = append(list, s.comparedCommit(rp, lc))
	}
	out["commits"] = list
	fl := make([]*github.CommitFile, 0, len(files))
	for _, f := range files {
		fl = append(fl, commitFileJSON(s.baseURL, rp, f, cmp.head))
	}
	out["files"] = fl
	writeJSON(w, http.StatusOK, out)
}

// comparedCommit renders a commit as the comparison lists it: GitHub's
// "commit" schema, whose author and committer are null when their email
// is no account's.
func (s *Server) comparedCommit(rp *repo, lc logEntry) map[string]any {
	full := rp.owner + "/" + rp.name
	cm := s.gitCommitJSON(s.baseURL, rp, lc)
	parents := make([]map[string]string, 0, len(lc.parents))
	for _, p := range lc.parents {
		parents = append(parents, map[string]string{
			"sha": p, "url": fmt.Sprintf("%s/repos/%s/commits/%s", s.baseURL, full, p),
			"html_url": fmt.Sprintf("%s/%s/commit/%s", htmlBase(s.baseURL), full, p),
		})
	}
	url := fmt.Sprintf("%s/repos/%s/commits/%s", s.baseURL, full, lc.sha)
	return map[string]any{
		"url":          url,
		"sha":          lc.sha,
		"node_id":      "C_" + lc.sha[:12],
		"html_url":     fmt.Sprintf("%s/%s/commit/%s", htmlBase(s.baseURL), full, lc.sha),
		"comments_url": url + "/comments",
		"commit": map[string]any{
			"url":           cm.GetURL(),
			"author":        cm.Author,
			"committer":     cm.Committer,
			"message":       lc.message,
			"comment_count": 0,
			"tree":          map[string]string{"sha": lc.tree, "url": fmt.Sprintf("%s/repos/%s/git/trees/%s", s.baseURL, full, lc.tree)},
		},
		"author":    s.simpleUser(s.loginForEmailLocked(lc.authorEmail)),
		"committer": s.simpleUser(s.loginForEmailLocked(lc.committerE)),
		"parents":   parents,
	}
}

// simpleUser is GitHub's "simple-user" of a login, nil for "".
func (s *Server) simpleUser(login string) *github.User {
	if login == "" {
		return nil
	}
	u := s.userJSON(login)
	users := s.baseURL + "/users/" + u.GetLogin()
	u.AvatarURL = ptr(fmt.Sprintf("https://avatars.githubusercontent.com/u/%d?v=4", u.GetID()))
	simpleUserURLs(u, users)
	if u.ID == nil {
		u.ID, u.NodeID, u.SiteAdmin, u.URL, u.HTMLURL = ptr(int64(0)), ptr(""), ptr(false), ptr(users), ptr(htmlBase(s.baseURL)+"/"+login)
	}
	return u
}
