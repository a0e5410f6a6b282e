package githubemu

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-github/v62/github"

	"github.com/jit-access/jit/internal/gittest"
)

// The App handles deliveries concurrently; everything it and the drivers do
// at once must be safe (run with -race) and leave consistent state.
func TestConcurrentUse(t *testing.T) {
	e := newEnv(t, Options{})
	const prs, workers = 4, 16
	var nums []int
	for i := 0; i < prs; i++ {
		n, err := e.emu.OpenPullRequest(org, repoName, "alice", fmt.Sprintf("req/%d", i), "Request", map[string][]byte{fmt.Sprintf("requests/payments-prod/%d.yaml", i): []byte("x: 1\n")})
		if err != nil {
			t.Fatal(err)
		}
		nums = append(nums, n)
	}
	e.emu.ResetRequests()
	var wg sync.WaitGroup
	errs := make(chan error, workers*8)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			n := nums[w%prs]
			check := func(err error) {
				if err != nil {
					errs <- fmt.Errorf("worker %d: %w", w, err)
				}
			}
			pr, _, err := e.app.PullRequests.Get(ctx, org, repoName, n)
			check(err)
			_, _, err = e.app.PullRequests.ListFiles(ctx, org, repoName, n, nil)
			check(err)
			_, _, err = e.app.Issues.CreateComment(ctx, org, repoName, n, &github.IssueComment{Body: github.String(fmt.Sprintf("from %d", w))})
			check(err)
			_, _, err = e.app.Issues.AddLabelsToIssue(ctx, org, repoName, n, []string{fmt.Sprintf("l%d", w%3)})
			check(err)
			if pr != nil {
				_, _, err = e.app.Checks.CreateCheckRun(ctx, org, repoName, github.CreateCheckRunOptions{Name: "jit/approval", HeadSHA: pr.GetHead().GetSHA(), Conclusion: github.String("neutral")})
				check(err)
			}
			_, _, err = e.app.Repositories.CreateFile(ctx, org, repoName, fmt.Sprintf("audit/%d.txt", w), &github.RepositoryContentFileOptions{Message: github.String("w"), Content: []byte("w\n")})
			check(err)
			if w < prs {
				_, err = e.emu.Push(org, repoName, n, "alice", map[string][]byte{fmt.Sprintf("extra/%d.txt", w): []byte("e\n")})
				check(err)
			}
			_, err = e.emu.SubmitReview(org, repoName, n, "bob", "COMMENTED", "hm")
			check(err)
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	e.emu.WaitDeliveries()
	// Every contents write landed on main, one commit each.
	out := gittest.Run(t, e.emu.RepoDir(org, repoName), "ls-tree", "--name-only", "main", "audit/")
	if got := len(strings.Fields(out)); got != workers {
		t.Errorf("audit files on main = %d, want %d", got, workers)
	}
	comments := 0
	for _, n := range nums {
		cs, _ := e.emu.Comments(org, repoName, n)
		comments += len(cs)
	}
	if comments != workers {
		t.Errorf("comments = %d, want %d", comments, workers)
	}
	if got := e.emu.Requests()["PUT /repos/{owner}/{repo}/contents/{path}"]; got != workers {
		t.Errorf("contents PUT count = %d, want %d", got, workers)
	}
	if got := e.emu.Requests()["GET /repos/{owner}/{repo}/pulls/{number}"]; got != workers {
		t.Errorf("pull GET count = %d, want %d; all counts %v", got, workers, e.emu.Requests())
	}
}
