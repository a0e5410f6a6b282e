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
//   - One run at a time, by construction: a run first takes the reconcile
//     lease (ledger.LeaseRef on the remote: owner and expiry), renews it
//     every third of its TTL (a minute) and pushes every transition
//     atomically with a renewal that expects its own lease, so a run that
//     lost the lease records nothing and stops. A second run waits for the
//     lease up to Options.LeaseWait, then stops without doing anything
//     (Report.Skipped). A crashed run's lease runs out a minute after its
//     last renewal.
//   - An `activating` intent found by the run holding the lease is a
//     stopped run's and is resumed at once (Identity Center calls are
//     idempotent and the claim decision is in the intent). A resumed grant keeps the expiry
//     fixed when the activation started: a grant never lasts longer than any
//     record of it says. If that expiry has already passed, the grant is
//     revoked (idempotently) and recorded as expired.
//   - A run that lost the race for an intent leaves the grant to the winner
//     and reports it as pending.
//   - Scheduled start (start_at): a merged request is not provisioned before
//     its start_at; it stays without a status and is reported as scheduled.
//     A run whose lookahead reaches start_at waits and activates it then,
//     as it waits for expiries. It expires at start_at plus its effective
//     duration however late it was activated; when that has passed before
//     it could be provisioned (merged too late), it is recorded as failed.
//   - Break-glass: an emergency grant is provisioned like an approved one,
//     with the emergency approval in status.approvals. The owners' and
//     admins' approvals of its pull request are its review after the fact,
//     kept in status.post_hoc_reviews: every run reads them again for live
//     emergency grants and for ended ones still unreviewed, commits what is
//     new (Jit-Event: post-hoc-review; a recorded review is never removed)
//     and reports grants whose emergency.review_within passed unreviewed.
//   - Notifications (Options.Notifier) are best effort and sent after the
//     commit that records the transition; a message that cannot be
//     delivered is logged and never fails the run. "Expiring" goes out once
//     per grant without any record in git: each run warns about the grants
//     whose warning time (expiry minus Options.ExpiringNotice) falls in its
//     own window (its start to the end of its lookahead), waiting for it as
//     for an expiry. Runs are serialised (the lease),
//     and a run lives until the last time in its window it has to act on,
//     so no two runs warn about the same grant. A schedule late by more
//     than the lookahead can skip a warning; it never repeats one. Set the
//     lookahead to the schedule's interval so that the windows meet.
package action

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/jit-access/jit/internal/approval"
	"github.com/jit-access/jit/internal/change"
	"github.com/jit-access/jit/internal/clock"
	"github.com/jit-access/jit/internal/ghrepo"
	"github.com/jit-access/jit/internal/identitycenter"
	"github.com/jit-access/jit/internal/ledger"
	"github.com/jit-access/jit/internal/lifecycle"
	"github.com/jit-access/jit/internal/notify"
)

// IdentityCenter lists the calls the reconcile makes to IAM Identity Center;
// *identitycenter.Client implements it.
type IdentityCenter interface {
	UserID(ctx context.Context, userName string) (string, error)
	Claim(ctx context.Context, g identitycenter.Grant) (identitycenter.Granted, error)
	Grant(ctx context.Context, g identitycenter.Grant) (identitycenter.Granted, error)
	Revoke(ctx context.Context, r identitycenter.Revocation) (identitycenter.Revoked, error)
	// MoveExpiry moves the expiry guard of a grant's own JIT- set, for an
	// extension; the assignment is left alone.
	MoveExpiry(ctx context.Context, g identitycenter.Grant, arn string) error
	// AssignmentsOf lists every assignment of a user, for the drift check.
	AssignmentsOf(ctx context.Context, principalID string) (identitycenter.Assignments, error)
	PermissionSetARNs(ctx context.Context) ([]string, error)
	// ManagedPermissionSets describes the sets arns and returns jit's.
	ManagedPermissionSets(ctx context.Context, arns []string) ([]identitycenter.ManagedSet, error)
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
	// AcquireLease takes the reconcile lease on the remote; from then on
	// every Push renews it atomically with main.
	AcquireLease(ctx context.Context, opts ledger.LeaseOptions) (*ledger.Lease, error)
	// CheckSigning fails when main asks for signed records
	// (ledger.SignersPath) and this clone cannot make them.
	CheckSigning(ctx context.Context) (bool, error)
}

