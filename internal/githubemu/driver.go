package githubemu

import (
	"context"
	"crypto/rsa"
	"fmt"
	"maps"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/google/go-github/v62/github"
)

// This file is the test driver: what people do on github.com. Each call that
// changes state delivers the webhook GitHub would send before it returns.

// Commit describes a commit a driver call makes.
type Commit struct {
	// Author is the login whose email goes into the commit; Committer
	// defaults to Author.
	Author, Committer string
	// Message defaults to the pull request title (or "Update <paths>").
	Message string
	// Files maps paths to contents; a nil value deletes the file.
	Files map[string][]byte
	// Modes optionally sets a path's git mode: 100644 (default), 100755,
	// 120000 (a symlink whose content is the target) or 160000 (a
	// submodule's gitlink, whose content is the commit it names).
	Modes map[string]string
}

// RegisterApp registers the GitHub App that will authenticate with the
// private key matching pub, and installs it on every repository. It returns
// the installation id. The App's bot user is "<slug>[bot]". Registering
// again replaces the App.
func (s *Server) RegisterApp(id int64, slug string, pub *rsa.PublicKey) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	inst := int64(0)
	if s.app != nil && s.app.id == id {
		inst = s.app.installationID
	} else {
		inst = s.newID()
	}
	login := slug + "[bot]"
	bot := &user{id: s.newID(), login: login, typ: "Bot"}
	bot.email = fmt.Sprintf("%d+%s@users.noreply.github.com", bot.id, login)
	s.app = &app{id: id, slug: slug, name: slug, pub: pub, installationID: inst, bot: bot, created: s.now()}
	return inst
}

// BotLogin returns the App's bot login ("<slug>[bot]"), or "" before
// RegisterApp.
func (s *Server) BotLogin() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.app == nil {
		return ""
	}
	return s.app.bot.login
}

// AddUser adds a GitHub account. Commits whose author or committer email is
// email are attributed to login. Adding a login again updates its email.
func (s *Server) AddUser(login, email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[strings.ToLower(login)]
	if u == nil {
		u = &user{id: s.userIDLocked(login), login: login, typ: "User"}
		s.users[strings.ToLower(login)] = u
	}
	if email == "" {
		email = fmt.Sprintf("%d+%s@users.noreply.github.com", u.id, login)
	}
	u.email = email
	s.emails[strings.ToLower(email)] = u.login
}

// AddTeam creates (or extends) team org/slug with members, creating the
// organisation if needed. Members must have been added with AddUser.
func (s *Server) AddTeam(org, slug string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensureOrgLocked(org)
	t := s.teams[key(org, slug)]
	if t == nil {
		t = &team{id: s.newID(), org: org, slug: slug, name: slug, memberSet: map[string]bool{}}
		s.teams[key(org, slug)] = t
	}
	for _, m := range members {
		if !t.memberSet[strings.ToLower(m)] {
			t.memberSet[strings.ToLower(m)] = true
			t.members = append(t.members, m)
		}
	}
}

func (s *Server) ensureOrgLocked(org string) {
	if s.orgs[strings.ToLower(org)] {
		return
	}
	s.orgs[strings.ToLower(org)] = true
	if s.users[strings.ToLower(org)] == nil {
		s.users[strings.ToLower(org)] = &user{id: s.newID(), login: org, typ: "Organization"}
	}
}

// UserToken returns a personal access token acting as login, e.g. to use
// the API with curl in the sandbox. It never expires.
func (s *Server) UserToken(login string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(login)
	if u == nil || u.typ != "User" {
		return "", fmt.Errorf("user token: %q is not a user; add it with AddUser", login)
	}
	tok := "ghp_" + randomHex(18)
	s.tokens[tok] = &token{login: u.login}
	return tok, nil
}

// UserClient is go-github acting as login with a token from UserToken, on
// the API at the URL given to SetURL: what a person does through the API.
func (s *Server) UserClient(login string) (*github.Client, error) {
	tok, err := s.UserToken(login)
	if err != nil {
		return nil, err
	}
	return github.NewClient(nil).WithAuthToken(tok).WithEnterpriseURLs(s.base(), s.base())
}

