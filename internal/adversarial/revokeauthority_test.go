package adversarial_test

import (
	"strings"
	"testing"

	"github.com/jit-access/jit/internal/githubemu"
	"github.com/jit-access/jit/internal/gittest"
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
	w := newWorldWith(t, fast)
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
	w := newWorldWith(t, fast)
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

// Attack: GitHub marks a pull request merged when its head commit becomes
// reachable from main by any route, here a fast-forward push. carol opened
// her pull request first, then rebuilt her branch on octocat's approved
// commit, which adds his request, with a docs commit of her own on top. An
// admin fast-forwards main to carol's head: both pull requests are now
// "merged", and both list the commit that added octocat's request, carol's
// first. The pull request that brought the request is found from main's
// own history (the merge commit on the first-parent line closest after the
// commit that added it): octocat's, whose head is that commit. The grant
// is octocat's, recorded with his pull request, and carol can neither hold
// nor revoke it. Taking the first merged pull request GitHub lists instead
// judged carol's unapproved one and failed octocat's approved grant.
func TestMergedByReachabilityBringsNoGrant(t *testing.T) {
	w := newWorldWith(t, fast)
	const path = "requests/payments-prod/reach.yaml"
	b := w.Open(t, "carol", "carol/reach", map[string]string{"docs/carol.md": "draft\n"})
	a := w.Open(t, "octocat", "octocat/reach", map[string]string{path: testworld.StandardRequest})
	w.Review(t, a, "alice", "APPROVED", "ok for octocat")
	x := w.State(t, a).Head
	gittest.Output(t, "", "-C", w.GitHub.RepoDir(org, repo), "update-ref", "refs/heads/carol/reach", x)
	z := w.Push(t, b, githubemu.Commit{Author: "carol", Files: map[string][]byte{"docs/carol.md": []byte("notes on octocat's request\n")}})
	if err := w.GitHub.FastForward(org, repo, z, "bob"); err != nil {
		t.Fatal(err)
	}
	w.GitHub.WaitDeliveries()
	for _, n := range []int{a, b} {
		p, err := w.GitHub.PullRequest(org, repo, n)
		if err != nil {
			t.Fatal(err)
		}
		if !p.GetMerged() {
			t.Fatalf("setup: the emulator did not mark #%d merged when the fast-forward made its head reachable from main", n)
		}
	}
	// Before jit records the grant, the pull request that holds it is read
	// from main's history by the same rule.
	w.Comment(t, b, "carol", "/jit revoke before it is recorded")
	if st := grantState(t, w, path); st != "" {
		t.Fatalf("UNSAFE: carol's revoke of the grant jit had not recorded yet changed it to %q", st)
	}
	if c := w.LastComment(t, b); !strings.Contains(c, "brought "+path+" to main first") {
		t.Errorf("carol was not told which pull request brought the request: %q", c)
	}
	rep := reconcile(t, w)
	if !assignedTo(w, "octocat") || assignedTo(w, "carol") {
		t.Fatalf("want octocat's grant only; octocat %v, carol %v; report:\n%s", assignedTo(w, "octocat"), assignedTo(w, "carol"), rep)
	}
	data, _ := w.OnMain(t, path)
	if st := grantState(t, w, path); st != "active" {
		t.Fatalf("grant is %q", st)
	}
	if want := "pull_request: " + itoa(a); !strings.Contains(data, want) || !strings.Contains(data, "requester: octocat") {
		t.Fatalf("UNSAFE: the grant is not recorded as octocat's #%d:\n%s", a, data)
	}
	w.Comment(t, b, "carol", "/jit revoke mine now")
	if st := grantState(t, w, path); st != "active" {
		t.Fatalf("UNSAFE: carol's revoke on the pull request merged by reachability changed the grant to %q", st)
	}
}
