// Package discover reads from AWS what an access repository's config lists:
// the IAM Identity Center instance and its identity store, the permission
// sets with their names, ARNs and session durations, and the organisation's
// accounts with their OU paths (AWS Organizations ListAccounts, ListParents
// and DescribeOrganizationalUnit). `jit init --from-aws` writes a config
// from it; the calls go through the real SDK clients, so the emulator and
// AWS are read the same way.
package discover

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	"golang.org/x/time/rate"
)

// Account is one active account of the organisation.
type Account struct {
	ID   string
	Name string // the account's name in AWS
	// Path is the account's place in the organisation, from the root:
	// Root/Workloads/Prod.
	Path string
	// Management is true for the organisation's management account.
	Management bool
	// Status is the account's status in AWS Organizations (ACTIVE,
	// SUSPENDED, PENDING_CLOSURE).
	Status string
}

// PermissionSet is one permission set of the instance.
type PermissionSet struct {
	Name            string
	ARN             string
	SessionDuration time.Duration
}

// Result is what one discovery read.
type Result struct {
	InstanceARN     string
	IdentityStoreID string
	Accounts        []Account // sorted by id
	PermissionSets  []PermissionSet
	// Inactive lists accounts left out because they are suspended or
	// closing, as "id (name): STATUS".
	Inactive []string
	// InactiveAccounts are those accounts, with their Status.
	InactiveAccounts []Account
	// Calls counts the AWS requests made, retries included.
	Calls int
}

// Options select the instance and pace the requests.
type Options struct {
	// InstanceARN picks the instance when the account sees several; empty
	// takes the only one.
	InstanceARN string
	// RequestsPerSecond paces every request (default 20, Identity Center's
	// documented rate); MaxAttempts bounds retries of throttled requests.
	RequestsPerSecond float64
	MaxAttempts       int
}

// Run discovers with clients built from cfg (region, credentials and any
// AWS_ENDPOINT_URL come from it).
func Run(ctx context.Context, cfg aws.Config, opts Options) (Result, error) {
	if opts.RequestsPerSecond <= 0 {
		opts.RequestsPerSecond = 20
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 12
	}
	next := cfg.HTTPClient
	if next == nil {
		next = http.DefaultClient
	}
	counted := &pacedClient{next: next, lim: rate.NewLimiter(rate.Limit(opts.RequestsPerSecond), 1)}
	cfg.HTTPClient = counted
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) { o.MaxAttempts = opts.MaxAttempts })
	}
	d := &discovery{
		sso:     ssoadmin.NewFromConfig(cfg),
		org:     organizations.NewFromConfig(cfg),
		ouNames: map[string]string{},
		parents: map[string]string{},
	}
	res, err := d.run(ctx, opts.InstanceARN)
	res.Calls = counted.calls
	return res, err
}

type discovery struct {
	sso     *ssoadmin.Client
	org     *organizations.Client
	ouNames map[string]string // OU id -> name
	parents map[string]string // child id -> parent id
	rootID  string
}

func (d *discovery) run(ctx context.Context, instance string) (Result, error) {
	var res Result
	var instances []string
	stores := map[string]string{}
	for p := ssoadmin.NewListInstancesPaginator(d.sso, &ssoadmin.ListInstancesInput{}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return res, fmt.Errorf("listing the IAM Identity Center instances (sso:ListInstances): %w", err)
		}
		for _, in := range page.Instances {
			arn := aws.ToString(in.InstanceArn)
			instances = append(instances, arn)
			stores[arn] = aws.ToString(in.IdentityStoreId)
		}
	}
	switch {
	case instance != "":
		if _, ok := stores[instance]; !ok {
			return res, fmt.Errorf("instance %s is not among the instances these credentials see (%s)", instance, strings.Join(instances, ", "))
		}
	case len(instances) == 1:
		instance = instances[0]
	case len(instances) == 0:
		return res, errors.New("these credentials see no IAM Identity Center instance: use the account that administers it (the management account or the delegated administrator) and its region")
	default:
		return res, fmt.Errorf("these credentials see %d instances (%s): pick one with --instance-arn", len(instances), strings.Join(instances, ", "))
	}
	res.InstanceARN, res.IdentityStoreID = instance, stores[instance]

	sets, err := d.permissionSets(ctx, instance)
	if err != nil {
		return res, err
	}
	res.PermissionSets = sets

	for p := organizations.NewListAccountsPaginator(d.org, &organizations.ListAccountsInput{MaxResults: aws.Int32(20)}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return res, fmt.Errorf("listing the organisation's accounts (organizations:ListAccounts): %w", err)
		}
		for _, a := range page.Accounts {
			id, name := aws.ToString(a.Id), aws.ToString(a.Name)
			if a.Status != orgtypes.AccountStatusActive {
				res.Inactive = append(res.Inactive, fmt.Sprintf("%s (%s): %s", id, name, a.Status))
				res.InactiveAccounts = append(res.InactiveAccounts, Account{ID: id, Name: name, Status: string(a.Status)})
				continue
			}
			res.Accounts = append(res.Accounts, Account{ID: id, Name: name, Status: string(a.Status), Management: managementAccount(aws.ToString(a.Arn)) == id})
		}
	}
	for i := range res.Accounts {
		path, err := d.path(ctx, res.Accounts[i].ID)
		if err != nil {
			return res, err
		}
		res.Accounts[i].Path = path
	}
	slices.SortFunc(res.Accounts, func(a, b Account) int { return strings.Compare(a.ID, b.ID) })
	return res, nil
}

