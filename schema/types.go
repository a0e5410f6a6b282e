package schema

import "time"

// Request is one request file under requests/<account>/<name>.yaml.
//
// The requester adds every field but Status in a pull request; after the
// merge only the reconcile Action writes the file, and only its Status.
type Request struct {
	// Account is an account name or 12-digit id from the config.
	Account string `yaml:"account" json:"account"`
	// PermissionSet names a standard set the account offers. Exactly one of
	// PermissionSet and CustomPermissionSet is set.
	PermissionSet string `yaml:"permission_set,omitempty" json:"permission_set,omitempty"`
	// CustomPermissionSet defines a permission set at request time.
	CustomPermissionSet *CustomPermissionSet `yaml:"custom_permission_set,omitempty" json:"custom_permission_set,omitempty"`
	// Duration is the access duration as written ("4h", "1d", "1mo").
	Duration string `yaml:"duration" json:"duration"`
	// Justification says why the access is needed.
	Justification string `yaml:"justification" json:"justification"`
	// Emergency asks for break-glass access: approved at once for the
	// config's emergency.requesters, up to emergency.max_duration, and
	// reviewed by the owners and admins afterwards.
	Emergency bool `yaml:"emergency,omitempty" json:"emergency,omitempty"`
	// Start is start_at as written: an RFC 3339 time at which the grant is
	// to be activated (see StartAt). Empty when the grant starts on merge.
	Start string `yaml:"start_at,omitempty" json:"start_at,omitempty"`
	// Extends is the path of the request file of an active grant on main
	// whose end this request moves (see CheckExtension). Empty for a
	// request that asks for access of its own.
	Extends string `yaml:"extends,omitempty" json:"extends,omitempty"`
	// Status is written by the reconcile Action after the merge.
	Status *Status `yaml:"status,omitempty" json:"status,omitempty"`
}

// CustomPermissionSet is a permission set defined by the request; jit creates
// it in AWS as JIT-<Name> and deletes it when the grant ends.
type CustomPermissionSet struct {
	Name            string   `yaml:"name" json:"name"`
	SessionDuration string   `yaml:"session_duration" json:"session_duration"`
	ManagedPolicies []string `yaml:"managed_policies,omitempty" json:"managed_policies,omitempty"`
	// InlinePolicy is the IAM policy document as minified JSON, whether the
	// file wrote it as a YAML mapping or as a JSON string. Empty when absent.
	InlinePolicy string `yaml:"-" json:"inline_policy,omitempty"`
}

// Grant states recorded in Status.State.
const (
	// StateActivating is the intent the reconcile records, committed and
	// pushed before its first AWS call for a grant, so that a run that
	// crashed between the AWS change and the commit is recognised and the
	// grant is activated again (idempotently) rather than forgotten.
	StateActivating = "activating"
	StateRevoking   = "revoking" // a revocation was asked for (/jit revoke) and is not yet confirmed by AWS
	StateActive     = "active"   // provisioned in AWS
	StateExpired    = "expired"  // revoked in AWS because the duration ran out
	StateRevoked    = "revoked"  // revoked in AWS before the expiry
	StateFailed     = "failed"   // never provisioned; Reason says why
	// StateExtended ends a request with extends: once the grant it extends
	// has its new end: that grant holds the access from then on, and its
	// status lists this request among its Extensions.
	StateExtended = "extended"
)

