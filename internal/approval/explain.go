package approval

import (
	"fmt"
	"strings"
	"time"

	"github.com/jit-access/jit/internal/markdown"
	"github.com/jit-access/jit/schema"
)

// Explain renders a Decision as markdown for the App's sticky pull request
// comment: the state, who must review next, the effective duration, the
// approvals and requests for changes with their notes, and every review and
// directive that did not count, with the reason.
//
// The comment is edited on every event, so it never @-mentions anyone (the
// review requests notify reviewers): logins and everything quoted from
// reviews are in code spans, and plain text has its "@" defused. Quoted text
// cannot inject markdown or HTML.
func Explain(d Decision) string {
	var b strings.Builder
	heading := title(d.State)
	if d.Emergency && d.State == StateApproved {
		heading = "approved as emergency access"
	}
	fmt.Fprintf(&b, "### jit: %s\n\n", heading)
	if d.Reason != "" {
		b.WriteString(markdown.Text(d.Reason) + "\n\n")
	}
	labels := d.Labels()
	if len(labels) == 0 {
		labels = []string{d.Label()}
	}
	fmt.Fprintf(&b, "- **State:** %s\n", codes(labels))
	if d.HeadSHA != "" {
		fmt.Fprintf(&b, "- **Commit:** %s (only reviews of this commit count)\n", markdown.Code(short(d.HeadSHA)))
	}
	if len(d.NextReviewers) > 0 {
		fmt.Fprintf(&b, "- **Next to review:** %s\n", codes(d.NextReviewers))
	}
	if d.Kind != KindAdminChange && d.RequestedDuration > 0 {
		if d.EffectiveDuration > 0 && d.EffectiveDuration < d.RequestedDuration {
			fmt.Fprintf(&b, "- **Access duration:** %s (requested %s, shortened by an approver)\n",
				markdown.Code(schema.FormatDuration(d.EffectiveDuration)), markdown.Code(schema.FormatDuration(d.RequestedDuration)))
		} else {
			fmt.Fprintf(&b, "- **Access duration:** %s\n", markdown.Code(schema.FormatDuration(d.RequestedDuration)))
		}
	}

	if d.Emergency {
		if reviews := PostHocReviews(d); len(reviews) > 0 {
			fmt.Fprintf(&b, "- **Emergency access:** reviewed after the fact by %s\n", markdown.Code("@"+reviews[0].By))
		} else {
			b.WriteString("- **Emergency access:** not yet reviewed after the fact by an owner or SSO admin\n")
		}
	}

	section(&b, "Approvals that count", d.Approvals, func(a Approval) string {
		item := fmt.Sprintf("%s, %s stage%s, %s", markdown.Code(approverName(a)), a.Stage, asRole(a.As, a.By), when(a.At))
		if a.Duration > 0 {
			item += fmt.Sprintf(", shortened to %s", markdown.Code(schema.FormatDuration(a.Duration)))
		}
		return item + note(a.Note)
	})
	section(&b, "Auto-approval rules that did not match", d.AutoApproveMisses, func(m RuleMiss) string {
		return fmt.Sprintf("%s: %s", markdown.Code(m.Rule), markdown.Text(m.Reason))
	})
	section(&b, "Changes requested", d.Rejections, func(r Rejection) string {
		return fmt.Sprintf("%s%s, %s on %s", markdown.Code("@"+r.By), asRole(r.As, r.By), when(r.At), markdown.Code(short(r.CommitID))) + note(r.Note)
	})
	section(&b, "Reviews that do not count", d.Ignored, func(ig Ignored) string {
		who := "(deleted account)"
		if ig.Review.User != "" {
			who = "@" + ig.Review.User
		}
		item := fmt.Sprintf("%s, %s", markdown.Code(who), strings.ToLower(strings.ReplaceAll(ig.Review.State, "_", " ")))
		if !ig.Review.SubmittedAt.IsZero() {
			item += " " + when(ig.Review.SubmittedAt)
		}
		return item + ": " + markdown.Text(ig.Reason)
	})
	section(&b, "Directives that had no effect", d.IgnoredDirectives, func(ig IgnoredDirective) string {
		return fmt.Sprintf("%s wrote %s: %s", markdown.Code("@"+ig.By), markdown.Code(ig.Line), markdown.Text(ig.Reason))
	})
	section(&b, "Warnings", d.Warnings, markdown.Text)
	return b.String()
}

// section writes a "####" section with one list item per element of items,
// and nothing when there are none.
func section[T any](b *strings.Builder, title string, items []T, item func(T) string) {
	if len(items) == 0 {
		return
	}
	fmt.Fprintf(b, "\n#### %s\n\n", title)
	for _, it := range items {
		fmt.Fprintf(b, "- %s\n", item(it))
	}
}

// asRole is " (as @org/team)" when a reviewer counted through a team or
// role other than their own login.
func asRole(as, by string) string {
	if as == "" || strings.EqualFold(as, "@"+by) {
		return ""
	}
	return " (as " + markdown.Code(as) + ")"
}

