package layout

import "testing"

func TestPaths(t *testing.T) {
	if got := RequestPath("payments-prod", "alice-1"); got != "requests/payments-prod/alice-1.yaml" {
		t.Errorf("RequestPath = %q", got)
	}
	if got := PermissionSetName("db-read"); got != "JIT-db-read" {
		t.Errorf("PermissionSetName = %q", got)
	}
	for path, want := range map[string]bool{
		"requests/payments-prod/a.yaml": true,
		"requests":                      false,
		"requestsx/a.yaml":              false,
		"docs/requests/a.yaml":          false,
	} {
		if got := InRequests(path); got != want {
			t.Errorf("InRequests(%q) = %v, want %v", path, got, want)
		}
	}
	for path, want := range map[string]bool{
		".github/CODEOWNERS": true,
		"CODEOWNERS":         true,
		"docs/CODEOWNERS":    true,
		"src/CODEOWNERS":     false,
		".github/codeowners": false,
	} {
		if got := IsCodeowners(path); got != want {
			t.Errorf("IsCodeowners(%q) = %v, want %v", path, got, want)
		}
	}
}
