package githubemu

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"
)

// createRef is POST /repos/{owner}/{repo}/git/refs for a branch: what a
// client calls before committing to a new branch (jit new --pr). Tags are
// not emulated.
func (s *Server) createRef(w http.ResponseWriter, r *http.Request, c caller, rp *repo) {
	req, ok := decodeInto[struct {
		Ref *string `json:"ref"`
		SHA *string `json:"sha"`
	}](s, w, r)
	if !ok {
		return
	}
	if req.Ref == nil || req.SHA == nil {
		s.invalid(w, "Reference", "ref", "missing_field", "ref and sha are required")
		return
	}
	branch, ok := strings.CutPrefix(*req.Ref, "refs/heads/")
	if !ok {
		s.writeErr(w, fieldErr("ref", "Reference name must start with 'refs/heads/' (the emulator creates branches only)"))
		return
	}
	if err := validBranch(branch); err != nil {
		s.writeErr(w, err)
		return
	}
	ctx := r.Context()
	rp.git.mu.Lock()
	err := s.newBranch(ctx, rp, branch, *req.SHA)
	rp.git.mu.Unlock()
	if err != nil {
		s.writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, &github.Reference{
		Ref:    ptr("refs/heads/" + branch),
		URL:    ptr(fmt.Sprintf("%s/repos/%s/%s/git/refs/heads/%s", s.baseURL, rp.owner, rp.name, branch)),
		Object: &github.GitObject{Type: ptr("commit"), SHA: ptr(*req.SHA), URL: ptr(fmt.Sprintf("%s/repos/%s/%s/git/commits/%s", s.baseURL, rp.owner, rp.name, *req.SHA))},
		NodeID: ptr("REF_" + (*req.SHA)[:min(12, len(*req.SHA))]),
	})
}

// newBranch points a new branch at an existing commit; callers hold
// rp.git.mu.
func (s *Server) newBranch(ctx context.Context, rp *repo, branch, sha string) error {
	if _, err := rp.git.branchTip(branch); err == nil {
		return fieldErr("ref", "Reference already exists")
	}
	if !isOID(sha) || rp.git.commitExists(ctx, sha) != nil {
		return fieldErr("sha", "Object does not exist")
	}
	if err := rp.git.moveBranch(ctx, branch, sha, zeroOID, ""); err != nil {
		if errors.Is(err, errStaleRef) {
			return fieldErr("ref", "Reference already exists")
		}
		return err
	}
	return nil
}

// createPull is POST /repos/{owner}/{repo}/pulls from a branch that exists,
// into main, by the caller, a draft if asked; it delivers pull_request
// "opened", then, for a pull request that is not a draft, the code owners'
// review requests (codeowners.go).
func (s *Server) createPull(w http.ResponseWriter, r *http.Request, c caller, rp *repo) {
	req, ok := decodeInto[github.NewPullRequest](s, w, r)
	if !ok {
		return
	}
	switch {
	case req.Title == nil || strings.TrimSpace(*req.Title) == "":
		s.invalid(w, "PullRequest", "title", "missing_field", "title is required")
		return
	case req.Head == nil || req.Base == nil:
		s.invalid(w, "PullRequest", "head", "missing_field", "head and base are required")
		return
	case *req.Base != "main":
		s.invalid(w, "PullRequest", "base", "invalid", "the emulator's pull requests target main")
		return
	}
	head := *req.Head
	if owner, branch, ok := strings.Cut(head, ":"); ok {
		if !strings.EqualFold(owner, rp.owner) {
			s.invalid(w, "PullRequest", "head", "invalid", "the emulator has no forks: head must be a branch of "+rp.owner+"/"+rp.name)
			return
		}
		head = branch
	}
	ctx := r.Context()
	pr, evs, err := s.openPullFromBranch(ctx, rp, c.login, head, *req.Title, req.GetBody(), req.GetDraft())
	if !s.applied(w, evs, err) {
		return
	}
	s.respondPull(w, r, rp, pr, http.StatusCreated)
}

// openPullFromBranch opens a pull request of an existing branch that is
// ahead of main.
func (s *Server) openPullFromBranch(ctx context.Context, rp *repo, author, branch, title, body string, draft bool) (*pull, []pendingEvent, error) {
	if branch == "main" {
		return nil, nil, fieldErr("head", "a pull request needs a branch other than main")
	}
	rp.git.mu.Lock()
	tip, err := rp.git.branchTip(branch)
	var mainTip string
	if err == nil {
		mainTip, err = rp.git.branchTip("main")
	}
	var commits []logEntry
	if err == nil {
		commits, err = rp.git.log(ctx, mainTip, tip)
	}
	rp.git.mu.Unlock()
	if errors.Is(err, errNotFound) {
		return nil, nil, fieldErr("head", fmt.Sprintf("branch %q does not exist", branch))
	}
	if err != nil {
		return nil, nil, err
	}
	if len(commits) == 0 {
		return nil, nil, fieldErr("head", "No commits between main and "+branch)
	}
	now := s.now()
	s.mu.Lock()
	for _, other := range rp.pulls {
		if other.state == "open" && other.branch == branch {
			s.mu.Unlock()
			return nil, nil, fieldErr("head", fmt.Sprintf("A pull request already exists for %s:%s.", rp.owner, branch))
		}
	}
	pr := s.addPullLocked(rp, author, title, body, branch, now)
	pr.draft = draft
	s.mu.Unlock()
	evs, err := s.opened(ctx, rp, pr)
	return pr, evs, err
}

// addPullLocked opens a pull request from branch as the next number of rp;
// s.mu is held.
func (s *Server) addPullLocked(rp *repo, author, title, body, branch string, now time.Time) *pull {
	rp.nextNumber++
	pr := &pull{
		id: s.newID(), number: rp.nextNumber, author: author, title: title, body: body,
		branch: branch, state: "open", created: now, updated: now,
	}
	rp.pulls[pr.number] = pr
	return pr
}
