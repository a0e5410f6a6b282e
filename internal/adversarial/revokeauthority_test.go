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

// Attack: the same copy, for a scheduled grant. Until its start_at jit has
// recorded nothing on the file, so no record says whose it is. The pull
// request that holds it is the one that brought the request to main, read
// from main's first-parent history as the reconcile reads it: carol's copy,
// merged when the file was already there, holds nothing, so her /jit revoke
// is refused and she is never recorded as the grant's requester; octocat's
// revoke is recorded under his own pull request and name.
func TestScheduledGrantBelongsToThePullRequestThatBroughtIt(t *testing.T) {
	t.Parallel()
	w := testworld.New(t, testworld.Monday, fast)
	const path = "requests/payments-prod/later.yaml"
	body := testworld.StandardRequest + "start_at: 2026-11-25T09:00:00Z\n"
	a := w.Open(t, "octocat", "octocat/later", map[string]string{path: body})
	b := w.Open(t, "carol", "carol/later", map[string]string{path: body})
	w.Review(t, a, "alice", "APPROVED", "ok for octocat")
	w.Review(t, b, "alice", "APPROVED", "ok for carol")
	for _, n := range []int{a, b} {
		if _, err := w.GitHub.Merge(org, repo, n, "alice"); err != nil {
			t.Fatal(err)
		}
	}
	w.GitHub.WaitDeliveries()
	if rep := reconcile(t, w); len(rep.Scheduled) != 1 {
		t.Fatalf("setup: the grant is not scheduled: %s", rep)
	}
	w.Comment(t, b, "carol", "/jit revoke not needed any more")
	if st := grantState(t, w, path); st != "" {
		t.Fatalf("UNSAFE: carol's /jit revoke on her copy changed octocat's scheduled grant to %q:\n%s", st, w.MustOnMain(t, path))
	}
	if c := w.LastComment(t, b); !strings.Contains(c, "holds no grant of its own") || !strings.Contains(c, "already on main before it was merged") {
		t.Errorf("carol was not told why her pull request holds no grant: %q", c)
	}
	w.Comment(t, a, "octocat", "/jit revoke plans changed")
	st := w.Status(t, path)
	if st == nil || st.State != schema.StateRevoking || st.PullRequest != a || st.Requester != "octocat" || st.RevokedBy != "octocat" {
		t.Fatalf("octocat's revoke of his scheduled grant is not recorded as his (#%d): %+v; reply %q", a, st, w.LastComment(t, a))
	}
	reconcile(t, w)
	if st := w.Status(t, path); st == nil || st.State != schema.StateRevoked || st.Requester != "octocat" || st.PullRequest != a {
		t.Fatalf("the revocation did not end octocat's grant as his: %+v", st)
	}
}
