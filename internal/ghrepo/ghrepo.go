// Package ghrepo is jit's GitHub client, bound to one repository as
// policy-bot's pull package is: the App, the reconcile and the audit make
// the same calls through it, so they read a pull request alike. The
// production implementation is go-github; tests use the GitHub emulator
// through the same implementation.
package ghrepo

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/jit-access/jit/internal/approval"
	"github.com/jit-access/jit/internal/change"
)

// Repo names a repository.
type Repo struct {
	Owner, Name string
}

func (r Repo) String() string { return r.Owner + "/" + r.Name }

// Parse reads "OWNER/NAME".
func Parse(s string) (Repo, error) {
	owner, name, ok := strings.Cut(s, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return Repo{}, fmt.Errorf("%q must be OWNER/NAME", s)
	}
	return Repo{Owner: owner, Name: name}, nil
}

// PR is what the App needs to know about a pull request: read from the API,
// or taken from a webhook's payload once the App has checked it against the
// API (see PRFromPayload).
type PR struct {
	Number int
	Title  string
	Author string
	// AuthorID is GitHub's immutable id of the author's account: a login
	// can be renamed and taken by another account, the id cannot.
	AuthorID int64
	HeadSHA  string
	HeadRef  string
	// HeadRepo is the "OWNER/NAME" of the repository HeadRef is in (a
	// fork's for a pull request from one); "" when it was deleted.
	HeadRepo string
	BaseRef  string
	State    string // "open" or "closed"
	Merged   bool
	MergedAt time.Time
	// MergeCommitSHA is the commit the merge made on the base branch (the
	// merge or squash commit, or the last rebased commit); for a pull
	// request GitHub marked merged because its head became reachable from
	// the base by another route, it is not on the base's first-parent line.
	MergeCommitSHA string
	CreatedAt      time.Time
	ClosedAt       time.Time
	Draft          bool
	Labels         []string
	// RequestedUsers and RequestedTeams (slugs) are asked to review and
	// have not yet.
	RequestedUsers, RequestedTeams []string
	HTMLURL                        string
	// Commits and ChangedFiles are the pull request's true totals; GitHub
	// lists at most MaxListedCommits and MaxListedFiles of them.
	Commits, ChangedFiles int
}

// GitHub's caps on listing a pull request's commits and files, and a
// directory through the contents API.
const (
	MaxListedCommits = 250
	MaxListedFiles   = 3000
	MaxListedDir     = 1000
)

// CheckRun is a check run on a commit.
type CheckRun struct {
	ID      int64
	Name    string
	HeadSHA string
	// StartedAt is set by GitHub when the run is created; the first
	// jit/approval run of a head commit anchors its time-dependent rules.
	StartedAt time.Time
	// AppID is the App that created the run: only the jit App's own runs
	// are believed, any App may create a run with the same name.
	AppID       int64
	Conclusion  string // success, failure, neutral
	Title       string
	Summary     string
	Text        string
	Annotations []Annotation
	// ExternalID is the integrator's own reference on the run, set only
	// by the App that created it; "" leaves it as it is on an update.
	ExternalID string
}

// Annotation is a line annotation on a check run.
type Annotation struct {
	Path      string
	Line, Col int
	Level     string // failure, warning, notice
	Message   string
	Title     string
}

// Comment is an issue comment.
type Comment struct {
	ID     int64
	Author string
	// AuthorID is GitHub's immutable id of the author's account.
	AuthorID int64
	Body     string
	// Issue is the number of the issue or pull request it is on.
	Issue int
}

// TreeEntry is one entry of a git tree.
type TreeEntry struct {
	Path string // the entry's name within its tree
	Mode string // git's octal mode, e.g. "100644"
	Type string // blob, tree or commit
	SHA  string
}

// ErrNotFound is returned when GitHub answers 404.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a contents write lost a race (409).
var ErrConflict = errors.New("conflict")

