package app_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-github/v62/github"

	"github.com/jit-access/jit/internal/ghrepo"
	"github.com/jit-access/jit/internal/githubemu"
	"github.com/jit-access/jit/internal/testworld"
)

// requestReviewers is the route of the App's review requests.
const requestReviewers = "POST /repos/{owner}/{repo}/pulls/{number}/requested_reviewers"

// TestCodeOwnersAreAskedByGitHub: GitHub asks the code owners of a pull
// request opened as ready to review, so the App does not; a code owner
// GitHub does not ask (mallory, without write access) is asked by the App
// at the next event, once, and not again after reviewing.
func TestCodeOwnersAreAskedByGitHub(t *testing.T) {
	w, n, wantAsked := openOwnedByMallory(t)
	wantAsked("opened", nil, []string{"payments-leads"}, 0)

	// The next event: the App asks the owner GitHub did not.
	w.Review(t, n, "carol", "COMMENTED", "looking")
	wantAsked("after a comment", []string{"mallory"}, []string{"payments-leads"}, 1)
	w.Review(t, n, "carol", "COMMENTED", "still looking")
	wantAsked("after a second comment", []string{"mallory"}, []string{"payments-leads"}, 1)
	// A review ends mallory's request; having reviewed, mallory is not
	// asked again.
	w.Review(t, n, "mallory", "COMMENTED", "hmm")
	w.Review(t, n, "carol", "COMMENTED", "and again")
	wantAsked("after mallory's review", nil, []string{"payments-leads"}, 1)
	// An owner's approval completes the request.
	w.Review(t, n, "alice", "APPROVED", "ok")
	wantState(t, w.State(t, n), "success", "success", "jit:approved")
}

// TestSweepAsksTheCodeOwnerGitHubDidNot: without a later event, the sweep
// asks the code owner GitHub did not, once.
func TestSweepAsksTheCodeOwnerGitHubDidNot(t *testing.T) {
	w, _, wantAsked := openOwnedByMallory(t)
	wantAsked("opened", nil, []string{"payments-leads"}, 0)
	repoRef := ghrepo.Repo{Owner: org, Name: repo}
	for range 2 {
		if _, err := w.App.Sweep(t.Context(), w.InstallationID, repoRef); err != nil {
			t.Fatal(err)
		}
		wantAsked("after the sweep", []string{"mallory"}, []string{"payments-leads"}, 1)
	}
}

// openOwnedByMallory adds mallory, who has no write access, to the code
// owners of payments-prod, and has octocat open a request for it; wantAsked
// checks whom the pull request asks to review and how often the App asked.
func openOwnedByMallory(t *testing.T) (*testworld.World, int, func(when string, users, teams []string, appAsked int)) {
	t.Helper()
	w := testworld.Standard(t)
	owners := w.MustOnMain(t, ".github/CODEOWNERS")
	const line = "/requests/payments-prod/     @acme/payments-leads"
	if !strings.Contains(owners, line+"\n") {
		t.Fatalf("setup: CODEOWNERS has no line %q:\n%s", line, owners)
	}
	if _, err := w.GitHub.CommitToBranch(org, repo, "main", githubemu.Commit{Author: "bob", Message: "mallory owns payments-prod too",
		Files: map[string][]byte{".github/CODEOWNERS": []byte(strings.Replace(owners, line+"\n", line+" @mallory\n", 1))}}); err != nil {
		t.Fatal(err)
	}
	w.GitHub.WaitDeliveries()

	w.GitHub.ResetRequests()
	n := w.Open(t, "octocat", "octocat/owners", map[string]string{"requests/payments-prod/owners.yaml": testworld.StandardRequest})
	wantState(t, w.State(t, n), "success", "failure", "jit:pending-owner")
	return w, n, func(when string, users, teams []string, appAsked int) {
		t.Helper()
		gotUsers, gotTeams, err := w.GitHub.RequestedReviewers(org, repo, n)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(gotUsers)
		if !slices.Equal(gotUsers, users) || !slices.Equal(gotTeams, teams) {
			t.Errorf("%s: requested users %v teams %v, want %v %v", when, gotUsers, gotTeams, users, teams)
		}
		if got := w.GitHub.Requests()[requestReviewers]; got != appAsked {
			t.Errorf("%s: the App asked for reviews %d times, want %d", when, got, appAsked)
		}
	}
}

// TestDraftThenReadyForReview: GitHub does not ask the code owners of a
// draft, so the App does; marked ready for review, GitHub would ask them,
// and the App asks nobody again.
func TestDraftThenReadyForReview(t *testing.T) {
	w := testworld.Standard(t)
	ctx := t.Context()
	c := w.UserClient(t, "octocat")
	main, _, err := c.Git.GetRef(ctx, org, repo, "heads/main")
	if err != nil {
		t.Fatal(err)
	}
	const branch = "octocat/draft"
	if _, _, err := c.Git.CreateRef(ctx, org, repo, &github.Reference{Ref: github.String("refs/heads/" + branch), Object: &github.GitObject{SHA: main.GetObject().SHA}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Repositories.CreateFile(ctx, org, repo, "requests/payments-prod/draft.yaml", &github.RepositoryContentFileOptions{
		Message: github.String("request"), Content: []byte(testworld.StandardRequest), Branch: github.String(branch)}); err != nil {
		t.Fatal(err)
	}
	w.GitHub.WaitDeliveries()
	w.GitHub.ResetRequests()
	pr, _, err := c.PullRequests.Create(ctx, org, repo, &github.NewPullRequest{Title: github.String("draft"), Head: github.String(branch), Base: github.String("main"), Draft: github.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	n := pr.GetNumber()
	w.GitHub.WaitDeliveries()
	wantState(t, w.State(t, n), "success", "failure", "jit:pending-owner")
	users, teams, err := w.GitHub.RequestedReviewers(org, repo, n)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 0 || !slices.Equal(teams, []string{"payments-leads"}) || w.GitHub.Requests()[requestReviewers] != 1 {
		t.Fatalf("a draft: requested users %v teams %v, %d requests by the App; want payments-leads asked by the App", users, teams, w.GitHub.Requests()[requestReviewers])
	}
	if err := w.GitHub.MarkReadyForReview(org, repo, n, "octocat"); err != nil {
		t.Fatal(err)
	}
	w.GitHub.WaitDeliveries()
	if got := w.LastDeliveryOf(t, "pull_request", "ready_for_review"); got.StatusCode != 200 {
		t.Fatalf("ready_for_review answered %d", got.StatusCode)
	}
	if got := w.GitHub.Requests()[requestReviewers]; got != 1 {
		t.Errorf("after ready for review the App asked for reviews %d times in all, want the one for the draft", got)
	}
	wantState(t, w.State(t, n), "success", "failure", "jit:pending-owner")
}
