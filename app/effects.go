package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jit-access/jit/internal/approval"
	"github.com/jit-access/jit/internal/ghrepo"
	"github.com/jit-access/jit/internal/judgment"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/internal/markdown"
	"github.com/jit-access/jit/schema"
)

// stateLabels are the labels of the approval states; exactly one of them is
// on an open request PR at a time.
var stateLabels = []string{"jit:invalid", "jit:pending-owner", "jit:pending-admin", "jit:approved", "jit:rejected"}

// managedLabels are all the labels evaluate sets and removes.
var managedLabels = append(slices.Clone(stateLabels), approval.LabelEmergency)

// evaluate re-evaluates an open pull request and brings its check runs,
// label, sticky comment and review requests in line with the decision.
// Every effect is idempotent, so redeliveries and replicas are harmless.
// s is what the event already tells: the facts of the head commit it names
// are read at once, in parallel with the pull request's.
func (h *handler) evaluate(ctx context.Context, number int, revalidate bool, s seed) (string, error) {
	f, err := h.gather(ctx, number, s)
	if err != nil {
		return "", err
	}
	return h.decide(ctx, f, revalidate)
}

// decide judges the facts of an open pull request and applies the decision.
func (h *handler) decide(ctx context.Context, f *facts, revalidate bool) (string, error) {
	pr := f.pr
	log := h.log.With("pr", pr.Number, "sha", pr.HeadSHA)
	if pr.State != "open" {
		return "ignored: pull request is not open", nil
	}
	a, err := h.assess(ctx, f)
	if err != nil {
		return "", err
	}
	if err := h.apply(ctx, a, f.comments, revalidate); err != nil {
		return "", err
	}
	log.Info("evaluated", "state", a.decision.State, "request", a.change.Request)
	return "state " + string(a.decision.State), nil
}

// apply carries out the effects of an assessment: decision -> effects. The
// effects are independent of each other, so they are made at once: the
// delivery waits for one round trip, not one per effect. A green
// jit/approval check run comes last, after the others succeeded. comments
// are the pull request's comments as read for the assessment.
func (h *handler) apply(ctx context.Context, a *assessment, comments []ghrepo.Comment, revalidate bool) error {
	pr := a.pr
	// Only the App's own runs: another App may create a run with the same
	// name on the head commit, which jit can neither update nor take for
	// its own verdict.
	existing := func(name string) (ghrepo.CheckRun, bool) {
		for _, r := range a.runs {
			if r.Name == name && r.AppID == h.appID {
				return r, true
			}
		}
		return ghrepo.CheckRun{}, false
	}
	upsert := func(c ghrepo.CheckRun, always bool) error {
		if old, ok := existing(c.Name); ok {
			if !always && old.Conclusion == c.Conclusion && old.Summary == c.Summary {
				return nil
			}
			c.ID = old.ID
			return h.gh.UpdateCheckRun(ctx, c)
		}
		return h.gh.CreateCheckRun(ctx, c)
	}
	effects := []func() error{
		func() error { return upsert(validateCheck(a), revalidate) },
		func() error { return h.upsertSticky(ctx, pr.Number, comments, stickyBody(a)) },
	}
	approved := approvalCheck(a).Conclusion == "success"
	if !approved {
		effects = append(effects, func() error { return upsert(approvalCheck(a), false) })
	}

	want := a.decision.Labels()
	changed := false
	for _, l := range want {
		if !slices.Contains(pr.Labels, l) {
			changed = true
		}
	}
	for _, l := range pr.Labels {
		if !slices.Contains(want, l) && slices.Contains(managedLabels, l) {
			effects = append(effects, func() error { return h.gh.RemoveLabel(ctx, pr.Number, l) })
		}
	}
	if changed {
		effects = append(effects, func() error { return h.gh.AddLabels(ctx, pr.Number, want) })
		// Ask the next reviewers only when the state moves, so that the
		// same people are not notified again on every event.
		users, teams := splitReviewers(a.decision.NextReviewers, h.repo.Owner, pr.Author)
		if len(users)+len(teams) > 0 {
			effects = append(effects, func() error {
				if err := h.gh.RequestReviewers(ctx, pr.Number, users, teams); err != nil {
					h.log.Warn("requesting reviewers failed", "pr", pr.Number, "err", err)
				}
				return nil
			})
		}
	}
	if err := parallel(effects...); err != nil {
		return err
	}
	if changed {
		h.notifyTransition(ctx, a)
	}
	if approved {
		// The check that gates the merge turns green last: a failure
		// part-way leaves it as it was, never green beside a label or
		// comment that disagree, and the retry brings the rest into line
		// first. A check that stays red or pending is written with the rest.
		return upsert(approvalCheck(a), false)
	}
	return nil
}

