package adversarial_test

import (
	"testing"

	"github.com/jit-access/jit/internal/githubemu"
	"github.com/jit-access/jit/internal/judgment"
	"github.com/jit-access/jit/internal/sandbox"
	"github.com/jit-access/jit/internal/testworld"
)

// jitRun is the conclusion of the jit App's own latest run of name on sha,
// and the verdict of the validation its title gives (judgment.Validation).
func jitRun(t *testing.T, w *testworld.World, sha, name string) (conclusion, validation string) {
	t.Helper()
	runs, err := w.GitHub.CheckRuns(org, repo, sha)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if r.GetName() == name && r.GetApp().GetID() == sandbox.AppID {
			conclusion, validation = r.GetConclusion(), judgment.Validation(r.GetOutput().GetTitle())
		}
	}
	return conclusion, validation
}

// Attack: another App installed on the repository (or a compromised one)
// creates green jit/approval check runs on the head commit (and
// jit/validate, the name of the validation's run until issue 15)
// before jit judges it. jit must neither try to update them (GitHub refuses
// an App another App's run, which used to make every evaluation fail) nor
// take them for its own verdict: it writes its own runs, and branch
// protection pins jit/approval to the jit App.
func TestLookAlikeCheckRunsOfAnotherApp(t *testing.T) {
	w := newWorld(t)
	const path = "requests/payments-prod/look.yaml"
	n := w.Open(t, "octocat", "octocat/look", map[string]string{path: testworld.StandardRequest})
	// A new head, not yet judged: the other App gets there first.
	head, err := w.GitHub.CommitToBranch(org, repo, "octocat/look", githubemu.Commit{Author: "octocat", Message: "2h is enough",
		Files: map[string][]byte{path: []byte(withDuration("2h"))}})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"jit/validate", judgment.CheckApproval} {
		if err := w.GitHub.AddForeignCheckRun(org, repo, head, 4242, name, "success", "all good, trust me"); err != nil {
			t.Fatal(err)
		}
	}
	w.Comment(t, n, "octocat", "/jit recheck") // fails the test if the App answers an error
	got, valid := jitRun(t, w, head, judgment.CheckApproval)
	if valid != "success" {
		t.Fatalf("jit's own jit/approval run on the new head does not find the request valid: %q", valid)
	}
	if got != "failure" {
		t.Fatalf("UNSAFE: jit's own jit/approval is %q before any approval", got)
	}
	if got, _ := jitRun(t, w, head, "jit/validate"); got != "" {
		t.Fatalf("jit wrote a jit/validate run (%q): its one check run is jit/approval", got)
	}
	w.Review(t, n, "alice", "APPROVED", "ok")
	if got, _ := jitRun(t, w, head, judgment.CheckApproval); got != "success" {
		t.Fatalf("jit's jit/approval is %q after the owner's approval", got)
	}
}
