package githubemu

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-github/v62/github"

	"github.com/jit-access/jit/internal/gittest"
)

func TestContentsReadWrite(t *testing.T) {
	e := newEnv(t, Options{})
	fc, _, _, err := e.app.Repositories.GetContents(ctx, org, repoName, ".github/jit.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := fc.GetContent(); s != "version: 1\n" || fc.GetType() != "file" || fc.GetSHA() == "" {
		t.Errorf("GET jit.yaml = %q type %s sha %s", s, fc.GetType(), fc.GetSHA())
	}
	_, dir, _, err := e.app.Repositories.GetContents(ctx, org, repoName, ".github", nil)
	if err != nil || len(dir) != 2 {
		t.Errorf("GET .github dir = %d entries, %v", len(dir), err)
	}
	if _, _, _, err := e.app.Repositories.GetContents(ctx, org, repoName, "nope.txt", nil); statusOf(err) != http.StatusNotFound {
		t.Errorf("missing file: %v, want 404", err)
	}
	if _, _, _, err := e.app.Repositories.GetContents(ctx, org, repoName, "README.md", &github.RepositoryContentGetOptions{Ref: "no-such-branch"}); statusOf(err) != http.StatusNotFound {
		t.Errorf("missing ref: %v, want 404", err)
	}

	// Create, then update with a stale sha (409), without a sha (422), and right.
	res, resp, err := e.app.Repositories.CreateFile(ctx, org, repoName, "requests/payments-prod/alice.yaml", &github.RepositoryContentFileOptions{
		Message: github.String("jit: revoke payments-prod/ReadOnlyAccess for alice (#1)\n\nJit-Event: revoked"),
		Content: []byte("state: revoking\n"),
	})
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %v (%v)", err, resp)
	}
	opts := &github.RepositoryContentFileOptions{Message: github.String("update"), Content: []byte("state: revoked\n"), SHA: fc.SHA}
	if _, _, err := e.app.Repositories.UpdateFile(ctx, org, repoName, "requests/payments-prod/alice.yaml", opts); statusOf(err) != http.StatusConflict {
		t.Errorf("stale sha: %v, want 409", err)
	}
	opts.SHA = nil
	if _, _, err := e.app.Repositories.UpdateFile(ctx, org, repoName, "requests/payments-prod/alice.yaml", opts); statusOf(err) != http.StatusUnprocessableEntity {
		t.Errorf("missing sha: %v, want 422", err)
	}
	opts.SHA = res.Content.SHA
	opts.Author = &github.CommitAuthor{Name: github.String("bob"), Email: github.String("bob@acme.example")}
	upd, resp, err := e.app.Repositories.UpdateFile(ctx, org, repoName, "requests/payments-prod/alice.yaml", opts)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("update: %v", err)
	}
	main, _ := e.emu.MainSHA(org, repoName)
	if upd.GetSHA() != main || upd.Parents[0].GetSHA() != res.GetSHA() {
		t.Errorf("update commit %s (parent %s), main %s, create commit %s", upd.GetSHA(), upd.Parents[0].GetSHA(), main, res.GetSHA())
	}
	// The commits are real: git log in the bare repository shows them.
	log := gittest.Run(t, e.emu.RepoDir(org, repoName), "log", "--format=%an <%ae>|%cn|%s|%(trailers:key=Jit-Event,valueonly)", "main")
	lines := strings.Split(log, "\n")
	if len(lines) < 3 || !strings.HasPrefix(lines[0], "bob <bob@acme.example>|jit-test[bot]|update") ||
		!strings.HasPrefix(lines[1], "jit-test[bot] <") || !strings.Contains(lines[1], "|jit: revoke payments-prod/ReadOnlyAccess for alice (#1)|revoked") {
		t.Errorf("git log:\n%s", log)
	}
	got, _, _, err := e.app.Repositories.GetContents(ctx, org, repoName, "requests/payments-prod/alice.yaml", &github.RepositoryContentGetOptions{Ref: res.GetSHA()})
	if s, _ := got.GetContent(); err != nil || s != "state: revoking\n" {
		t.Errorf("contents at the first commit = %q, %v", s, err)
	}
	// Delete it again.
	if _, _, err := e.app.Repositories.DeleteFile(ctx, org, repoName, "requests/payments-prod/alice.yaml", &github.RepositoryContentFileOptions{Message: github.String("rm"), SHA: upd.Content.SHA}); err != nil {
		t.Errorf("delete: %v", err)
	}
	if _, _, _, err := e.app.Repositories.GetContents(ctx, org, repoName, "requests/payments-prod/alice.yaml", nil); statusOf(err) != http.StatusNotFound {
		t.Errorf("after delete: %v, want 404", err)
	}
	ref, _, err := e.app.Git.GetRef(ctx, org, repoName, "refs/heads/main")
	if m, _ := e.emu.MainSHA(org, repoName); err != nil || ref.GetObject().GetSHA() != m {
		t.Errorf("GetRef main = %v, %v", ref.GetObject().GetSHA(), err)
	}
}

