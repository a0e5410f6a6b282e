package githubemu

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"
)

// StatusError is an error the emulator answers with a GitHub status code;
// the test driver returns it too, so a test can assert what GitHub would
// have refused (for example an author approving their own pull request).
type StatusError struct {
	Status  int
	Message string
	// Field is set for 422 Validation Failed errors about one field.
	Field string
}

func (e *StatusError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("github %d: %s (field %s)", e.Status, e.Message, e.Field)
	}
	return fmt.Sprintf("github %d: %s", e.Status, e.Message)
}

func statusErr(status int, format string, args ...any) *StatusError {
	return &StatusError{Status: status, Message: fmt.Sprintf(format, args...)}
}

func fieldErr(field, msg string) *StatusError {
	return &StatusError{Status: http.StatusUnprocessableEntity, Message: msg, Field: field}
}

var errNoPull = statusErr(http.StatusNotFound, "Not Found")

// writeErr answers an error from an operation.
func (s *Server) writeErr(w http.ResponseWriter, err error) {
	var se *StatusError
	if errors.As(err, &se) {
		if se.Field != "" {
			s.invalid(w, "PullRequest", se.Field, "invalid", se.Message)
			return
		}
		s.fail(w, se.Status, se.Message)
		return
	}
	s.gitFail(w, err)
}

// lookup finds a repository and pull request for the driver.
func (s *Server) lookup(owner, name string, number int) (*repo, *pull, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp, pr := s.pullLocked(owner, name, number)
	if rp == nil {
		return nil, nil, fmt.Errorf("repository %s/%s: %w", owner, name, statusErr(http.StatusNotFound, "Not Found"))
	}
	if pr == nil {
		return nil, nil, fmt.Errorf("pull request %s/%s#%d: %w", owner, name, number, errNoPull)
	}
	return rp, pr, nil
}

// identityOf is the git identity of a login.
func (s *Server) identityOf(login string, when time.Time) identity {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(login)
	if u == nil {
		return identity{name: login, email: login + "@users.noreply.github.com", when: when}
	}
	return identity{name: u.login, email: u.email, when: when}
}

// loginForEmail maps a commit email back to a GitHub login, as GitHub links
// commits to accounts by verified email (or the noreply address).
func (s *Server) loginForEmailLocked(email string) string {
	email = strings.ToLower(email)
	if l, ok := s.emails[email]; ok {
		return l
	}
	if local, ok := strings.CutSuffix(email, "@users.noreply.github.com"); ok {
		if _, after, ok := strings.Cut(local, "+"); ok {
			local = after
		}
		if u := s.userLocked(local); u != nil {
			return u.login
		}
	}
	return ""
}

func sortedPullNumbers(rp *repo) []int {
	ns := make([]int, 0, len(rp.pulls))
	for n := range rp.pulls {
		ns = append(ns, n)
	}
	sort.Ints(ns)
	return ns
}

// ---- pull requests ----

func (s *Server) pullEvent(ctx context.Context, rp *repo, pr *pull, action, sender string, mod func(*github.PullRequestEvent)) pendingEvent {
	x := s.pullGit(ctx, rp, pr, true)
	s.mu.Lock()
	defer s.mu.Unlock()
	ev := &github.PullRequestEvent{
		Action:       ptr(action),
		Number:       ptr(pr.number),
		PullRequest:  s.pullJSON(rp, pr, x),
		Repo:         s.repoJSON(rp),
		Sender:       s.userJSON(sender),
		Installation: s.installationJSON(),
		Organization: s.orgJSON(rp.owner),
	}
	if mod != nil {
		mod(ev)
	}
	return s.newEvent("pull_request", action, ev)
}

