package testworld

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-github/v62/github"

	"github.com/jit-access/jit/internal/judgment"
	"github.com/jit-access/jit/schema"
)

// PRState is what a reviewer and branch protection see on a pull request.
type PRState struct {
	Head string
	// Approval is the conclusion of the latest jit/approval run on the
	// head commit; Validate the verdict of the validation it carries
	// (judgment.Validation of its title: failure, neutral or success).
	Validate, Approval string
	Labels             []string
	Sticky             string // the App's status comment
	// Annotations, ApprovalTitle and ApprovalSummary are the run's.
	Annotations     []*github.CheckRunAnnotation
	ApprovalTitle   string
	ApprovalSummary string
}

// HasLabel reports whether the pull request carries label l.
func (s PRState) HasLabel(l string) bool { return slices.Contains(s.Labels, l) }

// State reads pull request n's state; more than one status comment fails
// the test, since the App updates its one comment in place.
func (w *World) State(t testing.TB, n int) PRState {
	t.Helper()
	pr, err := w.GitHub.PullRequest(Org, Repo, n)
	if err != nil {
		t.Fatal(err)
	}
	s := PRState{Head: pr.GetHead().GetSHA()}
	runs, err := w.GitHub.CheckRuns(Org, Repo, s.Head)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs { // oldest first: the last of each name wins
		if r.GetName() == judgment.CheckApproval {
			s.Approval = r.GetConclusion()
			s.Annotations = r.GetOutput().Annotations
			s.ApprovalTitle = r.GetOutput().GetTitle()
			s.ApprovalSummary = r.GetOutput().GetSummary()
			s.Validate = judgment.Validation(s.ApprovalTitle)
		}
	}
	if s.Labels, err = w.GitHub.Labels(Org, Repo, n); err != nil {
		t.Fatal(err)
	}
	comments, err := w.GitHub.Comments(Org, Repo, n)
	if err != nil {
		t.Fatal(err)
	}
	stickies := 0
	for _, c := range comments {
		if strings.Contains(c.GetBody(), "<!-- jit:status -->") {
			stickies++
			s.Sticky = c.GetBody()
		}
	}
	if stickies > 1 {
		t.Errorf("PR #%d has %d status comments, want one updated in place", n, stickies)
	}
	return s
}

// LastComment returns the body of pull request n's latest comment ("" for
// none).
func (w *World) LastComment(t testing.TB, n int) string {
	t.Helper()
	cs, err := w.GitHub.Comments(Org, Repo, n)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) == 0 {
		return ""
	}
	return cs[len(cs)-1].GetBody()
}

// OnMain reads path on main through the API, as the App's installation;
// false when main has no such file.
func (w *World) OnMain(t testing.TB, path string) (string, bool) {
	t.Helper()
	c, err := w.Client()
	if err != nil {
		t.Fatal(err)
	}
	fc, _, resp, err := c.Repositories.GetContents(t.Context(), Org, Repo, path, &github.RepositoryContentGetOptions{Ref: "main"})
	if resp != nil && resp.StatusCode == http.StatusNotFound {
		return "", false
	}
	if err != nil {
		t.Fatal(err)
	}
	s, err := fc.GetContent()
	if err != nil {
		t.Fatal(err)
	}
	return s, true
}

// MustOnMain is OnMain for a file that must be on main.
func (w *World) MustOnMain(t testing.TB, path string) string {
	t.Helper()
	s, ok := w.OnMain(t, path)
	if !ok {
		t.Fatalf("%s is not on main", path)
	}
	return s
}

// Status returns the status block of the request file at path on main
// (nil for none); the file must be on main and parse.
func (w *World) Status(t testing.TB, path string) *schema.Status {
	t.Helper()
	f, findings := schema.ParseRequest(path, []byte(w.MustOnMain(t, path)))
	if f == nil || schema.HasErrors(findings) {
		t.Fatalf("%s does not parse: %v", path, findings)
	}
	return f.Request.Status
}

// UserClient is a go-github client acting as login through the emulator's
// personal access tokens, for what a person does through the API.
func (w *World) UserClient(t testing.TB, login string) *github.Client {
	t.Helper()
	c, err := w.GitHub.UserClient(login)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