// Client lists the REST calls jit makes on one repository.
type Client interface {
	// Repo is the repository the client is bound to.
	Repo() Repo
	PullRequest(ctx context.Context, number int) (*PR, error)
	// DefaultBranch is the branch the grants live on (main).
	DefaultBranch(ctx context.Context) (string, error)
	OpenPullRequests(ctx context.Context) ([]*PR, error)
	// PullRequests lists every pull request into base (all if ""), open
	// and closed, oldest first.
	PullRequests(ctx context.Context, base string) ([]*PR, error)
	// FirstParents walks ref's first-parent line, newest first: visit gets
	// each commit and its first parent ("" for a root commit) until it
	// returns false or the history ends. It reads main's own history the way
	// git log --first-parent does, a page of commits per request.
	FirstParents(ctx context.Context, ref string, visit func(sha, parent string) bool) error
	// PullRequestsWithCommit lists the pull requests GitHub associates with
	// a commit: those whose head it is, and on main those that merged it.
	PullRequestsWithCommit(ctx context.Context, sha string) ([]*PR, error)
	PullRequestFiles(ctx context.Context, number int) ([]change.File, error)
	PullRequestCommits(ctx context.Context, number int) ([]approval.Commit, error)
	// Compare reads base...head: the commits from the merge base of base
	// and head to head, and the files they change, with their blobs.
	Compare(ctx context.Context, base, head string) (*Comparison, error)
	// CompareDiff reads base...head as git's unified diff (the diff media
	// type); GitHub refuses one too large.
	CompareDiff(ctx context.Context, base, head string) ([]byte, error)
	Reviews(ctx context.Context, number int) ([]approval.Review, error)
	// File returns a file's content and blob SHA at ref; kind is GitHub's
	// content type ("file", "symlink", "submodule", "dir").
	File(ctx context.Context, path, ref string) (data []byte, sha, kind string, err error)
	// Mode returns the git mode of path at ref ("100644", "100755",
	// "120000" for a symlink, "160000" for a submodule). The contents API
	// cannot tell: it follows a symlink to a regular file.
	Mode(ctx context.Context, path, ref string) (string, error)
	// Tree lists one level of a git tree, given the tree's SHA or a
	// commit's (for its root tree).
	Tree(ctx context.Context, sha string) ([]TreeEntry, error)
	// Dir lists the directory at path at ref through the contents API, in
	// one request however deep the path: names, types ("tree" for a
	// directory) and SHAs, no modes. GitHub lists at most MaxListedDir
	// entries of a directory.
	Dir(ctx context.Context, path, ref string) ([]TreeEntry, error)
	// Labels lists the labels on an issue or pull request.
	Labels(ctx context.Context, number int) ([]string, error)
	// Files lists every file under dir at ref, with full paths, in one
	// request (GitHub's recursive tree); an error when GitHub cut the list.
	Files(ctx context.Context, ref, dir string) ([]TreeEntry, error)
	// DispatchWorkflow starts the workflow in the file of that name (under
	// .github/workflows/) on ref, as its workflow_dispatch trigger does.
	DispatchWorkflow(ctx context.Context, file, ref string) error
	// PutFile creates (sha "") or updates a file on branch with one commit.
	PutFile(ctx context.Context, path, branch, message string, data []byte, sha string) error
	CheckRuns(ctx context.Context, sha string) ([]CheckRun, error)
	CreateCheckRun(ctx context.Context, c CheckRun) error
	UpdateCheckRun(ctx context.Context, c CheckRun) error
	AddLabels(ctx context.Context, number int, labels []string) error
	// SetLabels replaces all the labels of an issue or pull request with
	// labels, in one request.
	SetLabels(ctx context.Context, number int, labels []string) error
	RemoveLabel(ctx context.Context, number int, label string) error
	Comments(ctx context.Context, number int) ([]Comment, error)
	// Comment reads one comment of the repository's issues and pull
	// requests by its id: one request, however many comments the pull
	// request has.
	Comment(ctx context.Context, id int64) (Comment, error)
	CreateComment(ctx context.Context, number int, body string) error
	// AddComment is CreateComment returning the new comment's id.
	AddComment(ctx context.Context, number int, body string) (int64, error)
	EditComment(ctx context.Context, id int64, body string) error
	RequestReviewers(ctx context.Context, number int, users, teams []string) error
	ClosePullRequest(ctx context.Context, number int) error
	// ClosedBy is the login of whoever closed the pull request, "" when
	// GitHub does not say (a deleted account).
	ClosedBy(ctx context.Context, number int) (string, error)
	IsTeamMember(ctx context.Context, org, slug, user string) (bool, error)
	TeamRosters
}