func (s *Server) openPull(ctx context.Context, rp *repo, author, branch, title, body string, c Commit) (int, []pendingEvent, error) {
	if err := validBranch(branch); err != nil {
		return 0, nil, err
	}
	if branch == "main" {
		return 0, nil, fieldErr("head", "a pull request needs a branch other than main")
	}
	now := s.now()
	if c.Author == "" {
		c.Author = author
	}
	if c.Message == "" {
		c.Message = title
	}
	rp.git.mu.Lock()
	mainTip, err := rp.git.branchTip("main")
	if err == nil {
		if _, exists := rp.git.branchTip(branch); exists == nil {
			err = fieldErr("head", fmt.Sprintf("branch %q already exists", branch))
		}
	}
	if err == nil {
		_, err = s.writeCommit(ctx, rp, branch, mainTip, zeroOID, c, now)
	}
	rp.git.mu.Unlock()
	if err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	pr := s.addPullLocked(rp, author, title, body, branch, now)
	s.mu.Unlock()
	evs, err := s.opened(ctx, rp, pr)
	return pr.number, evs, err
}

func validBranch(b string) error {
	if b == "" || strings.ContainsAny(b, " ~^:?*[\\\x00\n") || strings.Contains(b, "..") || strings.HasPrefix(b, "-") || strings.HasSuffix(b, "/") || strings.HasSuffix(b, ".lock") {
		return fieldErr("head", fmt.Sprintf("%q is not a valid branch name", b))
	}
	return nil
}

// writeCommit turns a driver Commit into a git commit on branch; callers
// hold rp.git.mu.
func (s *Server) writeCommit(ctx context.Context, rp *repo, branch, parent, expectOld string, c Commit, now time.Time) (string, error) {
	if len(c.Files) == 0 {
		return "", errors.New("a commit needs at least one file change")
	}
	committer := c.Committer
	if committer == "" {
		committer = c.Author
	}
	changes := make([]fileChange, 0, len(c.Files))
	for _, p := range slices.Sorted(maps.Keys(c.Files)) {
		content := c.Files[p]
		ch := fileChange{path: p, content: content, mode: c.Modes[p], delete: content == nil}
		switch ch.mode {
		case "", "100644", "100755", "120000", "160000":
		default:
			return "", fmt.Errorf("file %s: mode %q is not one of 100644, 100755, 120000, 160000", p, ch.mode)
		}
		changes = append(changes, ch)
	}
	return rp.git.commit(ctx, branch, parent, expectOld, s.identityOf(c.Author, now), s.identityOf(committer, now), c.Message, changes)
}

func (s *Server) push(ctx context.Context, rp *repo, pr *pull, c Commit) (string, []pendingEvent, error) {
	s.mu.Lock()
	open, branch := pr.state == "open", pr.branch
	s.mu.Unlock()
	if !open {
		return "", nil, statusErr(http.StatusUnprocessableEntity, "pull request #%d is not open", pr.number)
	}
	if c.Message == "" {
		c.Message = "Update " + strings.Join(slices.Sorted(maps.Keys(c.Files)), ", ")
	}
	rp.git.mu.Lock()
	before, err := rp.git.branchTip(branch)
	var after string
	if err == nil {
		after, err = s.writeCommit(ctx, rp, branch, before, before, c, s.now())
	}
	rp.git.mu.Unlock()
	if err != nil {
		return "", nil, err
	}
	s.mu.Lock()
	pr.updated = s.now()
	s.mu.Unlock()
	ev := s.pullEvent(ctx, rp, pr, "synchronize", c.Author, func(e *github.PullRequestEvent) {
		e.Before, e.After = ptr(before), ptr(after)
	})
	return after, []pendingEvent{ev}, nil
}

// editPull changes title, body or state, emitting edited, closed or reopened.
func (s *Server) editPull(ctx context.Context, rp *repo, pr *pull, actor string, title, body, state *string) ([]pendingEvent, error) {
	var evs []pendingEvent
	s.mu.Lock()
	if state != nil && *state != "open" && *state != "closed" {
		s.mu.Unlock()
		return nil, fieldErr("state", fmt.Sprintf("state %q must be open or closed", *state))
	}
	now := s.now()
	changes := &github.EditChange{}
	edited := false
	if title != nil && *title != pr.title {
		if strings.TrimSpace(*title) == "" {
			s.mu.Unlock()
			return nil, fieldErr("title", "title must not be blank")
		}
		changes.Title = &github.EditTitle{From: ptr(pr.title)}
		pr.title, edited = *title, true
	}
	if body != nil && *body != pr.body {
		changes.Body = &github.EditBody{From: ptr(pr.body)}
		pr.body, edited = *body, true
	}
	var stateAction string
	if state != nil && *state != pr.state {
		switch {
		case *state == "open" && pr.merged:
			s.mu.Unlock()
			return nil, statusErr(http.StatusUnprocessableEntity, "Cannot reopen a merged pull request")
		case *state == "open":
			pr.state, pr.closedAt, pr.closedBy, stateAction = "open", time.Time{}, "", "reopened"
		default:
			pr.state, pr.closedAt, pr.closedBy, stateAction = "closed", now, actor, "closed"
		}
	}
	if edited || stateAction != "" {
		pr.updated = now
	}
	s.mu.Unlock()
	if edited {
		evs = append(evs, s.pullEvent(ctx, rp, pr, "edited", actor, func(e *github.PullRequestEvent) { e.Changes = changes }))
	}
	if stateAction != "" {
		evs = append(evs, s.pullEvent(ctx, rp, pr, stateAction, actor, nil))
	}
	return evs, nil
}

