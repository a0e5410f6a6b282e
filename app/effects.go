package app

import (
	"context"
	"errors"
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
	if err := h.apply(ctx, a, revalidate); err != nil {
		return "", err
	}
	log.Info("evaluated", "state", a.decision.State, "request", a.change.Request)
	return "state " + string(a.decision.State), nil
}

// apply carries out the effects of an assessment: decision -> effects. The
// effects are independent of each other, so they are made at once: the
// delivery waits for one round trip, not one per effect. The jit/approval
// check run comes last, after the others succeeded: a failure part-way
// leaves it as it was, never green beside a label or comment that disagree,
// and the record it carries (see record) is true of what was written. Only
// what changed is written: a check run, comment or label that already says
// what the decision says is left alone.
func (h *handler) apply(ctx context.Context, a *assessment, revalidate bool) error {
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
			if !always && old.Conclusion == c.Conclusion && old.Summary == c.Summary && old.Title == c.Title && old.ExternalID == c.ExternalID {
				return nil
			}
			c.ID = old.ID
			return h.gh.UpdateCheckRun(ctx, c)
		}
		return h.gh.CreateCheckRun(ctx, c)
	}
	rec, recorded := recordOf(a.runs, h.appID, pr.Number)
	body := stickyBody(a)
	want := a.decision.Labels()
	prior := priorLabels(a, rec, recorded)
	changed := false
	for _, l := range want {
		if !slices.Contains(prior, l) {
			changed = true
		}
	}

	// comment is the status comment's id once written.
	var comment int64
	writeComment := func() (err error) {
		switch {
		case a.commentsListed:
			comment, err = h.upsertSticky(ctx, pr.Number, a.comments, body)
		case recorded:
			comment, err = h.editSticky(ctx, pr.Number, rec, body)
		default:
			// A first evaluation: there is none yet.
			comment, err = h.gh.AddComment(ctx, pr.Number, body)
		}
		return err
	}
	effects := []func() error{func() error { return upsert(validateCheck(a), revalidate) }}
	if !a.first {
		effects = append(effects, writeComment)
	}
	effects = append(effects, h.labelWrites(ctx, a, prior, want, recorded && !a.labelsListed)...)
	if changed {
		// Ask the next reviewers only when the state moves, so that the
		// same people are not notified again on every event.
		users, teams := splitReviewers(a.decision.NextReviewers, h.repo.Owner, pr.Author)
		users, teams = notRequested(users, pr.RequestedUsers), notRequested(teams, pr.RequestedTeams)
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
	if a.first {
		// Only after a check run exists on the head: a later first
		// evaluation of the same head (a retry) then lists the comments
		// instead of adding a second one.
		if err := writeComment(); err != nil {
			return err
		}
	}
	if changed {
		h.notifyTransition(ctx, a)
	}
	c := approvalCheck(a)
	c.ExternalID = newRecord(pr.Number, comment, want, body).String()
	return upsert(c, false)
}

// priorLabels are the labels apply takes the pull request to have: those
// read now, else the managed ones the App's record says it set, else (a
// first evaluation) the payload's.
func priorLabels(a *assessment, rec record, recorded bool) []string {
	if recorded && !a.labelsListed {
		return rec.labels
	}
	return a.pr.Labels
}

// labelWrites are the requests planLabels asks for.
func (h *handler) labelWrites(ctx context.Context, a *assessment, prior, want []string, fromRecord bool) []func() error {
	n := a.pr.Number
	p := planLabels(a.pr.Labels, prior, want, fromRecord)
	var out []func() error
	if p.set != nil {
		out = append(out, func() error { return h.gh.SetLabels(ctx, n, p.set) })
	}
	if len(p.add) > 0 {
		out = append(out, func() error { return h.gh.AddLabels(ctx, n, p.add) })
	}
	for _, l := range p.remove {
		out = append(out, func() error { return h.gh.RemoveLabel(ctx, n, l) })
	}
	return out
}

// labelPlan is how labels are brought in line: set replaces them all (nil:
// not used), add and remove change some.
type labelPlan struct {
	set, add, remove []string
}

// planLabels brings the managed labels from prior to want: added with one
// request and removed with one each, or, when both are needed and the pull
// request's whole set of labels (labels) is known, set with one request.
// fromRecord says prior is the App's record and labels the payload's: they
// are used only if they agree, that is if the payload was sent after the
// App's last labels were written. Nothing is written when prior already
// has the wanted labels and no other managed one.
func planLabels(labels, prior, want []string, fromRecord bool) labelPlan {
	var add, remove []string
	for _, l := range want {
		if !slices.Contains(prior, l) {
			add = append(add, l)
		}
	}
	for _, l := range prior {
		if slices.Contains(managedLabels, l) && !slices.Contains(want, l) {
			remove = append(remove, l)
		}
	}
	if len(add) > 0 && len(remove) > 0 && (!fromRecord || sameSet(managedOf(labels), prior)) {
		set := slices.DeleteFunc(slices.Clone(labels), func(l string) bool { return slices.Contains(managedLabels, l) })
		return labelPlan{set: append(set, want...)}
	}
	if len(add) > 0 {
		// All the wanted ones, as before: adding one already there is
		// harmless.
		add = slices.Clone(want)
	}
	return labelPlan{add: add, remove: remove}
}

// notRequested are those of who that the pull request does not already
// ask to review (requested, as the payload or the API tells): GitHub asked
// them when the pull request was opened (code owners) or jit did earlier.
func notRequested(who, requested []string) []string {
	var out []string
	for _, w := range who {
		if !slices.ContainsFunc(requested, func(r string) bool { return strings.EqualFold(r, w) }) {
			out = append(out, w)
		}
	}
	return out
}

// managedOf are the labels among labels that jit manages.
func managedOf(labels []string) []string {
	var out []string
	for _, l := range labels {
		if slices.Contains(managedLabels, l) {
			out = append(out, l)
		}
	}
	return out
}

// sameSet reports whether a and b hold the same strings.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// upsertSticky keeps one comment by the App, marked with stickyMarker,
// among comments as listed, and returns its id.
func (h *handler) upsertSticky(ctx context.Context, number int, comments []ghrepo.Comment, body string) (int64, error) {
	for _, c := range comments {
		if strings.EqualFold(c.Author, h.bot) && strings.Contains(c.Body, stickyMarker) {
			if c.Body == body {
				return c.ID, nil
			}
			return c.ID, h.gh.EditComment(ctx, c.ID, body)
		}
	}
	return h.gh.AddComment(ctx, number, body)
}

// editSticky brings the comment the App's record names to body, unless
// the record says it already has it. A comment deleted since is written
// again, after listing the comments.
func (h *handler) editSticky(ctx context.Context, number int, rec record, body string) (int64, error) {
	if rec.digest == bodyDigest(body) {
		return rec.comment, nil
	}
	err := h.gh.EditComment(ctx, rec.comment, body)
	if !errors.Is(err, ghrepo.ErrNotFound) {
		return rec.comment, err
	}
	comments, err := h.gh.Comments(ctx, number)
	if err != nil {
		return 0, err
	}
	return h.upsertSticky(ctx, number, comments, body)
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