// upsertSticky keeps one comment by the App, marked with stickyMarker.
func (h *handler) upsertSticky(ctx context.Context, number int, comments []ghrepo.Comment, body string) error {
	for _, c := range comments {
		if strings.EqualFold(c.Author, h.bot) && strings.Contains(c.Body, stickyMarker) {
			if c.Body == body {
				return nil
			}
			return h.gh.EditComment(ctx, c.ID, body)
		}
	}
	return h.gh.CreateComment(ctx, number, body)
}

func validateCheck(a *assessment) ghrepo.CheckRun {
	c := ghrepo.CheckRun{Name: judgment.CheckValidate, HeadSHA: a.pr.HeadSHA}
	errs, warns := 0, 0
	for _, f := range a.findings {
		level := "notice"
		switch f.Severity {
		case schema.SeverityError:
			errs++
			level = "failure"
		case schema.SeverityWarning:
			warns++
			level = "warning"
		}
		msg := f.Message
		if f.Fix != "" {
			msg += "\nFix: " + f.Fix
		}
		if f.Path == "" {
			continue // change-level findings are in the summary
		}
		c.Annotations = append(c.Annotations, ghrepo.Annotation{Path: f.Path, Line: f.Line, Col: f.Col, Level: level, Message: msg})
	}
	var b strings.Builder
	switch {
	case a.cfgErr != nil:
		c.Conclusion = "failure"
		c.Title = "The access rules on the base branch are invalid"
		fmt.Fprintf(&b, "jit fails closed until an SSO admin fixes the config:\n\n```\n%s\n```\n", a.cfgErr)
	case errs > 0:
		c.Conclusion = "failure"
		c.Title = fmt.Sprintf("%d error(s), %d warning(s)", errs, warns)
	case !a.change.Request:
		c.Conclusion = "neutral"
		c.Title = "Not an access request: needs SSO admin approval"
	default:
		c.Conclusion = "success"
		c.Title = "Valid request"
		if warns > 0 {
			c.Title = fmt.Sprintf("Valid request with %d warning(s) for approvers", warns)
		}
	}
	if !a.change.Request {
		b.WriteString("This pull request is not a plain access request:\n\n")
		for _, r := range a.change.Reasons {
			fmt.Fprintf(&b, "- %s\n", markdown.Text(r))
		}
		b.WriteString("\nIt needs the approval of an SSO admin.\n")
	} else if a.request != nil {
		b.WriteString(requestSummary(a.request, a.extension))
	}
	if len(a.findings) > 0 {
		b.WriteString("\n### Findings\n\n")
		for _, f := range a.findings {
			fmt.Fprintf(&b, "- %s\n", markdown.Code(f.String()))
		}
	}
	c.Summary = b.String()
	return c
}

