package action

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jit-access/jit/internal/approval"
	"github.com/jit-access/jit/internal/ghrepo"
	"github.com/jit-access/jit/internal/lifecycle"
	"github.com/jit-access/jit/schema"
)

// eventPostHocReview is the Jit-Event of a commit that records the review
// after the fact of an emergency grant.
const eventPostHocReview = "post-hoc-review"

// reviewEmergencies follows the review after the fact of the emergency
// grants in the plan's Review list: new owner or admin approvals of their
// pull requests are recorded in status.post_hoc_reviews, and grants still
// unreviewed after emergency.review_within are reported.
func (u *run) reviewEmergencies(ctx context.Context) error {
	items := u.st.plan.Review
	if len(items) == 0 {
		return nil
	}
	now := u.opts.Clock.Now().UTC()
	if u.opts.GitHub == nil {
		// Not an error of the run: the next run with credentials catches up.
		u.log.WarnContext(ctx, "without GitHub credentials the review after the fact of emergency grants is not checked", "grants", len(items))
		return nil
	}
	recorded, err := u.pool(len(items), func(i int) (bool, error) { return u.reviewEmergency(ctx, items[i], now) })
	if err != nil {
		return err
	}
	if !recorded {
		return nil
	}
	return u.push(ctx)
}

// reviewEmergency checks one emergency grant. It works from the file as
// this run last wrote or read it, so a grant that expired in this run keeps
// its new state.
func (u *run) reviewEmergency(ctx context.Context, it lifecycle.Item, now time.Time) (bool, error) {
	u.commitMu.Lock()
	data, ok := u.st.data[it.Path]
	u.commitMu.Unlock()
	if !ok {
		// Another run changed the file meanwhile; the next run looks.
		return false, nil
	}
	req, err := schema.DecodeRequest(it.Path, data)
	if err != nil {
		u.report(&u.rep.Errors, entryOf(it, now, "reading the emergency grant for its review after the fact: "+err.Error()))
		return false, nil
	}
	it.Request = req
	st := req.Status
	if st == nil || st.PullRequest <= 0 {
		u.report(&u.rep.Errors, entryOf(it, now, "emergency grant without a recorded pull request: its review after the fact cannot be checked"))
		return false, nil
	}
	res, err := u.postHoc(ctx, it.Path, req, now)
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		u.report(&u.rep.Errors, entryOf(it, now, "the review after the fact could not be checked, retried next run: "+err.Error()))
		return false, nil
	}
	all, added := mergeReviews(st.PostHocReviews, res.reviews)
	if len(all) == 0 && res.overdue {
		reason := fmt.Sprintf("emergency access approved at %s has had no review by an owner or SSO admin within %s",
			res.approvedAt.UTC().Format(time.RFC3339), schema.FormatDuration(res.within))
		if len(res.objections) > 0 {
			reason += "; changes requested by " + strings.Join(res.objections, ", ")
		}
		u.log.WarnContext(ctx, "emergency access not reviewed in time", "path", it.Path, "pull_request", st.PullRequest)
		u.report(&u.rep.PostHocOverdue, entryOf(it, now, reason))
	}
	if len(added) == 0 {
		return false, nil
	}
	next := *st
	next.PostHocReviews = all
	who := approvers(added)
	if err := u.record(ctx, it.Path, "record post-hoc review of", eventPostHocReview, &next, req, "Reviewed after the fact by "+who+"."); err != nil {
		return false, ignoreStale(err)
	}
	u.log.InfoContext(ctx, "post-hoc review recorded", "path", it.Path, "by", who)
	u.report(&u.rep.Reviewed, entryOf(it, now, "reviewed after the fact by "+who))
	return true, nil
}

// postHocResult is what the pull request says about an emergency grant's
// review after the fact.
type postHocResult struct {
	reviews    []schema.Approval
	overdue    bool
	approvedAt time.Time
	within     time.Duration
	objections []string
}

// postHoc evaluates an emergency grant's pull request again with the rules
// on main, at the merge as before provisioning.
func (u *run) postHoc(ctx context.Context, path string, req schema.Request, now time.Time) (postHocResult, error) {
	st := req.Status
	gh := u.opts.GitHub
	pr, err := gh.PullRequest(ctx, st.PullRequest)
	if err != nil {
		return postHocResult{}, fmt.Errorf("reading pull request #%d: %w", st.PullRequest, err)
	}
	u.rememberLink(pr.Number, pr.HTMLURL)
	at := pr.MergedAt
	if st.MergedAt != nil {
		at = *st.MergedAt
	}
	res := postHocResult{approvedAt: at, within: schema.DefaultEmergencyReviewWithin}
	if em := u.st.rules.Config.Emergency; em != nil {
		res.within = em.ReviewWithinDuration()
	}
	for _, a := range st.Approvals {
		if a.Stage == approval.StageEmergency && !a.At.IsZero() {
			res.approvedAt = a.At
			break
		}
	}
	teams := ghrepo.NewTeams(ctx, gh)
	d, err := approval.Evaluate(u.approvalInput(u.st.rules, path, req, at.UTC()), &prFacts{ctx: ctx, gh: gh, pr: pr}, teams)
	if err != nil {
		return postHocResult{}, fmt.Errorf("evaluating the reviews of #%d: %w", pr.Number, err)
	}
	if !d.Emergency {
		// The rules changed since the grant (no emergency block any more,
		// the requester no longer among its requesters): the record says it
		// was emergency access, and the owners' and admins' approvals are
		// still its review.
		rec := approval.Decision{Emergency: true, Rejections: d.Rejections,
			Approvals: []approval.Approval{{By: approval.EmergencyApprover, Stage: approval.StageEmergency, At: res.approvedAt}}}
		for _, a := range d.Approvals {
			if a.Stage == approval.StageOwner || a.Stage == approval.StageAdmin {
				rec.Approvals = append(rec.Approvals, a)
			}
		}
		d = rec
	}
	for _, a := range approval.PostHocReviews(d) {
		res.reviews = append(res.reviews, approvalRecord(a))
	}
	res.overdue = approval.PostHocOverdue(d, res.within, now)
	for _, r := range d.Rejections {
		res.objections = append(res.objections, r.By)
	}
	return res, nil
}

// mergeReviews adds the fresh reviews to the recorded ones. A recorded
// review is never dropped: it happened, even if it was dismissed later.
func mergeReviews(recorded, fresh []schema.Approval) (all, added []schema.Approval) {
	key := func(a schema.Approval) string {
		return strings.ToLower(a.By) + "|" + a.Stage + "|" + a.At.UTC().Format(time.RFC3339)
	}
	seen := map[string]bool{}
	for _, a := range recorded {
		seen[key(a)] = true
	}
	all = append(all, recorded...)
	for _, a := range fresh {
		if !seen[key(a)] {
			seen[key(a)] = true
			all = append(all, a)
			added = append(added, a)
		}
	}
	return all, added
}
