package approval

import (
	"fmt"
	"strings"
	"time"

	"github.com/jit-access/jit/schema"
)

// Stages filled by rules rather than reviewers.
const (
	// StageAuto is filled by an auto_approve rule of the config.
	StageAuto = "auto"
	// StageEmergency is filled by the break-glass rule.
	StageEmergency = "emergency"
)

// Approvers recorded for rules, in Approval.By.
const (
	// RuleApproverPrefix prefixes the name of the auto_approve rule that
	// approved: "rule:accounts/payments-prod/auto_approve[0]".
	RuleApproverPrefix = "rule:"
	// EmergencyApprover approves an emergency request.
	EmergencyApprover = "emergency"
)

// LabelEmergency marks a pull request approved as emergency access, in
// addition to its state label.
const LabelEmergency = "jit:emergency"

// Labels the App's sweep sets on a request with no decision: escalated to
// the SSO admins after escalate_after, expired (and closed) after
// request_ttl. The audit reads jit:expired back.
const (
	LabelExpired   = "jit:expired"
	LabelEscalated = "jit:escalated"
)

// Policy holds the config's request policies that apply to one pull
// request; PolicyFor builds it.
type Policy struct {
	// AutoApprove are the rules that may approve the request without a
	// reviewer, in the order they are tried. Only standard requests have
	// any.
	AutoApprove []schema.NamedRule
	// Emergency is the config's emergency block when the request asks for
	// break-glass access (emergency: true); nil otherwise.
	Emergency *schema.Emergency
	// RequireReviewNote makes approvals and requests for changes without a
	// written reason not count.
	RequireReviewNote bool
}

// PolicyFor picks the policies of cfg (from the base branch) that apply to
// req; req is nil for a pull request that is not a request (an admin
// change), which only require_review_note applies to. A custom permission
// set gets no auto_approve rules: it is never auto-approved.
func PolicyFor(cfg *schema.Config, req *schema.Request) Policy {
	if cfg == nil {
		return Policy{}
	}
	p := Policy{RequireReviewNote: cfg.RequireReviewNote}
	if req == nil {
		return p
	}
	if req.CustomPermissionSet == nil && req.PermissionSet != "" {
		p.AutoApprove = cfg.AutoApproveRules(req.Account, req.PermissionSet)
	}
	if req.Emergency && cfg.Emergency != nil {
		em := *cfg.Emergency
		p.Emergency = &em
	}
	return p
}

// RuleMiss is an auto_approve rule that did not approve, and why.
type RuleMiss struct {
	// Rule is the rule's name, e.g. "accounts/payments-prod/auto_approve[0]".
	Rule   string
	Reason string
}

// Labels are the pull request labels for the decision: the state's label
// and, for emergency access, LabelEmergency. Nil for a zero Decision.
func (d Decision) Labels() []string {
	if d.State == "" {
		return nil
	}
	if d.Emergency {
		return []string{d.Label(), LabelEmergency}
	}
	return []string{d.Label()}
}

// PostHocReviews are the owners' and SSO admins' approvals of an emergency
// request: its review after the fact. Nil when d is not emergency access.
func PostHocReviews(d Decision) []Approval {
	if !d.Emergency {
		return nil
	}
	var out []Approval
	for _, a := range d.Approvals {
		if a.Stage == StageOwner || a.Stage == StageAdmin {
			out = append(out, a)
		}
	}
	return out
}

// PostHocReviewed reports whether an emergency request has been reviewed
// after the fact: an owner or SSO admin approved its head commit. It is
// false for a request that is not emergency access.
func PostHocReviewed(d Decision) bool { return len(PostHocReviews(d)) > 0 }

// PostHocOverdue reports whether an emergency request still lacks its
// review after the fact, within (emergency.review_within) after the
// emergency approval. The sweep flags such grants. A request for changes
// by an owner or admin is no review either: it is overdue as well, and its
// Rejections say who objected.
func PostHocOverdue(d Decision, within time.Duration, now time.Time) bool {
	if !d.Emergency || PostHocReviewed(d) {
		return false
	}
	for _, a := range d.Approvals {
		if a.Stage == StageEmergency {
			// An emergency approval of unknown time is overdue: fail closed.
			return a.At.IsZero() || !now.Before(a.At.Add(within))
		}
	}
	return true
}

