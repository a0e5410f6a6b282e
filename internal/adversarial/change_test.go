package adversarial_test

import (
	"strings"
	"testing"

	"github.com/jit-access/jit/internal/change"
	"github.com/jit-access/jit/internal/githubemu"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/internal/testworld"
)

// Attack: slip a change to the rules, the owners or the workflows into a
// request pull request, so that the account owner's approval of "my access
// request" also approves the change. It is an admin change: owners never
// pass it; rules are read from main, so the PR cannot make itself an owner.
func TestRequestPlusRulesChangeNeedsAdmin(t *testing.T) {
	w := newWorld(t)
	for _, extra := range []struct{ path, content string }{
		{layout.ConfigPath, "version: 1\nadmins: [\"@octocat\"]\n"},
		{".github/CODEOWNERS", "* @octocat\n/requests/payments-prod/ @carol\n"},
		{"CODEOWNERS", "* @carol\n"},
		{".github/workflows/reconcile.yml", "on: push\njobs: {}\n"},
		{".github/workflows/new.yml", "on: pull_request_target\njobs: {}\n"},
		{"schema/request.schema.json", "{}\n"},
	} {
		t.Run(extra.path, func(t *testing.T) {
			branch := "octocat/" + strings.NewReplacer("/", "-", ".", "-").Replace(extra.path)
			n := w.Open(t, "octocat", branch, map[string]string{reqPath: testworld.StandardRequest, extra.path: extra.content})
			s := w.State(t, n)
			notApproved(t, s)
			if !strings.Contains(s.ApprovalSummary, "not a plain access request") {
				t.Errorf("validate summary does not say it is not a request:\n%s", s.ApprovalSummary)
			}
			if s.Validate == "success" {
				t.Errorf("jit/approval finds an admin change a valid request")
			}
			// The account's owner, and the owner the PR tries to install.
			w.Review(t, n, "alice", "APPROVED", "ok")
			w.Review(t, n, "carol", "APPROVED", "ok")
			notApproved(t, w.State(t, n))
			if w.State(t, n).HasLabel("jit:pending-owner") {
				t.Errorf("an admin change is labelled as waiting for an owner")
			}
		})
	}
}

// mergedRequest puts a request that has already been granted on main, as
// the reconcile Action leaves it.
func mergedRequest(t *testing.T, w *githubemu.Server, path string) {
	t.Helper()
	body := testworld.StandardRequest + `status:
  state: active
  pull_request: 7
  requester: octocat
  duration: 4h
  approvals: [{by: alice, stage: owner, at: 2026-11-23T10:02:11Z, note: ok}]
  activated_at: 2026-11-23T10:05:40Z
  expires_at: 2026-11-23T14:05:40Z
`
	if _, err := w.CommitToBranch(org, repo, "main", githubemu.Commit{Author: "bob", Files: map[string][]byte{path: []byte(body)}}); err != nil {
		t.Fatal(err)
	}
}

// Attack: extend (or hide) a grant by editing, renaming or deleting a merged
// request file. The ledger is append-only: validation fails, so not even an
// SSO admin's approval makes the PR mergeable.
func TestRewritingAMergedRequestIsRefused(t *testing.T) {
	w := newWorld(t)
	const merged = "requests/payments-prod/granted.yaml"
	mergedRequest(t, w.GitHub, merged)
	old, _ := w.OnMain(t, merged)
	for _, tc := range []struct {
		name  string
		files map[string][]byte
	}{
		{"edit duration", map[string][]byte{merged: []byte(strings.Replace(old, "duration: 4h\njustification", "duration: 1w\njustification", 1))}},
		{"edit expiry", map[string][]byte{merged: []byte(strings.Replace(old, "expires_at: 2026-11-23T14:05:40Z", "expires_at: 2027-11-23T14:05:40Z", 1))}},
		{"drop status", map[string][]byte{merged: []byte(testworld.StandardRequest)}},
		{"rename", map[string][]byte{merged: nil, "requests/payments-prod/granted-again.yaml": []byte(old)}},
		{"rename stripped", map[string][]byte{merged: nil, "requests/payments-prod/granted-again.yaml": []byte(testworld.StandardRequest)}},
		{"delete", map[string][]byte{merged: nil}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := w.GitHub.OpenPullRequest(org, repo, "octocat", "octocat/"+strings.ReplaceAll(tc.name, " ", "-"), "extend", tc.files)
			if err != nil {
				t.Fatal(err)
			}
			w.AssertDelivered(t)
			invalidEvenIfApproved(t, w, n, "")
		})
	}
}

