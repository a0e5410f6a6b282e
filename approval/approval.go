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
	// State is one of the Review* constants.
	State string
	// CommitID is the head SHA the review was submitted on.
	CommitID    string
	SubmittedAt time.Time
	Body        string
}

// Commit is one commit of the pull request.
type Commit struct {
	SHA string
	// Author and Committer are GitHub logins; "" when the commit's email is
	// not linked to an account.
	Author    string
	Committer string
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

// Approval is a review that counts.
type Approval struct {
	By    string
	Stage string // StageOwner or StageAdmin
	// As is the owner or admin entry that made By eligible, as written
	// ("@acme/payments-leads", "@alice").
	As       string
	At       time.Time
	ReviewID int64
	// Note is the review's body without jit: directives, trimmed.
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
	// Reason is one sentence for humans.
	Reason string
}

// Approved reports whether the policy is met.
func (d Decision) Approved() bool { return d.State == StateApproved }

// Label is the pull request label for the state ("jit:pending-owner",
// "jit:invalid", ...); "" for a zero Decision.
func (d Decision) Label() string {
	if d.State == "" {
		return ""
	}
	return "jit:" + string(d.State)
}
