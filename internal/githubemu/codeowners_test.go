package githubemu

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/google/go-github/v62/github"
)

// GitHub asks the code owners of the changed files to review a pull request
// opened as ready, and a draft only once it is marked ready for review: the
// teams and the users with write access of the last matching pattern of the
// base branch's first CODEOWNERS (.github/, the root, docs/), never the
// author; each request is a pull_request review_requested webhook.
func TestCodeOwnersAskedByGitHub(t *testing.T) {
	e, ctx := setup(t)
	e.emu.AddUser("dave", "dave@acme.io")      // hmarr/codeowners takes top-level domains of 2 to 6 letters
	e.emu.AddUser("erin", "erin@acme.example") // no write access: never asked
	if err := e.emu.SetPermission(org, repoName, "dave", "write"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.emu.CommitToBranch(org, repoName, "main", Commit{Author: "carol", Message: "owners", Files: map[string][]byte{
		".github/CODEOWNERS": []byte("* @acme/sso-admins\n/requests/payments-prod/ @acme/payments-leads @alice dave@acme.io @erin @nobody\n/requests/payments-prod/ not-an-owner\n"),
		"CODEOWNERS":         []byte("* @bob\n"), // .github/CODEOWNERS comes first
	}}); err != nil {
		t.Fatal(err)
	}
	c := e.userClient(t, "alice")
	main, _, err := c.Git.GetRef(ctx, org, repoName, "heads/main")
	if err != nil {
		t.Fatal(err)
	}
	open := func(branch string, draft bool) *github.PullRequest {
		t.Helper()
		if _, _, err := c.Git.CreateRef(ctx, org, repoName, &github.Reference{Ref: github.String("refs/heads/" + branch), Object: &github.GitObject{SHA: main.GetObject().SHA}}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.Repositories.CreateFile(ctx, org, repoName, "requests/payments-prod/"+branch+".yaml", &github.RepositoryContentFileOptions{
			Message: github.String("req"), Content: []byte("account: payments-prod\n"), Branch: github.String(branch)}); err != nil {
			t.Fatal(err)
		}
		pr, _, err := c.PullRequests.Create(ctx, org, repoName, &github.NewPullRequest{Title: github.String(branch), Head: github.String(branch), Base: github.String("main"), Draft: github.Bool(draft)})
		if err != nil {
			t.Fatal(err)
		}
		if pr.GetDraft() != draft {
			t.Fatalf("created draft=%v, want %v", pr.GetDraft(), draft)
		}
		return pr
	}
	// asked lists the pull request's requested reviewers through the API.
	asked := func(n int) (users, teams []string) {
		t.Helper()
		r, _, err := e.app.PullRequests.ListReviewers(ctx, org, repoName, n, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range r.Users {
			users = append(users, u.GetLogin())
		}
		for _, tm := range r.Teams {
			teams = append(teams, tm.GetSlug())
		}
		slices.Sort(users)
		return users, teams
	}
	// events are the pull_request deliveries about n from the index from on.
	events := func(n, from int) (out []github.PullRequestEvent) {
		t.Helper()
		for _, d := range e.emu.Deliveries()[from:] {
			var ev github.PullRequestEvent
			if d.Event != "pull_request" || json.Unmarshal(d.Body, &ev) != nil || ev.GetNumber() != n {
				continue
			}
			if d.Action != ev.GetAction() {
				t.Errorf("delivery action %q, payload action %q", d.Action, ev.GetAction())
			}
			out = append(out, ev)
		}
		return out
	}
	wantUsers, wantTeams := []string{"dave"}, []string{"payments-leads"}
	checkAsked := func(evs []github.PullRequestEvent, first, sender string) {
		t.Helper()
		if len(evs) != 3 || evs[0].GetAction() != first {
			t.Fatalf("deliveries %d, want %s and two review_requested", len(evs), first)
		}
		var users, teams []string
		for _, ev := range evs[1:] {
			if ev.GetAction() != "review_requested" || ev.GetSender().GetLogin() != sender || ev.GetInstallation().GetID() != e.instID || ev.GetPullRequest().GetDraft() {
				t.Errorf("review request %s by %s, draft %v", ev.GetAction(), ev.GetSender().GetLogin(), ev.GetPullRequest().GetDraft())
			}
			if u := ev.GetRequestedReviewer(); u != nil {
				users = append(users, u.GetLogin())
			}
			if tm := ev.GetRequestedTeam(); tm != nil {
				teams = append(teams, tm.GetSlug())
			}
		}
		if !slices.Equal(users, wantUsers) || !slices.Equal(teams, wantTeams) {
			t.Errorf("review_requested for users %v teams %v, want %v %v", users, teams, wantUsers, wantTeams)
		}
		last := evs[2].GetPullRequest()
		if len(last.RequestedReviewers)+len(last.RequestedTeams) != 2 {
			t.Errorf("the last review_requested payload lists %d reviewers and %d teams, want both", len(last.RequestedReviewers), len(last.RequestedTeams))
		}
	}

	from := len(e.emu.Deliveries())
	pr := open("ready", false)
	e.emu.WaitDeliveries()
	if users, teams := asked(pr.GetNumber()); !slices.Equal(users, wantUsers) || !slices.Equal(teams, wantTeams) {
		t.Errorf("opened: requested users %v teams %v, want %v %v", users, teams, wantUsers, wantTeams)
	}
	evs := events(pr.GetNumber(), from)
	checkAsked(evs, "opened", "alice")
	if o := evs[0].GetPullRequest(); len(o.RequestedReviewers)+len(o.RequestedTeams) != 0 {
		t.Errorf("the opened payload already lists the code owners: %v %v", o.RequestedReviewers, o.RequestedTeams)
	}

	from = len(e.emu.Deliveries())
	draft := open("draft", true)
	e.emu.WaitDeliveries()
	if users, teams := asked(draft.GetNumber()); len(users)+len(teams) != 0 {
		t.Errorf("a draft: requested users %v teams %v, want none", users, teams)
	}
	if evs := events(draft.GetNumber(), from); len(evs) != 1 || evs[0].GetAction() != "opened" || !evs[0].GetPullRequest().GetDraft() {
		t.Fatalf("a draft opened: %d deliveries, want one opened of a draft", len(evs))
	}
	from = len(e.emu.Deliveries())
	if err := e.emu.MarkReadyForReview(org, repoName, draft.GetNumber(), "alice"); err != nil {
		t.Fatal(err)
	}
	if users, teams := asked(draft.GetNumber()); !slices.Equal(users, wantUsers) || !slices.Equal(teams, wantTeams) {
		t.Errorf("ready for review: requested users %v teams %v, want %v %v", users, teams, wantUsers, wantTeams)
	}
	checkAsked(events(draft.GetNumber(), from), "ready_for_review", "alice")
	if got := mustPull(t, e, draft.GetNumber()); got.GetDraft() {
		t.Error("the pull request is still a draft")
	}
	if err := e.emu.MarkReadyForReview(org, repoName, draft.GetNumber(), "alice"); statusOf(err) != http.StatusUnprocessableEntity {
		t.Errorf("marking a ready pull request ready: %v, want 422", err)
	}
}
