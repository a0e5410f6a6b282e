package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jit-access/jit/internal/approval"
	"github.com/jit-access/jit/internal/ghrepo"
)

// SweepResult says what one sweep did, for logs and the job summary.
type SweepResult struct {
	// Judged lists request pull requests whose jit/approval check, state
	// label or status comment did not show their current decision (a lost delivery, an
	// evaluation that failed for good, a restart) and were judged again.
	Judged    []int
	Escalated []int
	// Reminded are the undecided requests whose reviewers were reminded.
	Reminded []int
	Closed   []int
}

// Sweep runs the scheduled duties of the App on one repository: a request
// whose jit/approval check, label or status comment does not show its
// decision now is judged again (the safety net under webhooks); a request
// with no decision after escalate_after is shown to the SSO admins too, and an
// unapproved request older than request_ttl is closed as expired. It is
// idempotent (labels record what was done), so the schedule may run it as
// often as it likes.
func (s *Server) Sweep(ctx context.Context, installationID int64, repo ghrepo.Repo) (SweepResult, error) {
	var res SweepResult
	bot, err := s.botLogin(ctx)
	if err != nil {
		return res, err
	}
	if installationID == 0 {
		if installationID, err = s.gh.FindInstallation(ctx, repo); err != nil {
			return res, err
		}
	}
	h := &handler{gh: ghrepo.New(s.installation(installationID), repo), repo: repo, bot: bot, clock: s.clock, log: s.log.With("repo", repo.String()), notifier: s.opts.Notifier, bg: &s.bg, appID: s.opts.AppID}
	prs, err := h.gh.OpenPullRequests(ctx)
	if err != nil {
		return res, err
	}
	var errs []error
	for _, pr := range prs {
		judged, did, err := h.sweepOne(ctx, pr)
		if judged {
			res.Judged = append(res.Judged, pr.Number)
		}
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("sweeping #%d: %w", pr.Number, err))
		case did == "closed":
			res.Closed = append(res.Closed, pr.Number)
		case did == "escalated":
			res.Escalated = append(res.Escalated, pr.Number)
		case did == "reminded":
			res.Reminded = append(res.Reminded, pr.Number)
		}
	}
	return res, errors.Join(errs...)
}

func (h *handler) sweepOne(ctx context.Context, listed *ghrepo.PR) (judged bool, did string, err error) {
	// The list leaves out the commit and file totals that decide whether
	// the pull request can be checked whole: read it as the webhook does.
	// The comments are listed too: the sweep checks what the pull request
	// shows, not the App's record of what it wrote.
	comments, err := h.gh.Comments(ctx, listed.Number)
	if err != nil {
		return false, "", err
	}
	f, err := h.gather(ctx, listed.Number, seed{hint: listed.HeadSHA, comments: comments})
	if err != nil {
		return false, "", err
	}
	pr := f.pr
	a, err := h.assess(ctx, f)
	if err != nil {
		return false, "", err
	}
	// A pull request that shows its decision is judged again all the
	// same when someone it waits for was never asked (reviewRequests):
	// apply then writes only that review request.
	users, teams := h.reviewRequests(a, false)
	if a.change.Request && (!shown(a, h.bot) || len(users)+len(teams) > 0) {
		if err := h.apply(ctx, a, false); err != nil {
			return false, "", fmt.Errorf("judging again: %w", err)
		}
		h.log.Info("judged again by the sweep", "pr", pr.Number, "state", a.decision.State)
		judged = true
	}
	did, err = h.sweepDuties(ctx, pr, a)
	return judged, did, err
}

// shown reports whether a pull request already shows its decision: the
// jit App's jit/approval check on the head commit with this conclusion and
// summary, exactly the state labels of the decision, and the App's status
// comment saying it.
func shown(a *assessment, bot string) bool {
	body := stickyBody(a)
	if !slices.ContainsFunc(a.comments, func(c ghrepo.Comment) bool { return strings.EqualFold(c.Author, bot) && c.Body == body }) {
		return false
	}
	want := approvalCheck(a)
	found := false
	for _, r := range a.runs {
		if r.Name == want.Name && r.HeadSHA == want.HeadSHA {
			found = r.Conclusion == want.Conclusion && r.Summary == want.Summary
		}
	}
	if !found {
		return false
	}
	wantLabels := a.decision.Labels()
	for _, l := range wantLabels {
		if !slices.Contains(a.pr.Labels, l) {
			return false
		}
	}
	for _, l := range a.pr.Labels {
		if slices.Contains(managedLabels, l) && !slices.Contains(wantLabels, l) {
			return false
		}
	}
	return true
}

// sweepDuties closes an expired request and escalates an undecided one.
func (h *handler) sweepDuties(ctx context.Context, pr *ghrepo.PR, a *assessment) (string, error) {
	if !a.change.Request || a.decision.State == approval.StateApproved {
		return "", nil
	}
	cfg := a.rules.Config
	if cfg == nil {
		return "", nil // fail closed: without valid rules nothing is closed or escalated
	}
	ttl, escalate := cfg.RequestTTLDuration(), cfg.EscalateAfterDuration()
	age := h.clock.Now().Sub(pr.CreatedAt)
	switch {
	case age >= ttl:
		msg := fmt.Sprintf("This request had no approval within the request TTL of %s and is closed as expired. Open a new pull request if the access is still needed.", ttl)
		if err := h.gh.CreateComment(ctx, pr.Number, msg); err != nil {
			return "", err
		}
		for _, l := range pr.Labels {
			if slices.Contains(stateLabels, l) {
				if err := h.gh.RemoveLabel(ctx, pr.Number, l); err != nil {
					return "", err
				}
			}
		}
		if err := h.gh.AddLabels(ctx, pr.Number, []string{approval.LabelExpired}); err != nil {
			return "", err
		}
		return "closed", h.gh.ClosePullRequest(ctx, pr.Number)
	case age >= escalate && a.decision.State == approval.StatePendingOwner && !slices.Contains(pr.Labels, approval.LabelEscalated):
		users, teams := splitReviewers(cfg.Admins, h.repo.Owner, pr.Author)
		if len(users)+len(teams) > 0 {
			if err := h.gh.RequestReviewers(ctx, pr.Number, users, teams); err != nil {
				return "", err
			}
		}
		if err := h.gh.AddLabels(ctx, pr.Number, []string{approval.LabelEscalated}); err != nil {
			return "", err
		}
		msg := fmt.Sprintf("No owner has decided on this request within %s, so the SSO admins (%v) are asked as well.", escalate, cfg.Admins)
		return "escalated", h.gh.CreateComment(ctx, pr.Number, msg)
	case age >= escalate && (a.decision.State == approval.StatePendingOwner || a.decision.State == approval.StatePendingAdmin):
		reminded, err := h.remind(ctx, pr, a, cfg)
		if reminded {
			return "reminded", err
		}
		return "", err
	}
	return "", nil
}
