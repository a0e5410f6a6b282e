package action

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jit-access/jit/internal/approval"
	"github.com/jit-access/jit/internal/change"
	"github.com/jit-access/jit/internal/ghrepo"
	"github.com/jit-access/jit/internal/judgment"
	"github.com/jit-access/jit/schema"
)

// merged is what the approval check learnt about a request's pull request.
type merged struct {
	number    int
	requester string
	mergedAt  time.Time
	headSHA   string
	htmlURL   string
	approvals []schema.Approval
	// postHoc are the owners' and admins' approvals of emergency access.
	postHoc   []schema.Approval
	emergency bool
	duration  time.Duration
}

// refusal is a request that must not be provisioned, with why. It is
// final: the grant is recorded as failed. number and requester are set when
// the pull request is known.
type refusal struct {
	reason    string
	number    int
	requester string
}

func (r *refusal) Error() string { return r.reason }

func refuse(pr *ghrepo.PR, format string, args ...any) error {
	e := &refusal{reason: fmt.Sprintf(format, args...)}
	if pr != nil {
		e.number, e.requester = pr.Number, pr.Author
	}
	return e
}

// addedBy returns the commit on main's first-parent line that added path: a
// merge commit, a squash commit or a rebased commit.
func (r *Reconciler) addedBy(ctx context.Context, path string) (string, error) {
	out, err := r.opts.Ledger.Git(ctx, "log", "--first-parent", "--diff-filter=A", "--format=%H", "-1", "HEAD", "--", path)
	if err != nil {
		return "", fmt.Errorf("finding the commit that added %s: %w", path, err)
	}
	sha := strings.TrimSpace(string(out))
	if sha == "" {
		return "", fmt.Errorf("finding the commit that added %s: git log found none", path)
	}
	return sha, nil
}

// firstParentLine maps the commits of main's first-parent line from sha
// (the commit that added a file) to HEAD to their distance from sha.
func (r *Reconciler) firstParentLine(ctx context.Context, sha string) (map[string]int, error) {
	out, err := r.opts.Ledger.Git(ctx, "rev-list", "--first-parent", "--reverse", "HEAD", "^"+sha+"^@")
	if err != nil {
		return nil, fmt.Errorf("reading %s's history after %s: %w", r.opts.Branch, short(sha), err)
	}
	line := map[string]int{}
	for i, c := range strings.Fields(string(out)) {
		line[c] = i
	}
	return line, nil
}

