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
	StateRevoking = "revoking" // a revocation was asked for (/jit revoke) and is not yet confirmed by AWS
	StateActive   = "active"   // provisioned in AWS
	StateExpired  = "expired"  // revoked in AWS because the duration ran out
	StateRevoked  = "revoked"  // revoked in AWS before the expiry
	StateFailed   = "failed"   // never provisioned; Reason says why
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
	// Preexisting is true when the assignment existed before jit granted it:
	// jit then never removes it.
	Preexisting bool `yaml:"preexisting,omitempty" json:"preexisting,omitempty"`
	// Notes carry facts an auditor should see, e.g. that live sessions of a
	// shared set may outlast the revocation.
	Notes []string `yaml:"notes,omitempty" json:"notes,omitempty"`
}

// Approval is one review that counted towards the decision.
type Approval struct {
	By    string    `yaml:"by" json:"by"`
	Stage string    `yaml:"stage" json:"stage"` // "owner" or "admin"
	At    time.Time `yaml:"at" json:"at"`
	Note  string    `yaml:"note,omitempty" json:"note,omitempty"`
}

// Config is .github/jit.yaml, owned by the SSO admins and always read from the
// base branch.
type Config struct {
	Version        int               `yaml:"version" json:"version"`
	IdentityCenter IdentityCenter    `yaml:"identity_center" json:"identity_center"`
	Admins         []string          `yaml:"admins" json:"admins"`
	Users          map[string]string `yaml:"users,omitempty" json:"users,omitempty"`
	Accounts       []Account         `yaml:"accounts" json:"accounts"`
	PermissionSets []PermissionSet   `yaml:"permission_sets,omitempty" json:"permission_sets,omitempty"`
	RequestTTL     string            `yaml:"request_ttl,omitempty" json:"request_ttl,omitempty"`
	EscalateAfter  string            `yaml:"escalate_after,omitempty" json:"escalate_after,omitempty"`
}

// IdentityCenter locates the organisation's IAM Identity Center instance.
type IdentityCenter struct {
	Region          string `yaml:"region" json:"region"`
	InstanceARN     string `yaml:"instance_arn" json:"instance_arn"`
	IdentityStoreID string `yaml:"identity_store_id" json:"identity_store_id"`
}

// Account is one AWS account that can be requested.
type Account struct {
	Name           string   `yaml:"name" json:"name"`
	ID             string   `yaml:"id" json:"id"`
	PermissionSets []string `yaml:"permission_sets" json:"permission_sets"`
	MaxDuration    string   `yaml:"max_duration,omitempty" json:"max_duration,omitempty"`
}

// PermissionSet is a standard (pre-existing, admin-managed) permission set.
type PermissionSet struct {
	Name        string `yaml:"name" json:"name"`
	ARN         string `yaml:"arn" json:"arn"`
	MaxDuration string `yaml:"max_duration,omitempty" json:"max_duration,omitempty"`
	// Isolate gives every grant of this set its own JIT- copy with an expiry
	// guard, so that standard grants also end on time in AWS.
	Isolate bool `yaml:"isolate,omitempty" json:"isolate,omitempty"`
}
