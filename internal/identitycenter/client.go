// Package identitycenter grants and revokes AWS access in IAM Identity Center
// through aws-sdk-go-v2 (sso-admin and identitystore).
//
// Every operation is idempotent and safe to repeat after a crash at any
// point: "already exists" on a grant and "already gone" on a revocation are
// success, and the permission sets jit creates are found again by their tags.
// Throttling, ConflictException and 5xx responses are retried by the SDK's
// standard retryer; a client-side token bucket and a bound on assignment
// operations in flight keep jit under Identity Center's quotas.
package identitycenter

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	"golang.org/x/time/rate"

	"github.com/jit-access/jit/internal/clock"
)

// Defaults follow Identity Center's documented quotas: about 20 requests/s
// shared by its APIs and 10 account-assignment operations in flight.
const (
	DefaultRequestsPerSecond      = 20
	DefaultMaxInFlightAssignments = 10
	DefaultPollInterval           = time.Second
	DefaultPollTimeout            = 10 * time.Minute
	DefaultMaxAttempts            = 12
	DefaultRetryBaseDelay         = 100 * time.Millisecond
	DefaultRetryMaxBackoff        = 5 * time.Second
)

// Options configure a Client. Zero values take the defaults above.
type Options struct {
	// Region, InstanceARN and IdentityStoreID name the Identity Center
	// instance (identity_center in .github/jit.yaml).
	Region          string
	InstanceARN     string
	IdentityStoreID string
	// Endpoint overrides the AWS endpoint of both services (the emulator's
	// URL); empty means AWS itself.
	Endpoint string
	// RequestsPerSecond caps the requests of both services together,
	// retries included.
	RequestsPerSecond float64
	// MaxInFlightAssignments bounds assignment creations, deletions and
	// permission set provisionings that have not reached a final status.
	MaxInFlightAssignments int
	// PollInterval is the wait before each status check of an asynchronous
	// operation; AWS usually finishes one in about a second.
	PollInterval time.Duration
	// PollTimeout gives up on an operation that stays IN_PROGRESS this long.
	PollTimeout time.Duration
	// MaxAttempts is the SDK retryer's attempts per API call.
	MaxAttempts int
	// RetryBaseDelay and RetryMaxBackoff shape the retryer's exponential
	// backoff with full jitter.
	RetryBaseDelay  time.Duration
	RetryMaxBackoff time.Duration
	// Clock decides "now" for the session cut; the sandbox shares one with
	// its emulator.
	Clock  clock.Clock
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	// Zero or negative: the default.
	o.RequestsPerSecond = cmp.Or(max(o.RequestsPerSecond, 0), DefaultRequestsPerSecond)
	o.MaxInFlightAssignments = cmp.Or(max(o.MaxInFlightAssignments, 0), DefaultMaxInFlightAssignments)
	o.PollInterval = cmp.Or(max(o.PollInterval, 0), DefaultPollInterval)
	o.PollTimeout = cmp.Or(max(o.PollTimeout, 0), DefaultPollTimeout)
	o.MaxAttempts = cmp.Or(max(o.MaxAttempts, 0), DefaultMaxAttempts)
	o.RetryBaseDelay = cmp.Or(max(o.RetryBaseDelay, 0), DefaultRetryBaseDelay)
	o.RetryMaxBackoff = cmp.Or(max(o.RetryMaxBackoff, 0), DefaultRetryMaxBackoff)
	o.Clock = cmp.Or[clock.Clock](o.Clock, clock.Real{})
	o.Logger = cmp.Or(o.Logger, slog.New(slog.DiscardHandler))
	return o
}

