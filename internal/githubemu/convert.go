package githubemu

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"
)

// The functions in this file build go-github's own structs, so the JSON the
// emulator sends has exactly the shapes go-github decodes. Callers hold s.mu.

func ptr[T any](v T) *T { return &v }

func ts(t time.Time) *github.Timestamp {
	if t.IsZero() {
		return nil
	}
	return &github.Timestamp{Time: t}
}

func htmlBase(api string) string {
	if i := strings.Index(api, "/api/v3"); i >= 0 {
		return api[:i]
	}
	return api
}

func (s *Server) userJSON(login string) *github.User {
	u := s.userLocked(login)
	if u == nil {
		// A login the emulator was not told about still renders, as a
		// deleted GitHub account ("ghost") would.
		return &github.User{Login: ptr(login), Type: ptr("User")}
	}
	return &github.User{
		Login:     ptr(u.login),
		ID:        ptr(u.id),
		NodeID:    ptr(fmt.Sprintf("U_%d", u.id)),
		Type:      ptr(u.typ),
		SiteAdmin: ptr(false),
		URL:       ptr(s.baseURL + "/users/" + u.login),
		HTMLURL:   ptr(htmlBase(s.baseURL) + "/" + u.login),
	}
}

func (s *Server) ownerJSON(owner string) *github.User {
	if s.orgs[strings.ToLower(owner)] {
		u := s.userJSON(owner)
		u.Type = ptr("Organization")
		return u
	}
	return s.userJSON(owner)
}

func (s *Server) orgJSON(owner string) *github.Organization {
	if !s.orgs[strings.ToLower(owner)] {
		return nil
	}
	u := s.userLocked(owner)
	o := &github.Organization{Login: ptr(owner), URL: ptr(s.baseURL + "/orgs/" + owner)}
	if u != nil {
		o.ID = ptr(u.id)
	}
	return o
}

func (s *Server) repoJSON(rp *repo) *github.Repository {
	full := rp.owner + "/" + rp.name
	return &github.Repository{
		ID:            ptr(rp.id),
		NodeID:        ptr(fmt.Sprintf("R_%d", rp.id)),
		Owner:         s.ownerJSON(rp.owner),
		Name:          ptr(rp.name),
		FullName:      ptr(full),
		DefaultBranch: ptr("main"),
		Private:       ptr(true),
		Visibility:    ptr("private"),
		CreatedAt:     ts(rp.created),
		URL:           ptr(s.baseURL + "/repos/" + full),
		HTMLURL:       ptr(htmlBase(s.baseURL) + "/" + full),
		// The clone URL is the bare repository on disk, so `git clone` of
		// what the API says works in the sandbox.
		CloneURL:         ptr("file://" + rp.git.dir),
		AllowMergeCommit: ptr(true),
		AllowSquashMerge: ptr(true),
		AllowRebaseMerge: ptr(false),
	}
}

func (s *Server) installationJSON() *github.Installation {
	if s.app == nil {
		return nil
	}
	return &github.Installation{ID: ptr(s.app.installationID), NodeID: ptr(fmt.Sprintf("MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u%d", s.app.installationID))}
}

func (s *Server) appJSON() *github.App {
	a := s.app
	return &github.App{
		ID:        ptr(a.id),
		Slug:      ptr(a.slug),
		NodeID:    ptr(fmt.Sprintf("A_%d", a.id)),
		Name:      ptr(a.name),
		CreatedAt: ts(a.created),
		UpdatedAt: ts(a.created),
		HTMLURL:   ptr(htmlBase(s.baseURL) + "/apps/" + a.slug),
		Permissions: &github.InstallationPermissions{
			Checks: ptr("write"), Contents: ptr("write"), PullRequests: ptr("write"),
			Issues: ptr("write"), Members: ptr("read"), Metadata: ptr("read"),
		},
		Events: []string{"check_run", "issue_comment", "pull_request", "pull_request_review"},
	}
}

func (s *Server) labelJSON(rp *repo, name string) *github.Label {
	l := rp.labels[strings.ToLower(name)]
	if l == nil {
		return &github.Label{Name: ptr(name)}
	}
	return &github.Label{
		ID:          ptr(l.id),
		NodeID:      ptr(fmt.Sprintf("LA_%d", l.id)),
		Name:        ptr(l.name),
		Color:       ptr(l.color),
		Description: ptr(l.description),
		Default:     ptr(false),
		URL:         ptr(fmt.Sprintf("%s/repos/%s/%s/labels/%s", s.baseURL, rp.owner, rp.name, l.name)),
	}
}