// CreateRepo creates owner/name as a bare git repository whose main branch
// has one commit with files. An owner that is not a user becomes an
// organisation.
func (s *Server) CreateRepo(owner, name string, files map[string][]byte) error {
	s.mu.Lock()
	if s.repos[key(owner, name)] != nil {
		s.mu.Unlock()
		return fmt.Errorf("creating repository %s/%s: it already exists", owner, name)
	}
	if u := s.users[strings.ToLower(owner)]; u == nil || u.typ == "Organization" {
		s.ensureOrgLocked(owner)
	}
	s.mu.Unlock()
	if len(files) == 0 {
		files = map[string][]byte{"README.md": []byte("# " + name + "\n")}
	}
	ctx := context.Background()
	dir := s.RepoDir(owner, name)
	if _, err := os.Stat(dir); err == nil {
		return fmt.Errorf("creating repository %s/%s: %s already exists", owner, name, dir)
	}
	g, err := initBare(ctx, dir)
	if err != nil {
		return err
	}
	now := s.now()
	rp := &repo{
		owner: owner, name: name, git: g, created: now,
		pulls: map[int]*pull{}, labels: map[string]*label{}, comments: map[int64]*comment{}, permissions: map[string]string{},
	}
	g.mu.Lock()
	_, err = s.writeCommit(ctx, rp, "main", "", zeroOID, Commit{Author: owner, Message: "Initial commit", Files: files}, now)
	g.mu.Unlock()
	if err != nil {
		return fmt.Errorf("creating repository %s/%s: %w", owner, name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.repos[key(owner, name)] != nil {
		return fmt.Errorf("creating repository %s/%s: it already exists", owner, name)
	}
	rp.id = s.newID()
	s.repos[key(owner, name)] = rp
	// Learn where main is, so that the first move delivers a push event.
	defer s.notePush(rp)
	return nil
}

// SetPermission sets login's permission on a repository (admin, maintain,
// write, triage, read or none), as reported by the collaborators API.
func (s *Server) SetPermission(owner, name, login, permission string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repoLocked(owner, name)
	if rp == nil {
		return fmt.Errorf("setting a permission: repository %s/%s does not exist", owner, name)
	}
	rp.permissions[strings.ToLower(login)] = permission
	return nil
}

// SetRequiredChecks protects main: merging through the API then needs a
// successful latest check run of each name on the head commit. The driver's
// Merge ignores it, like an admin bypassing branch protection.
func (s *Server) SetRequiredChecks(owner, name string, checks ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repoLocked(owner, name)
	if rp == nil {
		return fmt.Errorf("setting required checks: repository %s/%s does not exist", owner, name)
	}
	rp.required = append([]string(nil), checks...)
	return nil
}

func (s *Server) driverRepo(owner, name string) (*repo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.repoLocked(owner, name)
	if rp == nil {
		return nil, fmt.Errorf("repository %s/%s: %w", owner, name, statusErr(http.StatusNotFound, "Not Found"))
	}
	return rp, nil
}

// CommitToBranch commits directly to a branch (creating it from main if it
// does not exist), e.g. to change the configuration on main. No webhook.
func (s *Server) CommitToBranch(owner, name, branch string, c Commit) (string, error) {
	rp, err := s.driverRepo(owner, name)
	if err != nil {
		return "", err
	}
	if c.Message == "" {
		c.Message = "Update " + strings.Join(slices.Sorted(maps.Keys(c.Files)), ", ")
	}
	sha, err := s.commitTo(rp, branch, c)
	if err == nil {
		s.notePush(rp)
	}
	return sha, err
}

func (s *Server) commitTo(rp *repo, branch string, c Commit) (string, error) {
	ctx := context.Background()
	rp.git.mu.Lock()
	defer rp.git.mu.Unlock()
	old, err := rp.git.branchTip(branch)
	parent := old
	if err != nil {
		old = zeroOID
		if parent, err = rp.git.branchTip("main"); err != nil {
			return "", err
		}
	}
	return s.writeCommit(ctx, rp, branch, parent, old, c, s.now())
}

// OpenPullRequest creates branch from main with one commit by author that
// writes files (a nil value deletes a file), opens a pull request from it
// and delivers pull_request "opened".
func (s *Server) OpenPullRequest(owner, name, author, branch, title string, files map[string][]byte) (int, error) {
	return s.OpenPullRequestWith(owner, name, author, branch, title, "", Commit{Author: author, Files: files})
}

// OpenPullRequestWith is OpenPullRequest with a body and full control of
// the first commit (committer, message, modes).
func (s *Server) OpenPullRequestWith(owner, name, author, branch, title, body string, c Commit) (int, error) {
	var n int
	err := s.drive(owner, name, func(rp *repo) (evs []pendingEvent, err error) {
		n, evs, err = s.openPull(context.Background(), rp, author, branch, title, body, c)
		return evs, err
	})
	if err != nil {
		return 0, fmt.Errorf("opening a pull request on %s/%s: %w", owner, name, err)
	}
	return n, nil
}

// Push adds a commit by author to the pull request's branch and delivers
// pull_request "synchronize". It returns the new head SHA.
func (s *Server) Push(owner, name string, number int, author string, files map[string][]byte) (string, error) {
	return s.PushCommit(owner, name, number, Commit{Author: author, Files: files})
}

// PushCommit is Push with full control of the commit.
func (s *Server) PushCommit(owner, name string, number int, c Commit) (string, error) {
	var sha string
	err := s.drivePull(owner, name, number, func(rp *repo, pr *pull) (evs []pendingEvent, err error) {
		sha, evs, err = s.push(context.Background(), rp, pr, c)
		return evs, err
	})
	if err != nil {
		return "", fmt.Errorf("pushing to %s/%s#%d: %w", owner, name, number, err)
	}
	return sha, nil
}

// EditPullRequest changes the title and body and delivers "edited".
func (s *Server) EditPullRequest(owner, name string, number int, user, title, body string) error {
	return s.drivePull(owner, name, number, func(rp *repo, pr *pull) ([]pendingEvent, error) {
		return s.editPull(context.Background(), rp, pr, user, &title, &body, nil)
	})
}

// RetargetPullRequest makes the pull request report base as the branch it
// targets, as changing the base on github.com does, and delivers "edited"
// with the change. It models only what GitHub reports: diffs and merges are
// still against main. Tests use it to check that jit refuses to judge a pull
// request into another branch.
func (s *Server) RetargetPullRequest(owner, name string, number int, user, base string) error {
	return s.drivePull(owner, name, number, func(rp *repo, pr *pull) ([]pendingEvent, error) {
		if err := validBranch(base); err != nil {
			return nil, err
		}
		s.mu.Lock()
		from := pr.base()
		pr.baseRef, pr.updated = base, s.now()
		s.mu.Unlock()
		ev := s.pullEvent(context.Background(), rp, pr, "edited", user, func(e *github.PullRequestEvent) {
			e.Changes = &github.EditChange{Base: &github.EditBase{Ref: &github.EditRef{From: ptr(from)}}}
		})
		return []pendingEvent{ev}, nil
	})
}

// MarkReadyForReview marks draft pull request number ready for review as
// user (GitHub does it through GraphQL, markPullRequestReadyForReview) and
// delivers pull_request "ready_for_review" and the code owners' review
// requests.
func (s *Server) MarkReadyForReview(owner, name string, number int, user string) error {
	return s.drivePull(owner, name, number, func(rp *repo, pr *pull) ([]pendingEvent, error) {
		return s.readyForReview(context.Background(), rp, pr, user)
	})
}

// ClosePullRequest closes without merging and delivers "closed".
func (s *Server) ClosePullRequest(owner, name string, number int, user string) error {
	return s.setState(owner, name, number, user, "closed")
}

// ReopenPullRequest reopens and delivers "reopened".
func (s *Server) ReopenPullRequest(owner, name string, number int, user string) error {
	return s.setState(owner, name, number, user, "open")
}

func (s *Server) setState(owner, name string, number int, user, state string) error {
	return s.drivePull(owner, name, number, func(rp *repo, pr *pull) ([]pendingEvent, error) {
		return s.editPull(context.Background(), rp, pr, user, nil, nil, &state)
	})
}

// SubmitReview submits a review on the current head commit and delivers
// pull_request_review "submitted". state is APPROVED, CHANGES_REQUESTED or
// COMMENTED (or the REST event names APPROVE, REQUEST_CHANGES, COMMENT).
func (s *Server) SubmitReview(owner, name string, number int, user, state, body string) (int64, error) {
	var id int64
	err := s.drivePull(owner, name, number, func(rp *repo, pr *pull) (evs []pendingEvent, err error) {
		if state == "" || strings.EqualFold(state, "PENDING") {
			return nil, fmt.Errorf("submitting a review: state must be APPROVED, CHANGES_REQUESTED or COMMENTED")
		}
		id, evs, err = s.submitReview(context.Background(), rp, pr, user, state, body, "")
		return evs, err
	})
	if err != nil {
		return 0, fmt.Errorf("reviewing %s/%s#%d as %s: %w", owner, name, number, user, err)
	}
	return id, nil
}

// EditReview changes a review's body and delivers "edited".
func (s *Server) EditReview(owner, name string, number int, reviewID int64, user, body string) error {
	return s.drivePull(owner, name, number, func(rp *repo, pr *pull) ([]pendingEvent, error) {
		_, evs, err := s.editReview(context.Background(), rp, pr, reviewID, user, body)
		return evs, err
	})
}

// DismissReview dismisses an approval or change request and delivers
// pull_request_review "dismissed".
func (s *Server) DismissReview(owner, name string, number int, reviewID int64, user, message string) error {
	return s.drivePull(owner, name, number, func(rp *repo, pr *pull) ([]pendingEvent, error) {
		_, evs, err := s.dismissReview(context.Background(), rp, pr, reviewID, user, message)
		return evs, err
	})
}

// Comment adds an issue comment and delivers issue_comment "created".
func (s *Server) Comment(owner, name string, number int, user, body string) (int64, error) {
	var id int64
	err := s.drivePull(owner, name, number, func(rp *repo, pr *pull) ([]pendingEvent, error) {
		c, evs, err := s.addComment(rp, pr, user, body)
		if err != nil {
			return nil, err
		}
		id = c.id
		return evs, nil
	})
	return id, err
}

// EditComment changes a comment's body and delivers issue_comment "edited".
func (s *Server) EditComment(owner, name string, commentID int64, user, body string) error {
	return s.drive(owner, name, func(rp *repo) ([]pendingEvent, error) {
		_, evs, err := s.editComment(rp, commentID, user, body)
		return evs, err
	})
}

// Merge merges the pull request with a merge commit on main, whatever its
// checks and reviews say (an admin bypass), and delivers "closed" with
// merged true. It returns the merge commit SHA.
func (s *Server) Merge(owner, name string, number int, user string) (string, error) {
	return s.mergeDriver(owner, name, number, user, false)
}

// MergeProtected merges like the API does for a non-admin: the required
// checks set with SetRequiredChecks must have passed on the head commit.
func (s *Server) MergeProtected(owner, name string, number int, user string) (string, error) {
	return s.mergeDriver(owner, name, number, user, true)
}

func (s *Server) mergeDriver(owner, name string, number int, user string, protected bool) (string, error) {
	var sha string
	var merged *repo
	err := s.drivePull(owner, name, number, func(rp *repo, pr *pull) (evs []pendingEvent, err error) {
		merged = rp
		sha, evs, err = s.merge(context.Background(), rp, pr, user, mergeOptions{protected: protected})
		return evs, err
	})
	if err != nil {
		return "", fmt.Errorf("merging %s/%s#%d: %w", owner, name, number, err)
	}
	s.notePush(merged) // main moved: its push event follows "closed"
	return sha, nil
}

// RequestCheckRerun is a user pressing "Re-run" on a check run: it delivers
// check_run "rerequested".
func (s *Server) RequestCheckRerun(owner, name string, checkRunID int64, user string) error {
	return s.drive(owner, name, func(rp *repo) ([]pendingEvent, error) {
		return s.rerequestCheckRun(rp, checkRunID, user)
	})
}

// drive runs act, a person's action on repository owner/name, and delivers
// the webhooks it caused before returning, as github.com has by the time
// the person sees the page again.
func (s *Server) drive(owner, name string, act func(*repo) ([]pendingEvent, error)) error {
	rp, err := s.driverRepo(owner, name)
	if err != nil {
		return err
	}
	return s.deliverAfter(act(rp))
}

// drivePull is drive for an action on pull request owner/name#number.
func (s *Server) drivePull(owner, name string, number int, act func(*repo, *pull) ([]pendingEvent, error)) error {
	rp, pr, err := s.lookup(owner, name, number)
	if err != nil {
		return err
	}
	return s.deliverAfter(act(rp, pr))
}

// deliverAfter delivers evs, the webhooks of an action that succeeded.
func (s *Server) deliverAfter(evs []pendingEvent, err error) error {
	if err != nil {
		return err
	}
	s.hooks.deliverNow(evs)
	return nil
}

// ---- readers ----

// PullRequest returns the pull request as GET /pulls/{number} would.
func (s *Server) PullRequest(owner, name string, number int) (*github.PullRequest, error) {
	rp, pr, err := s.lookup(owner, name, number)
	if err != nil {
		return nil, err
	}
	x := s.pullGit(context.Background(), rp, pr, true)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pullJSON(rp, pr, x), nil
}

// Reviews returns every review, including dismissed and pending ones.
func (s *Server) Reviews(owner, name string, number int) ([]*github.PullRequestReview, error) {
	return readPull(s, owner, name, number, func(rp *repo, pr *pull) []*github.PullRequestReview {
		out := make([]*github.PullRequestReview, 0, len(pr.reviews))
		for _, rv := range pr.reviews {
			out = append(out, s.reviewJSON(rp, pr, rv))
		}
		return out
	})
}

// Labels returns the pull request's label names, in the order they were added.
func (s *Server) Labels(owner, name string, number int) ([]string, error) {
	return readPull(s, owner, name, number, func(_ *repo, pr *pull) []string {
		return append([]string{}, pr.labels...)
	})
}

// Comments returns the pull request's issue comments, oldest first.
func (s *Server) Comments(owner, name string, number int) ([]*github.IssueComment, error) {
	return readPull(s, owner, name, number, func(rp *repo, pr *pull) []*github.IssueComment {
		out := make([]*github.IssueComment, 0, len(pr.comments))
		for _, id := range pr.comments {
			out = append(out, s.commentJSON(rp, rp.comments[id]))
		}
		return out
	})
}

// readPull is read(rp, pr) for pull request owner/name#number, under the
// server's lock: what a reader returns.
func readPull[T any](s *Server, owner, name string, number int, read func(*repo, *pull) T) (T, error) {
	rp, pr, err := s.lookup(owner, name, number)
	if err != nil {
		var zero T
		return zero, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return read(rp, pr), nil
}

// RequestedReviewers returns the pending review requests: user logins and
// team slugs.
func (s *Server) RequestedReviewers(owner, name string, number int) (users, teams []string, err error) {
	_, pr, err := s.lookup(owner, name, number)
	if err != nil {
		return nil, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string{}, pr.requestedUsers...), append([]string{}, pr.requestedTeams...), nil
}

// CheckRuns returns every check run on sha, oldest first, with their
// annotations inline.
func (s *Server) CheckRuns(owner, name, sha string) ([]*github.CheckRun, error) {
	rp, err := s.driverRepo(owner, name)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*github.CheckRun
	for _, cr := range rp.checkRuns {
		if cr.headSHA == sha {
			out = append(out, s.checkRunJSON(rp, cr, true))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetID() < out[j].GetID() })
	return out, nil
}

// MainSHA returns the commit main points at.
func (s *Server) MainSHA(owner, name string) (string, error) {
	rp, err := s.driverRepo(owner, name)
	if err != nil {
		return "", err
	}
	return rp.git.branchTip("main")
}

// CommentUndelivered writes a comment as Comment does but delivers nothing:
// it returns the issue_comment payload GitHub would send, for a load test
// to deliver as it likes (Flood).
func (s *Server) CommentUndelivered(owner, name string, number int, user, body string) ([]byte, error) {
	rp, pr, err := s.lookup(owner, name, number)
	if err != nil {
		return nil, err
	}
	_, evs, err := s.addComment(rp, pr, user, body)
	if err != nil {
		return nil, err
	}
	if len(evs) != 1 {
		return nil, fmt.Errorf("a comment caused %d events, want 1", len(evs))
	}
	return evs[0].body, nil
}