// goGitHub implements Client with go-github.
type goGitHub struct {
	c *github.Client
	r Repo
}

// New binds a go-github client, already authenticated (an App installation
// or a token), to repository r.
func New(c *github.Client, r Repo) Client { return &goGitHub{c: c, r: r} }

func (g *goGitHub) Repo() Repo { return g.r }

// Members reads team memberships with a go-github client, for callers that
// judge no repository (jit list); they are organisation-wide.
func Members(c *github.Client) TeamMembers { return &goGitHub{c: c} }

func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		switch er.Response.StatusCode {
		case http.StatusNotFound:
			err = fmt.Errorf("%w: %w", ErrNotFound, err)
		case http.StatusConflict:
			err = fmt.Errorf("%w: %w", ErrConflict, err)
		}
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

const perPage = 100

// listAll reads every page of a list call, from the first, converting each
// item; list asks for one page (0 is the first).
func listAll[T, O any](list func(page int) ([]T, *github.Response, error), conv func(T) O) ([]O, error) {
	var out []O
	for page := 0; ; {
		items, resp, err := list(page)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			out = append(out, conv(it))
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		page = resp.NextPage
	}
}

func (g *goGitHub) FirstParents(ctx context.Context, ref string, visit func(sha, parent string) bool) error {
	r := g.r
	parents := map[string]string{}
	next := ""
	for page := 0; ; {
		list, resp, err := g.c.Repositories.ListCommits(ctx, r.Owner, r.Name, &github.CommitsListOptions{SHA: ref, ListOptions: github.ListOptions{PerPage: 100, Page: page}})
		if err != nil {
			return wrap(err, "listing the history of %s in %s", ref, r)
		}
		for _, c := range list {
			parent := ""
			if ps := c.Parents; len(ps) > 0 {
				parent = ps[0].GetSHA()
			}
			parents[c.GetSHA()] = parent
		}
		if next == "" && len(list) > 0 {
			next = list[0].GetSHA() // ref's own commit comes first
		}
		// Follow the line as far as the commits read so far reach.
		for next != "" {
			parent, ok := parents[next]
			if !ok {
				break
			}
			if !visit(next, parent) {
				return nil
			}
			next = parent
		}
		if next == "" || resp.NextPage == 0 {
			return nil
		}
		page = resp.NextPage
	}
}

func (g *goGitHub) PullRequest(ctx context.Context, number int) (*PR, error) {
	r := g.r
	p, _, err := g.c.PullRequests.Get(ctx, r.Owner, r.Name, number)
	if err != nil {
		return nil, wrap(err, "getting pull request %s#%d", r, number)
	}
	return toPR(p), nil
}

func (g *goGitHub) DefaultBranch(ctx context.Context) (string, error) {
	r := g.r
	repo, _, err := g.c.Repositories.Get(ctx, r.Owner, r.Name)
	if err != nil {
		return "", wrap(err, "reading repository %s", r)
	}
	if repo.GetDefaultBranch() == "" {
		return "", fmt.Errorf("repository %s reports no default branch", r)
	}
	return repo.GetDefaultBranch(), nil
}