// Attack: a symlink as the request file points the validator at a file
// that validates (or at something outside the repository), while the
// ledger would hold only a link.
func TestSymlinkAsRequestFile(t *testing.T) {
	w := newWorld(t)
	const target = "requests/payments-staging/ok.yaml"
	if _, err := w.GitHub.CommitToBranch(org, repo, "main", githubemu.Commit{Author: "bob", Files: map[string][]byte{
		target: []byte(strings.Replace(testworld.StandardRequest, "payments-prod", "payments-staging", 1)),
	}}); err != nil {
		t.Fatal(err)
	}
	for _, link := range []string{"../payments-staging/ok.yaml", "/etc/passwd", "../../.github/jit.yaml"} {
		t.Run(link, func(t *testing.T) {
			n := w.OpenWith(t, "octocat", "octocat/link"+itoa(len(link)), githubemu.Commit{
				Files: map[string][]byte{reqPath: []byte(link)},
				Modes: map[string]string{reqPath: "120000"},
			})
			invalidEvenIfApproved(t, w, n, "symbolic link")
		})
	}
}

// Attack: a submodule (gitlink) at the request path, pushed over a plain
// request the App had found valid.
func TestSubmoduleAsRequestFile(t *testing.T) {
	w := newWorld(t)
	n := w.Open(t, "octocat", "octocat/sub", map[string]string{reqPath: testworld.StandardRequest})
	approvedBefore := w.State(t, n)
	if approvedBefore.Validate != "success" {
		t.Fatalf("setup: the plain request is not valid: %s", approvedBefore.ApprovalSummary)
	}
	mainSHA, err := w.GitHub.MainSHA(org, repo)
	if err != nil {
		t.Fatal(err)
	}
	commit := w.Push(t, n, githubemu.Commit{Author: "octocat",
		Files: map[string][]byte{reqPath: []byte(mainSHA)}, Modes: map[string]string{reqPath: "160000"}})
	if head := w.State(t, n).Head; head != commit {
		t.Fatalf("setup: head %s, want the pushed %s", head, commit)
	}
	invalidEvenIfApproved(t, w, n, "submodule")

	// The rule itself, as `jit validate` uses it from git diff --raw.
	r := change.Classify([]change.File{{Path: reqPath, Status: change.Added, Mode: change.ModeSubmodule}})
	if r.Request || len(r.Forbidden) == 0 {
		t.Errorf("change.Classify(submodule) = %+v, want a forbidden non-request", r)
	}
}

// Attack: a CODEOWNERS on main with an invalid line. GitHub skips the line
// and carries on, which could hand the path to an earlier, broader rule;
// jit must fail closed: only SSO admins approve.
func TestInvalidCodeownersFailsClosed(t *testing.T) {
	t.Parallel()
	for name, codeowners := range map[string]string{
		"inline comment": "* @acme/sso-admins\n/requests/payments-prod/ @acme/payments-leads # the leads\n",
		"negation":       "* @acme/payments-leads\n!/requests/payments-prod/ @acme/sso-admins\n",
		"bad owner":      "* @acme/payments-leads\n/requests/payments-prod/ acme-sso-admins\n",
		"bracket":        "* @acme/payments-leads\n/requests/payments-[a-z]rod/ @acme/sso-admins\n",
	} {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			if _, err := w.GitHub.CommitToBranch(org, repo, "main", githubemu.Commit{Author: "bob",
				Files: map[string][]byte{".github/CODEOWNERS": []byte(codeowners)}}); err != nil {
				t.Fatal(err)
			}
			n := w.Open(t, "octocat", "octocat/co", map[string]string{reqPath: testworld.StandardRequest})
			w.Review(t, n, "alice", "APPROVED", "I lead payments")
			refusedUntilAdmin(t, w, n, "CODEOWNERS")
		})
	}
	t.Run("missing", func(t *testing.T) {
		w := newWorld(t)
		if _, err := w.GitHub.CommitToBranch(org, repo, "main", githubemu.Commit{Author: "bob",
			Files: map[string][]byte{".github/CODEOWNERS": nil}}); err != nil {
			t.Fatal(err)
		}
		n := w.Open(t, "octocat", "octocat/co", map[string]string{reqPath: testworld.StandardRequest})
		w.Review(t, n, "alice", "APPROVED", "I lead payments")
		notApproved(t, w.State(t, n))
	})
}