func (d *discovery) permissionSets(ctx context.Context, instance string) ([]PermissionSet, error) {
	var arns []string
	for p := ssoadmin.NewListPermissionSetsPaginator(d.sso, &ssoadmin.ListPermissionSetsInput{InstanceArn: &instance, MaxResults: aws.Int32(100)}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing permission sets (sso:ListPermissionSets): %w", err)
		}
		arns = append(arns, page.PermissionSets...)
	}
	var sets []PermissionSet
	for _, arn := range arns {
		out, err := d.sso.DescribePermissionSet(ctx, &ssoadmin.DescribePermissionSetInput{InstanceArn: &instance, PermissionSetArn: aws.String(arn)})
		if err != nil {
			return nil, fmt.Errorf("describing permission set %s (sso:DescribePermissionSet): %w", arn, err)
		}
		ps := out.PermissionSet
		dur, err := parseISODuration(aws.ToString(ps.SessionDuration))
		if err != nil {
			return nil, fmt.Errorf("permission set %s: session duration: %w", arn, err)
		}
		sets = append(sets, PermissionSet{Name: aws.ToString(ps.Name), ARN: arn, SessionDuration: dur})
	}
	slices.SortFunc(sets, func(a, b PermissionSet) int { return strings.Compare(a.Name, b.Name) })
	return sets, nil
}

// path walks from an account up to the root, naming each OU on the way;
// parents and OU names are asked once each.
func (d *discovery) path(ctx context.Context, account string) (string, error) {
	var names []string
	child := account
	for range 10 { // Organizations nests OUs at most five deep.
		parent, err := d.parent(ctx, child)
		if err != nil {
			return "", err
		}
		if parent == d.rootID {
			slices.Reverse(names)
			return strings.Join(append([]string{"Root"}, names...), "/"), nil
		}
		name, err := d.ouName(ctx, parent)
		if err != nil {
			return "", err
		}
		names = append(names, name)
		child = parent
	}
	return "", fmt.Errorf("account %s is nested deeper than AWS Organizations allows", account)
}

func (d *discovery) parent(ctx context.Context, child string) (string, error) {
	return cached(d.parents, child, func() (string, error) {
		out, err := d.org.ListParents(ctx, &organizations.ListParentsInput{ChildId: &child})
		if err != nil {
			return "", fmt.Errorf("finding the parent of %s (organizations:ListParents): %w", child, err)
		}
		if len(out.Parents) != 1 {
			return "", fmt.Errorf("%s has %d parents, want 1", child, len(out.Parents))
		}
		p := out.Parents[0]
		if p.Type == orgtypes.ParentTypeRoot {
			d.rootID = aws.ToString(p.Id)
		}
		return aws.ToString(p.Id), nil
	})
}

func (d *discovery) ouName(ctx context.Context, id string) (string, error) {
	return cached(d.ouNames, id, func() (string, error) {
		out, err := d.org.DescribeOrganizationalUnit(ctx, &organizations.DescribeOrganizationalUnitInput{OrganizationalUnitId: &id})
		if err != nil {
			return "", fmt.Errorf("describing OU %s (organizations:DescribeOrganizationalUnit): %w", id, err)
		}
		// A slash in an OU's name would make the path ambiguous.
		return strings.ReplaceAll(aws.ToString(out.OrganizationalUnit.Name), "/", "-"), nil
	})
}

// cached returns m[key]; on a miss it asks fetch once and remembers the
// answer, so that each parent and OU name costs one Organizations call.
func cached(m map[string]string, key string, fetch func() (string, error)) (string, error) {
	if v, ok := m[key]; ok {
		return v, nil
	}
	v, err := fetch()
	if err != nil {
		return "", err
	}
	m[key] = v
	return v, nil
}

// managementAccount reads the management account's id from an
// organisation's ARN (arn:aws:organizations::MANAGEMENT:account/o-.../ID).
func managementAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

var isoDuration = regexp.MustCompile(`^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$`)

// parseISODuration reads Identity Center's session durations (PT1H, PT12H,
// PT1H30M); "" is AWS's default of one hour.
func parseISODuration(s string) (time.Duration, error) {
	if s == "" {
		return time.Hour, nil
	}
	m := isoDuration.FindStringSubmatch(s)
	if m == nil || s == "PT" {
		return 0, fmt.Errorf("%q is not an ISO 8601 duration such as PT4H", s)
	}
	var d time.Duration
	for i, unit := range []time.Duration{time.Hour, time.Minute, time.Second} {
		if m[i+1] == "" {
			continue
		}
		var n int
		fmt.Sscanf(m[i+1], "%d", &n)
		d += time.Duration(n) * unit
	}
	return d, nil
}

// pacedClient waits for the rate limiter before every request, retries
// included, and counts them.
type pacedClient struct {
	next  aws.HTTPClient
	lim   *rate.Limiter
	calls int
}

func (c *pacedClient) Do(r *http.Request) (*http.Response, error) {
	if err := c.lim.Wait(r.Context()); err != nil {
		return nil, fmt.Errorf("waiting for the request rate limit: %w", err)
	}
	c.calls++
	return c.next.Do(r)
}
