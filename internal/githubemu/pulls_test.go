package githubemu

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v62/github"
	"github.com/jit-access/jit/internal/gittest"
)

func TestPullRequestFilesAndCommits(t *testing.T) {
	e, ctx := setup(t)
	e.emu.AddUser("dave", "dave@acme.example")
	n, err := e.emu.OpenPullRequest(org, repoName, "alice", "req/alice", "Request access", map[string][]byte{
		"requests/payments-prod/alice.yaml": []byte("account: payments-prod\n"),
		"README.md":                         []byte("# access\nchanged\n"),
		".github/CODEOWNERS":                nil, // delete
	})
	if err != nil {
		t.Fatal(err)
	}
	// A second commit by alice, committed by dave, renames the request and
	// adds a symlink; a third has an email nobody owns.
	if _, err := e.emu.PushCommit(org, repoName, n, Commit{Author: "alice", Committer: "dave", Files: map[string][]byte{
		"requests/payments-prod/alice.yaml":  nil,
		"requests/payments-prod/alice2.yaml": []byte("account: payments-prod\n"),
		"requests/link.yaml":                 []byte("payments-prod/alice2.yaml"),
	}, Modes: map[string]string{"requests/link.yaml": "120000"}}); err != nil {
		t.Fatal(err)
	}
	e.emu.AddUser("mallory", "mallory@evil.example")
	head, err := e.emu.Push(org, repoName, n, "mallory", map[string][]byte{"x.txt": []byte("x\n")})
	if err != nil {
		t.Fatal(err)
	}

	files, _, err := e.app.PullRequests.ListFiles(ctx, org, repoName, n, nil)
	if err != nil {
		t.Fatal(err)
	}
	type fileRow struct{ Name, Status, Prev string }
	got := mapped(files, func(f *github.CommitFile) fileRow {
		return fileRow{f.GetFilename(), f.GetStatus(), f.GetPreviousFilename()}
	})
	sort.Slice(got, func(i, j int) bool { return got[i].Name < got[j].Name })
	want := []fileRow{
		{".github/CODEOWNERS", "removed", ""},
		{"README.md", "modified", ""},
		{"requests/link.yaml", "added", ""},
		{"requests/payments-prod/alice2.yaml", "added", ""},
		{"x.txt", "added", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	for _, f := range files {
		if f.GetFilename() == "README.md" && (f.GetAdditions() != 1 || f.GetDeletions() != 0 || !strings.HasPrefix(f.GetPatch(), "@@") || !strings.Contains(f.GetPatch(), "+changed")) {
			t.Errorf("README.md: +%d -%d patch %q", f.GetAdditions(), f.GetDeletions(), f.GetPatch())
		}
	}

	commits, _, err := e.app.PullRequests.ListCommits(ctx, org, repoName, n, nil)
	if err != nil {
		t.Fatal(err)
	}
	type commitRow struct{ Author, Committer, Email string }
	gotC := mapped(commits, func(c *github.RepositoryCommit) commitRow {
		return commitRow{c.GetAuthor().GetLogin(), c.GetCommitter().GetLogin(), c.GetCommit().GetAuthor().GetEmail()}
	})
	wantC := []commitRow{{"alice", "alice", "alice@acme.example"}, {"alice", "dave", "alice@acme.example"}, {"mallory", "mallory", "mallory@evil.example"}}
	if diff := cmp.Diff(wantC, gotC); diff != "" {
		t.Errorf("commits (-want +got):\n%s", diff)
	}
	if commits[2].GetSHA() != head {
		t.Errorf("last commit %s, want head %s", commits[2].GetSHA(), head)
	}

	pr, _, err := e.app.PullRequests.Get(ctx, org, repoName, n)
	if err != nil {
		t.Fatal(err)
	}
	main, _ := e.emu.MainSHA(org, repoName)
	if pr.GetHead().GetSHA() != head || pr.GetBase().GetSHA() != main || pr.GetBase().GetRef() != "main" || pr.GetUser().GetLogin() != "alice" {
		t.Errorf("pull = head %s base %s@%s user %s", pr.GetHead().GetSHA(), pr.GetBase().GetRef(), pr.GetBase().GetSHA(), pr.GetUser().GetLogin())
	}
	if pr.GetCommits() != 3 || pr.GetChangedFiles() != 5 || !pr.GetMergeable() || pr.GetMergeableState() != "clean" {
		t.Errorf("pull counts: commits %d files %d mergeable %v %s", pr.GetCommits(), pr.GetChangedFiles(), pr.GetMergeable(), pr.GetMergeableState())
	}

	// Modes through the trees API; a symlink to a regular file reads as that
	// file through the contents API, as on GitHub.
	tree, _, err := e.app.Git.GetTree(ctx, org, repoName, head, true)
	if err != nil {
		t.Fatal(err)
	}
	modes := map[string]string{}
	for _, te := range tree.Entries {
		modes[te.GetPath()] = te.GetMode()
	}
	if modes["requests/link.yaml"] != "120000" || modes["requests/payments-prod/alice2.yaml"] != "100644" || modes["requests"] != "040000" {
		t.Errorf("tree modes = %v", modes)
	}
	fc, _, _, err := e.app.Repositories.GetContents(ctx, org, repoName, "requests/link.yaml", &github.RepositoryContentGetOptions{Ref: head})
	if err != nil {
		t.Fatal(err)
	}
	if fc.GetPath() != "requests/payments-prod/alice2.yaml" || fc.GetType() != "file" {
		t.Errorf("symlink contents = %s %s, want the target file", fc.GetType(), fc.GetPath())
	}
}

func TestListPullRequestsWithCommit(t *testing.T) {
	e, ctx := setup(t)
	merged, branchCommit := e.openRequest(t, "a")
	mergeSHA, err := e.emu.Merge(org, repoName, merged, "carol")
	if err != nil {
		t.Fatal(err)
	}
	open, openHead := e.openRequest(t, "b")
	mainBefore, err := e.emu.MainSHA(org, repoName)
	if err != nil {
		t.Fatal(err)
	}

	numbers := func(sha string) []int {
		t.Helper()
		prs, _, err := e.app.PullRequests.ListPullRequestsWithCommit(ctx, org, repoName, sha, nil)
		if err != nil {
			t.Fatalf("ListPullRequestsWithCommit(%s): %v", sha, err)
		}
		return mapped(prs, (*github.PullRequest).GetNumber)
	}
	for _, tc := range []struct {
		name string
		sha  string
		want []int
	}{
		{"merge commit", mergeSHA, []int{merged}},
		{"commit of the merged branch", branchCommit, []int{merged}},
		{"head of an open pull request", openHead, []int{open}},
		{"initial commit on main", firstParentRoot(t, e, mainBefore), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, numbers(tc.sha)); diff != "" {
				t.Errorf("pull requests of %s (-want +got):\n%s", tc.sha, diff)
			}
		})
	}
	_, _, err = e.app.PullRequests.ListPullRequestsWithCommit(ctx, org, repoName, "0123456789012345678901234567890123456789", nil)
	if got := statusOf(err); got != 422 {
		t.Errorf("unknown commit: status %d (%v), want 422", got, err)
	}
	if n := e.emu.Requests()["GET /repos/{owner}/{repo}/commits/{sha}/pulls"]; n != 5 {
		t.Errorf("route counted %d requests, want 5", n)
	}
}

