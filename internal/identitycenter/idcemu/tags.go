package idcemu

import (
	"maps"
	"slices"
	"time"
)

// Tags on permission sets, the only resources of an instance jit tags.

func (e *Emulator) taggedResource(instance, resource *string) (*permissionSet, *apiError) {
	if aerr := e.checkInstance(instance); aerr != nil {
		return nil, aerr
	}
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
	InstanceArn *string
	ResourceArn *string
}

func (e *Emulator) tagResource(_ time.Time, in struct {
	tagResourceInput
	Tags []wireTag
}) (any, *apiError) {
	ps, aerr := e.taggedResource(in.InstanceArn, in.ResourceArn)
	if aerr != nil {
		return nil, aerr
	}
	if in.Tags == nil {
		return nil, errNull("Tags")
	}
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

func (e *Emulator) untagResource(_ time.Time, in struct {
	tagResourceInput
	TagKeys []string
}) (any, *apiError) {
	ps, aerr := e.taggedResource(in.InstanceArn, in.ResourceArn)
	if aerr != nil {
		return nil, aerr
	}
	if in.TagKeys == nil {
		return nil, errNull("TagKeys")
	}
	for _, k := range in.TagKeys {
		delete(ps.tags, k)
	}
	return struct{}{}, nil
}

// listTagsForResource pages with NextToken only: the operation has no
// MaxResults member.
func (e *Emulator) listTagsForResource(_ time.Time, in struct {
	tagResourceInput
	NextToken *string
}) (any, *apiError) {
	ps, aerr := e.taggedResource(in.InstanceArn, in.ResourceArn)
	if aerr != nil {
		return nil, aerr
	}
	keys := slices.Sorted(maps.Keys(ps.tags))
	return listed("Tags", keys, same, pageInput{NextToken: in.NextToken}, maxResultsLimit, func(k string) wireTag {
		return wireTag{Key: ptr(k), Value: ptr(ps.tags[k])}
	})
}
