package adversarial_test

import (
	"strings"
	"testing"

	"github.com/jit-access/jit/internal/githubemu"
	"github.com/jit-access/jit/internal/gittest"
	"github.com/jit-access/jit/internal/testworld"
)

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
	t.Parallel()
	w := testworld.New(t, testworld.Monday, fast)
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
