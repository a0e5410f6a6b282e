package identitycenter

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin/types"
)

// Tags on every permission set jit creates: they are how a re-run after a
// crash finds its own set, and how clean-up tells jit's sets from the
// admins' (it never touches a set without jit:managed=true).
const (
	TagManaged = "jit:managed"
	TagRequest = "jit:request"
)

// ErrNotManaged is returned (wrapped) when asked to delete a permission set
// that jit did not create.
var ErrNotManaged = errors.New("permission set is not managed by jit (no jit:managed=true tag)")

// ManagedSet is a permission set jit created for a request.
type ManagedSet struct {
	ARN  string
	Name string
	// Request is the request file the set was created for (its jit:request tag).
	Request string
}

// setInfo is what jit needs to know about a permission set and which does
// not change while it exists. tags is nil unless fetched: only JIT- sets
// can be jit's, so others are never asked for their tags.
type setInfo struct {
	name            string
	sessionDuration string
	tags            map[string]string
}

func (s setInfo) managed() bool { return s.tags[TagManaged] == "true" }

// describeSet returns the set's name and session duration, from the cache
// when known. A set that does not exist is an error wrapping the SDK's
// ResourceNotFoundException.
func (c *Client) describeSet(ctx context.Context, arn string) (setInfo, error) {
	if info, ok := c.sets.get(arn); ok {
		return info, nil
	}
	out, err := c.admin.DescribePermissionSet(ctx, &ssoadmin.DescribePermissionSetInput{
		InstanceArn:      aws.String(c.instanceARN),
		PermissionSetArn: aws.String(arn),
	})
	if err != nil {
		return setInfo{}, fmt.Errorf("DescribePermissionSet %s: %w", arn, err)
	}
	if out.PermissionSet == nil {
		return setInfo{}, fmt.Errorf("DescribePermissionSet %s: %w", arn, errNoStatus)
	}
	info := setInfo{name: aws.ToString(out.PermissionSet.Name), sessionDuration: aws.ToString(out.PermissionSet.SessionDuration)}
	c.remember(arn, info)
	return info, nil
}

