package idcemu

import (
	"regexp"
	"slices"
	"strings"
	"time"
)

// A permission set's references to customer managed policies (policies of
// the same name and path in each account) and its permissions boundary,
// after botocore's shapes CustomerManagedPolicyReference and
// PermissionsBoundary.

// PolicyReference names a customer managed policy by name and path.
type PolicyReference struct {
	Name string `json:"Name"`
	Path string `json:"Path,omitempty"`
}

func (r PolicyReference) key() string { return r.path() + r.Name }

func (r PolicyReference) path() string {
	if r.Path == "" {
		return "/"
	}
	return r.Path
}

// Boundary is a permission set's permissions boundary: an AWS managed
// policy ARN or a customer managed policy reference, exactly one of them.
type Boundary struct {
	ManagedPolicyArn               string           `json:"ManagedPolicyArn,omitempty"`
	CustomerManagedPolicyReference *PolicyReference `json:"CustomerManagedPolicyReference,omitempty"`
}

var (
	policyNamePattern = regexp.MustCompile(`^[\w+=,.@-]+$`)
	policyPathPattern = regexp.MustCompile(`^((/[A-Za-z0-9\.,\+@=_-]+)*)/$`)
)

// checkReference validates a reference as AWS's request validator does.
func checkReference(member string, r *PolicyReference) *apiError {
	if r == nil {
		return errNull(member)
	}
	if r.Name == "" {
		return errNull(member + ".name")
	}
	if len(r.Name) > 128 {
		return errLength(member+".name", r.Name, 1, 128)
	}
	if !policyNamePattern.MatchString(r.Name) {
		return errPattern(member+".name", r.Name, policyNamePattern.String())
	}
	if r.Path != "" {
		if len(r.Path) > 512 {
			return errLength(member+".path", r.Path, 1, 512)
		}
		if !policyPathPattern.MatchString(r.Path) {
			return errPattern(member+".path", r.Path, policyPathPattern.String())
		}
	}
	return nil
}

type referenceInput struct {
	permissionSetInput
	CustomerManagedPolicyReference *PolicyReference
}

// reference is the checked reference the input names, with AWS's default
// path.
func (in referenceInput) reference() (PolicyReference, *apiError) {
	if aerr := checkReference("CustomerManagedPolicyReference", in.CustomerManagedPolicyReference); aerr != nil {
		return PolicyReference{}, aerr
	}
	r := *in.CustomerManagedPolicyReference
	r.Path = r.path()
	return r, nil
}

func (e *Emulator) attachCustomerManagedPolicyReference(_ time.Time, ps *permissionSet, in referenceInput) (any, *apiError) {
	r, aerr := in.reference()
	if aerr != nil {
		return nil, aerr
	}
	if slices.ContainsFunc(ps.customer, func(o PolicyReference) bool { return o.key() == r.key() }) {
		return nil, errConflict("Permission set %s already references the customer managed policy %s.", ps.arn, r.key())
	}
	if len(ps.managed)+len(ps.customer) >= maxManagedPolicies {
		return nil, errQuota("Permission set %s already has %d managed policies attached, the most allowed.", ps.arn, maxManagedPolicies)
	}
	ps.customer = append(ps.customer, r)
	return ps.changed()
}

func (e *Emulator) detachCustomerManagedPolicyReference(_ time.Time, ps *permissionSet, in referenceInput) (any, *apiError) {
	r, aerr := in.reference()
	if aerr != nil {
		return nil, aerr
	}
	key := r.key()
	i := slices.IndexFunc(ps.customer, func(o PolicyReference) bool { return o.key() == key })
	if i < 0 {
		return nil, errNotFound("Could not find customer managed policy reference %s in permission set %s.", key, ps.arn)
	}
	ps.customer = slices.Delete(ps.customer, i, i+1)
	return ps.changed()
}

func (e *Emulator) listCustomerManagedPolicyReferences(_ time.Time, ps *permissionSet, in setPageInput) (any, *apiError) {
	refs := slices.SortedFunc(slices.Values(ps.customer), func(a, b PolicyReference) int { return strings.Compare(a.key(), b.key()) })
	return listed("CustomerManagedPolicyReferences", refs, PolicyReference.key, in.pageInput, maxResultsLimit, func(r PolicyReference) PolicyReference { return r })
}

func (e *Emulator) putPermissionsBoundary(_ time.Time, ps *permissionSet, in struct {
	permissionSetInput
	PermissionsBoundary *Boundary
}) (any, *apiError) {
	b := in.PermissionsBoundary
	if b == nil {
		return nil, errNull("PermissionsBoundary")
	}
	switch {
	case b.ManagedPolicyArn != "" && b.CustomerManagedPolicyReference != nil, b.ManagedPolicyArn == "" && b.CustomerManagedPolicyReference == nil:
		return nil, errValidation("A permissions boundary needs exactly one of ManagedPolicyArn and CustomerManagedPolicyReference.")
	case b.ManagedPolicyArn != "":
		if !managedPolicyARNPattern.MatchString(b.ManagedPolicyArn) {
			return nil, errValidation("The managed policy ARN %s is not valid.", b.ManagedPolicyArn)
		}
	default:
		if aerr := checkReference("PermissionsBoundary.CustomerManagedPolicyReference", b.CustomerManagedPolicyReference); aerr != nil {
			return nil, aerr
		}
		r := *b.CustomerManagedPolicyReference
		r.Path = r.path()
		b = &Boundary{CustomerManagedPolicyReference: &r}
	}
	ps.boundary = b
	return ps.changed()
}

func (e *Emulator) getPermissionsBoundary(_ time.Time, ps *permissionSet, in permissionSetInput) (any, *apiError) {
	if ps.boundary == nil {
		return nil, errNotFound("Could not find a permissions boundary for permission set %s.", ps.arn)
	}
	return struct {
		PermissionsBoundary *Boundary `json:"PermissionsBoundary"`
	}{ps.boundary}, nil
}

func (e *Emulator) deletePermissionsBoundary(_ time.Time, ps *permissionSet, in permissionSetInput) (any, *apiError) {
	if ps.boundary == nil {
		return nil, errNotFound("Could not find a permissions boundary for permission set %s.", ps.arn)
	}
	ps.boundary = nil
	return ps.changed()
}

// SetCustomerManagedPolicies makes the set reference these customer managed
// policies, as an administrator would have outside jit.
func (e *Emulator) SetCustomerManagedPolicies(psARN string, refs ...PolicyReference) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if ps := e.st.permissionSets[psARN]; ps != nil {
		ps.customer = nil
		for _, r := range refs {
			r.Path = r.path()
			ps.customer = append(ps.customer, r)
		}
		ps.version++
	}
}

// SetPermissionsBoundary gives the set a permissions boundary, as an
// administrator would have outside jit.
func (e *Emulator) SetPermissionsBoundary(psARN string, b Boundary) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if ps := e.st.permissionSets[psARN]; ps != nil {
		if b.CustomerManagedPolicyReference != nil {
			r := *b.CustomerManagedPolicyReference
			r.Path = r.path()
			b.CustomerManagedPolicyReference = &r
		}
		ps.boundary = &b
		ps.version++
	}
}
