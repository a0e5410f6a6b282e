package iampolicy

// ManagedPolicies lists every AWS managed policy by the path and name of
// its ARN ("AmazonS3ReadOnlyAccess", "job-function/ViewOnlyAccess"),
// sorted; the request page offers them to search.
func ManagedPolicies() []string {
	return append([]string(nil), loadManaged().paths...)
}
