package adversarial_test

import (
	"strings"
	"testing"

	"github.com/jit-access/jit/internal/gittest"
	"github.com/jit-access/jit/internal/testworld"
)

// Attack: GitHub marks a pull request merged when its head commit becomes
// reachable from main by any route. carol points her pull request at
// octocat's approved head commit; when octocat's is merged, hers is
// "merged" too, adding the same file. The pull request that brought the
// request is found from main's own history (the merge commit on the
// first-parent line): the grant is octocat's, recorded with his pull
// request, and carol can neither hold nor revoke it.
func TestMergedByReachabilityBringsNoGrant(t *testing.T) {
	t.Parallel()
	w := testworld.New(t, testworld.Monday, fast)
	const path = "requests/payments-prod/reach.yaml"
	a := w.Open(t, "octocat", "octocat/reach", map[string]string{path: testworld.StandardRequest})
	w.Review(t, a, "alice", "APPROVED", "ok for octocat")
	head := w.State(t, a).Head
	b := w.Open(t, "carol", "carol/reach", map[string]string{"requests/payments-prod/carol-reach.yaml": testworld.StandardRequest})
	gittest.Output(t, "", "-C", w.GitHub.RepoDir(org, repo), "update-ref", "refs/heads/carol/reach", head)
	w.Merge(t, a, "octocat")
	pb, err := w.GitHub.PullRequest(org, repo, b)
	if err != nil {
		t.Fatal(err)
	}
	if !pb.GetMerged() {
		t.Fatalf("setup: the emulator did not mark #%d merged when its head became reachable from main", b)
	}
	rep := reconcile(t, w)
	if !assignedTo(w, "octocat") || assignedTo(w, "carol") {
		t.Fatalf("UNSAFE: want octocat's grant only; octocat %v, carol %v; report:\n%s", assignedTo(w, "octocat"), assignedTo(w, "carol"), rep)
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