func (s *Server) labelsJSON(rp *repo, pr *pull) []*github.Label {
	out := make([]*github.Label, 0, len(pr.labels))
	for _, n := range pr.labels {
		out = append(out, s.labelJSON(rp, n))
	}
	return out
}

func (s *Server) teamJSON(t *team) *github.Team {
	return &github.Team{
		ID:         ptr(t.id),
		NodeID:     ptr(fmt.Sprintf("T_%d", t.id)),
		Name:       ptr(t.name),
		Slug:       ptr(t.slug),
		Privacy:    ptr("closed"),
		Permission: ptr("pull"),
		URL:        ptr(fmt.Sprintf("%s/orgs/%s/teams/%s", s.baseURL, t.org, t.slug)),
		MembersURL: ptr(fmt.Sprintf("%s/orgs/%s/teams/%s/members{/member}", s.baseURL, t.org, t.slug)),
	}
}

// pullExtra holds the parts of a pull request that come from git; they are
// computed before s.mu is taken, so a slow git call never blocks the API.
type pullExtra struct {
	head, base string
	mergeable  *bool
	state      string
	commits    int
	additions  int
	deletions  int
	changed    int
	detailed   bool
}

// pullGit computes pullExtra. detailed adds mergeability and counts, which
// GitHub includes in single-PR responses and webhooks but not in lists.
func (s *Server) pullGit(ctx context.Context, rp *repo, pr *pull, detailed bool) pullExtra {
	s.mu.Lock()
	head := pr.headSHA(rp)
	merged, closed := pr.merged, pr.state == "closed"
	mainAtMerge := pr.mainAtMerge
	required := append([]string(nil), rp.required...)
	s.mu.Unlock()
	x := pullExtra{head: head, detailed: detailed}
	if merged {
		x.base = mainAtMerge
	} else {
		x.base, _ = rp.git.branchTip("main")
	}
	if !detailed || head == "" {
		return x
	}
	s.mu.Lock()
	diffBase, err := s.diffBaseSnapshot(rp, pr)
	s.mu.Unlock()
	if err == nil && diffBase == "" {
		diffBase, err = rp.git.mergeBase(ctx, x.base, head)
	}
	if err == nil {
		if files, err := rp.git.diff(ctx, diffBase, head); err == nil {
			x.changed = len(files)
			for _, f := range files {
				x.additions += f.additions
				x.deletions += f.deletions
			}
		}
		if commits, err := rp.git.log(ctx, diffBase, head); err == nil {
			x.commits = len(commits)
		}
	}
	switch {
	case merged || closed:
		x.state = "unknown"
	default:
		_, mErr := rp.git.mergeTree(ctx, x.base, head)
		x.mergeable = ptr(mErr == nil)
		switch {
		case mErr != nil:
			x.state = "dirty"
		case len(required) > 0 && !s.checksPass(rp, head, required):
			x.state = "blocked"
		default:
			x.state = "clean"
		}
	}
	return x
}

// diffBaseSnapshot returns the frozen diff base of a merged pull request, or
// "" when it must be computed from main.
func (s *Server) diffBaseSnapshot(_ *repo, pr *pull) (string, error) {
	if pr.merged {
		return pr.baseAtMrg, nil
	}
	return "", nil
}