// Status is the grant's state on main, written only by the reconcile Action
// (and, for StateRevoking, by the App on a /jit revoke comment).
type Status struct {
	State       string `yaml:"state" json:"state"`
	PullRequest int    `yaml:"pull_request,omitempty" json:"pull_request,omitempty"`
	// Requester is the pull request's author (a GitHub login).
	Requester string `yaml:"requester,omitempty" json:"requester,omitempty"`
	// Duration is the effective access duration after any approver shortened it.
	Duration  string     `yaml:"duration,omitempty" json:"duration,omitempty"`
	Approvals []Approval `yaml:"approvals,omitempty" json:"approvals,omitempty"`
	MergedAt  *time.Time `yaml:"merged_at,omitempty" json:"merged_at,omitempty"`
	// ActivatedAt is when AWS confirmed the assignment.
	ActivatedAt *time.Time `yaml:"activated_at,omitempty" json:"activated_at,omitempty"`
	ExpiresAt   *time.Time `yaml:"expires_at,omitempty" json:"expires_at,omitempty"`
	// EndedAt is when AWS confirmed the revocation, or when the grant failed.
	EndedAt *time.Time `yaml:"ended_at,omitempty" json:"ended_at,omitempty"`
	// Reason says why the grant failed or was revoked.
	Reason string `yaml:"reason,omitempty" json:"reason,omitempty"`
	// RevokedBy is the login that asked for the revocation.
	RevokedBy string `yaml:"revoked_by,omitempty" json:"revoked_by,omitempty"`
	// RevokeRequestedAt is when the revocation was asked for.
	RevokeRequestedAt *time.Time `yaml:"revoke_requested_at,omitempty" json:"revoke_requested_at,omitempty"`
	// PermissionSetARN is the set the assignment uses (a JIT- set for custom
	// and isolated grants).
	PermissionSetARN string `yaml:"permission_set_arn,omitempty" json:"permission_set_arn,omitempty"`
	// PrincipalID is the Identity Center user id the assignment was made
	// for: a revocation must not depend on the config still mapping the
	// requester to a user.
	PrincipalID string `yaml:"principal_id,omitempty" json:"principal_id,omitempty"`
	// Preexisting is true when the assignment existed before jit granted it:
	// jit then never removes it.
	Preexisting bool `yaml:"preexisting,omitempty" json:"preexisting,omitempty"`
	// Notes carry facts an auditor should see, e.g. that live sessions of a
	// shared set may outlast the revocation.
	Notes []string `yaml:"notes,omitempty" json:"notes,omitempty"`
	// PostHocReviews are the reviews of an emergency grant given after it
	// was approved by the emergency rule: the owners' and admins' review
	// after the fact.
	PostHocReviews []Approval `yaml:"post_hoc_reviews,omitempty" json:"post_hoc_reviews,omitempty"`
	// Extensions are the requests that moved this grant's end, oldest
	// first; the last one's ExpiresAt is the end (see Request.Expiry).
	Extensions []Extension `yaml:"extensions,omitempty" json:"extensions,omitempty"`
}

// Extension is one move of a grant's end by a request with extends:.
type Extension struct {
	// Request is the extending request's file.
	Request     string `yaml:"request" json:"request"`
	PullRequest int    `yaml:"pull_request,omitempty" json:"pull_request,omitempty"`
	// PreviousExpiresAt is the end before the move, ExpiresAt the end after.
	PreviousExpiresAt time.Time `yaml:"previous_expires_at" json:"previous_expires_at"`
	ExpiresAt         time.Time `yaml:"expires_at" json:"expires_at"`
	// At is when the reconcile moved the end.
	At time.Time `yaml:"at" json:"at"`
}

// Approval is one review or rule that counted towards the decision.
type Approval struct {
	// By is the reviewer's login, or for a rule the rule's name:
	// "rule:accounts/<account>/auto_approve[<i>]",
	// "rule:permission_sets/<set>/auto_approve[<i>]" or "emergency".
	By    string    `yaml:"by" json:"by"`
	Stage string    `yaml:"stage" json:"stage"` // "owner", "admin", "auto" or "emergency"
	At    time.Time `yaml:"at" json:"at"`
	Note  string    `yaml:"note,omitempty" json:"note,omitempty"`
}

// Config is .github/jit.yaml, owned by the SSO admins and always read from the
// base branch.
type Config struct {
	Version        int             `yaml:"version" json:"version"`
	IdentityCenter IdentityCenter  `yaml:"identity_center" json:"identity_center"`
	Admins         []string        `yaml:"admins" json:"admins"`
	Users          map[string]User `yaml:"users,omitempty" json:"users,omitempty"`
	Accounts       []Account       `yaml:"accounts" json:"accounts"`
	PermissionSets []PermissionSet `yaml:"permission_sets,omitempty" json:"permission_sets,omitempty"`
	RequestTTL     string          `yaml:"request_ttl,omitempty" json:"request_ttl,omitempty"`
	EscalateAfter  string          `yaml:"escalate_after,omitempty" json:"escalate_after,omitempty"`
	// Emergency enables break-glass requests (emergency: true); nil when
	// they are not allowed.
	Emergency *Emergency `yaml:"emergency,omitempty" json:"emergency,omitempty"`
	// RequireReviewNote makes approvals and requests for changes count only
	// when the review says why in words (besides any jit: directive).
	RequireReviewNote bool `yaml:"require_review_note,omitempty" json:"require_review_note,omitempty"`
	// AllowManagementAccount allows requests for the account marked
	// ManagementAccount; they are refused otherwise.
	AllowManagementAccount bool `yaml:"allow_management_account,omitempty" json:"allow_management_account,omitempty"`
}