// applyRules approves by rule where the policy allows it: emergency access
// first, then the auto_approve rules. Only standard requests qualify.
func (e *evaluation) applyRules() error {
	if e.in.Kind != KindStandard {
		return nil
	}
	if em := e.in.Policy.Emergency; em != nil {
		ok, err := e.emergency(em)
		if ok || err != nil {
			return err
		}
	}
	if e.d.State == StateApproved || len(e.in.Policy.AutoApprove) == 0 {
		return nil
	}
	var misses []RuleMiss
	for _, r := range e.in.Policy.AutoApprove {
		as, why, err := e.ruleMiss(r.Rule)
		if err != nil {
			return err
		}
		if why != "" {
			misses = append(misses, RuleMiss{Rule: r.Name, Reason: why})
			continue
		}
		e.prependApproval(Approval{By: RuleApproverPrefix + r.Name, Stage: StageAuto, As: as, At: e.in.Now, Note: r.Rule.String()})
		e.d.State = StateApproved
		return nil
	}
	e.d.AutoApproveMisses = misses
	return nil
}

// emergency approves the request as break-glass access when its author is
// an emergency requester and it is within the emergency cap. Validation
// checks both; they are checked again here because the approval is checked
// again before provisioning, from the base branch's rules.
func (e *evaluation) emergency(em *schema.Emergency) (bool, error) {
	as, err := e.entryFor(e.usableEntries(em.Requesters, "emergency requester"), e.author)
	if err != nil {
		return false, err
	}
	if as == "" {
		e.warn(fmt.Sprintf("@%s is not one of the emergency requesters (%s), so the request is not approved as emergency access.", e.author, strings.Join(em.Requesters, ", ")))
		return false, nil
	}
	limit, err := em.MaxAccess()
	if err != nil || e.in.RequestedDuration <= 0 || e.in.RequestedDuration > limit {
		e.warn(fmt.Sprintf("The duration %s is longer than the %s emergency access allows, so the request is not approved as emergency access.",
			schema.FormatDuration(e.in.RequestedDuration), em.MaxDuration))
		return false, nil
	}
	e.d.Emergency = true
	e.prependApproval(Approval{By: EmergencyApprover, Stage: StageEmergency, As: as, At: e.in.Now})
	e.d.State = StateApproved
	return true, nil
}

// ruleMiss checks one rule's conditions, the free ones first, and returns
// the requesters entry that matched (if the rule has requesters) or why the
// rule does not apply.
func (e *evaluation) ruleMiss(r schema.AutoApproveRule) (as, why string, err error) {
	if len(r.Requesters) == 0 && r.MaxDuration == "" && r.WorkingHours == nil {
		return "", "it has no condition, and a rule needs at least one", nil
	}
	if r.MaxDuration != "" {
		limit, err := schema.ParseDuration(r.MaxDuration)
		if err != nil {
			return "", "its max_duration cannot be read: " + err.Error(), nil
		}
		if e.in.RequestedDuration <= 0 || e.in.RequestedDuration > limit {
			return "", fmt.Sprintf("the duration %s is longer than its max_duration %s", schema.FormatDuration(e.in.RequestedDuration), r.MaxDuration), nil
		}
	}
	if w := r.WorkingHours; w != nil {
		if e.in.Now.IsZero() {
			return "", "the time of the request is not known, so its working hours cannot be checked", nil
		}
		ok, err := w.Contains(e.in.Now)
		if err != nil {
			return "", "its working hours cannot be checked: " + err.Error(), nil
		}
		if !ok {
			// Contains succeeded, so the zone loads.
			loc, _ := time.LoadLocation(w.TimeZone)
			return "", fmt.Sprintf("%s is outside its working hours (%s)", e.in.Now.In(loc).Format("Mon 15:04 MST"), w), nil
		}
	}
	if len(r.Requesters) > 0 {
		as, err = e.entryFor(e.usableEntries(r.Requesters, "auto_approve requester"), e.author)
		if err != nil {
			return "", "", err
		}
		if as == "" {
			return "", fmt.Sprintf("@%s is not one of its requesters (%s)", e.author, strings.Join(r.Requesters, ", ")), nil
		}
	}
	return as, "", nil
}

// prependApproval puts a rule's approval first: it is the one that decided.
func (e *evaluation) prependApproval(a Approval) {
	e.d.Approvals = append([]Approval{a}, e.d.Approvals...)
}

// hasNote does not count a review without a written reason when the
// policy asks for one.
func hasNote(e *evaluation, c *candidate) (string, error) {
	if !e.in.Policy.RequireReviewNote {
		return "", nil
	}
	if _, note := parseBody(c.review.Body); note != "" {
		return "", nil
	}
	if c.review.State == ReviewChangesRequested {
		return "no written reason; require_review_note is on", nil
	}
	return "approval without a written reason; require_review_note is on", nil
}

// ruleApprover returns the approval that a rule gave, if any.
func ruleApprover(d Decision) (Approval, bool) {
	for _, a := range d.Approvals {
		if a.Stage == StageAuto || a.Stage == StageEmergency {
			return a, true
		}
	}
	return Approval{}, false
}

// formatWithin writes a wait in whole hours or minutes ("24h", "90m").
func formatWithin(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return fmt.Sprintf("%dm", d/time.Minute)
}