// requestSummary is what an approver needs to see about the request. Every
// value is the requester's text, rendered so that it stays text: it cannot
// fake a verdict, hide what follows, or mention anyone.
//
// For an extension (ext) it also shows which grant's end moves, and from
// when to when: the new end is counted from when the merged extension is
// provisioned, so the one shown is for a merge now.
func requestSummary(f *schema.RequestFile, ext *schema.ExtensionPlan) string {
	r := f.Request
	var b strings.Builder
	b.WriteString("| | |\n|---|---|\n")
	if ext != nil {
		grant := markdown.Code(ext.Path)
		if st := ext.Target.Status; st != nil && st.PullRequest > 0 {
			grant += fmt.Sprintf(" (#%d)", st.PullRequest)
		}
		fmt.Fprintf(&b, "| Extends | %s |\n", grant)
		fmt.Fprintf(&b, "| Current end | %s |\n", ext.CurrentEnd.UTC().Format(time.RFC3339))
		fmt.Fprintf(&b, "| New end | %s if merged now (%s after the merge is provisioned) |\n",
			ext.NewEnd.UTC().Format(time.RFC3339), markdown.Code(r.Duration))
	}
	fmt.Fprintf(&b, "| Account | %s |\n", markdown.Code(r.Account))
	if r.CustomPermissionSet != nil {
		cps := r.CustomPermissionSet
		fmt.Fprintf(&b, "| Custom permission set | %s (session %s) |\n", markdown.Code(layout.PermissionSetName(cps.Name)), markdown.Code(cps.SessionDuration))
		if len(cps.ManagedPolicies) > 0 {
			names := make([]string, len(cps.ManagedPolicies))
			for i, p := range cps.ManagedPolicies {
				names[i] = markdown.Code(p)
			}
			fmt.Fprintf(&b, "| Managed policies | %s |\n", strings.Join(names, ", "))
		}
		if cps.InlinePolicy != "" {
			fmt.Fprintf(&b, "| Inline policy | %d bytes, shown below |\n", len(cps.InlinePolicy))
		}
	} else {
		fmt.Fprintf(&b, "| Permission set | %s |\n", markdown.Code(r.PermissionSet))
	}
	fmt.Fprintf(&b, "| Duration | %s |\n", markdown.Code(r.Duration))
	fmt.Fprintf(&b, "| Justification | %s |\n", markdown.Text(r.Justification))
	if r.CustomPermissionSet != nil && r.CustomPermissionSet.InlinePolicy != "" {
		fence := markdown.Fence(r.CustomPermissionSet.InlinePolicy)
		fmt.Fprintf(&b, "\n%sjson\n%s\n%s\n", fence, r.CustomPermissionSet.InlinePolicy, fence)
	}
	return b.String()
}

func approvalCheck(a *assessment) ghrepo.CheckRun {
	c := ghrepo.CheckRun{Name: judgment.CheckApproval, HeadSHA: a.pr.HeadSHA, Conclusion: "failure"}
	d := a.decision
	switch d.State {
	case approval.StateApproved:
		c.Conclusion = "success"
		c.Title = "Approved"
	case approval.StatePendingOwner:
		c.Title = "Waiting for an owner of the account"
	case approval.StatePendingAdmin:
		c.Title = "Waiting for an SSO admin"
	case approval.StateRejected:
		c.Title = "Changes requested"
	default:
		c.Title = "Not approvable: the request is invalid"
	}
	c.Summary = approval.Explain(d)
	return c
}

func stickyBody(a *assessment) string {
	var b strings.Builder
	b.WriteString(stickyMarker + "\n")
	fmt.Fprintf(&b, "### jit: %s\n\n", a.decision.State)
	if a.change.Request && a.request != nil {
		b.WriteString(requestSummary(a.request, a.extension))
		b.WriteString("\n")
	}
	for _, f := range a.findings {
		if f.Severity == schema.SeverityWarning {
			fmt.Fprintf(&b, "> **Warning for approvers:** %s (line %d)\n", markdown.Code(f.Message), f.Line)
		}
	}
	b.WriteString("\n")
	b.WriteString(approval.Explain(a.decision))
	fmt.Fprintf(&b, "\n\n<sub>Evaluated at %s.</sub>\n", a.pr.HeadSHA)
	return b.String()
}