// Emergency is the break-glass policy: who may ask for access that is
// approved at once, for how long, and how soon the owners or admins must
// review it afterwards.
type Emergency struct {
	// Requesters are users ("@login") and teams ("@org/team").
	Requesters  []string `yaml:"requesters" json:"requesters"`
	MaxDuration string   `yaml:"max_duration" json:"max_duration"`
	// ReviewWithin is how long after the approval the post-hoc review may
	// take (30m, 24h, 2d); DefaultEmergencyReviewWithin when empty.
	ReviewWithin string `yaml:"review_within,omitempty" json:"review_within,omitempty"`
}

// AutoApproveRule approves a standard request without a human reviewer
// when all of its conditions hold. A rule has at least one condition.
type AutoApproveRule struct {
	// Requesters limits the rule to these users ("@login") and teams
	// ("@org/team").
	Requesters []string `yaml:"requesters,omitempty" json:"requesters,omitempty"`
	// PermissionSets limits an account's rule to these of its sets; a
	// permission set's rules cannot have it.
	PermissionSets []string `yaml:"permission_sets,omitempty" json:"permission_sets,omitempty"`
	// MaxDuration is the longest access duration the rule approves.
	MaxDuration string `yaml:"max_duration,omitempty" json:"max_duration,omitempty"`
	// WorkingHours limits the rule to a weekly time window.
	WorkingHours *WorkingHours `yaml:"working_hours,omitempty" json:"working_hours,omitempty"`
}

// WorkingHours is a weekly window in a time zone: the days it is open and
// the time of day from which (inclusive) until which (exclusive) it is.
type WorkingHours struct {
	// TimeZone is an IANA time zone name such as Europe/Berlin.
	TimeZone string `yaml:"time_zone" json:"time_zone"`
	// Days are mon, tue, wed, thu, fri, sat, sun.
	Days []string `yaml:"days" json:"days"`
	// From and To are "HH:MM" on a 24-hour clock; From is before To.
	From string `yaml:"from" json:"from"`
	To   string `yaml:"to" json:"to"`
}

// IdentityCenter locates the organisation's IAM Identity Center instance.
type IdentityCenter struct {
	Region          string `yaml:"region" json:"region"`
	InstanceARN     string `yaml:"instance_arn" json:"instance_arn"`
	IdentityStoreID string `yaml:"identity_store_id" json:"identity_store_id"`
	// KMSKeyARN is the instance's customer managed key, when it has one.
	KMSKeyARN string `yaml:"kms_key_arn,omitempty" json:"kms_key_arn,omitempty"`
}

// Account is one AWS account that can be requested.
type Account struct {
	Name           string   `yaml:"name" json:"name"`
	ID             string   `yaml:"id" json:"id"`
	PermissionSets []string `yaml:"permission_sets" json:"permission_sets"`
	MaxDuration    string   `yaml:"max_duration,omitempty" json:"max_duration,omitempty"`
	// Requesters, when set, are the only users ("@login") and teams
	// ("@org/team") who may request this account.
	Requesters []string `yaml:"requesters,omitempty" json:"requesters,omitempty"`
	// ManagementAccount marks the organisation's management account, where
	// assignments need extra IAM permissions and are impossible from a
	// delegated administrator.
	ManagementAccount bool `yaml:"management_account,omitempty" json:"management_account,omitempty"`
	// AutoApprove rules approve standard requests for this account.
	AutoApprove []AutoApproveRule `yaml:"auto_approve,omitempty" json:"auto_approve,omitempty"`
}

// PermissionSet is a standard (pre-existing, admin-managed) permission set.
type PermissionSet struct {
	Name        string `yaml:"name" json:"name"`
	ARN         string `yaml:"arn" json:"arn"`
	MaxDuration string `yaml:"max_duration,omitempty" json:"max_duration,omitempty"`
	// Isolate gives every grant of this set its own JIT- copy with an expiry
	// guard, so that standard grants also end on time in AWS.
	Isolate bool `yaml:"isolate,omitempty" json:"isolate,omitempty"`
	// Requesters, when set, are the only users ("@login") and teams
	// ("@org/team") who may request this set, on any account.
	Requesters []string `yaml:"requesters,omitempty" json:"requesters,omitempty"`
	// AutoApprove rules approve requests for this set, on any account.
	AutoApprove []AutoApproveRule `yaml:"auto_approve,omitempty" json:"auto_approve,omitempty"`
}