// PRFromPayload is the pull request as a webhook payload describes it. The
// payload is GitHub's (its signature was checked) but as of when the event
// happened: the caller checks it against the API before relying on it.
// Review events leave out the commit and file totals; they are 0 then.
func PRFromPayload(p *github.PullRequest) *PR { return toPR(p) }

func toPR(p *github.PullRequest) *PR {
	out := &PR{
		Number:         p.GetNumber(),
		Title:          p.GetTitle(),
		Author:         p.GetUser().GetLogin(),
		AuthorID:       p.GetUser().GetID(),
		HeadSHA:        p.GetHead().GetSHA(),
		HeadRef:        p.GetHead().GetRef(),
		HeadRepo:       p.GetHead().GetRepo().GetFullName(),
		BaseRef:        p.GetBase().GetRef(),
		State:          p.GetState(),
		Merged:         p.GetMerged() || p.MergedAt != nil,
		MergedAt:       p.GetMergedAt().Time,
		MergeCommitSHA: p.GetMergeCommitSHA(),
		CreatedAt:      p.GetCreatedAt().Time,
		ClosedAt:       p.GetClosedAt().Time,
		Draft:          p.GetDraft(),
		HTMLURL:        p.GetHTMLURL(),

		Commits:      p.GetCommits(),
		ChangedFiles: p.GetChangedFiles(),
	}
	for _, l := range p.Labels {
		out.Labels = append(out.Labels, l.GetName())
	}
	for _, u := range p.RequestedReviewers {
		out.RequestedUsers = append(out.RequestedUsers, u.GetLogin())
	}
	for _, t := range p.RequestedTeams {
		out.RequestedTeams = append(out.RequestedTeams, t.GetSlug())
	}
	return out
}

func (g *goGitHub) OpenPullRequests(ctx context.Context) ([]*PR, error) {
	r := g.r
	opts := &github.PullRequestListOptions{State: "open", ListOptions: github.ListOptions{PerPage: perPage}}
	out, err := listAll(func(page int) ([]*github.PullRequest, *github.Response, error) {
		opts.Page = page
		return g.c.PullRequests.List(ctx, r.Owner, r.Name, opts)
	}, toPR)
	return out, wrap(err, "listing open pull requests of %s", r)
}

func (g *goGitHub) PullRequests(ctx context.Context, base string) ([]*PR, error) {
	r := g.r
	opts := &github.PullRequestListOptions{State: "all", Base: base, Sort: "created", Direction: "asc",
		ListOptions: github.ListOptions{PerPage: perPage}}
	out, err := listAll(func(page int) ([]*github.PullRequest, *github.Response, error) {
		opts.Page = page
		return g.c.PullRequests.List(ctx, r.Owner, r.Name, opts)
	}, toPR)
	return out, wrap(err, "listing the pull requests of %s", r)
}

func (g *goGitHub) PullRequestsWithCommit(ctx context.Context, sha string) ([]*PR, error) {
	r := g.r
	out, err := listAll(func(page int) ([]*github.PullRequest, *github.Response, error) {
		return g.c.PullRequests.ListPullRequestsWithCommit(ctx, r.Owner, r.Name, sha, &github.ListOptions{PerPage: perPage, Page: page})
	}, toPR)
	return out, wrap(err, "listing the pull requests of commit %s in %s", sha, r)
}

func (g *goGitHub) PullRequestFiles(ctx context.Context, number int) ([]change.File, error) {
	r := g.r
	out, err := listAll(func(page int) ([]*github.CommitFile, *github.Response, error) {
		return g.c.PullRequests.ListFiles(ctx, r.Owner, r.Name, number, &github.ListOptions{PerPage: perPage, Page: page})
	}, fileOf)
	return out, wrap(err, "listing files of %s#%d", r, number)
}

func fileOf(f *github.CommitFile) change.File {
	return change.File{
		Path:         f.GetFilename(),
		PreviousPath: f.GetPreviousFilename(),
		Status:       changeStatus(f.GetStatus()),
		// The files API does not report modes; the App reads the one
		// file's that matters.
		Mode: change.ModeUnknown,
	}
}

