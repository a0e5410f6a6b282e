package adversarial_test

import (
	"strings"
	"testing"

	"github.com/jit-access/jit/internal/testworld"
)

// Attack: revoke someone else's access (a denial of service on an incident
// responder) by commenting /jit revoke as a person who is neither the
// requester, an owner of the account nor an SSO admin — including owners of
// other accounts and spellings the parser might treat differently.
func TestRevokeByOutsiderIsRefused(t *testing.T) {
	w := newWorld(t)
	const path = "requests/payments-prod/rv.yaml"
	n := w.Merged(t, "octocat", "octocat/rv", path, testworld.StandardRequest)
	before, _ := w.OnMain(t, path)

	for _, tc := range []struct{ who, body string }{
		{"mallory", "/jit revoke"},
		{"mallory", "/jit revoke because I said so"},
		{"mallory", "  /jit   revoke  "},
		{"mallory", "/jit revoke\n/jit revoke"},
		{"carol", "/jit revoke I own payments-staging"}, // owner of another account
		{"erin", "/jit revoke I own data-prod"},
	} {
		w.Comment(t, n, tc.who, tc.body)
		if got, _ := w.OnMain(t, path); got != before {
			t.Fatalf("UNSAFE: %s's %q changed the request on main:\n%s", tc.who, tc.body, got)
		}
		if c := w.LastComment(t, n); !strings.Contains(c, "may not revoke") || !strings.Contains(c, tc.who) {
			t.Errorf("%s was not told why: %q", tc.who, c)
		}
	}
	// Editing an old comment into a revoke is not a new command either.
	id, err := w.GitHub.Comment(org, repo, n, "mallory", "thanks")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.GitHub.EditComment(org, repo, id, "mallory", "/jit revoke"); err != nil {
		t.Fatal(err)
	}
	w.AssertDelivered(t)
	if got, _ := w.OnMain(t, path); got != before {
		t.Fatalf("UNSAFE: an edited comment revoked:\n%s", got)
	}

	// The people who may: an SSO admin (bob, via @acme/sso-admins).
	w.Comment(t, n, "bob", "/jit revoke incident over")
	got, _ := w.OnMain(t, path)
	if !strings.Contains(got, "state: revoking") || !strings.Contains(got, "revoked_by: bob") {
		t.Fatalf("the admin's revoke was not recorded:\n%s", got)
	}
}

// Attack: /jit revoke on a request that was never merged: nothing to
// revoke, and nothing may be written to main for it.
func TestRevokeOfUnmergedRequestWritesNothing(t *testing.T) {
	w := newWorld(t)
	const path = "requests/payments-prod/open.yaml"
	n := w.Open(t, "octocat", "octocat/open", map[string]string{path: testworld.StandardRequest})
	mainBefore, err := w.GitHub.MainSHA(org, repo)
	if err != nil {
		t.Fatal(err)
	}
	w.Comment(t, n, "octocat", "/jit revoke")
	if after, _ := w.GitHub.MainSHA(org, repo); after != mainBefore {
		t.Fatalf("a revoke of an unmerged request committed to main")
	}
	if _, ok := w.OnMain(t, path); ok {
		t.Fatalf("the unmerged request appeared on main")
	}
}
