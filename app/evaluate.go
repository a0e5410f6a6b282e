package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jit-access/jit/internal/approval"
	"github.com/jit-access/jit/internal/change"
	"github.com/jit-access/jit/internal/clock"
	"github.com/jit-access/jit/internal/ghrepo"
	"github.com/jit-access/jit/internal/judgment"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/internal/lifecycle/window"
	"github.com/jit-access/jit/schema"
)

// stickyMarker identifies the one comment the App keeps up to date per PR.
const stickyMarker = "<!-- jit:status -->"

// handler handles the events of one repository through one installation.
type handler struct {
	gh       ghrepo.Client
	repo     ghrepo.Repo
	bot      string
	clock    clock.Clock
	log      *slog.Logger
	notifier Notifier
	bg       *sync.WaitGroup
	appID    int64
	// rechecks coalesces /jit recheck per pull request.
	rechecks *coalescer
	// rules are the rules parsed for earlier deliveries, by content.
	rules *parsedRules
}

// apiFiles reads the rule files through the API at a ref of the base
// branch.
type apiFiles struct {
	gh  ghrepo.Client
	ref string
}

func (f apiFiles) ReadFile(ctx context.Context, path string) ([]byte, error) {
	data, _, _, err := f.gh.File(ctx, path, f.ref)
	if errors.Is(err, ghrepo.ErrNotFound) {
		return nil, fmt.Errorf("%w: %w", fs.ErrNotExist, err)
	}
	return data, err
}

func (f apiFiles) Describe() string { return f.ref }

// assessment is everything decided about one pull request at its head.
type assessment struct {
	pr       *ghrepo.PR
	change   change.Result
	request  *schema.RequestFile
	findings []schema.Finding
	rules    judgment.Rules
	cfgErr   error
	decision approval.Decision
	// runs are the check runs on the head commit before this evaluation.
	runs []ghrepo.CheckRun
	// comments, and what was read of the pull request's comments and
	// labels: see facts.
	comments                     []ghrepo.Comment
	commentsListed, labelsListed bool
	first                        bool
	// extension is what an extends: request changes, for the approvers:
	// the grant's current end and the new one. Nil for other requests and
	// for an extension that is refused (the findings say why).
	extension *schema.ExtensionPlan
	// files are the pull request's changed files; reviews its reviews,
	// when read (reviewsRead), and teams the rosters read for it: whom
	// apply asks to review depends on them (reviewRequests).
	files       []change.File
	reviews     []approval.Review
	reviewsRead bool
	teams       *ghrepo.Teams
	// codeOwnersAsked is set when GitHub asks the code owners itself: the
	// event of a pull request opened or marked ready for review, not a
	// draft.
	codeOwnersAsked bool
	// anchor is when this head commit was first evaluated: time-dependent
	// rules (working hours) are judged then, so that every later
	// evaluation of the same commit, and the reconcile, decide alike.
	anchor time.Time
}

// assess decides on the facts of a pull request: event -> decision. It has
// no effects; apply carries them out.
func (h *handler) assess(ctx context.Context, f *facts) (*assessment, error) {
	pr := f.pr
	a := &assessment{pr: pr, runs: f.runs, comments: f.comments, commentsListed: f.commentsListed, labelsListed: f.labelsListed, first: f.first,
		files: f.files, teams: f.teams}
	files := f.files
	a.change = change.Classify(files)
	contents := f.contents
	a.anchor = judgment.DecisionTime(a.runs, h.appID, h.clock.Now())
	teams := f.teams
	// The rules are the default branch's, where the grants live, whatever
	// branch the pull request targets: a branch someone pushed with looser
	// rules must not judge anything.
	main, rs := f.main, f.rules
	a.rules, a.cfgErr = rs, rs.ConfigErr
	offMain := pr.BaseRef != main
	if offMain {
		a.cfgErr = fmt.Errorf("this pull request targets %s; jit decides only pull requests into %s, where the grants live", pr.BaseRef, main)
	}

	in := judgment.AdminChangeInput(rs, h.bot, a.anchor)
	if a.change.Request && rs.Config != nil {
		path := a.change.RequestPath
		grants := judgment.NewFileGrants(ctx, apiFiles{gh: h.gh, ref: main})
		a.request, a.findings = schema.ValidateRequest(path, contents[path], rs.Config,
			schema.CheckOptions{Requester: pr.Author, RequesterID: pr.AuthorID, Teams: teams, Now: a.anchor, Grants: grants})
		var req *schema.Request
		if a.request != nil {
			req = &a.request.Request
			a.extension = extensionOf(rs.Config, req, pr.Author, grants, a.anchor)
		}
		in = judgment.RequestInput(rs, path, req, h.bot, a.anchor)
	}
	if !a.change.Request {
		a.findings = append(a.findings, f.changedConfig...)
		// Rewriting the ledger (editing, renaming or removing a request, a
		// symlink or submodule) is refused outright, not just sent to admins.
		for _, x := range judgment.ChangeFindings(files, "this pull request") {
			if x.Severity == schema.SeverityError {
				a.findings = append(a.findings, x)
			}
		}
	}
	switch {
	case a.cfgErr != nil:
		in.Invalid, in.InvalidReason = true, a.cfgErr.Error()
		if !a.change.Request && !offMain {
			// A broken config on main can only be fixed by an admin change:
			// let admins approve the fix instead of locking everyone out.
			in.Invalid = false
		}
	case schema.HasErrors(a.findings):
		in.Invalid, in.InvalidReason = true, "the request has errors: see the findings of the jit/approval check, annotated on the file"
	}
	var err error
	a.decision, err = approval.Evaluate(in, &prFacts{pr: pr, commits: f.commits, reviews: f.reviews}, teams)
	if err == nil && a.decision.Approved() && f.reviewsUnread {
		// Approved without its reviews (a rule that needs no reviewer):
		// an objection among them must stand, so read them and decide
		// again.
		if f.reviews, err = h.gh.Reviews(ctx, pr.Number); err != nil {
			return nil, err
		}
		f.reviewsUnread = false
		a.decision, err = approval.Evaluate(in, &prFacts{pr: pr, commits: f.commits, reviews: f.reviews}, teams)
	}
	if err != nil {
		return nil, fmt.Errorf("evaluating approvals of %s#%d: %w", h.repo, pr.Number, err)
	}
	a.reviews, a.reviewsRead = f.reviews, !f.reviewsUnread
	if a.decision.Approved() {
		if !f.sameHeadRead {
			if f.sameHead, err = h.gh.PullRequestsWithCommit(ctx, pr.HeadSHA); err != nil {
				return nil, err
			}
		}
		refuseSharedHead(a, f.sameHead)
		refuseUnlisted(a, len(files))
	}
	return a, nil
}