func TestMerge(t *testing.T) {
	e := newEnv(t, Options{})
	if err := e.emu.SetRequiredChecks(org, repoName, "jit/approval"); err != nil {
		t.Fatal(err)
	}
	n, _ := e.emu.OpenPullRequest(org, repoName, "alice", "req/m", "Request m", map[string][]byte{"requests/payments-prod/m.yaml": []byte("m: 1\n")})
	head := mustPull(t, e, n).GetHead().GetSHA()
	bob := e.userClient(t, "bob")
	if _, _, err := bob.PullRequests.Merge(ctx, org, repoName, n, "", nil); statusOf(err) != http.StatusMethodNotAllowed {
		t.Errorf("merge without the required check: %v, want 405", err)
	}
	if pr := mustPull(t, e, n); pr.GetMergeableState() != "blocked" {
		t.Errorf("mergeable_state = %s, want blocked", pr.GetMergeableState())
	}
	cr, _, err := e.app.Checks.CreateCheckRun(ctx, org, repoName, github.CreateCheckRunOptions{Name: "jit/approval", HeadSHA: head, Conclusion: github.String("success")})
	if err != nil || cr.GetStatus() != "completed" || cr.CompletedAt == nil {
		t.Fatalf("check run = %v, %v", cr, err)
	}
	if _, _, err := bob.PullRequests.Merge(ctx, org, repoName, n, "", &github.PullRequestOptions{SHA: strings.Repeat("a", 40)}); statusOf(err) != http.StatusConflict {
		t.Errorf("merge with a stale sha: %v, want 409", err)
	}
	if _, _, err := bob.PullRequests.Merge(ctx, org, repoName, n, "", &github.PullRequestOptions{MergeMethod: "rebase"}); statusOf(err) != http.StatusMethodNotAllowed {
		t.Errorf("rebase merge: %v, want 405", err)
	}
	before, _ := e.emu.MainSHA(org, repoName)
	res, _, err := bob.PullRequests.Merge(ctx, org, repoName, n, "", &github.PullRequestOptions{SHA: head})
	if err != nil || !res.GetMerged() {
		t.Fatalf("merge: %v, %v", res, err)
	}
	after, _ := e.emu.MainSHA(org, repoName)
	if res.GetSHA() != after {
		t.Errorf("merge sha %s, main %s", res.GetSHA(), after)
	}
	parents := gittest.Run(t, e.emu.RepoDir(org, repoName), "rev-list", "--parents", "-n1", after)
	if parents != after+" "+before+" "+head {
		t.Errorf("merge commit parents = %q, want main's old tip and the head", parents)
	}
	pr := mustPull(t, e, n)
	if !pr.GetMerged() || pr.GetMergeCommitSHA() != after || pr.GetMergedBy().GetLogin() != "bob" || pr.MergedAt == nil || pr.GetState() != "closed" || pr.GetHead().GetSHA() != head {
		t.Errorf("merged pull = merged %v sha %s by %s state %s head %s", pr.GetMerged(), pr.GetMergeCommitSHA(), pr.GetMergedBy().GetLogin(), pr.GetState(), pr.GetHead().GetSHA())
	}
	// The merged PR keeps its files and commits.
	files, _, err := e.app.PullRequests.ListFiles(ctx, org, repoName, n, nil)
	if err != nil || len(files) != 1 || files[0].GetFilename() != "requests/payments-prod/m.yaml" {
		t.Errorf("files after merge = %v, %v", files, err)
	}
	if merged, _, _ := e.app.PullRequests.IsMerged(ctx, org, repoName, n); !merged {
		t.Errorf("IsMerged = false")
	}
	if _, _, err := bob.PullRequests.Merge(ctx, org, repoName, n, "", nil); statusOf(err) != http.StatusMethodNotAllowed {
		t.Errorf("merging twice: %v, want 405", err)
	}

	// Two PRs editing the same line: the second is not mergeable.
	a, _ := e.emu.OpenPullRequest(org, repoName, "alice", "edit/a", "A", map[string][]byte{"README.md": []byte("A\n")})
	b, _ := e.emu.OpenPullRequest(org, repoName, "alice", "edit/b", "B", map[string][]byte{"README.md": []byte("B\n")})
	if _, err := e.emu.Merge(org, repoName, a, "carol"); err != nil {
		t.Fatalf("admin merge without checks: %v", err)
	}
	if pr := mustPull(t, e, b); pr.GetMergeable() || pr.GetMergeableState() != "dirty" {
		t.Errorf("conflicting pull: mergeable %v %s", pr.GetMergeable(), pr.GetMergeableState())
	}
	if _, err := e.emu.Merge(org, repoName, b, "carol"); statusOf2(err) != http.StatusMethodNotAllowed {
		t.Errorf("merging a conflict: %v, want 405", err)
	}
	// The merge sends pull_request "closed" and, as it moves main, a push.
	e.emu.WaitDeliveries()
	var d, push Delivery
	for _, x := range e.emu.Deliveries() {
		switch x.Event {
		case "pull_request":
			d = x
		case "push":
			push = x
		}
	}
	var ev github.PullRequestEvent
	_ = jsonUnmarshal(d.Body, &ev)
	if d.Event != "pull_request" || ev.GetAction() != "closed" || !ev.GetPullRequest().GetMerged() || ev.GetNumber() != a {
		t.Errorf("last pull_request delivery = %s %s merged %v #%d", d.Event, ev.GetAction(), ev.GetPullRequest().GetMerged(), ev.GetNumber())
	}
	var pe github.PushEvent
	_ = jsonUnmarshal(push.Body, &pe)
	if pe.GetRef() != "refs/heads/main" || pe.GetAfter() != ev.GetPullRequest().GetMergeCommitSHA() || pe.GetBefore() == "" {
		t.Errorf("push delivery: ref %q, before %q, after %q; want main moved to the merge commit %s", pe.GetRef(), pe.GetBefore(), pe.GetAfter(), ev.GetPullRequest().GetMergeCommitSHA())
	}
}

