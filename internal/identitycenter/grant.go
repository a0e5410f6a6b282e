package identitycenter

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin/types"

	"github.com/jit-access/jit/internal/inlinepolicy"
)

// Session durations AWS accepts for a permission set.
const (
	minSessionDuration = time.Hour
	maxSessionDuration = 12 * time.Hour
)

// ErrNotClaimed is returned (wrapped) by Grant for a shared standard set
// when the caller has not recorded its claim first; see Grant.Claimed.
var ErrNotClaimed = errors.New("grant on a shared permission set is not claimed: call Claim, record the result, then Grant with Claimed")

// Grant is one approved request to provision.
type Grant struct {
	// Request is the request file's path; it goes into the tags of the
	// permission set jit creates for the grant.
	Request   string
	AccountID string
	// UserName is the Identity Center UserName of the requester.
	UserName string
	// PermissionSetARN is the standard set to assign; with Isolate, the set
	// whose policies the grant's own copy gets.
	PermissionSetARN string
	// Isolate gives the grant its own JIT- copy of PermissionSetARN, so AWS
	// ends it on time and its sessions can be cut.
	Isolate bool
	// Custom is the set defined by the request; nil for a standard set.
	Custom *CustomSet
	// ExpiresAt is when access ends; the guard statement of jit's own sets
	// denies everything after it.
	ExpiresAt time.Time
	// HeldByJit says another active, not preexisting, grant of jit already
	// holds this (account, set, user) assignment, so finding it is not a
	// sign of a permanent assignment. Only for shared standard sets.
	HeldByJit bool
	// ManagementAccount says AccountID is the organisation's management
	// account, where AWS refuses assignments to a delegated administrator:
	// that refusal (AccessDeniedException) then ends the grant as failed
	// rather than being reported as a setup error on every run.
	ManagementAccount bool
	// Claimed says the caller has recorded in git that jit owns the
	// assignment of this shared standard set: a Claim for this grant
	// returned Preexisting=false and the caller committed that before
	// calling Grant. See Claim for why.
	Claimed bool
}

// CustomSet is a permission set defined by the request.
type CustomSet struct {
	// Name becomes JIT-<Name> (cut to 32 characters, -2, -3 ... when taken).
	Name            string
	SessionDuration time.Duration
	// ManagedPolicies are AWS managed policy ARNs, or paths and names
	// (job-function/ViewOnlyAccess), which become ARNs in the instance's
	// partition.
	ManagedPolicies []string
	// InlinePolicy is an IAM policy document as JSON; empty for none.
	InlinePolicy string
}

// Granted is what the caller records about a provisioned grant.
type Granted struct {
	// PermissionSetARN is the set assigned: the standard set, or the JIT-
	// set created for the grant.
	PermissionSetARN string
	// PrincipalID is the user's Identity Center id.
	PrincipalID string
	// Preexisting says the assignment existed before jit: it is never
	// removed by a revocation.
	Preexisting bool
}

func (g Grant) ownSet() bool { return g.Custom != nil || g.Isolate }

func (g Grant) what() string {
	ps := g.PermissionSetARN
	if g.Custom != nil {
		ps = setNamePrefix + g.Custom.Name
	}
	return fmt.Sprintf("%s on %s to %s", ps, g.AccountID, g.UserName)
}

// Claim decides, before anything changes in AWS, whether the grant's
// assignment already exists without jit: Preexisting=true means the user
// already has this access permanently, jit creates nothing and must never
// remove it.
//
// Why a separate call: an assignment in AWS is only the tuple (account, set,
// user), with no owner and no tags, so once jit has created one nothing in
// AWS tells it apart from a permanent one. If Grant both looked and created,
// a crash after the create but before the caller's commit would make the
// re-run see "an assignment I do not hold" and record it as preexisting;
// access would then never be removed. A flag like "attempted before" does
// not help either: a crash after a look that found a permanent assignment
// would make the re-run claim it and later delete it. So the decision is
// made here, read-only, the caller commits it to git, and only then Grant
// (with Claimed) creates. A crash at any point is then safe: before the
// commit nothing was created and Claim is asked again; after it the
// decision is known. (A permanent assignment made by an admin in the
// instant between the commit and the create would be taken for jit's: AWS
// gives no way to tell.)
//
// Grants of jit's own JIT- sets need no claim (the set is jit's by its
// tags); Claim then only resolves the user.
func (c *Client) Claim(ctx context.Context, g Grant) (Granted, error) {
	principal, err := c.UserID(ctx, g.UserName)
	if err != nil {
		return Granted{}, fmt.Errorf("claiming %s: %w", g.what(), err)
	}
	if g.ownSet() {
		return Granted{PrincipalID: principal}, nil
	}
	exists, err := c.assignmentExists(ctx, g.AccountID, g.PermissionSetARN, principal)
	if err != nil {
		return Granted{}, fmt.Errorf("claiming %s: %w", g.what(), err)
	}
	return Granted{PermissionSetARN: g.PermissionSetARN, PrincipalID: principal, Preexisting: exists && !g.HeldByJit}, nil
}