// note is a review's note as the end of a list item, "" without one.
func note(n string) string {
	if n == "" {
		return ""
	}
	return ": " + markdown.Code(n)
}

// approverName is how an approver is shown: @login for a reviewer, the
// rule's name for a rule.
func approverName(a Approval) string {
	if a.Stage == StageAuto || a.Stage == StageEmergency {
		return a.By
	}
	return "@" + a.By
}

func title(s State) string {
	switch s {
	case StateInvalid:
		return "invalid request"
	case StatePendingOwner:
		return "waiting for an owner"
	case StatePendingAdmin:
		return "waiting for an SSO admin"
	case StateApproved:
		return "approved"
	case StateRejected:
		return "changes requested"
	}
	return "unknown state (not approved)"
}

func when(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}

func codes(items []string) string {
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = markdown.Code(s)
	}
	return strings.Join(out, ", ")
}

// The wording of a Decision's Reason, which Evaluate sets.

func (e *evaluation) reason() string {
	account := e.accountName()
	switch e.d.State {
	case StateRejected:
		var who []string
		for _, r := range e.d.Rejections {
			who = append(who, "@"+r.By)
		}
		return fmt.Sprintf("%s asked for changes; the request is blocked until they approve, or they or an SSO admin dismiss their review.", joinAnd(who))
	case StateApproved:
		if a, ok := ruleApprover(e.d); ok {
			return e.ruleReason(a)
		}
		switch e.in.Kind {
		case KindCustom:
			return fmt.Sprintf("Approved by @%s for the owner stage and SSO admin @%s.", e.stageHolder(StageOwner), e.stageHolder(StageAdmin))
		case KindAdminChange:
			return fmt.Sprintf("Approved by SSO admin @%s.", e.d.Approvals[0].By)
		default:
			a := e.d.Approvals[0]
			if a.Stage == StageOwner {
				return fmt.Sprintf("Approved by @%s, an owner of %s.", a.By, account)
			}
			return fmt.Sprintf("Approved by SSO admin @%s.", a.By)
		}
	case StatePendingOwner:
		if e.in.Kind == KindCustom {
			if a := e.stageHolder(StageAdmin); a != "" {
				return fmt.Sprintf("SSO admin @%s approved; waiting for an owner of %s (a different person).", a, account)
			}
			return fmt.Sprintf("Waiting for an owner of %s, then an SSO admin.", account)
		}
		return fmt.Sprintf("Waiting for an owner of %s (or an SSO admin) to approve.", account)
	case StatePendingAdmin:
		switch {
		case e.in.Kind == KindAdminChange:
			return "This pull request is not a plain request; waiting for an SSO admin to approve."
		case e.in.Kind == KindCustom && e.ownersUsable:
			return fmt.Sprintf("Owner @%s approved; waiting for an SSO admin (a different person).", e.stageHolder(StageOwner))
		case e.in.Kind == KindCustom:
			if o := e.stageHolder(StageOwner); o != "" {
				return fmt.Sprintf("No usable owner of %s, so two different SSO admins must approve; @%s has, waiting for another.", account, o)
			}
			return fmt.Sprintf("No usable owner of %s, so two different SSO admins must approve.", account)
		default:
			return fmt.Sprintf("No usable owner of %s, so an SSO admin must approve.", account)
		}
	}
	return ""
}

// ruleReason explains an approval by rule.
func (e *evaluation) ruleReason(a Approval) string {
	if a.Stage == StageAuto {
		return fmt.Sprintf("Approved by rule %s (%s).", strings.TrimPrefix(a.By, RuleApproverPrefix), a.Note)
	}
	as := ""
	if a.As != "" && !strings.EqualFold(a.As, "@"+e.author) {
		as = " (as " + a.As + ")"
	}
	head := fmt.Sprintf("Approved at once as emergency access for @%s%s", e.author, as)
	if reviews := PostHocReviews(e.d); len(reviews) > 0 {
		return fmt.Sprintf("%s; reviewed after the fact by @%s.", head, reviews[0].By)
	}
	who := "an SSO admin"
	if e.ownersUsable {
		who = fmt.Sprintf("an owner of %s or an SSO admin", e.accountName())
	}
	within := schema.DefaultEmergencyReviewWithin
	if em := e.in.Policy.Emergency; em != nil {
		within = em.ReviewWithinDuration()
	}
	return fmt.Sprintf("%s; %s must review it within %s.", head, who, formatWithin(within))
}

// stageHolder is the first approver who filled stage, or "".
func (e *evaluation) stageHolder(stage string) string {
	for _, a := range e.d.Approvals {
		if a.Stage == stage {
			return a.By
		}
	}
	return ""
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// sentence joins a fixed head and a detail from elsewhere into one line
// ending with a full stop.
func sentence(head, detail string) string {
	detail = oneLine(detail)
	if detail == "" {
		return head + "."
	}
	if !strings.HasSuffix(detail, ".") {
		detail += "."
	}
	return head + ": " + detail
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(strings.TrimSpace(s), "\n", "; ")), " ")
}

func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
