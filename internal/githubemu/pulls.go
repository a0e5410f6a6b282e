package githubemu

import (
	"context"
	"fmt"
	"net/http"

	"github.com/google/go-github/v62/github"
)

// Pull requests: listing, reading, editing, their files and commits,
// and merging.

func (s *Server) listPulls(w http.ResponseWriter, r *http.Request, c caller, rp *repo) {
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
	s.writePulls(w, r, rp, sel)
}

// writePulls answers with one page of pull requests.
func (s *Server) writePulls(w http.ResponseWriter, r *http.Request, rp *repo, sel []*pull) {
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

func (s *Server) getPull(w http.ResponseWriter, r *http.Request, c caller, rp *repo, pr *pull) {
	x := s.pullGit(r.Context(), rp, pr, true)
	s.respond(w, http.StatusOK, func() any { return s.pullJSON(rp, pr, x) })
}

func (s *Server) respondPull(w http.ResponseWriter, r *http.Request, rp *repo, pr *pull, status int) {
	x := s.pullGit(r.Context(), rp, pr, true)
	s.respond(w, status, func() any { return s.pullJSON(rp, pr, x) })
}

func (s *Server) patchPull(w http.ResponseWriter, r *http.Request, c caller, rp *repo, pr *pull) {
	req, ok := decodeInto[struct {
		Title *string `json:"title"`
		Body  *string `json:"body"`
		State *string `json:"state"`
		Base  *string `json:"base"`
	}](s, w, r)
	if !ok {
		return
	}
	if req.Base != nil && *req.Base != "main" {
		s.invalid(w, "PullRequest", "base", "invalid", "the emulator's pull requests target main")
		return
	}
	evs, err := s.editPull(r.Context(), rp, pr, c.login, req.Title, req.Body, req.State)
	if !s.applied(w, evs, err) {
		return
	}
	s.respondPull(w, r, rp, pr, http.StatusOK)
}

// GitHub's caps on listing a pull request's commits and files.
const (
	maxListedPullCommits = 250
	maxListedPullFiles   = 3000
)

// pullRead reads (a diff, a log) the commits a pull request proposes: from
// its base snapshot, or from the merge base while it has none, to its head.
// It answers a git failure itself.
func pullRead[T any](s *Server, w http.ResponseWriter, r *http.Request, rp *repo, pr *pull, read func(ctx context.Context, from, head string) ([]T, error)) (items []T, head string, ok bool) {
	ctx := r.Context()
	x := s.pullGit(ctx, rp, pr, false)
	s.mu.Lock()
	from, _ := s.diffBaseSnapshot(rp, pr)
	s.mu.Unlock()
	var err error
	if from == "" {
		from, err = rp.git.mergeBase(ctx, x.base, x.head)
	}
	if err == nil {
		items, err = read(ctx, from, x.head)
	}
	if err != nil {
		s.gitFail(w, err)
		return nil, "", false
	}
	return items, x.head, true
}

func (s *Server) listPullFiles(w http.ResponseWriter, r *http.Request, c caller, rp *repo, pr *pull) {
	files, head, ok := pullRead(s, w, r, rp, pr, rp.git.diff)
	if !ok {
		return
	}
	// GitHub lists at most 3,000 files of a pull request; the pull request
	// itself reports the true changed_files.
	files = files[:min(len(files), maxListedPullFiles)]
	base := s.base()
	out := make([]*github.CommitFile, 0, len(files))
	for _, f := range files {
		out = append(out, commitFileJSON(base, rp, f, head))
	}
	writePage(s, w, r, out)
}

// commitFileJSON renders a changed file as the pull request files and the
// comparison list it.
func commitFileJSON(base string, rp *repo, f diffFile, head string) *github.CommitFile {
	full := rp.owner + "/" + rp.name
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
		BlobURL:     ptr(fmt.Sprintf("%s/%s/blob/%s/%s", htmlBase(base), full, head, f.path)),
		RawURL:      ptr(fmt.Sprintf("%s/%s/raw/%s/%s", htmlBase(base), full, head, f.path)),
		ContentsURL: ptr(fmt.Sprintf("%s/repos/%s/contents/%s?ref=%s", base, full, f.path, head)),
	}
	if f.patch != "" {
		cf.Patch = ptr(f.patch)
	}
	if f.previous != "" {
		cf.PreviousFilename = ptr(f.previous)
	}
	return cf
}

func (s *Server) listPullCommits(w http.ResponseWriter, r *http.Request, c caller, rp *repo, pr *pull) {
	commits, _, ok := pullRead(s, w, r, rp, pr, rp.git.log)
	if !ok {
		return
	}
	// GitHub lists at most 250 commits of a pull request (the oldest); the
	// pull request itself reports the true commits.
	commits = commits[:min(len(commits), maxListedPullCommits)]
	writePage(s, w, r, s.repositoryCommits(rp, commits))
}

// repositoryCommits renders commits as the commits APIs list them.
func (s *Server) repositoryCommits(rp *repo, commits []logEntry) []*github.RepositoryCommit {
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
	return out
}

// listCommits serves GET /repos/{owner}/{repo}/commits (go-github's
// Repositories.ListCommits): the history of sha (a branch or commit; the
// default branch when absent), newest first as git log lists it, each with
// its parents. The App walks main's first-parent line with it.
func (s *Server) listCommits(w http.ResponseWriter, r *http.Request, c caller, rp *repo) {
	ref := r.URL.Query().Get("sha")
	if ref == "" {
		ref = "main"
	}
	sha, err := rp.git.resolve(r.Context(), ref)
	if err != nil {
		s.notFound(w)
		return
	}
	commits, err := rp.git.log(r.Context(), "", sha)
	if err != nil {
		s.gitFail(w, err)
		return
	}
	newest := make([]logEntry, len(commits))
	for i, lc := range commits {
		newest[len(commits)-1-i] = lc
	}
	writePage(s, w, r, s.repositoryCommits(rp, newest))
}