// Grant provisions the grant and returns once AWS reports the assignment
// SUCCEEDED. It is idempotent: a re-run after a crash at any point finds the
// permission set it created before (by its jit:request tag), brings its
// policies and provisioning up to date, and does not create a second
// assignment. An assignment AWS finishes as FAILED is a *FailedError.
//
// A shared standard set needs g.Claimed (see Claim); a grant that Claim
// found preexisting must not be passed to Grant at all.
func (c *Client) Grant(ctx context.Context, g Grant) (Granted, error) {
	gr, err := c.grant(ctx, g)
	if err != nil {
		return Granted{}, fmt.Errorf("granting %s: %w", g.what(), err)
	}
	return gr, nil
}

func (c *Client) grant(ctx context.Context, g Grant) (Granted, error) {
	if g.AccountID == "" || g.UserName == "" {
		return Granted{}, errors.New("account id and user name are required")
	}
	if !g.ownSet() && !g.Claimed {
		return Granted{}, ErrNotClaimed
	}
	if !g.ownSet() && g.PermissionSetARN == "" {
		return Granted{}, errors.New("permission set ARN is required")
	}
	principal, err := c.UserID(ctx, g.UserName)
	if err != nil {
		return Granted{}, err
	}
	psARN := g.PermissionSetARN
	if g.ownSet() {
		if psARN, err = c.ensureOwnSet(ctx, g); err != nil {
			return Granted{}, err
		}
	}
	created, err := c.ensureAssignment(ctx, g.AccountID, psARN, principal, g.ManagementAccount)
	if err != nil {
		return Granted{}, err
	}
	if g.ownSet() && !created {
		// The assignment was made by an earlier attempt: push the policies
		// this attempt may have repaired. A new assignment provisioned them
		// itself.
		if err := c.provision(ctx, psARN, g.AccountID); err != nil {
			return Granted{}, err
		}
	}
	return Granted{PermissionSetARN: psARN, PrincipalID: principal}, nil
}

// setSpec is the desired state of a grant's own permission set.
type setSpec struct {
	base            string
	sessionDuration string
	managed         []string
	// customer and boundary are copied from an isolated set: a copy
	// without them would be broader than its original.
	customer []types.CustomerManagedPolicyReference
	boundary *types.PermissionsBoundary
	inline   string
}

