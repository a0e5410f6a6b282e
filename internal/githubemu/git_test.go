package githubemu

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-github/v62/github"

	"github.com/jit-access/jit/internal/gittest"
	"github.com/jit-access/jit/internal/layout"
)

func TestContentsReadWrite(t *testing.T) {
	e, ctx := setup(t)
	fc, _, _, err := e.app.Repositories.GetContents(ctx, org, repoName, layout.ConfigPath, nil)
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

// The reconcile clones the bare repository, commits and pushes; the API
// and later merges see the push.
func TestGitCloneAndPush(t *testing.T) {
	e, ctx := setup(t)
	n, _ := e.openRequest(t, "p")
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