// SSOAdminAPI lists the sso-admin calls jit makes; *ssoadmin.Client
// implements it.
type SSOAdminAPI interface {
	ListAccountAssignments(context.Context, *ssoadmin.ListAccountAssignmentsInput, ...func(*ssoadmin.Options)) (*ssoadmin.ListAccountAssignmentsOutput, error)
	ListAccountAssignmentsForPrincipal(context.Context, *ssoadmin.ListAccountAssignmentsForPrincipalInput, ...func(*ssoadmin.Options)) (*ssoadmin.ListAccountAssignmentsForPrincipalOutput, error)
	CreateAccountAssignment(context.Context, *ssoadmin.CreateAccountAssignmentInput, ...func(*ssoadmin.Options)) (*ssoadmin.CreateAccountAssignmentOutput, error)
	DescribeAccountAssignmentCreationStatus(context.Context, *ssoadmin.DescribeAccountAssignmentCreationStatusInput, ...func(*ssoadmin.Options)) (*ssoadmin.DescribeAccountAssignmentCreationStatusOutput, error)
	ListAccountAssignmentCreationStatus(context.Context, *ssoadmin.ListAccountAssignmentCreationStatusInput, ...func(*ssoadmin.Options)) (*ssoadmin.ListAccountAssignmentCreationStatusOutput, error)
	DeleteAccountAssignment(context.Context, *ssoadmin.DeleteAccountAssignmentInput, ...func(*ssoadmin.Options)) (*ssoadmin.DeleteAccountAssignmentOutput, error)
	DescribeAccountAssignmentDeletionStatus(context.Context, *ssoadmin.DescribeAccountAssignmentDeletionStatusInput, ...func(*ssoadmin.Options)) (*ssoadmin.DescribeAccountAssignmentDeletionStatusOutput, error)
	ListAccountAssignmentDeletionStatus(context.Context, *ssoadmin.ListAccountAssignmentDeletionStatusInput, ...func(*ssoadmin.Options)) (*ssoadmin.ListAccountAssignmentDeletionStatusOutput, error)
	ListPermissionSets(context.Context, *ssoadmin.ListPermissionSetsInput, ...func(*ssoadmin.Options)) (*ssoadmin.ListPermissionSetsOutput, error)
	DescribePermissionSet(context.Context, *ssoadmin.DescribePermissionSetInput, ...func(*ssoadmin.Options)) (*ssoadmin.DescribePermissionSetOutput, error)
	ListTagsForResource(context.Context, *ssoadmin.ListTagsForResourceInput, ...func(*ssoadmin.Options)) (*ssoadmin.ListTagsForResourceOutput, error)
	CreatePermissionSet(context.Context, *ssoadmin.CreatePermissionSetInput, ...func(*ssoadmin.Options)) (*ssoadmin.CreatePermissionSetOutput, error)
	DeletePermissionSet(context.Context, *ssoadmin.DeletePermissionSetInput, ...func(*ssoadmin.Options)) (*ssoadmin.DeletePermissionSetOutput, error)
	ListManagedPoliciesInPermissionSet(context.Context, *ssoadmin.ListManagedPoliciesInPermissionSetInput, ...func(*ssoadmin.Options)) (*ssoadmin.ListManagedPoliciesInPermissionSetOutput, error)
	AttachManagedPolicyToPermissionSet(context.Context, *ssoadmin.AttachManagedPolicyToPermissionSetInput, ...func(*ssoadmin.Options)) (*ssoadmin.AttachManagedPolicyToPermissionSetOutput, error)
	DetachManagedPolicyFromPermissionSet(context.Context, *ssoadmin.DetachManagedPolicyFromPermissionSetInput, ...func(*ssoadmin.Options)) (*ssoadmin.DetachManagedPolicyFromPermissionSetOutput, error)
	ListCustomerManagedPolicyReferencesInPermissionSet(context.Context, *ssoadmin.ListCustomerManagedPolicyReferencesInPermissionSetInput, ...func(*ssoadmin.Options)) (*ssoadmin.ListCustomerManagedPolicyReferencesInPermissionSetOutput, error)
	AttachCustomerManagedPolicyReferenceToPermissionSet(context.Context, *ssoadmin.AttachCustomerManagedPolicyReferenceToPermissionSetInput, ...func(*ssoadmin.Options)) (*ssoadmin.AttachCustomerManagedPolicyReferenceToPermissionSetOutput, error)
	DetachCustomerManagedPolicyReferenceFromPermissionSet(context.Context, *ssoadmin.DetachCustomerManagedPolicyReferenceFromPermissionSetInput, ...func(*ssoadmin.Options)) (*ssoadmin.DetachCustomerManagedPolicyReferenceFromPermissionSetOutput, error)
	GetPermissionsBoundaryForPermissionSet(context.Context, *ssoadmin.GetPermissionsBoundaryForPermissionSetInput, ...func(*ssoadmin.Options)) (*ssoadmin.GetPermissionsBoundaryForPermissionSetOutput, error)
	PutPermissionsBoundaryToPermissionSet(context.Context, *ssoadmin.PutPermissionsBoundaryToPermissionSetInput, ...func(*ssoadmin.Options)) (*ssoadmin.PutPermissionsBoundaryToPermissionSetOutput, error)
	DeletePermissionsBoundaryFromPermissionSet(context.Context, *ssoadmin.DeletePermissionsBoundaryFromPermissionSetInput, ...func(*ssoadmin.Options)) (*ssoadmin.DeletePermissionsBoundaryFromPermissionSetOutput, error)
	GetInlinePolicyForPermissionSet(context.Context, *ssoadmin.GetInlinePolicyForPermissionSetInput, ...func(*ssoadmin.Options)) (*ssoadmin.GetInlinePolicyForPermissionSetOutput, error)
	PutInlinePolicyToPermissionSet(context.Context, *ssoadmin.PutInlinePolicyToPermissionSetInput, ...func(*ssoadmin.Options)) (*ssoadmin.PutInlinePolicyToPermissionSetOutput, error)
	ProvisionPermissionSet(context.Context, *ssoadmin.ProvisionPermissionSetInput, ...func(*ssoadmin.Options)) (*ssoadmin.ProvisionPermissionSetOutput, error)
	DescribePermissionSetProvisioningStatus(context.Context, *ssoadmin.DescribePermissionSetProvisioningStatusInput, ...func(*ssoadmin.Options)) (*ssoadmin.DescribePermissionSetProvisioningStatusOutput, error)
	ListAccountsForProvisionedPermissionSet(context.Context, *ssoadmin.ListAccountsForProvisionedPermissionSetInput, ...func(*ssoadmin.Options)) (*ssoadmin.ListAccountsForProvisionedPermissionSetOutput, error)
}