func (s *Server) pullJSON(rp *repo, pr *pull, x pullExtra) *github.PullRequest {
	full := rp.owner + "/" + rp.name
	api := fmt.Sprintf("%s/repos/%s/pulls/%d", s.baseURL, full, pr.number)
	html := fmt.Sprintf("%s/%s/pull/%d", htmlBase(s.baseURL), full, pr.number)
	repoJSON := s.repoJSON(rp)
	p := &github.PullRequest{
		ID:                ptr(pr.id),
		NodeID:            ptr(fmt.Sprintf("PR_%d", pr.id)),
		Number:            ptr(pr.number),
		State:             ptr(pr.state),
		Locked:            ptr(false),
		Title:             ptr(pr.title),
		Body:              ptr(pr.body),
		CreatedAt:         ts(pr.created),
		UpdatedAt:         ts(pr.updated),
		ClosedAt:          ts(pr.closedAt),
		MergedAt:          ts(pr.mergedAt),
		Labels:            s.labelsJSON(rp, pr),
		User:              s.userJSON(pr.author),
		Draft:             ptr(pr.draft),
		Merged:            ptr(pr.merged),
		URL:               ptr(api),
		HTMLURL:           ptr(html),
		IssueURL:          ptr(fmt.Sprintf("%s/repos/%s/issues/%d", s.baseURL, full, pr.number)),
		CommitsURL:        ptr(api + "/commits"),
		CommentsURL:       ptr(fmt.Sprintf("%s/repos/%s/issues/%d/comments", s.baseURL, full, pr.number)),
		AuthorAssociation: ptr(s.association(rp, pr.author)),
		Head: &github.PullRequestBranch{
			Label: ptr(rp.owner + ":" + pr.branch), Ref: ptr(pr.branch), SHA: ptr(x.head),
			Repo: repoJSON, User: s.ownerJSON(rp.owner),
		},
		Base: &github.PullRequestBranch{
			Label: ptr(rp.owner + ":" + pr.base()), Ref: ptr(pr.base()), SHA: ptr(x.base),
			Repo: repoJSON, User: s.ownerJSON(rp.owner),
		},
		RequestedReviewers: []*github.User{},
		RequestedTeams:     []*github.Team{},
	}
	if pr.merged {
		p.MergedBy = s.userJSON(pr.mergedBy)
		p.MergeCommitSHA = ptr(pr.mergeCommit)
	}
	for _, u := range pr.requestedUsers {
		p.RequestedReviewers = append(p.RequestedReviewers, s.userJSON(u))
	}
	for _, t := range pr.requestedTeams {
		if tm := s.teams[key(rp.owner, t)]; tm != nil {
			p.RequestedTeams = append(p.RequestedTeams, s.teamJSON(tm))
		}
	}
	if x.detailed {
		p.Mergeable = x.mergeable
		p.MergeableState = ptr(x.state)
		p.Rebaseable = ptr(false)
		p.Comments = ptr(len(pr.comments))
		p.ReviewComments = ptr(0)
		p.Commits = ptr(x.commits)
		p.Additions = ptr(x.additions)
		p.Deletions = ptr(x.deletions)
		p.ChangedFiles = ptr(x.changed)
		p.MaintainerCanModify = ptr(false)
	}
	return p
}

// association is GitHub's author_association for a login on a repository.
func (s *Server) association(rp *repo, login string) string {
	if strings.EqualFold(login, rp.owner) {
		return "OWNER"
	}
	if s.orgs[strings.ToLower(rp.owner)] {
		for _, t := range s.teams {
			if strings.EqualFold(t.org, rp.owner) && t.memberSet[strings.ToLower(login)] {
				return "MEMBER"
			}
		}
	}
	if p := rp.permissions[strings.ToLower(login)]; p != "" && p != "none" {
		return "COLLABORATOR"
	}
	return "NONE"
}

// issueJSON is the pull request's issue, which GitHub answers with the
// pull request's own id, number, text, people, labels and times.
func (s *Server) issueJSON(rp *repo, pr *pull) *github.Issue {
	p := s.pullJSON(rp, pr, pullExtra{})
	var closedBy *github.User
	if pr.closedBy != "" {
		closedBy = s.userJSON(pr.closedBy)
	}
	return &github.Issue{
		ClosedBy:          closedBy,
		ID:                p.ID,
		NodeID:            p.NodeID,
		Number:            p.Number,
		State:             p.State,
		Locked:            p.Locked,
		Title:             p.Title,
		Body:              p.Body,
		User:              p.User,
		Labels:            p.Labels,
		Comments:          ptr(len(pr.comments)),
		CreatedAt:         p.CreatedAt,
		UpdatedAt:         p.UpdatedAt,
		ClosedAt:          p.ClosedAt,
		AuthorAssociation: p.AuthorAssociation,
		URL:               p.IssueURL,
		HTMLURL:           p.HTMLURL,
		CommentsURL:       p.CommentsURL,
		LabelsURL:         ptr(p.GetIssueURL() + "/labels{/name}"),
		RepositoryURL:     p.Base.Repo.URL,
		PullRequestLinks:  &github.PullRequestLinks{URL: p.URL, HTMLURL: p.HTMLURL},
	}
}