// refuseUnlisted withdraws an approval when GitHub cannot list the whole
// pull request: beyond 250 commits a commit by an approver could go
// unseen, and beyond 3,000 files a file could escape the classification.
func refuseUnlisted(a *assessment, listedFiles int) {
	pr := a.pr
	var why []string
	if pr.Commits > ghrepo.MaxListedCommits {
		why = append(why, fmt.Sprintf("it has %d commits and GitHub lists only the first %d, so jit cannot check that no approver wrote one", pr.Commits, ghrepo.MaxListedCommits))
	}
	if pr.ChangedFiles > listedFiles {
		why = append(why, fmt.Sprintf("it changes %d files and GitHub listed only %d", pr.ChangedFiles, listedFiles))
	}
	if len(why) == 0 {
		return
	}
	a.decision.State = approval.StateInvalid
	a.decision.Reason = "this pull request cannot be approved: " + strings.Join(why, "; ") + ". Squash the branch into one commit with just the request file, or open a new pull request."
}

// refuseSharedHead withdraws an approval when the head commit is also the
// head of another open pull request. Check runs belong to a commit, not to a
// pull request, and branch protection reads the commit's jit/approval: a
// green check earned by one pull request would let any other pull request
// with the same head merge without its own approval.
func refuseSharedHead(a *assessment, prs []*ghrepo.PR) {
	var others []string
	for _, p := range prs {
		if p.Number != a.pr.Number && p.State == "open" && p.HeadSHA == a.pr.HeadSHA {
			others = append(others, fmt.Sprintf("#%d", p.Number))
		}
	}
	if len(others) == 0 {
		return
	}
	a.decision.State = approval.StateInvalid
	a.decision.Reason = fmt.Sprintf("commit %s is also the head of %s; jit approves a commit for one pull request only, so no approval counts until the other pull requests are closed or pushed to",
		a.pr.HeadSHA[:min(12, len(a.pr.HeadSHA))], strings.Join(others, ", "))
}

// maxModeLookups bounds the contents API calls per event; a plain request
// adds one file, so anything past a few is an admin change anyway.
const maxModeLookups = 3

// validateChangedConfig validates a config that an admin change edits, at the
// head commit, so that admins see mistakes before they merge them.
func (h *handler) validateChangedConfig(ctx context.Context, head string) []schema.Finding {
	data, _, kind, err := h.gh.File(ctx, layout.ConfigPath, head)
	if err != nil || kind != "file" {
		return []schema.Finding{{Path: layout.ConfigPath, Line: 1, Col: 1, Severity: schema.SeverityError,
			Message: "the changed config could not be read as a file", Fix: "make .github/jit.yaml a regular file"}}
	}
	_, findings := schema.ParseConfig(layout.ConfigPath, data)
	return findings
}

// prFacts implements approval.PullRequest from facts already read.
type prFacts struct {
	pr      *ghrepo.PR
	commits []approval.Commit
	reviews []approval.Review
}

func (p *prFacts) Author() string                      { return p.pr.Author }
func (p *prFacts) HeadSHA() string                     { return p.pr.HeadSHA }
func (p *prFacts) Commits() ([]approval.Commit, error) { return p.commits, nil }
func (p *prFacts) Reviews() ([]approval.Review, error) { return p.reviews, nil }

// splitReviewers turns owners/admins as written (@user, @org/team) into the
// users and team slugs GitHub's review request takes. Teams of another
// organisation cannot be requested and are left out; the author is never
// asked to review their own request.
func splitReviewers(who []string, org, author string) (users, teams []string) {
	for _, w := range who {
		w = strings.TrimPrefix(w, "@")
		if o, slug, ok := strings.Cut(w, "/"); ok {
			if strings.EqualFold(o, org) && !slices.Contains(teams, slug) {
				teams = append(teams, slug)
			}
			continue
		}
		if w == "" || strings.Contains(w, "@") || strings.EqualFold(w, author) || slices.Contains(users, w) {
			continue
		}
		users = append(users, w)
	}
	return users, teams
}

// extensionOf is the change an extends: request makes, judged at now (the
// new end is counted from it), or nil when there is none to show.
func extensionOf(cfg *schema.Config, req *schema.Request, author string, grants schema.Grants, now time.Time) *schema.ExtensionPlan {
	if req.Extends == "" {
		return nil
	}
	target, ok, err := grants.Grant(req.Extends)
	if err != nil || !ok {
		return nil
	}
	d, err := req.AccessDuration()
	if err != nil {
		return nil
	}
	p, bad := schema.CheckExtension(cfg, req, author, &target, now, window.End(time.Time{}, now, d))
	if bad != nil {
		return nil
	}
	return &p
}
