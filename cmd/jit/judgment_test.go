package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jit-access/jit/action"
	"github.com/jit-access/jit/internal/gittest"
	"github.com/jit-access/jit/internal/sandbox"
	"github.com/jit-access/jit/internal/testworld"
)

// TestOneJudgment feeds the same pull request to the App, to `jit validate
// --base` and to the reconcile after the merge, and checks that all three
// judge it alike: the same findings, and the same decision (the App's
// jit/approval, validate's exit status, the reconcile provisioning or
// refusing). They load the rules and word the findings through one package,
// internal/judgment; this test keeps them from drifting apart.
func TestOneJudgment(t *testing.T) {
	ctx := t.Context()
	w := testworld.New(t, time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC), sandbox.Options{AsyncDelay: 20 * time.Millisecond})

	const request = "account: payments-prod\npermission_set: ReadOnlyAccess\nduration: %s\njustification: \"INC-%d: read the settlement logs\"\n"
	for i, tc := range []struct {
		name     string
		duration string
		// approve has alice, an owner of payments-prod, approve the head.
		approve bool
		// valid is what the App's findings and validate's exit say;
		// approved is the decision the App and the reconcile must reach.
		valid, approved bool
	}{
		{name: "too long, so invalid", duration: "5h", approve: true},
		{name: "valid and approved by an owner", duration: "2h", approve: true, valid: true, approved: true},
		{name: "valid but approved by nobody", duration: "2h", valid: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := fmt.Sprintf("requests/payments-prod/octocat-%d.yaml", i)
			branch := fmt.Sprintf("octocat/judge-%d", i)
			n, err := w.GitHub.OpenPullRequest(sandbox.Org, sandbox.RepoName, "octocat", branch, tc.name,
				map[string][]byte{path: []byte(fmt.Sprintf(request, tc.duration, 100+i))})
			if err != nil {
				t.Fatal(err)
			}
			if tc.approve {
				if _, err := w.GitHub.SubmitReview(sandbox.Org, sandbox.RepoName, n, "alice", "APPROVED", "ok"); err != nil {
					t.Fatal(err)
				}
			}

			// The App: its two checks on the head commit.
			app, appApproved := appJudgment(t, w, n)

			// jit validate --base, in a clone at the pull request's head.
			dir, err := w.Clone(ctx)
			if err != nil {
				t.Fatal(err)
			}
			gittest.Run(t, dir, "fetch", "--quiet", "origin", branch)
			gittest.Run(t, dir, "checkout", "--quiet", "FETCH_HEAD")
			res := run(t, newRootCmd(), nil, "validate", "--repo", dir, "--base", "origin/main", "--requester", "octocat", "--format", "json")
			if res.code == 2 {
				t.Fatalf("jit validate could not run: %v\n%s", res.err, res.stderr)
			}
			var found []struct {
				Path     string `json:"path"`
				Line     int    `json:"line"`
				Col      int    `json:"col"`
				Severity string `json:"severity"`
				Message  string `json:"message"`
				Fix      string `json:"fix"`
			}
			if err := json.Unmarshal([]byte(res.stdout), &found); err != nil {
				t.Fatalf("jit validate --format json: %v\n%s", err, res.stdout)
			}
			var cli []string
			for _, f := range found {
				cli = append(cli, findingKey(f.Path, f.Line, f.Col, f.Severity, f.Message, f.Fix))
			}
			if hasError(app) == tc.valid {
				t.Fatalf("the App's findings %v; want errors exactly when the request is invalid (valid: %v)", app, tc.valid)
			}
			if diff := cmp.Diff(app, cli); diff != "" {
				t.Errorf("findings of the App (-) and of jit validate --base (+):\n%s", diff)
			}
			if cliValid := res.code == 0; cliValid != (len(app) == 0 || !hasError(app)) {
				t.Errorf("jit validate exit %d, but the App's findings are %v", res.code, app)
			}

			// The reconcile, after a merge that skips branch protection:
			// it provisions exactly what the App approved.
			if _, err := w.GitHub.Merge(sandbox.Org, sandbox.RepoName, n, "octocat"); err != nil {
				t.Fatal(err)
			}
			rep, err := w.Reconcile(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			provisioned := slices.ContainsFunc(rep.Activated, func(e action.Entry) bool { return e.Path == path })
			if appApproved != tc.approved || provisioned != tc.approved {
				t.Errorf("decision: App approved %v, reconcile provisioned %v; want both %v\n%s", appApproved, provisioned, tc.approved, rep)
			}
			// A refusal says why, with the App's own error findings,
			// worded alike.
			var refused []string
			for _, e := range rep.Failed {
				if e.Path == path {
					refused = append(refused, e.Reason)
				}
			}
			if len(refused) == 0 != tc.approved {
				t.Errorf("the reconcile recorded refusals %q; want one exactly when not approved", refused)
			}
			for _, f := range app {
				if strings.Contains(f, ": error: ") && !strings.Contains(strings.Join(refused, "\n"), f) {
					t.Errorf("the reconcile's refusal %q lacks the App's finding %q", refused, f)
				}
			}
		})
	}
}

// appJudgment reads the annotations of the App's jit/approval check as finding keys and
// whether the check passed.
func appJudgment(t *testing.T, w *testworld.World, n int) (findings []string, approved bool) {
	t.Helper()
	s := w.State(t, n)
	for _, a := range s.Annotations {
		msg, fix, _ := strings.Cut(a.GetMessage(), "\nFix: ")
		sev := map[string]string{"failure": "error", "warning": "warning", "notice": "info"}[a.GetAnnotationLevel()]
		findings = append(findings, findingKey(a.GetPath(), a.GetStartLine(), a.GetStartColumn(), sev, msg, fix))
	}
	return findings, s.Approval == "success"
}

func findingKey(path string, line, col int, severity, message, fix string) string {
	return fmt.Sprintf("%s:%d:%d: %s: %s (fix: %s)", path, line, col, severity, message, fix)
}

func hasError(keys []string) bool {
	return slices.ContainsFunc(keys, func(k string) bool { return strings.Contains(k, ": error: ") })
}