func changeStatus(s string) change.Status {
	switch s {
	case "added":
		return change.Added
	case "modified":
		return change.Modified
	case "removed":
		return change.Removed
	case "renamed":
		return change.Renamed
	case "copied":
		return change.Copied
	default:
		return change.Changed
	}
}

func (g *goGitHub) PullRequestCommits(ctx context.Context, number int) ([]approval.Commit, error) {
	r := g.r
	out, err := listAll(func(page int) ([]*github.RepositoryCommit, *github.Response, error) {
		return g.c.PullRequests.ListCommits(ctx, r.Owner, r.Name, number, &github.ListOptions{PerPage: perPage, Page: page})
	}, commitOf)
	return out, wrap(err, "listing commits of %s#%d", r, number)
}

func commitOf(c *github.RepositoryCommit) approval.Commit {
	var parents []string
	for _, p := range c.Parents {
		parents = append(parents, p.GetSHA())
	}
	return approval.Commit{SHA: c.GetSHA(), Author: c.GetAuthor().GetLogin(), Committer: c.GetCommitter().GetLogin(), Parents: parents}
}

func (g *goGitHub) Reviews(ctx context.Context, number int) ([]approval.Review, error) {
	r := g.r
	out, err := listAll(func(page int) ([]*github.PullRequestReview, *github.Response, error) {
		return g.c.PullRequests.ListReviews(ctx, r.Owner, r.Name, number, &github.ListOptions{PerPage: perPage, Page: page})
	}, func(rv *github.PullRequestReview) approval.Review {
		return approval.Review{
			ID:          rv.GetID(),
			User:        rv.GetUser().GetLogin(),
			UserID:      rv.GetUser().GetID(),
			State:       rv.GetState(),
			CommitID:    rv.GetCommitID(),
			SubmittedAt: rv.GetSubmittedAt().Time,
			Body:        rv.GetBody(),
		}
	})
	if err != nil {
		return nil, wrap(err, "listing reviews of %s#%d", r, number)
	}
	dismissed := map[int64]int{}
	for i, rv := range out {
		if rv.State == approval.ReviewDismissed {
			dismissed[rv.ID] = i
		}
	}
	if len(dismissed) == 0 {
		return out, nil
	}
	// Who dismissed a review, and what it was, is only in the pull
	// request's review_dismissed events: an objection stands unless its
	// author or an SSO admin lifted it.
	events, err := listAll(func(page int) ([]*github.IssueEvent, *github.Response, error) {
		return g.c.Issues.ListIssueEvents(ctx, r.Owner, r.Name, number, &github.ListOptions{PerPage: perPage, Page: page})
	}, func(t *github.IssueEvent) *github.IssueEvent { return t })
	if err != nil {
		return nil, wrap(err, "listing the events of %s#%d", r, number)
	}
	for _, t := range events {
		if t.GetEvent() != "review_dismissed" || t.DismissedReview == nil {
			continue
		}
		if i, ok := dismissed[t.DismissedReview.GetReviewID()]; ok {
			out[i].DismissedBy = t.GetActor().GetLogin()
			out[i].DismissedState = strings.ToUpper(t.DismissedReview.GetState())
		}
	}
	return out, nil
}

func (g *goGitHub) File(ctx context.Context, path, ref string) ([]byte, string, string, error) {
	r := g.r
	fc, _, _, err := g.c.Repositories.GetContents(ctx, r.Owner, r.Name, path, &github.RepositoryContentGetOptions{Ref: ref})
	if err != nil {
		return nil, "", "", wrap(err, "reading %s at %s in %s", path, ref, r)
	}
	if fc == nil {
		return nil, "", "dir", nil
	}
	if fc.GetType() != "file" {
		return nil, fc.GetSHA(), fc.GetType(), nil
	}
	s, err := fc.GetContent()
	if err != nil {
		return nil, "", "", fmt.Errorf("decoding %s at %s in %s: %w", path, ref, r, err)
	}
	return []byte(s), fc.GetSHA(), "file", nil
}

