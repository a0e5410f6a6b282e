package idcemu

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// A permission set's policies: AWS managed policies attached by ARN and the
// one inline policy.

type managedPolicyInput struct {
	permissionSetInput
	ManagedPolicyArn *string
}

func (e *Emulator) attachManagedPolicy(_ time.Time, ps *permissionSet, in managedPolicyInput) (any, *apiError) {
	arn, aerr := requireLength("ManagedPolicyArn", in.ManagedPolicyArn, 20, 2048)
	if aerr != nil {
		return nil, aerr
	}
	if !managedPolicyARNPattern.MatchString(arn) {
		return nil, errValidation("The managed policy ARN %s is not valid: attach AWS managed policies by ARN, e.g. arn:aws:iam::aws:policy/ReadOnlyAccess.", arn)
	}
	if slices.Contains(ps.managed, arn) {
		return nil, errConflict("Permission set %s already has the managed policy %s attached.", ps.arn, arn)
	}
	if len(ps.managed) >= maxManagedPolicies {
		return nil, errQuota("Permission set %s already has %d managed policies attached, the most allowed.", ps.arn, maxManagedPolicies)
	}
	ps.managed = append(ps.managed, arn)
	return ps.changed()
}

func (e *Emulator) detachManagedPolicy(_ time.Time, ps *permissionSet, in managedPolicyInput) (any, *apiError) {
	arn, aerr := requireString("ManagedPolicyArn", in.ManagedPolicyArn)
	if aerr != nil {
		return nil, aerr
	}
	i := slices.Index(ps.managed, arn)
	if i < 0 {
		return nil, errNotFound("Could not find managed policy %s attached to permission set %s.", arn, ps.arn)
	}
	ps.managed = slices.Delete(ps.managed, i, i+1)
	return ps.changed()
}

func (e *Emulator) listManagedPolicies(_ time.Time, ps *permissionSet, in setPageInput) (any, *apiError) {
	arns := slices.Sorted(slices.Values(ps.managed))
	return listed("AttachedManagedPolicies", arns, same, in.pageInput, maxResultsLimit, func(arn string) wireManagedPolicy {
		return wireManagedPolicy{Arn: arn, Name: arn[strings.LastIndex(arn, "/")+1:]}
	})
}

func (e *Emulator) putInlinePolicy(_ time.Time, ps *permissionSet, in struct {
	permissionSetInput
	InlinePolicy *string
}) (any, *apiError) {
	policy, aerr := requireLength("InlinePolicy", in.InlinePolicy, 1, maxInlinePolicyBytes)
	if aerr != nil {
		return nil, aerr
	}
	var doc struct {
		Version   *string
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(policy), &doc); err != nil || doc.Statement == nil {
		return nil, errValidation("The policy document is malformed: it must be a JSON object with a Statement.")
	}
	if policy != ps.inline {
		ps.inline = policy
		ps.version++
	}
	return struct{}{}, nil
}

func (e *Emulator) getInlinePolicy(_ time.Time, ps *permissionSet, in permissionSetInput) (any, *apiError) {
	var policy *string
	if ps.inline != "" {
		policy = ptr(ps.inline)
	}
	return struct {
		InlinePolicy *string `json:"InlinePolicy,omitempty"`
	}{policy}, nil
}

func (e *Emulator) deleteInlinePolicy(_ time.Time, ps *permissionSet, in permissionSetInput) (any, *apiError) {
	// Deleting a policy that is not there succeeds, as in AWS.
	if ps.inline != "" {
		ps.inline = ""
		ps.version++
	}
	return struct{}{}, nil
}