// setTags returns the set's info with its tags fetched.
func (c *Client) setTags(ctx context.Context, arn string) (setInfo, error) {
	info, err := c.describeSet(ctx, arn)
	if err != nil || info.tags != nil {
		return info, err
	}
	tags := map[string]string{}
	p := ssoadmin.NewListTagsForResourcePaginator(c.admin, &ssoadmin.ListTagsForResourceInput{
		InstanceArn: aws.String(c.instanceARN),
		ResourceArn: aws.String(arn),
	})
	err = eachPage(ctx, p, "ListTagsForResource "+arn, func(page *ssoadmin.ListTagsForResourceOutput) bool {
		for _, t := range page.Tags {
			tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
		return true
	})
	if err != nil {
		return setInfo{}, err
	}
	info.tags = tags
	c.remember(arn, info)
	return info, nil
}

func (c *Client) remember(arn string, info setInfo) {
	c.sets.put(arn, info)
}

func (c *Client) forget(arn string) {
	c.sets.drop(arn)
}

// scanSets lists every permission set of the instance with its name, and
// the tags of those named JIT-. The list is fresh; names and tags come from
// the cache where known, so repeated scans in one run cost one call per 100
// sets plus one per new set.
func (c *Client) scanSets(ctx context.Context) (map[string]setInfo, error) {
	arns, err := c.PermissionSetARNs(ctx)
	if err != nil {
		return nil, err
	}
	return c.describeSets(ctx, arns)
}

// PermissionSetARNs lists the ARNs of every permission set of the instance,
// one call per 100 sets.
func (c *Client) PermissionSetARNs(ctx context.Context) ([]string, error) {
	var out []string
	p := ssoadmin.NewListPermissionSetsPaginator(c.admin, &ssoadmin.ListPermissionSetsInput{InstanceArn: aws.String(c.instanceARN), MaxResults: aws.Int32(maxPage)})
	err := eachPage(ctx, p, "ListPermissionSets", func(page *ssoadmin.ListPermissionSetsOutput) bool {
		out = append(out, page.PermissionSets...)
		return true
	})
	return out, err
}

// describeSets returns the name of each set in arns, and the tags of those
// named JIT-; sets deleted since they were listed are left out.
func (c *Client) describeSets(ctx context.Context, arns []string) (map[string]setInfo, error) {
	all := map[string]setInfo{}
	for _, arn := range arns {
		info, err := c.describeSet(ctx, arn)
		if isNotFound(err) {
			continue // deleted since the list
		}
		if err != nil {
			return nil, err
		}
		if strings.HasPrefix(info.name, setNamePrefix) {
			if info, err = c.setTags(ctx, arn); isNotFound(err) {
				continue
			} else if err != nil {
				return nil, err
			}
		}
		all[arn] = info
	}
	return all, nil
}

// ManagedPermissionSets returns those of the permission sets arns that jit
// created (tagged jit:managed=true), for the reconcile loop's clean-up of
// orphans. The caller leaves out the sets it knows already, whose
// description would cost a call or two each: the config's standard sets,
// and the sets of grants that are live on main.
func (c *Client) ManagedPermissionSets(ctx context.Context, arns []string) ([]ManagedSet, error) {
	all, err := c.describeSets(ctx, arns)
	if err != nil {
		return nil, fmt.Errorf("listing jit's permission sets: %w", err)
	}
	var out []ManagedSet
	for arn, info := range all {
		if info.managed() {
			out = append(out, ManagedSet{ARN: arn, Name: info.name, Request: info.tags[TagRequest]})
		}
	}
	slices.SortFunc(out, func(a, b ManagedSet) int { return strings.Compare(a.ARN, b.ARN) })
	return out, nil
}

// DeleteManagedPermissionSet removes every assignment of a jit permission
// set and then the set. It refuses a set without the jit:managed=true tag;
// a set that is already gone is success.
func (c *Client) DeleteManagedPermissionSet(ctx context.Context, arn string) error {
	_, err := c.deleteManagedSet(ctx, arn)
	if err != nil {
		return fmt.Errorf("deleting permission set %s: %w", arn, err)
	}
	return nil
}

// deleteManagedSet deletes the set's assignments and the set, and returns
// the assignments it removed as "account/principal".
func (c *Client) deleteManagedSet(ctx context.Context, arn string) ([]string, error) {
	info, err := c.setTags(ctx, arn)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !info.managed() {
		return nil, ErrNotManaged
	}
	removed, err := c.deleteAllAssignments(ctx, arn)
	if err != nil {
		return removed, err
	}
	_, err = c.admin.DeletePermissionSet(ctx, &ssoadmin.DeletePermissionSetInput{
		InstanceArn:      aws.String(c.instanceARN),
		PermissionSetArn: aws.String(arn),
	})
	if err != nil && !isNotFound(err) {
		return removed, fmt.Errorf("DeletePermissionSet: %w", err)
	}
	c.forget(arn)
	c.log.InfoContext(ctx, "permission set deleted", "permission_set", arn, "name", info.name)
	return removed, nil
}

// deleteAllAssignments removes every assignment of the set in every account
// it is provisioned to.
func (c *Client) deleteAllAssignments(ctx context.Context, arn string) ([]string, error) {
	p := ssoadmin.NewListAccountsForProvisionedPermissionSetPaginator(c.admin, &ssoadmin.ListAccountsForProvisionedPermissionSetInput{
		InstanceArn:      aws.String(c.instanceARN),
		PermissionSetArn: aws.String(arn),
		MaxResults:       aws.Int32(maxPage),
	})
	accounts, err := allPages(ctx, p, "ListAccountsForProvisionedPermissionSet", func(page *ssoadmin.ListAccountsForProvisionedPermissionSetOutput) []string {
		return page.AccountIds
	})
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, account := range accounts {
		var found []types.AccountAssignment
		if err := c.eachAssignment(ctx, account, arn, func(a types.AccountAssignment) bool {
			found = append(found, a)
			return true
		}); err != nil {
			return removed, err
		}
		for _, a := range found {
			principal := aws.ToString(a.PrincipalId)
			if err := c.deleteAssignment(ctx, account, arn, principal, a.PrincipalType); err != nil {
				return removed, fmt.Errorf("removing assignment of %s on %s to %s: %w", arn, account, principal, err)
			}
			removed = append(removed, account+"/"+principal)
		}
	}
	return removed, nil
}
