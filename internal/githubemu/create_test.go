package githubemu

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/go-github/v62/github"
)

// TestCreateBranchAndPull opens a pull request the way a client does
// without the driver: a branch, a commit on it, then POST /pulls.
func TestCreateBranchAndPull(t *testing.T) {
	e := newEnv(t, Options{})
	c := e.userClient(t, "alice")
	ctx := context.Background()
	main, _, err := c.Git.GetRef(ctx, org, repoName, "heads/main")
	if err != nil {
		t.Fatal(err)
	}
	newRef := func(branch, sha string) error {
		_, _, err := c.Git.CreateRef(ctx, org, repoName, &github.Reference{Ref: github.String("refs/heads/" + branch), Object: &github.GitObject{SHA: github.String(sha)}})
		return err
	}
	if err := newRef("alice/req", main.GetObject().GetSHA()); err != nil {
		t.Fatal(err)
	}
	if err := newRef("alice/req", main.GetObject().GetSHA()); statusOf(err) != http.StatusUnprocessableEntity {
		t.Errorf("creating an existing branch: %v, want 422", err)
	}
	if err := newRef("alice/other", "0123456789012345678901234567890123456789"); statusOf(err) != http.StatusUnprocessableEntity {
		t.Errorf("a branch at a missing commit: %v, want 422", err)
	}
	newPR := func() (*github.PullRequest, error) {
		pr, _, err := c.PullRequests.Create(ctx, org, repoName, &github.NewPullRequest{Title: github.String("req"), Head: github.String("alice/req"), Base: github.String("main")})
		return pr, err
	}
	if _, err := newPR(); statusOf(err) != http.StatusUnprocessableEntity {
		t.Errorf("a pull request with no commits: %v, want 422", err)
	}
	if _, _, err := c.Repositories.CreateFile(ctx, org, repoName, "requests/payments-prod/a.yaml", &github.RepositoryContentFileOptions{
		Message: github.String("req"), Content: []byte("account: payments-prod\n"), Branch: github.String("alice/req")}); err != nil {
		t.Fatal(err)
	}
	pr, err := newPR()
	if err != nil {
		t.Fatal(err)
	}
	if pr.GetUser().GetLogin() != "alice" || pr.GetHead().GetRef() != "alice/req" || pr.GetState() != "open" {
		t.Errorf("pull request: %s %s %s", pr.GetUser().GetLogin(), pr.GetHead().GetRef(), pr.GetState())
	}
	if _, err := newPR(); statusOf(err) != http.StatusUnprocessableEntity {
		t.Errorf("a second pull request of the same branch: %v, want 422", err)
	}
	files, _, err := c.PullRequests.ListFiles(ctx, org, repoName, pr.GetNumber(), nil)
	if err != nil || len(files) != 1 || files[0].GetFilename() != "requests/payments-prod/a.yaml" {
		t.Errorf("files: %v %v", files, err)
	}
}
