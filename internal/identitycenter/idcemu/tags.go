package idcemu

import (
	"maps"
	"slices"
	"time"
)

// Tags on permission sets, the only resources of an instance jit tags.

// taggedResource is the permission set a tagging operation names; op has
// checked the instance.
func (e *Emulator) taggedResource(resource *string) (*permissionSet, *apiError) {
	arn, aerr := requireString("ResourceArn", resource)
	if aerr != nil {
		return nil, aerr
	}
	ps := e.st.permissionSets[arn]
	if ps == nil {
		if !permissionSetARNPattern.MatchString(arn) {
			return nil, errValidation("The resource ARN %s is not a permission set of this instance; only permission sets can be tagged.", arn)
		}
		return nil, errNotFound("Could not find resource %s.", arn)
	}
	return ps, nil
}

type tagResourceInput struct {
	instanceInput
	ResourceArn *string
}

func (in tagResourceInput) resourceARN() *string { return in.ResourceArn }

// taggedOp is op for a tagging operation, which looks the resource up.
func taggedOp[In interface{ resourceARN() *string }](f func(e *Emulator, ps *permissionSet, in In) (any, *apiError)) handlerFunc {
	return op(func(e *Emulator, _ time.Time, in In) (any, *apiError) {
		ps, aerr := e.taggedResource(in.resourceARN())
		if aerr != nil {
			return nil, aerr
		}
		return f(e, ps, in)
	})
}

func (e *Emulator) tagResource(ps *permissionSet, in struct {
	tagResourceInput
	Tags []wireTag // required: validateInput refused null
}) (any, *apiError) {
	tags, aerr := validateTags(in.Tags)
	if aerr != nil {
		return nil, aerr
	}
	merged := maps.Clone(ps.tags)
	maps.Copy(merged, tags)
	if len(merged) > maxTagsPerResource {
		return nil, errQuota("Resource %s would have %d tags; at most %d are allowed.", ps.arn, len(merged), maxTagsPerResource)
	}
	ps.tags = merged
	return struct{}{}, nil
}

func (e *Emulator) untagResource(ps *permissionSet, in struct {
	tagResourceInput
	TagKeys []string // required: validateInput refused null
}) (any, *apiError) {
	for _, k := range in.TagKeys {
		delete(ps.tags, k)
	}
	return struct{}{}, nil
}

// listTagsForResource pages with NextToken only: the operation has no
// MaxResults member.
func (e *Emulator) listTagsForResource(ps *permissionSet, in struct {
	tagResourceInput
	NextToken *string
}) (any, *apiError) {
	keys := slices.Sorted(maps.Keys(ps.tags))
	return listed("Tags", keys, same, pageInput{NextToken: in.NextToken}, maxResultsLimit, func(k string) wireTag {
		return wireTag{Key: ptr(k), Value: ptr(ps.tags[k])}
	})
}