// checkMerged re-checks a request before it is provisioned: the pull request
// that merged it must be approved by the policy on its merged head commit,
// with the rules on main. A *refusal error means "never provision this";
// any other error means "could not tell now, try again next run".
//
// grants are main's grants with jit's verified statuses, for extends:.
func (r *Reconciler) checkMerged(ctx context.Context, rs judgment.Rules, grants schema.Grants, path string, data []byte, req schema.Request) (merged, error) {
	gh := r.opts.GitHub
	sha, err := r.addedBy(ctx, path)
	if err != nil {
		return merged{}, err
	}
	listed, err := gh.PullRequestsWithCommit(ctx, sha)
	if err != nil {
		return merged{}, err
	}
	// No fallback to a "#N" in the commit subject: a direct push to main can
	// write any subject, and must never borrow an old pull request's approval.
	// Nor is GitHub's merged flag enough: GitHub marks every pull request
	// whose head becomes reachable from main merged, by any route. The pull
	// request that brought the file is the one whose own merge commit is on
	// main's first-parent line, at or closest after the commit that added it.
	line, err := r.firstParentLine(ctx, sha)
	if err != nil {
		return merged{}, err
	}
	var pr *ghrepo.PR
	best := -1
	for _, l := range listed {
		// Read each afresh: the list's copy may predate the merge.
		p, err := gh.PullRequest(ctx, l.Number)
		if errors.Is(err, ghrepo.ErrNotFound) {
			continue
		}
		if err != nil {
			return merged{}, err
		}
		if !p.Merged || p.BaseRef != r.opts.Branch {
			continue
		}
		if pos, ok := line[p.MergeCommitSHA]; ok && (best < 0 || pos < best) {
			pr, best = p, pos
		}
	}
	if pr == nil {
		return merged{}, refuse(nil, "no merged pull request into %s added this file (commit %s): requests are provisioned only through an approved pull request", r.opts.Branch, short(sha))
	}
	files, err := gh.PullRequestFiles(ctx, pr.Number)
	if err != nil {
		return merged{}, err
	}
	added := false
	for i, f := range files {
		if f.Path == path && f.Status == change.Added {
			added = true
			// The file is on main as a readable request; the files API
			// gives no modes.
			files[i].Mode = change.ModeRegular
		}
	}
	if !added {
		return merged{}, refuse(pr, "pull request #%d did not add %s", pr.Number, path)
	}
	// What is provisioned is what was approved: main's copy, without the
	// status block the reconcile writes, must be the merged head's byte for
	// byte. A direct push that edits the request after the merge (a longer
	// duration, another permission set) is refused.
	approvedData, _, kind, err := gh.File(ctx, path, pr.HeadSHA)
	if err != nil {
		return merged{}, err
	}
	if kind != "file" {
		return merged{}, fmt.Errorf("%s at %s is a %s, not a file", path, pr.HeadSHA, kind)
	}
	onMain, err := schema.SetStatus(data, nil)
	if err != nil {
		return merged{}, refuse(pr, "reading %s on %s: %v", path, r.opts.Branch, err)
	}
	if !bytes.Equal(onMain, approvedData) {
		return merged{}, refuse(pr, "%s on %s differs from the file approved in pull request #%d (head %s): it was changed after the approval", path, r.opts.Branch, pr.Number, short(pr.HeadSHA))
	}
	if _, ok := rs.Config.UserName(pr.Author); !ok {
		return merged{}, refuse(pr, "the requester %s has no Identity Center user in the users: map of .github/jit.yaml; add them and open a new request", pr.Author)
	}
	// Time-dependent rules are judged when the App first judged the merged
	// head (the start of its first jit/approval check run, set by GitHub),
	// and at the latest at the merge: a request auto-approved in working
	// hours and merged after them stays approved, and a scheduled grant
	// checked at its start_at, or a run delayed by hours, sees the same
	// hours the approval did. Team memberships are read now: someone who
	// left the team since no longer gets the access.
	at := pr.MergedAt.UTC()
	if r.opts.AppID != 0 {
		runs, err := gh.CheckRuns(ctx, pr.HeadSHA)
		if err != nil {
			return merged{}, err
		}
		at = judgment.DecisionTime(runs, r.opts.AppID, at).UTC()
	}
	teams := ghrepo.NewTeams(ctx, gh)
	file, findings := schema.ValidateRequest(path, data, rs.Config, schema.CheckOptions{Requester: pr.Author, RequesterID: pr.AuthorID, AllowStatus: true, Teams: teams, Now: at, Grants: grants})
	if file == nil || schema.HasErrors(findings) {
		var msgs []string
		for _, f := range findings {
			if f.Severity == schema.SeverityError {
				msgs = append(msgs, f.String())
			}
		}
		return merged{}, refuse(pr, "the request is not valid with the rules on %s: %s", r.opts.Branch, strings.Join(msgs, "; "))
	}
	facts := &prFacts{ctx: ctx, gh: gh, pr: pr}
	in := r.approvalInput(rs, path, req, at)
	d, err := approval.Evaluate(in, facts, teams)
	if err != nil {
		return merged{}, fmt.Errorf("evaluating the approvals of #%d: %w", pr.Number, err)
	}
	if !d.Approved() {
		why := d.Reason
		// Say why approvals did not count: "waiting for an owner" alone
		// hides an approval by an account that took an owner's login.
		var ignored []string
		for _, ig := range d.Ignored {
			if ig.Review.State == approval.ReviewApproved {
				ignored = append(ignored, "@"+ig.Review.User+": "+ig.Reason)
			}
		}
		if len(ignored) > 0 {
			why += " Approvals that did not count: " + strings.Join(ignored, "; ")
		}
		return merged{}, refuse(pr, "pull request #%d was merged without the approval the policy needs on its head commit %s (%s): %s", pr.Number, short(pr.HeadSHA), d.State, why)
	}
	// As the App: beyond GitHub's listing caps a commit by an approver or
	// a file could go unseen, so the approval cannot be verified.
	if pr.Commits > ghrepo.MaxListedCommits || pr.ChangedFiles > len(files) {
		return merged{}, refuse(pr, "pull request #%d has %d commits and %d changed files, more than GitHub lists (%d commits) or than were listed (%d files), so its approval cannot be verified", pr.Number, pr.Commits, pr.ChangedFiles, ghrepo.MaxListedCommits, len(files))
	}
	if cls := change.Classify(files); !cls.Request || cls.RequestPath != path {
		// A request merged together with other changes also needed an
		// SSO admin's approval as an admin change.
		in.Kind = approval.KindAdminChange
		in.Policy = approval.PolicyFor(rs.Config, nil)
		ad, err := approval.Evaluate(in, facts, teams)
		if err != nil {
			return merged{}, fmt.Errorf("evaluating the approvals of #%d: %w", pr.Number, err)
		}
		if !ad.Approved() {
			return merged{}, refuse(pr, "pull request #%d is not a plain request (%s) and was merged without an SSO admin's approval: %s", pr.Number, strings.Join(cls.Reasons, "; "), ad.Reason)
		}
	}
	m := merged{number: pr.Number, requester: pr.Author, mergedAt: pr.MergedAt, headSHA: pr.HeadSHA, htmlURL: pr.HTMLURL,
		duration: d.EffectiveDuration, emergency: d.Emergency}
	if m.duration <= 0 {
		m.duration = d.RequestedDuration
	}
	postHoc := approval.PostHocReviews(d)
	for _, a := range d.Approvals {
		if d.Emergency && (a.Stage == approval.StageOwner || a.Stage == approval.StageAdmin) {
			// The owners' and admins' approvals of emergency access are
			// its review after the fact, recorded as such.
			continue
		}
		m.approvals = append(m.approvals, approvalRecord(a))
	}
	for _, a := range postHoc {
		m.postHoc = append(m.postHoc, approvalRecord(a))
	}
	return m, nil
}

// approvalInput is what the approval engine is told about a request on
// main, with main's policies. now is when the merged head was judged (see
// checkMerged): an auto_approve rule's working hours are judged at it and
// approvals by rule are dated with it, so every re-check of the same merged
// request reaches the same result, however late the run.
func (r *Reconciler) approvalInput(rs judgment.Rules, path string, req schema.Request, now time.Time) approval.Input {
	return judgment.RequestInput(rs, path, &req, r.opts.Bot, now)
}

func approvalRecord(a approval.Approval) schema.Approval {
	return schema.Approval{By: a.By, Stage: a.Stage, At: a.At.UTC(), Note: a.Note}
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// prFacts implements approval.PullRequest, fetching lazily.
type prFacts struct {
	ctx context.Context
	gh  GitHub
	pr  *ghrepo.PR
}

func (p *prFacts) Author() string  { return p.pr.Author }
func (p *prFacts) HeadSHA() string { return p.pr.HeadSHA }
func (p *prFacts) Commits() ([]approval.Commit, error) {
	return p.gh.PullRequestCommits(p.ctx, p.pr.Number)
}
func (p *prFacts) Reviews() ([]approval.Review, error) {
	return p.gh.Reviews(p.ctx, p.pr.Number)
}