// IdentityStoreAPI lists the identitystore calls jit makes;
// *identitystore.Client implements it.
type IdentityStoreAPI interface {
	GetUserId(context.Context, *identitystore.GetUserIdInput, ...func(*identitystore.Options)) (*identitystore.GetUserIdOutput, error)
}

// Client grants and revokes access in one Identity Center instance. It is
// safe for concurrent use.
type Client struct {
	admin           SSOAdminAPI
	store           IdentityStoreAPI
	instanceARN     string
	identityStoreID string
	pollInterval    time.Duration
	pollTimeout     time.Duration
	clock           clock.Clock
	log             *slog.Logger
	// slots bounds asynchronous operations in flight (Identity Center
	// throttles beyond 10); a slot is held until the status is final.
	slots chan struct{}
	// strict is passed to calls where a ConflictException means "exists"
	// (a permission set name, an attached policy) rather than "busy, try
	// again": they are not retried on conflict. Empty with fake APIs.
	strict []func(*ssoadmin.Options)

	// sets caches what does not change about a permission set for the
	// Client's lifetime (one reconcile run): its name and, for JIT- sets,
	// its tags. Which sets exist is always listed afresh.
	sets cache[string, setInfo]
	// users caches user ids by user name for the Client's lifetime: a
	// grant asks for its user in Claim, Grant and Revoke, and an id never
	// changes while the user exists.
	users cache[string, string]
}

// New builds a Client with credentials from the default chain: in the
// reconcile Action, the role assumed through GitHub's OIDC token (env
// AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE); jit never holds keys.
func New(ctx context.Context, opts Options) (*Client, error) {
	if opts.Region == "" {
		return nil, errors.New("identity center: region is required (identity_center.region in .github/jit.yaml)")
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(opts.Region))
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	return NewFromConfig(cfg, opts), nil
}