// ---- reviews ----

var reviewStates = map[string]string{
	"APPROVE": "APPROVED", "APPROVED": "APPROVED",
	"REQUEST_CHANGES": "CHANGES_REQUESTED", "CHANGES_REQUESTED": "CHANGES_REQUESTED",
	"COMMENT": "COMMENTED", "COMMENTED": "COMMENTED",
	"": "PENDING", "PENDING": "PENDING",
}

func (s *Server) reviewEvent(rp *repo, pr *pull, rv *review, action, sender string, x pullExtra, from *string) pendingEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	// GitHub sends a review's pull request as a "simple pull request":
	// without the totals and merge state the full object has.
	simple := s.pullJSON(rp, pr, x)
	simple.Commits, simple.ChangedFiles, simple.Additions, simple.Deletions = nil, nil, nil, nil
	simple.Comments, simple.ReviewComments, simple.MaintainerCanModify = nil, nil, nil
	simple.Merged, simple.Mergeable, simple.Rebaseable, simple.MergeableState, simple.MergedBy = nil, nil, nil, nil, nil
	ev := &github.PullRequestReviewEvent{
		Action:       ptr(action),
		Review:       s.reviewJSON(rp, pr, rv),
		PullRequest:  simple,
		Repo:         s.repoJSON(rp),
		Sender:       s.userJSON(sender),
		Installation: s.installationJSON(),
		Organization: s.orgJSON(rp.owner),
	}
	if from == nil {
		return s.newEvent("pull_request_review", action, ev)
	}
	// go-github's struct has no "changes"; GitHub sends it on edits.
	return s.newEvent("pull_request_review", action, struct {
		*github.PullRequestReviewEvent
		Changes *github.EditChange `json:"changes,omitempty"`
	}{ev, &github.EditChange{Body: &github.EditBody{From: from}}})
}

func (s *Server) submitReview(ctx context.Context, rp *repo, pr *pull, login, state, body, commitID string) (int64, []pendingEvent, error) {
	st, ok := reviewStates[strings.ToUpper(state)]
	if !ok {
		return 0, nil, fieldErr("event", fmt.Sprintf("review event %q must be APPROVE, REQUEST_CHANGES or COMMENT", state))
	}
	if (st == "CHANGES_REQUESTED" || st == "COMMENTED") && strings.TrimSpace(body) == "" {
		return 0, nil, fieldErr("body", "Body is required for a review that comments or requests changes")
	}
	x := s.pullGit(ctx, rp, pr, true)
	if commitID == "" {
		commitID = x.head
	} else if err := rp.git.commitExists(ctx, commitID); err != nil {
		return 0, nil, fieldErr("commit_id", "commit_id is not part of the pull request")
	}
	s.mu.Lock()
	if s.userLocked(login) == nil {
		s.mu.Unlock()
		return 0, nil, statusErr(http.StatusNotFound, "user %q does not exist", login)
	}
	if strings.EqualFold(login, pr.author) && !s.opts.AllowSelfReview && (st == "APPROVED" || st == "CHANGES_REQUESTED") {
		s.mu.Unlock()
		if st == "APPROVED" {
			return 0, nil, statusErr(http.StatusUnprocessableEntity, "Can not approve your own pull request")
		}
		return 0, nil, statusErr(http.StatusUnprocessableEntity, "Can not request changes on your own pull request")
	}
	rv := &review{id: s.newID(), user: s.userLocked(login).login, state: st, body: body, commitID: commitID, submitted: s.now()}
	pr.reviews = append(pr.reviews, rv)
	if st != "PENDING" {
		pr.updated = rv.submitted
		// A review answers the request made to the reviewer, and to any
		// requested team the reviewer belongs to.
		pr.requestedUsers = slices.DeleteFunc(pr.requestedUsers, func(u string) bool { return strings.EqualFold(u, login) })
		pr.requestedTeams = slices.DeleteFunc(pr.requestedTeams, func(t string) bool {
			tm := s.teams[key(rp.owner, t)]
			return tm != nil && tm.memberSet[strings.ToLower(login)]
		})
	}
	s.mu.Unlock()
	if st == "PENDING" {
		return rv.id, nil, nil
	}
	return rv.id, []pendingEvent{s.reviewEvent(rp, pr, rv, "submitted", rv.user, x, nil)}, nil
}