// The reconcile clones the bare repository, commits and pushes; the API
// and later merges see the push.
func TestGitCloneAndPush(t *testing.T) {
	e := newEnv(t, Options{})
	n, _ := e.emu.OpenPullRequest(org, repoName, "alice", "req/p", "Request p", map[string][]byte{"requests/payments-prod/p.yaml": []byte("p: 1\n")})
	work := filepath.Join(t.TempDir(), "work")
	gittest.Run(t, filepath.Dir(work), "clone", "--quiet", e.emu.RepoDir(org, repoName), work)
	if err := os.WriteFile(filepath.Join(work, "status.txt"), []byte("active\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gittest.Run(t, work, "add", "status.txt")
	gittest.Run(t, work, "commit", "--quiet", "-m", "jit: activate")
	gittest.Run(t, work, "push", "--quiet", "origin", "main")
	pushed := gittest.Run(t, work, "rev-parse", "HEAD")
	if m, _ := e.emu.MainSHA(org, repoName); m != pushed {
		t.Errorf("main after push = %s, want %s", m, pushed)
	}
	fc, _, _, err := e.app.Repositories.GetContents(ctx, org, repoName, "status.txt", nil)
	if s, _ := fc.GetContent(); err != nil || s != "active\n" {
		t.Errorf("pushed file through the API = %q, %v", s, err)
	}
	sha, err := e.emu.Merge(org, repoName, n, "carol")
	if err != nil {
		t.Fatal(err)
	}
	gittest.Run(t, work, "pull", "--quiet", "--ff-only")
	if got := gittest.Run(t, work, "rev-parse", "HEAD^1"); got != pushed {
		t.Errorf("merge %s first parent = %s, want the pushed commit", sha, got)
	}
	if _, err := os.Stat(filepath.Join(work, "requests/payments-prod/p.yaml")); err != nil {
		t.Errorf("merged file missing in the clone: %v", err)
	}
}