func (s *Server) reviewJSON(rp *repo, pr *pull, rv *review) *github.PullRequestReview {
	full := rp.owner + "/" + rp.name
	out := &github.PullRequestReview{
		ID:                ptr(rv.id),
		NodeID:            ptr(fmt.Sprintf("PRR_%d", rv.id)),
		User:              s.userJSON(rv.user),
		Body:              ptr(rv.body),
		CommitID:          ptr(rv.commitID),
		State:             ptr(rv.state),
		HTMLURL:           ptr(fmt.Sprintf("%s/%s/pull/%d#pullrequestreview-%d", htmlBase(s.baseURL), full, pr.number, rv.id)),
		PullRequestURL:    ptr(fmt.Sprintf("%s/repos/%s/pulls/%d", s.baseURL, full, pr.number)),
		AuthorAssociation: ptr(s.association(rp, rv.user)),
	}
	if rv.state != "PENDING" {
		out.SubmittedAt = ts(rv.submitted)
	}
	return out
}

func (s *Server) commentJSON(rp *repo, c *comment) *github.IssueComment {
	full := rp.owner + "/" + rp.name
	return &github.IssueComment{
		ID:                ptr(c.id),
		NodeID:            ptr(fmt.Sprintf("IC_%d", c.id)),
		Body:              ptr(c.body),
		User:              s.userJSON(c.user),
		CreatedAt:         ts(c.created),
		UpdatedAt:         ts(c.updated),
		AuthorAssociation: ptr(s.association(rp, c.user)),
		URL:               ptr(fmt.Sprintf("%s/repos/%s/issues/comments/%d", s.baseURL, full, c.id)),
		HTMLURL:           ptr(fmt.Sprintf("%s/%s/pull/%d#issuecomment-%d", htmlBase(s.baseURL), full, c.number, c.id)),
		IssueURL:          ptr(fmt.Sprintf("%s/repos/%s/issues/%d", s.baseURL, full, c.number)),
	}
}

// checkRunJSON renders a check run. With annotations false it answers like
// GitHub's REST API (a count and a URL); the Go reader asks for them inline.
func (s *Server) checkRunJSON(rp *repo, cr *checkRun, annotations bool) *github.CheckRun {
	full := rp.owner + "/" + rp.name
	out := &github.CheckRun{
		ID:          ptr(cr.id),
		NodeID:      ptr(fmt.Sprintf("CR_%d", cr.id)),
		HeadSHA:     ptr(cr.headSHA),
		Name:        ptr(cr.name),
		Status:      ptr(cr.status),
		StartedAt:   ts(cr.started),
		CompletedAt: ts(cr.completed),
		URL:         ptr(fmt.Sprintf("%s/repos/%s/check-runs/%d", s.baseURL, full, cr.id)),
		HTMLURL:     ptr(fmt.Sprintf("%s/%s/runs/%d", htmlBase(s.baseURL), full, cr.id)),
		Output: &github.CheckRunOutput{
			Title:            ptr(cr.title),
			Summary:          ptr(cr.summary),
			Text:             ptr(cr.text),
			AnnotationsCount: ptr(len(cr.annotations)),
			AnnotationsURL:   ptr(fmt.Sprintf("%s/repos/%s/check-runs/%d/annotations", s.baseURL, full, cr.id)),
		},
		PullRequests: []*github.PullRequest{},
	}
	if cr.conclusion != "" {
		out.Conclusion = ptr(cr.conclusion)
	}
	if cr.detailsURL != "" {
		out.DetailsURL = ptr(cr.detailsURL)
	}
	if cr.extID != "" {
		out.ExternalID = ptr(cr.extID)
	}
	if s.app != nil && s.app.id == cr.appID {
		out.App = s.appJSON()
	} else if cr.appID != 0 {
		out.App = &github.App{ID: ptr(cr.appID), Slug: ptr(fmt.Sprintf("app-%d", cr.appID))}
	}
	if annotations {
		out.Output.Annotations = cr.annotations
	}
	// GitHub lists the open pull requests whose head is this commit.
	for _, n := range sortedPullNumbers(rp) {
		pr := rp.pulls[n]
		if pr.state == "open" && pr.headSHA(rp) == cr.headSHA {
			out.PullRequests = append(out.PullRequests, &github.PullRequest{
				ID: ptr(pr.id), Number: ptr(pr.number),
				URL:  ptr(fmt.Sprintf("%s/repos/%s/pulls/%d", s.baseURL, full, pr.number)),
				Head: &github.PullRequestBranch{Ref: ptr(pr.branch), SHA: ptr(cr.headSHA)},
				Base: &github.PullRequestBranch{Ref: ptr("main")},
			})
		}
	}
	return out
}