// mayEdit is GitHub's answer to actor editing what author wrote (author ""
// when there is no such review or comment): 404 for a missing one, 403 with
// refusal for someone else's, nil when the edit may go ahead.
func mayEdit(author, actor, refusal string) error {
	switch {
	case author == "":
		return statusErr(http.StatusNotFound, "Not Found")
	case !strings.EqualFold(author, actor):
		return statusErr(http.StatusForbidden, "%s", refusal)
	}
	return nil
}

// author is who wrote the review, "" for none.
func (rv *review) author() string {
	if rv == nil {
		return ""
	}
	return rv.user
}

// author is who wrote the comment, "" for none.
func (c *comment) author() string {
	if c == nil {
		return ""
	}
	return c.user
}

func (s *Server) findReviewLocked(pr *pull, id int64) *review {
	for _, rv := range pr.reviews {
		if rv.id == id {
			return rv
		}
	}
	return nil
}

func (s *Server) dismissReview(ctx context.Context, rp *repo, pr *pull, id int64, actor, message string) (*review, []pendingEvent, error) {
	if strings.TrimSpace(message) == "" {
		return nil, nil, fieldErr("message", "a dismissal needs a message")
	}
	s.mu.Lock()
	rv := s.findReviewLocked(pr, id)
	switch {
	case rv == nil:
		s.mu.Unlock()
		return nil, nil, statusErr(http.StatusNotFound, "Not Found")
	case rv.state != "APPROVED" && rv.state != "CHANGES_REQUESTED":
		s.mu.Unlock()
		return nil, nil, statusErr(http.StatusUnprocessableEntity, "Can not dismiss a %s pull request review", strings.ToLower(rv.state))
	}
	rv.dismissedFrom, rv.state, rv.dismissalMessage = rv.state, "DISMISSED", message
	rv.dismissedBy, rv.dismissedAt = actor, s.now()
	pr.updated = s.now()
	s.mu.Unlock()
	x := s.pullGit(ctx, rp, pr, true)
	return rv, []pendingEvent{s.reviewEvent(rp, pr, rv, "dismissed", actor, x, nil)}, nil
}

func (s *Server) editReview(ctx context.Context, rp *repo, pr *pull, id int64, actor, body string) (*review, []pendingEvent, error) {
	s.mu.Lock()
	rv := s.findReviewLocked(pr, id)
	if err := mayEdit(rv.author(), actor, "Only the reviewer can edit a review"); err != nil {
		s.mu.Unlock()
		return nil, nil, err
	}
	from := rv.body
	rv.body = body
	s.mu.Unlock()
	x := s.pullGit(ctx, rp, pr, true)
	if rv.state == "PENDING" {
		return rv, nil, nil
	}
	return rv, []pendingEvent{s.reviewEvent(rp, pr, rv, "edited", actor, x, &from)}, nil
}

// ---- requested reviewers ----

