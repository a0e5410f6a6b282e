package layout

import "testing"

func TestPaths(t *testing.T) {
	if got := RequestPath("payments-prod", "alice-1"); got != "requests/payments-prod/alice-1.yaml" {
		t.Errorf("RequestPath = %q", got)
	}
	if got := PermissionSetName("db-read"); got != "JIT-db-read" {
		t.Errorf("PermissionSetName = %q", got)
	}
	// Every path against both classifiers: a request is never CODEOWNERS
	// and CODEOWNERS is never a request.
	for _, tc := range []struct {
		path                     string
		inRequests, isCodeowners bool
	}{
		{path: "requests/payments-prod/a.yaml", inRequests: true},
		{path: "requests/CODEOWNERS", inRequests: true},
		{path: "requests"},
		{path: "requestsx/a.yaml"},
		{path: "docs/requests/a.yaml"},
		{path: ".github/CODEOWNERS", isCodeowners: true},
		{path: "CODEOWNERS", isCodeowners: true},
		{path: "docs/CODEOWNERS", isCodeowners: true},
		{path: "src/CODEOWNERS"},
		{path: ".github/codeowners"},
	} {
		if got := InRequests(tc.path); got != tc.inRequests {
			t.Errorf("InRequests(%q) = %v, want %v", tc.path, got, tc.inRequests)
		}
		if got := IsCodeowners(tc.path); got != tc.isCodeowners {
			t.Errorf("IsCodeowners(%q) = %v, want %v", tc.path, got, tc.isCodeowners)
		}
	}
}