// NewFromConfig builds a Client over the real SDK clients from cfg, with
// jit's retryer and request limiter installed; tests pass static
// credentials and the emulator's endpoint.
func NewFromConfig(cfg aws.Config, opts Options) *Client {
	opts = opts.withDefaults()
	if opts.Region != "" {
		cfg.Region = opts.Region
	}
	next := cfg.HTTPClient
	if next == nil {
		next = awshttp.NewBuildableClient()
	}
	// One limiter for both services: Identity Center's rate quota is shared.
	// It sits below the retryer so retries are paced as well.
	cfg.HTTPClient = limitedHTTPClient{next: next, lim: rate.NewLimiter(rate.Limit(opts.RequestsPerSecond), 1)}
	cfg.Retryer = func() aws.Retryer { return newRetryer(opts, true) }
	cfg.RetryMaxAttempts = 0

	admin := ssoadmin.NewFromConfig(cfg, func(o *ssoadmin.Options) {
		if opts.Endpoint != "" {
			o.BaseEndpoint = aws.String(opts.Endpoint)
		}
	})
	store := identitystore.NewFromConfig(cfg, func(o *identitystore.Options) {
		if opts.Endpoint != "" {
			o.BaseEndpoint = aws.String(opts.Endpoint)
		}
	})
	c := NewFromAPIs(admin, store, opts)
	c.strict = []func(*ssoadmin.Options){func(o *ssoadmin.Options) { o.Retryer = newRetryer(opts, false) }}
	return c
}

// NewFromAPIs builds a Client over any implementation of the two APIs. The
// retryer and the request limiter belong to the SDK clients; NewFromConfig
// installs them.
func NewFromAPIs(admin SSOAdminAPI, store IdentityStoreAPI, opts Options) *Client {
	opts = opts.withDefaults()
	return &Client{
		admin:           admin,
		store:           store,
		instanceARN:     opts.InstanceARN,
		identityStoreID: opts.IdentityStoreID,
		pollInterval:    opts.PollInterval,
		pollTimeout:     opts.PollTimeout,
		clock:           opts.Clock,
		log:             opts.Logger,
		slots:           make(chan struct{}, opts.MaxInFlightAssignments),
	}
}

// newRetryer is the SDK's standard retryer told about Identity Center:
// ThrottlingException, InternalServerException and 5xx are transient, and so
// is ConflictException (another change on the same assignment or set is
// still in flight, AWS's eventual consistency right after a grant) unless
// conflict is false. Its retry quota is off: under injected faults the
// default bucket runs dry and fails calls that would have succeeded.
func newRetryer(opts Options, conflict bool) aws.Retryer {
	return retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = opts.MaxAttempts
		so.MaxBackoff = opts.RetryMaxBackoff
		so.RateLimiter = ratelimit.None
		codes := map[string]struct{}{"ThrottlingException": {}, "InternalServerException": {}}
		if conflict {
			codes["ConflictException"] = struct{}{}
		}
		so.Retryables = append(so.Retryables,
			retry.RetryableErrorCode{Codes: codes},
			retry.RetryableHTTPStatusCode{Codes: map[int]struct{}{500: {}, 502: {}, 503: {}, 504: {}}},
		)
		so.Backoff = fullJitter{base: opts.RetryBaseDelay, max: opts.RetryMaxBackoff}
	})
}

// fullJitter waits a random time up to base*2^(attempt-1), capped at max,
// for every kind of retryable error. The SDK's own backoff starts
// throttling retries at a fixed second, which wastes most of Identity
// Center's rate quota once the client-side limiter already paces requests.
type fullJitter struct{ base, max time.Duration }

func (f fullJitter) BackoffDelay(attempt int, _ error) (time.Duration, error) {
	d := f.max
	if attempt < 30 {
		if e := f.base << (attempt - 1); e > 0 && e < f.max {
			d = e
		}
	}
	return time.Duration(rand.Int64N(int64(d) + 1)), nil
}

// limitedHTTPClient paces every HTTP request (attempts and retries alike).
type limitedHTTPClient struct {
	next aws.HTTPClient
	lim  *rate.Limiter
}

func (l limitedHTTPClient) Do(r *http.Request) (*http.Response, error) {
	if err := l.lim.Wait(r.Context()); err != nil {
		return nil, fmt.Errorf("waiting for the request rate limit: %w", err)
	}
	return l.next.Do(r)
}

// acquire takes an in-flight slot for one asynchronous operation.
func (c *Client) acquire(ctx context.Context) (release func(), err error) {
	select {
	case c.slots <- struct{}{}:
		return func() { <-c.slots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