func (g *goGitHub) Mode(ctx context.Context, path, ref string) (string, error) {
	r := g.r
	// Walk the trees one directory at a time rather than fetching the whole
	// repository's tree recursively: requests accumulate for years.
	sha := ref
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		t, _, err := g.c.Git.GetTree(ctx, r.Owner, r.Name, sha, false)
		if err != nil {
			return "", wrap(err, "reading the tree of %s at %s in %s", strings.Join(segs[:i], "/"), ref, r)
		}
		found := false
		for _, e := range t.Entries {
			if e.GetPath() != seg {
				continue
			}
			if i == len(segs)-1 {
				return e.GetMode(), nil
			}
			if e.GetType() != "tree" {
				return "", fmt.Errorf("%w: %s is not a directory at %s in %s", ErrNotFound, strings.Join(segs[:i+1], "/"), ref, r)
			}
			sha, found = e.GetSHA(), true
			break
		}
		if !found {
			return "", fmt.Errorf("%w: %s at %s in %s", ErrNotFound, path, ref, r)
		}
	}
	return "", fmt.Errorf("%w: empty path", ErrNotFound)
}

func (g *goGitHub) Tree(ctx context.Context, sha string) ([]TreeEntry, error) {
	t, _, err := g.c.Git.GetTree(ctx, g.r.Owner, g.r.Name, sha, false)
	if err != nil {
		return nil, wrap(err, "reading the tree %s in %s", sha, g.r)
	}
	out := make([]TreeEntry, len(t.Entries))
	for i, e := range t.Entries {
		out[i] = TreeEntry{Path: e.GetPath(), Mode: e.GetMode(), Type: e.GetType(), SHA: e.GetSHA()}
	}
	return out, nil
}

func (g *goGitHub) Dir(ctx context.Context, path, ref string) ([]TreeEntry, error) {
	r := g.r
	_, dir, _, err := g.c.Repositories.GetContents(ctx, r.Owner, r.Name, path, &github.RepositoryContentGetOptions{Ref: ref})
	if err != nil {
		return nil, wrap(err, "listing %s at %s in %s", path, ref, r)
	}
	if dir == nil {
		return nil, fmt.Errorf("%w: %s at %s in %s is not a directory", ErrNotFound, path, ref, r)
	}
	out := make([]TreeEntry, len(dir))
	for i, e := range dir {
		// The contents API's types, as the trees API names them; it lists
		// a submodule as a "file", which only a tree read tells apart.
		typ := map[string]string{"dir": "tree", "file": "blob", "symlink": "blob", "submodule": "commit"}[e.GetType()]
		out[i] = TreeEntry{Path: e.GetName(), Type: typ, SHA: e.GetSHA()}
	}
	return out, nil
}

func (g *goGitHub) Labels(ctx context.Context, number int) ([]string, error) {
	r := g.r
	out, err := listAll(func(page int) ([]*github.Label, *github.Response, error) {
		return g.c.Issues.ListLabelsByIssue(ctx, r.Owner, r.Name, number, &github.ListOptions{PerPage: perPage, Page: page})
	}, func(l *github.Label) string { return l.GetName() })
	return out, wrap(err, "listing the labels of %s#%d", r, number)
}

func (g *goGitHub) Files(ctx context.Context, ref, dir string) ([]TreeEntry, error) {
	t, _, err := g.c.Git.GetTree(ctx, g.r.Owner, g.r.Name, ref, true)
	if err != nil {
		return nil, wrap(err, "listing the files of %s at %s in %s", dir, ref, g.r)
	}
	if t.GetTruncated() {
		return nil, fmt.Errorf("listing the files of %s at %s in %s: GitHub cut the list short (more than 100,000 entries)", dir, ref, g.r)
	}
	var out []TreeEntry
	prefix := strings.TrimSuffix(dir, "/") + "/"
	for _, e := range t.Entries {
		if e.GetType() == "blob" && strings.HasPrefix(e.GetPath(), prefix) {
			out = append(out, TreeEntry{Path: e.GetPath(), Mode: e.GetMode(), Type: e.GetType(), SHA: e.GetSHA()})
		}
	}
	return out, nil
}

