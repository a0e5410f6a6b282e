package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

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
	return h.decide(ctx, f, revalidate, s.codeOwnersAsked)
}

// decide judges the facts of an open pull request and applies the decision;
// codeOwnersAsked says GitHub asks the code owners itself (see
// reviewRequests).
func (h *handler) decide(ctx context.Context, f *facts, revalidate, codeOwnersAsked bool) (string, error) {
	pr := f.pr
	log := h.log.With("pr", pr.Number, "sha", pr.HeadSHA)
	if pr.State != "open" {
		return "ignored: pull request is not open", nil
	}
	a, err := h.assess(ctx, f)
	if err != nil {
		return "", err
	}
	a.codeOwnersAsked = codeOwnersAsked
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
// what the decision says is left alone; revalidate writes the check run
// even so (a re-run asked for, a pull request opened, pushed to or edited).
//
// A first evaluation adds the status comment in the same round as the
// labels: should the round fail, the retry (retryLater) is not taken for a
// first evaluation, so it lists the comments and edits the one added.
func (h *handler) apply(ctx context.Context, a *assessment, revalidate bool) error {
	pr := a.pr
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
	effects := []func() error{writeComment}
	effects = append(effects, h.labelWrites(ctx, a, prior, want, recorded && !a.labelsListed)...)
	if users, teams := h.reviewRequests(a, changed); len(users)+len(teams) > 0 {
		effects = append(effects, func() error {
			if err := h.gh.RequestReviewers(ctx, pr.Number, users, teams); err != nil {
				h.log.Warn("requesting reviewers failed", "pr", pr.Number, "err", err)
			}
			return nil
		})
	}
	if err := parallel(effects...); err != nil {
		return err
	}
	if changed {
		h.notifyTransition(ctx, a)
	}
	c := approvalCheck(a)
	c.ExternalID = newRecord(pr.Number, comment, want, body).String()
	// Only the App's own run: another App may create a run with the same
	// name on the head commit, which jit can neither update nor take for
	// its own verdict. A jit/validate run left by an earlier version of
	// the App is neither read nor updated: its verdict is jit/approval's.
	for _, old := range a.runs {
		if old.Name != c.Name || old.AppID != h.appID {
			continue
		}
		if !revalidate && old.Conclusion == c.Conclusion && old.Summary == c.Summary && old.Title == c.Title && old.ExternalID == c.ExternalID {
			return nil
		}
		c.ID = old.ID
		c.Annotations = annotations(a.findings, old.Summary)
		return h.gh.UpdateCheckRun(ctx, c)
	}
	return h.gh.CreateCheckRun(ctx, c)
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

// notRequested are those of who not among requested (case-insensitive):
// e.g. not already asked to review, as the payload or the API tells.
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

// approvalCheck is the App's one check run, jit/approval, which branch
// protection requires: its conclusion is the decision's (success only when
// approved), and it carries the validation too, which until issue 15 had a
// check run of its own: the findings as line annotations, the request as
// approvers see it and every finding in the summary, and a title that says
// first whether the request is invalid, else the approval state.
func approvalCheck(a *assessment) ghrepo.CheckRun {
	c := ghrepo.CheckRun{Name: judgment.CheckApproval, HeadSHA: a.pr.HeadSHA, Conclusion: "failure", Annotations: annotations(a.findings, "")}
	d := a.decision
	var state string
	switch d.State {
	case approval.StateApproved:
		c.Conclusion = "success"
		state = "Approved"
	case approval.StatePendingOwner:
		state = "Waiting for an owner of the account"
	case approval.StatePendingAdmin:
		state = "Waiting for an SSO admin"
	case approval.StateRejected:
		state = "Changes requested"
	default:
		state = "Not approvable: " + d.Reason
	}
	errs, warns, paths := tally(a.findings)
	invalid := ""
	switch {
	case a.cfgErr != nil:
		invalid = "the access rules on the base branch are invalid"
	case errs > 0:
		invalid = plural(errs, "error")
		if warns > 0 {
			invalid += ", " + plural(warns, "warning")
		}
		switch len(paths) {
		case 0:
		case 1:
			invalid += " in " + paths[0]
		default:
			invalid += fmt.Sprintf(" in %d files", len(paths))
		}
	}
	switch {
	case invalid != "" && d.State == approval.StateInvalid:
		c.Title = judgment.TitleInvalid + invalid
	case invalid != "":
		// An admin change that fixes a broken config: admins may
		// approve it although the config on main is invalid.
		c.Title = judgment.TitleInvalid + invalid + "; " + strings.ToLower(state[:1]) + state[1:]
	case !a.change.Request:
		c.Title = judgment.TitleNotRequest + strings.ToLower(state[:1]) + state[1:]
	case warns > 0:
		c.Title = fmt.Sprintf("%s (%s for approvers)", state, plural(warns, "warning"))
	default:
		c.Title = state
	}
	c.Title = clip(c.Title, 255) // GitHub's limit of a check run's title

	var b strings.Builder
	b.WriteString(approval.Explain(d))
	b.WriteString("\n")
	if a.cfgErr != nil {
		fmt.Fprintf(&b, "\n### The access rules are invalid\n\njit fails closed until an SSO admin fixes the config:\n\n```\n%s\n```\n", a.cfgErr)
	}
	if !a.change.Request {
		b.WriteString("\n### Not an access request\n\nThis pull request is not a plain access request:\n\n")
		for _, r := range a.change.Reasons {
			fmt.Fprintf(&b, "- %s\n", markdown.Text(r))
		}
		b.WriteString("\nIt needs the approval of an SSO admin.\n")
	} else if a.request != nil {
		b.WriteString("\n### Request\n\n")
		b.WriteString(requestSummary(a.request, a.extension))
	}
	if len(a.findings) > 0 {
		b.WriteString("\n### Findings\n\n")
		for _, f := range a.findings {
			b.WriteString(findingLine(f))
		}
	}
	c.Summary = b.String()
	return c
}

// findingLine is how the summary lists a finding.
func findingLine(f schema.Finding) string {
	return "- " + markdown.Code(f.String()) + "\n"
}

// annotations are the line annotations of findings, at GitHub's levels
// (failure, warning, notice), leaving out those whose line the summary
// carried (of the run being updated) already lists: GitHub adds the
// annotations of an update to those the run has, and offers no way to
// remove one, so a finding is annotated once per run. Findings of the
// whole change, without a path, are in the summary only.
func annotations(findings []schema.Finding, carried string) []ghrepo.Annotation {
	var out []ghrepo.Annotation
	for _, f := range findings {
		if f.Path == "" || carried != "" && strings.Contains(carried, findingLine(f)) {
			continue
		}
		level := "notice"
		switch f.Severity {
		case schema.SeverityError:
			level = "failure"
		case schema.SeverityWarning:
			level = "warning"
		}
		msg := f.Message
		if f.Fix != "" {
			msg += "\nFix: " + f.Fix
		}
		out = append(out, ghrepo.Annotation{Path: f.Path, Line: f.Line, Col: f.Col, Level: level, Message: msg})
	}
	return out
}

// tally counts the errors and warnings among findings, and lists the paths
// with errors.
func tally(findings []schema.Finding) (errs, warns int, paths []string) {
	for _, f := range findings {
		switch f.Severity {
		case schema.SeverityError:
			errs++
			if f.Path != "" && !slices.Contains(paths, f.Path) {
				paths = append(paths, f.Path)
			}
		case schema.SeverityWarning:
			warns++
		}
	}
	return errs, warns, paths
}

// clip shortens s to at most n bytes, at a character boundary, marking the
// cut with an ellipsis.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n-len("…")]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}

// plural is n thing(s), spelled for n.
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
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