// GitHub gives the facts about a merged request pull request that the
// approval check needs, for the access repository: the calls of
// ghrepo.Client (ghrepo.New builds it on go-github) that the reconcile makes.
type GitHub interface {
	// PullRequestsWithCommit lists the pull requests GitHub associates
	// with a commit (for a commit on main: the merged pull requests that
	// introduced it).
	PullRequestsWithCommit(ctx context.Context, sha string) ([]*ghrepo.PR, error)
	PullRequest(ctx context.Context, number int) (*ghrepo.PR, error)
	// CheckRuns lists the check runs on a commit.
	CheckRuns(ctx context.Context, sha string) ([]ghrepo.CheckRun, error)
	// File reads a file at a commit, e.g. the request at the merged head,
	// with its blob SHA and GitHub's content type.
	File(ctx context.Context, path, ref string) (data []byte, sha, kind string, err error)
	PullRequestFiles(ctx context.Context, number int) ([]change.File, error)
	PullRequestCommits(ctx context.Context, number int) ([]approval.Commit, error)
	Reviews(ctx context.Context, number int) ([]approval.Review, error)
	IsTeamMember(ctx context.Context, org, slug, user string) (bool, error)
}

// Notifier tells people about transitions; *notify.Notifier implements it.
// Its error is only logged: a message that is not delivered never fails a
// grant or a run.
type Notifier interface {
	Notify(ctx context.Context, ev notify.Event) error
}

// Defaults of Options.
const (
	DefaultWorkers = 10
	DefaultRemote  = "origin"
	DefaultBranch  = "main"
	// DefaultExpiringNotice is how long before its expiry a grant is
	// announced as expiring.
	DefaultExpiringNotice = 15 * time.Minute
	// DefaultNotifyWait bounds how long a run waits at its end for
	// notifications still being delivered (retries included).
	DefaultNotifyWait = 30 * time.Second
	// DefaultLeaseTTL is how long the reconcile lease outlives its last
	// renewal: a crashed run's grants are resumed that long after it died.
	DefaultLeaseTTL = time.Minute
	// DefaultLeaseWait is how long a run waits for another run's lease
	// before it stops without doing anything.
	DefaultLeaseWait = 2 * time.Minute
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
	// AppID is the jit App's id, when known: the start of its first
	// jit/approval check run on a head commit is when that commit was
	// judged (working hours), as the App judged it. Zero: the merge time.
	AppID int64
	// Remote and Branch are where main is pushed. Default origin and main.
	Remote, Branch string
	// Workers bounds the AWS operations run at once. The identitycenter
	// client limits requests and assignment operations in flight itself;
	// this only keeps enough work queued to use those limits. Default 10.
	Workers int
	// LeaseTTL is how long the reconcile lease lasts without a renewal
	// (default DefaultLeaseTTL); the run renews it every third of that.
	// LeaseWait bounds the wait for another run's lease (default
	// DefaultLeaseWait; negative: none); LeasePoll is how often the waiting run looks
	// (default 2 s).
	LeaseTTL, LeaseWait, LeasePoll time.Duration
	// Owner names this run in the lease. Default: host, process id and a
	// random suffix.
	Owner string
	// Clock is "now"; tests and the sandbox share a clock.Offset with the
	// emulators. Default the system clock.
	Clock  clock.Clock
	Logger *slog.Logger
	// Notifier receives activated, expiring, expired, revoked and failed
	// events; nil sends none.
	Notifier Notifier
	// RepoURL is the access repository's web address
	// (https://github.com/OWNER/NAME): notifications link to RepoURL/pull/N
	// when the run did not read the pull request's own address.
	RepoURL string
	// ExpiringNotice is how long before its expiry a grant is announced as
	// expiring. Default DefaultExpiringNotice.
	ExpiringNotice time.Duration
	// NotifyWait bounds the wait for undelivered notifications at the end
	// of a run. Default DefaultNotifyWait.
	NotifyWait time.Duration
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
	opts.Remote = cmp.Or(opts.Remote, DefaultRemote)
	opts.Branch = cmp.Or(opts.Branch, DefaultBranch)
	opts.Workers = positiveOr(opts.Workers, DefaultWorkers)
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	opts.ExpiringNotice = positiveOr(opts.ExpiringNotice, DefaultExpiringNotice)
	opts.NotifyWait = positiveOr(opts.NotifyWait, DefaultNotifyWait)
	opts.LeaseTTL = positiveOr(opts.LeaseTTL, DefaultLeaseTTL)
	// A negative LeaseWait means do not wait; only zero takes the default.
	opts.LeaseWait = cmp.Or(opts.LeaseWait, DefaultLeaseWait)
	opts.LeaseWait = max(opts.LeaseWait, 0)
	if opts.Owner == "" {
		opts.Owner = defaultOwner()
	}
	opts.RepoURL = strings.TrimSuffix(opts.RepoURL, "/")
	return &Reconciler{opts: opts, log: opts.Logger}, nil
}

// positiveOr is v, or def when v is zero or negative: a count or a
// duration that only makes sense above zero.
func positiveOr[T ~int | ~int64](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}
