// Package approval decides whether a request pull request is approved. It is
// pure: it reads the pull request's facts through a small read-only interface
// and returns a Decision that says the state, who must review next, which
// reviews counted (and for which stage), and why every other review did not.
//
// The policy (see Evaluate for the details and the choices made):
//
//   - KindStandard: one approval by an owner of the account or an SSO admin.
//   - KindCustom: an owner approves, then an SSO admin; two different people.
//     A person who is both may fill either stage, never both.
//   - KindAdminChange (a pull request that is not a plain request: it edits
//     the config, CODEOWNERS, workflows, another request...): one SSO admin.
//     Owners do not count: such a change can alter who owns what.
//   - Only approvals of the current head commit count, and never those of the
//     pull request's author, of anyone who authored or committed one of its
//     commits, or of the App itself.
//   - Fail closed: when CODEOWNERS is unusable or lists no usable owner for
//     the request, only SSO admins approve, and in a custom request two
//     different admins fill the two stages.
//
// Request policies of the config (see Policy and PolicyFor):
//
//   - auto_approve: a standard request that meets every condition of one
//     rule (requester, duration, working hours at Input.Now) is approved
//     with the rule as the approver (stage auto). Custom sets never are.
//   - emergency: a standard request with emergency: true from an emergency
//     requester, within the emergency cap, is approved at once (stage
//     emergency, Decision.Emergency); the owners and admins are still asked
//     to review it after the fact (PostHocReviewed, PostHocOverdue).
//   - require_review_note: an approval or request for changes without a
//     written reason does not count.
//
// A request for changes by an owner or admin blocks in every case.
//
// The engine is a pipeline: each user's deciding review goes through filters
// that either let it count or record why it does not; the reviews that pass
// are then assigned to stages. New rules (e.g. a required review note) are
// new filters; rule-based approvals (auto-approval, break-glass) are new
// sources of approvals with their own stage.
package approval

import (
	"time"
)

// Kind is what a pull request asks for, which decides the approval policy.
type Kind string

// The kinds of pull request.
const (
	// KindStandard requests a permission set the account already offers.
	KindStandard Kind = "standard"
	// KindCustom requests a permission set defined in the request.
	KindCustom Kind = "custom"
	// KindAdminChange is any pull request that is not exactly one new request
	// file; it needs one SSO admin's approval.
	KindAdminChange Kind = "admin-change"
)

// Review states as GitHub reports them.
const (
	ReviewApproved         = "APPROVED"
	ReviewChangesRequested = "CHANGES_REQUESTED"
	ReviewCommented        = "COMMENTED"
	ReviewDismissed        = "DISMISSED"
	ReviewPending          = "PENDING"
)

// Stages an approval can fill.
const (
	StageOwner = "owner"
	StageAdmin = "admin"
)

// Review is one pull request review as GitHub reports it.
type Review struct {
	ID int64
	// User is the reviewer's login; "" for a deleted account.
	User string
	// UserID is GitHub's immutable id of the reviewer's account (see
	// Input.Identity).
	UserID int64
	// State is one of the Review* constants.
	State string
	// CommitID is the head SHA the review was submitted on.
	CommitID    string
	SubmittedAt time.Time
	Body        string
	// DismissedBy and DismissedState, for a DISMISSED review, are who
	// dismissed it and what it was (APPROVED or CHANGES_REQUESTED), from
	// GitHub's review_dismissed timeline event; empty when unknown.
	DismissedBy    string
	DismissedState string
}

// Commit is one commit of the pull request.
type Commit struct {
	SHA string
	// Author and Committer are GitHub logins; "" when the commit's email is
	// not linked to an account.
	Author    string
	Committer string
	// Parents are the commit's parents, as GitHub lists them.
	Parents []string
}

// PullRequest gives the facts about a pull request the engine needs. Errors
// are returned from Evaluate unchanged but wrapped; callers fail closed.
type PullRequest interface {
	// Author is the login of the pull request's author (the requester).
	Author() string
	// HeadSHA is the commit the decision is about.
	HeadSHA() string
	Commits() ([]Commit, error)
	Reviews() ([]Review, error)
}

// Teams resolves team membership.
type Teams interface {
	// IsMember reports whether user is a member of team ("org/slug").
	IsMember(team, user string) (bool, error)
}