// firstParentRoot returns the root commit reached from sha by first parents.
func firstParentRoot(t *testing.T, e *env, sha string) string {
	t.Helper()
	return gittest.Run(t, e.emu.RepoDir(org, repoName), "rev-list", "--max-parents=0", sha)
}

// TestCreateBranchAndPull opens a pull request the way a client does
// without the driver: a branch, a commit on it, then POST /pulls.
func TestCreateBranchAndPull(t *testing.T) {
	e, ctx := setup(t)
	c := e.userClient(t, "alice")
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

func TestMerge(t *testing.T) {
	e, ctx := setup(t)
	if err := e.emu.SetRequiredChecks(org, repoName, "jit/approval"); err != nil {
		t.Fatal(err)
	}
	n, head := e.openRequest(t, "m")
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
	if _, err := e.emu.Merge(org, repoName, b, "carol"); statusOf(err) != http.StatusMethodNotAllowed {
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
	_ = json.Unmarshal(d.Body, &ev)
	if d.Event != "pull_request" || ev.GetAction() != "closed" || !ev.GetPullRequest().GetMerged() || ev.GetNumber() != a {
		t.Errorf("last pull_request delivery = %s %s merged %v #%d", d.Event, ev.GetAction(), ev.GetPullRequest().GetMerged(), ev.GetNumber())
	}
	var pe github.PushEvent
	_ = json.Unmarshal(push.Body, &pe)
	if pe.GetRef() != "refs/heads/main" || pe.GetAfter() != ev.GetPullRequest().GetMergeCommitSHA() || pe.GetBefore() == "" {
		t.Errorf("push delivery: ref %q, before %q, after %q; want main moved to the merge commit %s", pe.GetRef(), pe.GetBefore(), pe.GetAfter(), ev.GetPullRequest().GetMergeCommitSHA())
	}
}

func TestReviewsAndReviewers(t *testing.T) {
	e, ctx := setup(t)
	n, head := e.openRequest(t, "a")
	// The App requests bob and the payments-leads team.
	pr, _, err := e.app.PullRequests.RequestReviewers(ctx, org, repoName, n, github.ReviewersRequest{Reviewers: []string{"bob"}, TeamReviewers: []string{"payments-leads"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(pr.RequestedReviewers) != 1 || len(pr.RequestedTeams) != 1 {
		t.Errorf("after request: users %v teams %v", pr.RequestedReviewers, pr.RequestedTeams)
	}
	if _, _, err := e.app.PullRequests.RequestReviewers(ctx, org, repoName, n, github.ReviewersRequest{Reviewers: []string{"alice"}}); statusOf(err) != http.StatusUnprocessableEntity {
		t.Errorf("requesting the author: %v, want 422", err)
	}
	if _, _, err := e.app.PullRequests.RequestReviewers(ctx, org, repoName, n, github.ReviewersRequest{TeamReviewers: []string{"nope"}}); statusOf(err) != http.StatusUnprocessableEntity {
		t.Errorf("requesting an unknown team: %v, want 422", err)
	}
	rv, _, err := e.app.PullRequests.ListReviewers(ctx, org, repoName, n, nil)
	if err != nil || len(rv.Users) != 1 || rv.Users[0].GetLogin() != "bob" || len(rv.Teams) != 1 || rv.Teams[0].GetSlug() != "payments-leads" {
		t.Errorf("ListReviewers = %+v, %v", rv, err)
	}

	if _, err := e.emu.SubmitReview(org, repoName, n, "alice", "APPROVED", ""); statusOf(err) != http.StatusUnprocessableEntity {
		t.Errorf("self-approval: %v, want 422", err)
	}
	if _, err := e.emu.SubmitReview(org, repoName, n, "carol", "CHANGES_REQUESTED", ""); statusOf(err) != http.StatusUnprocessableEntity {
		t.Errorf("changes requested without a body: %v, want 422", err)
	}
	id, err := e.emu.SubmitReview(org, repoName, n, "bob", "APPROVED", "jit: duration 2h")
	if err != nil {
		t.Fatal(err)
	}
	// bob's review answers his request and the team's.
	users, teams, _ := e.emu.RequestedReviewers(org, repoName, n)
	if len(users)+len(teams) != 0 {
		t.Errorf("after bob's review still requested: %v %v", users, teams)
	}
	reviews, _, err := e.app.PullRequests.ListReviews(ctx, org, repoName, n, nil)
	if err != nil || len(reviews) != 1 {
		t.Fatalf("ListReviews = %v, %v", reviews, err)
	}
	r := reviews[0]
	if r.GetID() != id || r.GetState() != "APPROVED" || r.GetCommitID() != head || r.GetUser().GetLogin() != "bob" || r.GetBody() != "jit: duration 2h" || r.SubmittedAt == nil {
		t.Errorf("review = %+v", r)
	}
	// A push moves the head; the old review keeps its commit id.
	newHead, _ := e.emu.Push(org, repoName, n, "alice", map[string][]byte{"requests/payments-prod/a.yaml": []byte("a: 2\n")})
	if newHead == head {
		t.Fatal("push did not move the head")
	}
	got, _, _ := e.app.PullRequests.GetReview(ctx, org, repoName, n, id)
	if got.GetCommitID() != head {
		t.Errorf("review commit_id after push = %s, want the old head %s", got.GetCommitID(), head)
	}

	// The App dismisses it; a comment review cannot be dismissed.
	d, _, err := e.app.PullRequests.DismissReview(ctx, org, repoName, n, id, &github.PullRequestReviewDismissalRequest{Message: github.String("stale")})
	if err != nil || d.GetState() != "DISMISSED" {
		t.Errorf("dismiss = %v, %v", d.GetState(), err)
	}
	e.emu.WaitDeliveries() // the dismissal's event, so the order below is fixed
	cid, _ := e.emu.SubmitReview(org, repoName, n, "carol", "COMMENTED", "looks fine")
	if err := e.emu.DismissReview(org, repoName, n, cid, "carol", "x"); statusOf(err) != http.StatusUnprocessableEntity {
		t.Errorf("dismissing a comment: %v, want 422", err)
	}
	// Create a review through the API and remove a request.
	created, _, err := e.userClient(t, "carol").PullRequests.CreateReview(ctx, org, repoName, n, &github.PullRequestReviewRequest{Event: github.String("APPROVE")})
	if err != nil || created.GetState() != "APPROVED" || created.GetCommitID() != newHead {
		t.Errorf("CreateReview = %v %v, %v", created.GetState(), created.GetCommitID(), err)
	}
	if _, _, err := e.app.PullRequests.RequestReviewers(ctx, org, repoName, n, github.ReviewersRequest{Reviewers: []string{"bob"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.PullRequests.RemoveReviewers(ctx, org, repoName, n, github.ReviewersRequest{Reviewers: []string{"bob"}}); err != nil {
		t.Fatal(err)
	}
	if users, _, _ := e.emu.RequestedReviewers(org, repoName, n); len(users) != 0 {
		t.Errorf("after removal: %v", users)
	}
	// Every review event reached the App, the API's own ones included.
	e.emu.WaitDeliveries()
	var states []string
	for _, rec := range e.hooks.records() {
		if rec.header.Get("X-GitHub-Event") != "pull_request_review" {
			continue
		}
		var ev github.PullRequestReviewEvent
		if err := json.Unmarshal(rec.body, &ev); err != nil {
			t.Fatal(err)
		}
		states = append(states, ev.GetAction()+":"+ev.GetReview().GetState())
	}
	if diff := cmp.Diff([]string{"submitted:APPROVED", "dismissed:DISMISSED", "submitted:COMMENTED", "submitted:APPROVED"}, states); diff != "" {
		t.Errorf("driver review events (-want +got):\n%s", diff)
	}
}

func TestLabelsCommentsAndState(t *testing.T) {
	e, ctx := setup(t)
	n, _ := e.openRequest(t, "l")
	if _, _, err := e.app.Issues.AddLabelsToIssue(ctx, org, repoName, n, []string{"jit:pending-owner", "extra"}); err != nil {
		t.Fatal(err)
	}
	ls, _, err := e.app.Issues.ReplaceLabelsForIssue(ctx, org, repoName, n, []string{"jit:approved", "extra"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"extra", "jit:approved"}, mapped(ls, (*github.Label).GetName)); diff != "" {
		t.Errorf("after replace (-want +got):\n%s", diff)
	}
	if _, err := e.app.Issues.RemoveLabelForIssue(ctx, org, repoName, n, "extra"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Issues.RemoveLabelForIssue(ctx, org, repoName, n, "extra"); statusOf(err) != http.StatusNotFound {
		t.Errorf("removing an absent label: %v, want 404", err)
	}
	if got, _ := e.emu.Labels(org, repoName, n); !cmp.Equal(got, []string{"jit:approved"}) {
		t.Errorf("Labels = %v", got)
	}

	c, _, err := e.app.Issues.CreateComment(ctx, org, repoName, n, &github.IssueComment{Body: github.String("state: pending")})
	if err != nil {
		t.Fatal(err)
	}
	if c.GetUser().GetLogin() != "jit-test[bot]" || c.GetUser().GetType() != "Bot" {
		t.Errorf("comment author = %s (%s)", c.GetUser().GetLogin(), c.GetUser().GetType())
	}
	if _, _, err := e.app.Issues.EditComment(ctx, org, repoName, c.GetID(), &github.IssueComment{Body: github.String("state: approved")}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.userClient(t, "bob").Issues.EditComment(ctx, org, repoName, c.GetID(), &github.IssueComment{Body: github.String("hijack")}); statusOf(err) != http.StatusForbidden {
		t.Errorf("editing someone else's comment: %v, want 403", err)
	}
	if _, _, err := e.app.Issues.CreateComment(ctx, org, repoName, n, &github.IssueComment{}); statusOf(err) != http.StatusUnprocessableEntity {
		t.Errorf("empty comment: %v, want 422", err)
	}
	cs, _, err := e.app.Issues.ListComments(ctx, org, repoName, n, nil)
	if err != nil || len(cs) != 1 || cs[0].GetBody() != "state: approved" {
		t.Errorf("ListComments = %v, %v", cs, err)
	}

	// Close through the pulls API and reopen through the issues API.
	if _, _, err := e.app.PullRequests.Edit(ctx, org, repoName, n, &github.PullRequest{State: github.String("closed")}); err != nil {
		t.Fatal(err)
	}
	if pr := mustPull(t, e, n); pr.GetState() != "closed" || pr.ClosedAt == nil || pr.GetMerged() {
		t.Errorf("after close: %s closed_at %v merged %v", pr.GetState(), pr.ClosedAt, pr.GetMerged())
	}
	list, _, err := e.app.PullRequests.List(ctx, org, repoName, &github.PullRequestListOptions{State: "open"})
	if err != nil || len(list) != 0 {
		t.Errorf("open pulls after close = %d, %v", len(list), err)
	}
	if _, _, err := e.app.Issues.Edit(ctx, org, repoName, n, &github.IssueRequest{State: github.String("open")}); err != nil {
		t.Fatal(err)
	}
	if pr := mustPull(t, e, n); pr.GetState() != "open" {
		t.Errorf("after reopen: %s", pr.GetState())
	}

	// The App's own actions produce events GitHub would send, with the bot as sender.
	e.emu.WaitDeliveries()
	var got []string
	for _, rec := range e.hooks.records() {
		var ev struct {
			Action string              `json:"action"`
			Sender github.User         `json:"sender"`
			Inst   github.Installation `json:"installation"`
		}
		_ = json.Unmarshal(rec.body, &ev)
		if ev.Inst.GetID() != e.instID {
			t.Errorf("%s delivery without installation id: %s", rec.header.Get("X-GitHub-Event"), rec.body)
		}
		got = append(got, rec.header.Get("X-GitHub-Event")+":"+ev.Action+":"+ev.Sender.GetLogin())
	}
	want := []string{
		"pull_request:opened:alice",
		// GitHub asks the code owners (codeowners.go).
		"pull_request:review_requested:alice",
		"pull_request:labeled:jit-test[bot]", "pull_request:labeled:jit-test[bot]",
		"pull_request:unlabeled:jit-test[bot]", "pull_request:labeled:jit-test[bot]",
		"pull_request:unlabeled:jit-test[bot]",
		"issue_comment:created:jit-test[bot]", "issue_comment:edited:jit-test[bot]",
		"pull_request:closed:jit-test[bot]", "pull_request:reopened:jit-test[bot]",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("deliveries (-want +got):\n%s", diff)
	}
}

// A driver commit can put a submodule's gitlink in a tree, as a push with
// git itself would: the tree API shows it as a commit of mode 160000. A
// gitlink that names no commit is refused.
func TestDriverCommitsAGitlink(t *testing.T) {
	e, ctx := setup(t)
	n, err := e.emu.OpenPullRequest(org, repoName, "alice", "req/alice", "Request access", map[string][]byte{
		"requests/payments-prod/alice.yaml": []byte("account: payments-prod\n"),
	})
	if err != nil {
		t.Fatal(err)
	}
	mainSHA, err := e.emu.MainSHA(org, repoName)
	if err != nil {
		t.Fatal(err)
	}
	head, err := e.emu.PushCommit(org, repoName, n, Commit{Author: "alice",
		Files: map[string][]byte{"requests/payments-prod/sub.yaml": []byte(mainSHA)},
		Modes: map[string]string{"requests/payments-prod/sub.yaml": "160000"}})
	if err != nil {
		t.Fatal(err)
	}
	tree, _, err := e.app.Git.GetTree(ctx, org, repoName, head, true)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, en := range tree.Entries {
		if en.GetPath() == "requests/payments-prod/sub.yaml" {
			found = true
			if en.GetMode() != "160000" || en.GetType() != "commit" || en.GetSHA() != mainSHA {
				t.Errorf("gitlink entry: mode %s type %s sha %s, want 160000 commit %s", en.GetMode(), en.GetType(), en.GetSHA(), mainSHA)
			}
		}
	}
	if !found {
		t.Error("the gitlink is not in the head's tree")
	}
	if _, err := e.emu.PushCommit(org, repoName, n, Commit{Author: "alice",
		Files: map[string][]byte{"requests/x.yaml": []byte("not a commit")},
		Modes: map[string]string{"requests/x.yaml": "160000"}}); err == nil || !strings.Contains(err.Error(), "must name a commit") {
		t.Errorf("a gitlink naming no commit: %v", err)
	}
}
