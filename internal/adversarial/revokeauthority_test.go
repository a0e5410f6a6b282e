package adversarial_test

import (
	"strings"
	"testing"

	"github.com/jit-access/jit/internal/testworld"
	"github.com/jit-access/jit/schema"
)

// Attack: carol opens a byte-identical copy of octocat's request; both are
// approved and merged, so both pull requests "added" the file. Authority to
// revoke must come from the grant's own record (the pull request that
// activated it), not from any merged pull request that added the path:
// carol's /jit revoke on her own pull request is refused, and octocat's
// grant stays. And a grant provisioned from an admin-approved pull request
// that mixed the request with another change can be revoked by its
// requester, like any other.
func TestRevocationAuthorityComesFromTheGrantsRecord(t *testing.T) {
	t.Parallel()
	w := testworld.New(t, testworld.Monday, fast)
	const path = "requests/payments-prod/shared.yaml"
	a := w.Open(t, "octocat", "octocat/shared", map[string]string{path: testworld.StandardRequest})
	b := w.Open(t, "carol", "carol/shared", map[string]string{path: testworld.StandardRequest})
	w.Review(t, a, "alice", "APPROVED", "ok for octocat")
	w.Review(t, b, "alice", "APPROVED", "ok for carol")
	for _, n := range []int{a, b} {
		w.Merge(t, n, "alice")
	}
	w.GitHub.WaitDeliveries()
	if rep := reconcile(t, w); !assignedTo(w, "octocat") {
		t.Fatalf("setup: octocat's grant was not activated: %s", rep)
	}
	w.Comment(t, b, "carol", "/jit revoke not needed any more")
	if st := grantState(t, w, path); st != schema.StateActive {
		t.Fatalf("UNSAFE: carol's /jit revoke on her copy changed octocat's grant to %q", st)
	}
	if c := w.LastComment(t, b); !strings.Contains(c, "no grant of its own") {
		t.Errorf("carol was not told her pull request holds no grant: %q", c)
	}
	reconcile(t, w)
	if !assignedTo(w, "octocat") {
		t.Fatal("UNSAFE: octocat lost the grant to carol's revoke")
	}

	// A request merged together with another change, approved by an SSO
	// admin as an admin change, is revocable by its requester.
	const mixed = "requests/payments-prod/mixed.yaml"
	m := w.Open(t, "erin", "erin/mixed", map[string]string{mixed: testworld.StandardRequest, "docs/notes.md": "why\n"})
	w.Review(t, m, "alice", "APPROVED", "owner ok")
	w.Review(t, m, "bob", "APPROVED", "admin ok")
	w.Merge(t, m, "erin")
	if rep := reconcile(t, w); !assignedTo(w, "erin") {
		t.Fatalf("setup: the mixed request was not activated: %s", rep)
	}
	w.Comment(t, m, "erin", "/jit revoke done")
	if st := grantState(t, w, mixed); st != schema.StateRevoking {
		t.Fatalf("the requester could not revoke a grant from a mixed pull request: state %q, reply %q", st, w.LastComment(t, m))
	}
	reconcile(t, w)
	if assignedTo(w, "erin") {
		t.Fatal("the mixed grant was not revoked")
	}
}