func (s *Server) requestReviewers(ctx context.Context, rp *repo, pr *pull, actor string, users, teams []string, remove bool) ([]pendingEvent, error) {
	type change struct {
		user string
		team *team
	}
	var changes []change
	s.mu.Lock()
	for _, u := range users {
		us := s.userLocked(u)
		if us == nil {
			s.mu.Unlock()
			return nil, statusErr(http.StatusUnprocessableEntity, "Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the %s/%s repository.", rp.owner, rp.name)
		}
		if !remove && strings.EqualFold(us.login, pr.author) {
			s.mu.Unlock()
			return nil, statusErr(http.StatusUnprocessableEntity, "Review cannot be requested from pull request author.")
		}
	}
	for _, t := range teams {
		if s.teams[key(rp.owner, t)] == nil {
			s.mu.Unlock()
			return nil, statusErr(http.StatusUnprocessableEntity, "Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the %s/%s repository.", rp.owner, rp.name)
		}
	}
	has := func(list []string, v string) bool {
		return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, v) })
	}
	for _, u := range users {
		login := s.userLocked(u).login
		switch {
		case !remove && !has(pr.requestedUsers, login):
			pr.requestedUsers = append(pr.requestedUsers, login)
			changes = append(changes, change{user: login})
		case remove && has(pr.requestedUsers, login):
			pr.requestedUsers = slices.DeleteFunc(pr.requestedUsers, func(x string) bool { return strings.EqualFold(x, login) })
			changes = append(changes, change{user: login})
		}
	}
	for _, t := range teams {
		tm := s.teams[key(rp.owner, t)]
		switch {
		case !remove && !has(pr.requestedTeams, tm.slug):
			pr.requestedTeams = append(pr.requestedTeams, tm.slug)
			changes = append(changes, change{team: tm})
		case remove && has(pr.requestedTeams, tm.slug):
			pr.requestedTeams = slices.DeleteFunc(pr.requestedTeams, func(x string) bool { return strings.EqualFold(x, tm.slug) })
			changes = append(changes, change{team: tm})
		}
	}
	if len(changes) > 0 {
		pr.updated = s.now()
	}
	s.mu.Unlock()
	action := "review_requested"
	if remove {
		action = "review_request_removed"
	}
	var evs []pendingEvent
	for _, c := range changes {
		evs = append(evs, s.pullEvent(ctx, rp, pr, action, actor, func(e *github.PullRequestEvent) {
			if c.team != nil {
				e.RequestedTeam = s.teamJSON(c.team)
			} else {
				e.RequestedReviewer = s.userJSON(c.user)
			}
		}))
	}
	return evs, nil
}

// ---- labels ----

// setLabels adds (mode "add"), replaces ("set") or removes ("remove") labels.
func (s *Server) setLabels(ctx context.Context, rp *repo, pr *pull, actor, mode string, names []string) ([]pendingEvent, error) {
	s.mu.Lock()
	var added, removed []string
	has := func(n string) bool {
		return slices.ContainsFunc(pr.labels, func(x string) bool { return strings.EqualFold(x, n) })
	}
	switch mode {
	case "remove":
		for _, n := range names {
			if !has(n) {
				s.mu.Unlock()
				return nil, statusErr(http.StatusNotFound, "Label does not exist")
			}
		}
		for _, n := range names {
			pr.labels = slices.DeleteFunc(pr.labels, func(x string) bool {
				if strings.EqualFold(x, n) {
					removed = append(removed, x)
					return true
				}
				return false
			})
		}
	case "set":
		keep := map[string]bool{}
		for _, n := range names {
			keep[strings.ToLower(n)] = true
		}
		pr.labels = slices.DeleteFunc(pr.labels, func(x string) bool {
			if !keep[strings.ToLower(x)] {
				removed = append(removed, x)
				return true
			}
			return false
		})
		fallthrough
	case "add":
		for _, n := range names {
			if strings.TrimSpace(n) == "" {
				s.mu.Unlock()
				return nil, fieldErr("labels", "a label name must not be blank")
			}
			l := rp.labels[strings.ToLower(n)]
			if l == nil {
				// GitHub creates a label the first time it is used.
				l = &label{id: s.newID(), name: n, color: "ededed"}
				rp.labels[strings.ToLower(n)] = l
			}
			if !has(l.name) {
				pr.labels = append(pr.labels, l.name)
				added = append(added, l.name)
			}
		}
	}
	if len(added)+len(removed) > 0 {
		pr.updated = s.now()
	}
	s.mu.Unlock()
	var evs []pendingEvent
	for _, n := range removed {
		evs = append(evs, s.pullEvent(ctx, rp, pr, "unlabeled", actor, func(e *github.PullRequestEvent) { e.Label = s.labelJSON(rp, n) }))
	}
	for _, n := range added {
		evs = append(evs, s.pullEvent(ctx, rp, pr, "labeled", actor, func(e *github.PullRequestEvent) { e.Label = s.labelJSON(rp, n) }))
	}
	return evs, nil
}

