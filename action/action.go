// Package action is the reconcile loop that the GitHub Action runs: it reads
// every grant on main, plans with the lifecycle package, carries the plan out
// in IAM Identity Center and records each transition as its own commit.
//
// The loop is level-triggered: each run works from what main says now, not
// from events, so a delayed, skipped, repeated or crashed run is corrected by
// the next one. The order of every transition is AWS first, git second; the
// one exception is the intent `activating`, which is committed and pushed
// before the first AWS call of an activation so that exactly one run (the one
// whose push wins) owns it, and so that a run that crashed between the AWS
// change and its commit is recognised.
//
// Choices where the design is silent:
//   - Drift: an active grant whose assignment disappeared from AWS (someone
//     removed it by hand) is ended, not kept: it is recorded as `revoked`
//     with the reason, under the trailer `Jit-Event: drift`. Recording it as
//     still active would make the audit log claim access that no longer
//     exists, and re-creating it would undo an administrator's decision.
//   - An `activating` intent older than Options.StaleAfter is taken to be a
//     crashed run's and is resumed (Identity Center calls are idempotent and
//     the claim decision is in the intent). A resumed grant keeps the expiry
//     fixed when the activation started: a grant never lasts longer than any
//     record of it says. If that expiry has already passed, the grant is
//     revoked (idempotently) and recorded as expired.
//   - A run that lost the race for an intent leaves the grant to the winner
//     and reports it as pending.
package action

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/jit-access/jit/app"
	"github.com/jit-access/jit/approval"
	"github.com/jit-access/jit/change"
	"github.com/jit-access/jit/clock"
	"github.com/jit-access/jit/identitycenter"
	"github.com/jit-access/jit/ledger"
	"github.com/jit-access/jit/lifecycle"
)

// IdentityCenter lists the calls the reconcile makes to IAM Identity Center;
// *identitycenter.Client implements it.
type IdentityCenter interface {
	UserID(ctx context.Context, userName string) (string, error)
	Claim(ctx context.Context, g identitycenter.Grant) (identitycenter.Granted, error)
	Grant(ctx context.Context, g identitycenter.Grant) (identitycenter.Granted, error)
	Revoke(ctx context.Context, r identitycenter.Revocation) (identitycenter.Revoked, error)
	AssignmentExists(ctx context.Context, accountID, permissionSetARN, principalID string) (bool, error)
	ManagedPermissionSets(ctx context.Context) ([]identitycenter.ManagedSet, error)
	DeleteManagedPermissionSet(ctx context.Context, arn string) error
}

// Ledger lists what the reconcile does with the clone of the access
// repository; *ledger.Repo implements it.
type Ledger interface {
	Requests(ctx context.Context) ([]lifecycle.Grant, error)
	Objects(ctx context.Context, names []string, fn func(i int, data []byte) error) error
	Git(ctx context.Context, args ...string) ([]byte, error)
	Commit(ctx context.Context, c ledger.Change) (string, error)
	Push(ctx context.Context, remote, branch string, replan func(ctx context.Context) error) error
	Sync(ctx context.Context, remote, branch string) ([]string, error)
}

// GitHub gives the facts about a merged request pull request that the
// approval check needs, for the access repository. NewGitHub builds it on
// go-github.
type GitHub interface {
	// PullRequestsWithCommit lists the numbers of the pull requests GitHub
	// associates with a commit (for a commit on main: the merged pull
	// requests that introduced it).
	PullRequestsWithCommit(ctx context.Context, sha string) ([]int, error)
	PullRequest(ctx context.Context, number int) (*app.PR, error)
	// File reads a file at a commit, e.g. the request at the merged head.
	File(ctx context.Context, path, ref string) ([]byte, error)
	PullRequestFiles(ctx context.Context, number int) ([]change.File, error)
	PullRequestCommits(ctx context.Context, number int) ([]approval.Commit, error)
	Reviews(ctx context.Context, number int) ([]approval.Review, error)
	IsTeamMember(ctx context.Context, org, slug, user string) (bool, error)
}

// Defaults of Options.
const (
	DefaultWorkers    = 10
	DefaultStaleAfter = 10 * time.Minute
	DefaultRemote     = "origin"
	DefaultBranch     = "main"
)

// Options configure a Reconciler.
type Options struct {
	Ledger         Ledger
	IdentityCenter IdentityCenter
	// GitHub checks approvals before provisioning. Nil means no
	// credentials: activations are refused (reported, left pending) while
	// expiries and revocations still run.
	GitHub GitHub
	// Bot is the App's own login; its reviews never count.
	Bot string
	// Remote and Branch are where main is pushed. Default origin and main.
	Remote, Branch string
	// Workers bounds the AWS operations run at once. The identitycenter
	// client limits requests and assignment operations in flight itself;
	// this only keeps enough work queued to use those limits. Default 10.
	Workers int
	// StaleAfter is how old an `activating` intent of another run must be
	// before this run takes it for a crashed run's and resumes it.
	// Default 10 minutes: well above one activation's duration.
	StaleAfter time.Duration
	// Clock is "now"; tests and the sandbox share a clock.Offset with the
	// emulators. Default the system clock.
	Clock  clock.Clock
	Logger *slog.Logger
}

// RunOptions configure one run.
type RunOptions struct {
	// Lookahead makes the run wait for grants that expire within it and
	// revoke each at its exact time. Zero or negative: no waiting.
	Lookahead time.Duration
	// DryRun plans and reports without changing AWS or git.
	DryRun bool
}

// Reconciler carries out plans. It keeps no state between runs that matters
// for correctness; everything is read again from main and AWS.
type Reconciler struct {
	opts Options
	log  *slog.Logger
}

// New builds a Reconciler; Ledger and IdentityCenter are required.
func New(opts Options) (*Reconciler, error) {
	if opts.Ledger == nil {
		return nil, errors.New("action: Options.Ledger is required")
	}
	if opts.IdentityCenter == nil {
		return nil, errors.New("action: Options.IdentityCenter is required")
	}
	if opts.Remote == "" {
		opts.Remote = DefaultRemote
	}
	if opts.Branch == "" {
		opts.Branch = DefaultBranch
	}
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	if opts.StaleAfter <= 0 {
		opts.StaleAfter = DefaultStaleAfter
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Reconciler{opts: opts, log: opts.Logger}, nil
}