// specFor builds the desired set: for a custom set from the request, for an
// isolated one from the standard set it copies; both with the expiry guard.
func (c *Client) specFor(ctx context.Context, g Grant) (setSpec, error) {
	if g.ExpiresAt.IsZero() {
		return setSpec{}, errors.New("the grant has no expiry; jit's own sets need one for their guard statement")
	}
	var spec setSpec
	var inline string
	if g.Custom != nil {
		d := g.Custom.SessionDuration
		if d < minSessionDuration || d > maxSessionDuration {
			return setSpec{}, fmt.Errorf("session duration %s is outside AWS's 1h..12h", d)
		}
		if len(g.Custom.ManagedPolicies) == 0 && g.Custom.InlinePolicy == "" {
			return setSpec{}, errors.New("a custom permission set needs a managed policy or an inline policy")
		}
		spec.base, spec.sessionDuration = g.Custom.Name, isoDuration(d)
		for _, p := range g.Custom.ManagedPolicies {
			spec.managed = append(spec.managed, managedPolicyARN(c.instanceARN, p))
		}
		inline = g.Custom.InlinePolicy
	} else {
		src, err := c.describeSet(ctx, g.PermissionSetARN)
		if err != nil {
			return setSpec{}, fmt.Errorf("reading the set to isolate: %w", err)
		}
		spec.base, spec.sessionDuration = src.name, src.sessionDuration
		if spec.managed, err = c.managedPolicies(ctx, g.PermissionSetARN); err != nil {
			return setSpec{}, fmt.Errorf("reading the set to isolate: %w", err)
		}
		if spec.customer, err = c.customerManaged(ctx, g.PermissionSetARN); err != nil {
			return setSpec{}, fmt.Errorf("reading the set to isolate: %w", err)
		}
		if spec.boundary, err = c.boundary(ctx, g.PermissionSetARN); err != nil {
			return setSpec{}, fmt.Errorf("reading the set to isolate: %w", err)
		}
		out, err := c.admin.GetInlinePolicyForPermissionSet(ctx, &ssoadmin.GetInlinePolicyForPermissionSetInput{
			InstanceArn:      aws.String(c.instanceARN),
			PermissionSetArn: aws.String(g.PermissionSetARN),
		})
		if err != nil {
			return setSpec{}, fmt.Errorf("reading the set to isolate: GetInlinePolicyForPermissionSet: %w", err)
		}
		inline = aws.ToString(out.InlinePolicy)
	}
	// Every statement the approvers saw goes to AWS: a policy that uses a
	// Sid of jit's guards would lose that statement to the guard.
	if sids, err := inlinepolicy.ReservedSids(inline); err != nil {
		return setSpec{}, err
	} else if len(sids) > 0 {
		return setSpec{}, fmt.Errorf("the inline policy uses the statement id %s, which jit reserves for its guard statements", strings.Join(sids, ", "))
	}
	doc, err := inlinepolicy.WithStatements(inline, inlinepolicy.ExpiryGuard(g.ExpiresAt))
	if err != nil {
		return setSpec{}, err
	}
	if err := inlinepolicy.Check(doc); err != nil {
		return setSpec{}, err
	}
	spec.inline = doc
	slices.Sort(spec.managed)
	spec.managed = slices.Compact(spec.managed)
	return spec, nil
}

// ensureOwnSet finds or creates the grant's JIT- set and makes its policies
// match the spec.
func (c *Client) ensureOwnSet(ctx context.Context, g Grant) (string, error) {
	if g.Request == "" {
		return "", errors.New("the request path is required: it tags the permission set")
	}
	spec, err := c.specFor(ctx, g)
	if err != nil {
		return "", err
	}
	arn, err := c.findOrCreateSet(ctx, g.Request, spec)
	if err != nil {
		return "", err
	}
	if err := c.syncManaged(ctx, arn, spec.managed); err != nil {
		return "", err
	}
	if err := c.syncCustomerManaged(ctx, arn, spec.customer); err != nil {
		return "", err
	}
	if err := c.syncBoundary(ctx, arn, spec.boundary); err != nil {
		return "", err
	}
	if _, err := c.admin.PutInlinePolicyToPermissionSet(ctx, &ssoadmin.PutInlinePolicyToPermissionSetInput{
		InstanceArn:      aws.String(c.instanceARN),
		PermissionSetArn: aws.String(arn),
		InlinePolicy:     aws.String(spec.inline),
	}); err != nil {
		return "", fmt.Errorf("PutInlinePolicyToPermissionSet %s: %w", arn, err)
	}
	// Not provisioned here: CreateAccountAssignment provisions the set to
	// the account itself, so an assignment that ends FAILED leaves no role
	// behind in the account.
	return arn, nil
}