// ---- comments ----

func (s *Server) commentEvent(rp *repo, pr *pull, c *comment, action, sender string, from *string) pendingEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	ev := &github.IssueCommentEvent{
		Action:       ptr(action),
		Issue:        s.issueJSON(rp, pr),
		Comment:      s.commentJSON(rp, c),
		Repo:         s.repoJSON(rp),
		Sender:       s.userJSON(sender),
		Installation: s.installationJSON(),
		Organization: s.orgJSON(rp.owner),
	}
	if from != nil {
		ev.Changes = &github.EditChange{Body: &github.EditBody{From: from}}
	}
	return s.newEvent("issue_comment", action, ev)
}

func (s *Server) addComment(rp *repo, pr *pull, login, body string) (*comment, []pendingEvent, error) {
	if strings.TrimSpace(body) == "" {
		return nil, nil, fieldErr("body", "body must not be blank")
	}
	s.mu.Lock()
	u := s.userLocked(login)
	if u == nil {
		s.mu.Unlock()
		return nil, nil, statusErr(http.StatusNotFound, "user %q does not exist", login)
	}
	now := s.now()
	c := &comment{id: s.newID(), number: pr.number, user: u.login, body: body, created: now, updated: now}
	rp.comments[c.id] = c
	pr.comments = append(pr.comments, c.id)
	pr.updated = now
	s.mu.Unlock()
	return c, []pendingEvent{s.commentEvent(rp, pr, c, "created", u.login, nil)}, nil
}

func (s *Server) editComment(rp *repo, id int64, login, body string) (*comment, []pendingEvent, error) {
	if strings.TrimSpace(body) == "" {
		return nil, nil, fieldErr("body", "body must not be blank")
	}
	s.mu.Lock()
	c := rp.comments[id]
	if err := mayEdit(c.author(), login, "Only the author of a comment can edit it"); err != nil {
		s.mu.Unlock()
		return nil, nil, err
	}
	from := c.body
	c.body, c.updated = body, s.now()
	pr := rp.pulls[c.number]
	s.mu.Unlock()
	return c, []pendingEvent{s.commentEvent(rp, pr, c, "edited", login, &from)}, nil
}

// ---- merge ----

// checksPassLocked reports whether every required check has a latest run
// on sha that completed successfully (or neutral/skipped, as GitHub allows).
func (s *Server) checksPassLocked(rp *repo, sha string, required []string) bool {
	for _, name := range required {
		var latest *checkRun
		for _, cr := range rp.checkRuns {
			if cr.headSHA == sha && cr.name == name {
				latest = cr
			}
		}
		if latest == nil || latest.status != "completed" || !slices.Contains([]string{"success", "neutral", "skipped"}, latest.conclusion) {
			return false
		}
	}
	return true
}

func (s *Server) checksPass(rp *repo, sha string, required []string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.checksPassLocked(rp, sha, required)
}

type mergeOptions struct {
	method, sha, title, message string
	hasMessage                  bool
	// protected applies the repository's required checks; the driver's
	// Merge leaves it off, like an admin bypassing branch protection.
	protected bool
}

