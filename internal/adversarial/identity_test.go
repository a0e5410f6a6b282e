package adversarial_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/jit-access/jit/internal/githubemu"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/internal/testworld"
)

// pinIDs rewrites main's config so that the users: entries of logins carry
// the GitHub ids their accounts have now, and makes @alice by name the owner
// of payments-prod in CODEOWNERS, as many organisations write it.
func pinIDs(t *testing.T, w *testworld.World, logins ...string) map[string]int64 {
	t.Helper()
	cfg, ok := w.OnMain(t, layout.ConfigPath)
	if !ok {
		t.Fatal("no config on main")
	}
	ids := map[string]int64{}
	for _, l := range logins {
		ids[l] = w.GitHub.UserID(l)
		old := fmt.Sprintf("\n  %s: %s@acme.example\n", l, l)
		if !strings.Contains(cfg, old) {
			t.Fatalf("setup: no users: entry for %s in the config", l)
		}
		cfg = strings.Replace(cfg, old, fmt.Sprintf("\n  %s: {user_name: %s@acme.example, github_id: %d}\n", l, l, ids[l]), 1)
	}
	owners, _ := w.OnMain(t, ".github/CODEOWNERS")
	owners = strings.Replace(owners, "/requests/payments-prod/     @acme/payments-leads", "/requests/payments-prod/     @alice", 1)
	if _, err := w.GitHub.CommitToBranch(org, repo, "main", githubemu.Commit{Author: "bob", Message: "pin GitHub ids",
		Files: map[string][]byte{layout.ConfigPath: []byte(cfg), ".github/CODEOWNERS": []byte(owners)}}); err != nil {
		t.Fatal(err)
	}
	w.GitHub.WaitDeliveries()
	return ids
}

// reuseLogin renames the account login away and lets a different account
// register the login, as GitHub allows once a login is given up. It returns
// the new account's id.
func reuseLogin(t *testing.T, w *testworld.World, login string) int64 {
	t.Helper()
	if err := w.GitHub.RenameUser(login, login+"-renamed"); err != nil {
		t.Fatal(err)
	}
	w.GitHub.AddUser(login, login+"@elsewhere.example")
	return w.GitHub.UserID(login)
}

// Attack: identity is not a login. alice, named by login in CODEOWNERS and
// pinned by id in users:, renames her account; someone else registers
// "alice" and approves octocat's request. Then octocat's login is taken
// over the same way and the newcomer asks for octocat's access, approved by
// an SSO admin. Neither the App nor the reconcile takes the new accounts
// for the old ones: the approval does not count, the request is invalid,
// and the messages name the login, the pinned id and the id GitHub reports.
func TestReusedLoginNeitherApprovesNorRequests(t *testing.T) {
	w := newWorldWith(t, fast)
	ids := pinIDs(t, w, "octocat", "alice")

	// A reused approver login.
	newAlice := reuseLogin(t, w, "alice")
	if newAlice == ids["alice"] {
		t.Fatalf("setup: the emulator gave the new alice the old id %d", newAlice)
	}
	const approvedPath = "requests/payments-prod/approved-by-new-alice.yaml"
	a := w.Open(t, "octocat", "octocat/ids", map[string]string{approvedPath: testworld.StandardRequest})
	w.Review(t, a, "alice", "APPROVED", "looks fine")
	s := w.State(t, a)
	notApproved(t, s)
	for _, want := range []string{"alice", itoa64(ids["alice"]), itoa64(newAlice)} {
		if !strings.Contains(s.Sticky, want) {
			t.Errorf("the status comment does not say why the new alice's approval does not count (missing %q):\n%s", want, s.Sticky)
		}
	}

	// Merged anyway, by an admin bypassing the checks: the reconcile
	// re-checks and does not provision it.
	mergeAndReconcileRefuses(t, w, a, approvedPath, "alice", ids["alice"], newAlice)

	// A reused requester login.
	newOctocat := reuseLogin(t, w, "octocat")
	const requestedPath = "requests/payments-prod/requested-by-new-octocat.yaml"
	b := w.Open(t, "octocat", "octocat/takeover", map[string]string{requestedPath: testworld.StandardRequest})
	w.Review(t, b, "bob", "APPROVED", "ok for octocat")
	s = w.State(t, b)
	notApproved(t, s)
	if s.Validate == "success" {
		t.Errorf("UNSAFE: the request of the account that took octocat's login validates")
	}
	var msgs []string
	for _, an := range s.Annotations {
		msgs = append(msgs, an.GetMessage())
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"octocat", itoa64(ids["octocat"]), itoa64(newOctocat)} {
		if !strings.Contains(all, want) {
			t.Errorf("jit/approval does not say why the new octocat may not request (missing %q):\n%s", want, all)
		}
	}

	mergeAndReconcileRefuses(t, w, b, requestedPath, "octocat", ids["octocat"], newOctocat)
}

// mergeAndReconcileRefuses merges pull request n as an admin bypassing the
// checks and runs the reconcile, which must refuse the request at path and
// say which login, pinned id and actual id.
func mergeAndReconcileRefuses(t *testing.T, w *testworld.World, n int, path, login string, pinned, actual int64) {
	t.Helper()
	if _, err := w.GitHub.Merge(org, repo, n, "bob"); err != nil {
		t.Fatal(err)
	}
	w.GitHub.WaitDeliveries()
	rep := reconcile(t, w)
	if assignedTo(w, "octocat") {
		t.Fatalf("UNSAFE: octocat's Identity Center user was granted access through a reused login; report:\n%s", rep)
	}
	var line string
	for _, e := range rep.Failed {
		if e.Path == path {
			line = e.Reason
		}
	}
	for _, want := range []string{login, itoa64(pinned), itoa64(actual)} {
		if !strings.Contains(line, want) {
			t.Errorf("the reconcile's refusal of %s does not name %q:\n%s", path, want, rep)
		}
	}
}

func itoa64(i int64) string { return fmt.Sprint(i) }