// findOrCreateSet returns the set tagged for the request, creating it if
// there is none. A create that ends in ConflictException means the name was
// taken meanwhile, or that an earlier attempt of this very call succeeded
// before a 5xx: the next scan tells which.
func (c *Client) findOrCreateSet(ctx context.Context, request string, spec setSpec) (string, error) {
	var lastErr error
	for range 5 {
		all, err := c.scanSets(ctx)
		if err != nil {
			return "", err
		}
		taken := map[string]bool{}
		for arn, info := range all {
			if info.managed() && info.tags[TagRequest] == request {
				c.log.DebugContext(ctx, "reusing permission set", "permission_set", arn, "request", request)
				return arn, nil
			}
			taken[info.name] = true
		}
		name := setName(spec.base, func(n string) bool { return taken[n] })
		out, err := c.admin.CreatePermissionSet(ctx, &ssoadmin.CreatePermissionSetInput{
			InstanceArn:     aws.String(c.instanceARN),
			Name:            aws.String(name),
			Description:     aws.String(truncate("jit grant for "+request, 700)),
			SessionDuration: aws.String(spec.sessionDuration),
			Tags: []types.Tag{
				{Key: aws.String(TagManaged), Value: aws.String("true")},
				{Key: aws.String(TagRequest), Value: aws.String(request)},
			},
		}, c.strict...)
		if isConflict(err) {
			lastErr = err
			continue
		}
		if err != nil {
			return "", fmt.Errorf("CreatePermissionSet %s: %w", name, err)
		}
		if out.PermissionSet == nil || out.PermissionSet.PermissionSetArn == nil {
			return "", fmt.Errorf("CreatePermissionSet %s: %w", name, errNoStatus)
		}
		arn := *out.PermissionSet.PermissionSetArn
		c.remember(arn, setInfo{name: name, sessionDuration: spec.sessionDuration,
			tags: map[string]string{TagManaged: "true", TagRequest: request}})
		c.log.InfoContext(ctx, "permission set created", "permission_set", arn, "name", name, "request", request)
		return arn, nil
	}
	return "", fmt.Errorf("CreatePermissionSet kept conflicting: %w", lastErr)
}

func (c *Client) managedPolicies(ctx context.Context, arn string) ([]string, error) {
	p := ssoadmin.NewListManagedPoliciesInPermissionSetPaginator(c.admin, &ssoadmin.ListManagedPoliciesInPermissionSetInput{
		InstanceArn:      aws.String(c.instanceARN),
		PermissionSetArn: aws.String(arn),
		MaxResults:       aws.Int32(maxPage),
	})
	return allPages(ctx, p, "ListManagedPoliciesInPermissionSet "+arn, func(page *ssoadmin.ListManagedPoliciesInPermissionSetOutput) []string {
		arns := make([]string, len(page.AttachedManagedPolicies))
		for i, m := range page.AttachedManagedPolicies {
			arns[i] = aws.ToString(m.Arn)
		}
		return arns
	})
}

// without returns the items of a that b lacks, in a's order.
func without(a, b []string) []string {
	return slices.DeleteFunc(slices.Clone(a), func(s string) bool { return slices.Contains(b, s) })
}

// syncManaged attaches the wanted managed policies and detaches any other,
// so a re-run repairs a set left half-done.
func (c *Client) syncManaged(ctx context.Context, arn string, want []string) error {
	have, err := c.managedPolicies(ctx, arn)
	if err != nil {
		return err
	}
	for _, p := range without(want, have) {
		_, err := c.admin.AttachManagedPolicyToPermissionSet(ctx, &ssoadmin.AttachManagedPolicyToPermissionSetInput{
			InstanceArn:      aws.String(c.instanceARN),
			PermissionSetArn: aws.String(arn),
			ManagedPolicyArn: aws.String(p),
		}, c.strict...)
		if isConflict(err) {
			// Attached already, by an attempt whose answer was lost.
			if now, lerr := c.managedPolicies(ctx, arn); lerr == nil && slices.Contains(now, p) {
				continue
			}
		}
		if err != nil {
			return fmt.Errorf("AttachManagedPolicyToPermissionSet %s to %s: %w", p, arn, err)
		}
	}
	for _, p := range without(have, want) {
		_, err := c.admin.DetachManagedPolicyFromPermissionSet(ctx, &ssoadmin.DetachManagedPolicyFromPermissionSetInput{
			InstanceArn:      aws.String(c.instanceARN),
			PermissionSetArn: aws.String(arn),
			ManagedPolicyArn: aws.String(p),
		})
		if err != nil && !isNotFound(err) {
			return fmt.Errorf("DetachManagedPolicyFromPermissionSet %s from %s: %w", p, arn, err)
		}
	}
	return nil
}