func (s *Server) merge(ctx context.Context, rp *repo, pr *pull, login string, o mergeOptions) (string, []pendingEvent, error) {
	switch o.method {
	case "", "merge", "squash":
	case "rebase":
		return "", nil, statusErr(http.StatusMethodNotAllowed, "Rebase merges are not allowed on this repository.")
	default:
		return "", nil, fieldErr("merge_method", fmt.Sprintf("merge_method %q must be merge, squash or rebase", o.method))
	}
	rp.git.mu.Lock()
	defer rp.git.mu.Unlock()
	s.mu.Lock()
	if s.userLocked(login) == nil {
		s.mu.Unlock()
		return "", nil, statusErr(http.StatusNotFound, "user %q does not exist", login)
	}
	open, branch, number, title := pr.state == "open", pr.branch, pr.number, pr.title
	required := append([]string(nil), rp.required...)
	s.mu.Unlock()
	if !open {
		return "", nil, statusErr(http.StatusMethodNotAllowed, "Pull Request is not mergeable")
	}
	head, err := rp.git.branchTip(branch)
	if err != nil {
		return "", nil, err
	}
	if o.sha != "" && o.sha != head {
		return "", nil, statusErr(http.StatusConflict, "Head branch was modified. Review and try the merge again.")
	}
	if o.protected {
		for _, name := range required {
			if !s.checksPass(rp, head, []string{name}) {
				return "", nil, statusErr(http.StatusMethodNotAllowed, "Required status check %q is expected.", name)
			}
		}
	}
	now := s.now()
	author := s.identityOf(login, now)
	committer := identity{name: "GitHub", email: "noreply@github.com", when: now}
	var sha string
	for attempt := 0; ; attempt++ {
		base, err := rp.git.branchTip("main")
		if err != nil {
			return "", nil, err
		}
		tree, err := rp.git.mergeTree(ctx, base, head)
		if errors.Is(err, errConflict) {
			return "", nil, statusErr(http.StatusMethodNotAllowed, "Pull Request is not mergeable")
		}
		if err != nil {
			return "", nil, err
		}
		msgTitle := fmt.Sprintf("Merge pull request #%d from %s/%s", number, rp.owner, branch)
		msgBody := title
		parents := []string{base, head}
		if o.method == "squash" {
			msgTitle = fmt.Sprintf("%s (#%d)", title, number)
			msgBody = ""
			parents = []string{base}
		}
		if o.title != "" {
			msgTitle = o.title
		}
		if o.hasMessage {
			msgBody = o.message
		}
		msg := msgTitle
		if msgBody != "" {
			msg += "\n\n" + msgBody
		}
		sha, err = rp.git.commitTree(ctx, tree, parents, author, committer, msg)
		if err != nil {
			return "", nil, err
		}
		err = rp.git.moveBranch(ctx, "main", sha, base, "")
		if errors.Is(err, errStaleRef) && attempt < 5 {
			continue // someone pushed to main meanwhile; merge again on top
		}
		if err != nil {
			return "", nil, err
		}
		s.mu.Lock()
		pr.merged, pr.state, pr.mergedAt, pr.closedAt, pr.updated = true, "closed", now, now, now
		pr.closedBy = login
		pr.mergedBy, pr.mergeCommit, pr.headAtMerge, pr.mainAtMerge = s.userLocked(login).login, sha, head, base
		s.mu.Unlock()
		mb, err := rp.git.mergeBase(ctx, base, head)
		if err != nil {
			return "", nil, err
		}
		s.mu.Lock()
		pr.baseAtMrg = mb
		s.mu.Unlock()
		break
	}
	evs := []pendingEvent{s.pullEvent(ctx, rp, pr, "closed", login, nil)}
	s.mu.Lock()
	before := pr.mainAtMerge
	s.mu.Unlock()
	return sha, append(evs, s.markReachable(ctx, rp, login, before, sha)...), nil
}

// ---- check runs ----

func (s *Server) rerequestCheckRun(rp *repo, id int64, login string) ([]pendingEvent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var cr *checkRun
	for _, c := range rp.checkRuns {
		if c.id == id {
			cr = c
		}
	}
	if cr == nil {
		return nil, statusErr(http.StatusNotFound, "Not Found")
	}
	if s.userLocked(login) == nil {
		return nil, statusErr(http.StatusNotFound, "user %q does not exist", login)
	}
	ev := &github.CheckRunEvent{
		Action:       ptr("rerequested"),
		CheckRun:     s.checkRunJSON(rp, cr, false),
		Repo:         s.repoJSON(rp),
		Org:          s.orgJSON(rp.owner),
		Sender:       s.userJSON(login),
		Installation: s.installationJSON(),
	}
	return []pendingEvent{s.newEvent("check_run", "rerequested", ev)}, nil
}