func (g *goGitHub) DispatchWorkflow(ctx context.Context, file, ref string) error {
	_, err := g.c.Actions.CreateWorkflowDispatchEventByFileName(ctx, g.r.Owner, g.r.Name, file, github.CreateWorkflowDispatchEventRequest{Ref: ref})
	return wrap(err, "dispatching the workflow %s on %s in %s", file, ref, g.r)
}

// maxRosterPages bounds the pages of a team roster: a larger team is asked
// about per user instead.
const maxRosterPages = 3

func (g *goGitHub) TeamMembers(ctx context.Context, org, slug string) ([]string, bool, error) {
	var out []string
	opts := &github.TeamListTeamMembersOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for page := 1; ; page++ {
		us, resp, err := g.c.Teams.ListTeamMembersBySlug(ctx, org, slug, opts)
		if err != nil {
			return nil, false, wrap(err, "listing the members of %s/%s", org, slug)
		}
		for _, u := range us {
			out = append(out, u.GetLogin())
		}
		if resp.NextPage == 0 {
			return out, true, nil
		}
		if page == maxRosterPages {
			return nil, false, nil
		}
		opts.Page = resp.NextPage
	}
}

func (g *goGitHub) PutFile(ctx context.Context, path, branch, message string, data []byte, sha string) error {
	r := g.r
	opts := &github.RepositoryContentFileOptions{
		Message: github.String(message),
		Content: data,
		Branch:  github.String(branch),
	}
	var err error
	if sha == "" {
		_, _, err = g.c.Repositories.CreateFile(ctx, r.Owner, r.Name, path, opts)
	} else {
		opts.SHA = github.String(sha)
		_, _, err = g.c.Repositories.UpdateFile(ctx, r.Owner, r.Name, path, opts)
	}
	return wrap(err, "writing %s on %s in %s", path, branch, r)
}

func (g *goGitHub) RequestReviewers(ctx context.Context, number int, users, teams []string) error {
	r := g.r
	_, _, err := g.c.PullRequests.RequestReviewers(ctx, r.Owner, r.Name, number, github.ReviewersRequest{Reviewers: users, TeamReviewers: teams})
	return wrap(err, "requesting reviewers %s on %s#%d", strings.Join(append(append([]string{}, users...), teams...), ","), r, number)
}

func (g *goGitHub) ClosePullRequest(ctx context.Context, number int) error {
	r := g.r
	_, _, err := g.c.PullRequests.Edit(ctx, r.Owner, r.Name, number, &github.PullRequest{State: github.String("closed")})
	return wrap(err, "closing %s#%d", r, number)
}

func (g *goGitHub) ClosedBy(ctx context.Context, number int) (string, error) {
	r := g.r
	// Only the issue carries closed_by; the pull request object does not.
	is, _, err := g.c.Issues.Get(ctx, r.Owner, r.Name, number)
	if err != nil {
		return "", wrap(err, "reading who closed %s#%d", r, number)
	}
	return is.GetClosedBy().GetLogin(), nil
}

func (g *goGitHub) IsTeamMember(ctx context.Context, org, slug, user string) (bool, error) {
	m, _, err := g.c.Teams.GetTeamMembershipBySlug(ctx, org, slug, user)
	if err != nil {
		if errors.Is(wrap(err, ""), ErrNotFound) {
			return false, nil
		}
		return false, wrap(err, "checking membership of %s in %s/%s", user, org, slug)
	}
	return m.GetState() == "active", nil
}