// Input is what the engine knows besides the pull request: the request's
// kind and validation result, and the rules from the base branch.
type Input struct {
	Kind Kind
	// Invalid is set when validation failed; nothing is counted then.
	Invalid       bool
	InvalidReason string
	// Account is the account's name, for messages.
	Account string
	// RequestedDuration is the access duration the request asks for.
	RequestedDuration time.Duration
	// Owners are the account's owners from CODEOWNERS (base branch) for the
	// request file's path, as written: "@user" or "@org/team".
	Owners []string
	// OwnersErr is set when CODEOWNERS could not be used; only admins then
	// approve.
	OwnersErr error
	// Admins are the SSO admins from the config: "@user" or "@org/team".
	Admins []string
	// Bot is the App's own login; its reviews never count.
	Bot string
	// Policy holds the config's request policies for this pull request
	// (PolicyFor): auto-approval rules, break-glass, required review notes.
	Policy Policy
	// Now is the moment the time-dependent rules (an auto_approve rule's
	// working_hours) are judged at, and the time recorded on approvals by
	// rule. Pass the time the head commit was first evaluated (e.g. the
	// started_at of the head's first jit/approval check run, or the time of
	// the event that opened or pushed it), not the time of each evaluation:
	// a re-evaluation of the same head, and the check before provisioning,
	// must then reach the same decision. With a zero Now, no rule with
	// working_hours matches.
	Now time.Time
	// Identity, when set, says whether the account with GitHub id id is the
	// one the config knows as login (schema.Config.CheckIdentity): an
	// approval by another account that took a pinned login never counts.
	Identity func(login string, id int64) error
}

// State is where a request stands.
type State string

// The states. Pending states name whose review is awaited next.
const (
	StateInvalid      State = "invalid"
	StatePendingOwner State = "pending-owner"
	StatePendingAdmin State = "pending-admin"
	StateApproved     State = "approved"
	StateRejected     State = "rejected"
)

// Approval is a review, or a rule, that counts.
type Approval struct {
	// By is the reviewer's login, or for a rule RuleApproverPrefix plus
	// the rule's name, or EmergencyApprover.
	By    string
	Stage string // StageOwner, StageAdmin, StageAuto or StageEmergency
	// As is the owner or admin entry that made By eligible, as written
	// ("@acme/payments-leads", "@alice"); for a rule, the requesters entry
	// that matched the requester, if the rule has requesters.
	As string
	// At is when the review was submitted; for a rule, Input.Now.
	At time.Time
	// ReviewID is 0 for a rule.
	ReviewID int64
	// Note is the review's body without jit: directives, trimmed; for an
	// auto_approve rule, its conditions.
	Note string
	// Duration is the shortened access duration this approval asked for
	// ("jit: duration 2h"); 0 when it did not shorten.
	Duration time.Duration
}

// Rejection is a request for changes that blocks the request.
type Rejection struct {
	By       string
	As       string
	At       time.Time
	ReviewID int64
	CommitID string
	Note     string
}

// Ignored is a review that does not count, and why.
type Ignored struct {
	Review Review
	Reason string
}

// IgnoredDirective is a jit: line in a counted approval that had no effect;
// the approval itself still counts.
type IgnoredDirective struct {
	By       string
	ReviewID int64
	Line     string
	Reason   string
}

// Decision is the outcome of Evaluate.
type Decision struct {
	State State
	Kind  Kind
	// HeadSHA is the commit the decision is about.
	HeadSHA string
	// NextReviewers are who must review next, as written (owner or admin
	// entries; for a rejection, the reviewers who asked for changes).
	NextReviewers []string
	Approvals     []Approval
	Rejections    []Rejection
	Ignored       []Ignored
	// IgnoredDirectives are jit: lines of counted approvals that did nothing.
	IgnoredDirectives []IgnoredDirective
	// Warnings are facts a reviewer should know (unlinked commit authors,
	// unusable owners).
	Warnings          []string
	RequestedDuration time.Duration
	// EffectiveDuration is the requested duration, shortened by the
	// shortest "jit: duration" of a counted approval.
	EffectiveDuration time.Duration
	// Emergency is set when the emergency rule approved the request as
	// break-glass access; its owners' and admins' approvals are then its
	// review after the fact (PostHocReviewed) and, until there is one,
	// NextReviewers asks them for it. A request for changes by an owner or
	// admin still blocks it (StateRejected).
	Emergency bool
	// AutoApproveMisses say why each auto_approve rule did not approve,
	// when none did.
	AutoApproveMisses []RuleMiss
	// Reason is one sentence for humans.
	Reason string
}

// Approved reports whether the policy is met.
func (d Decision) Approved() bool { return d.State == StateApproved }

// Label is the pull request label for the state ("jit:pending-owner",
// "jit:invalid", ...); "" for a zero Decision. Labels adds jit:emergency
// for emergency access.
func (d Decision) Label() string {
	if d.State == "" {
		return ""
	}
	return "jit:" + string(d.State)
}
