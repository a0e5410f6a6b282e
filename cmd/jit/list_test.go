package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/jit-access/jit/internal/catalog"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/internal/wanttext"
)

// listConfig limits PowerUserAccess to a team, for jit list.
var listConfig = strings.Replace(testConfig, "    max_duration: 8h\n", "    max_duration: 8h\n    requesters: [\"@acme/oncall\"]\n", 1)

// listCmd runs jit list with only env as its environment, so that the
// machine's GITHUB_TOKEN or gh login never leaks in.
func listCmd(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	return run(t, newListCmd(func(k string) string { return env[k] }), nil, args...)
}

// sets are the account/set pairs of a jit list --format json output, with
// their access.
func sets(t *testing.T, out string) []string {
	t.Helper()
	var c catalog.Catalog
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatalf("jit list --format json printed no catalog: %v\n%s", err, out)
	}
	var got []string
	for _, a := range c.Accounts {
		for _, s := range a.PermissionSets {
			got = append(got, a.Name+"/"+s.Name+"="+string(s.Access))
		}
	}
	return got
}

func TestListResolvesTeamsWithAToken(t *testing.T) {
	gh, api := gitHubOnMonday(t, "octocat", "bob", "reader")
	gh.AddTeam("acme", "oncall", "bob")
	token, err := gh.UserToken("reader")
	if err != nil {
		t.Fatal(err)
	}
	dir := newTestRepo(t, false, map[string]string{layout.ConfigPath: listConfig})
	env := map[string]string{"GITHUB_TOKEN": token}

	for _, tc := range []struct {
		login string
		want  string
	}{
		{"bob", "payments-prod/ReadOnlyAccess=yes sandbox/ReadOnlyAccess=yes sandbox/PowerUserAccess=yes"},
		{"octocat", "payments-prod/ReadOnlyAccess=yes sandbox/ReadOnlyAccess=yes"},
	} {
		r := listCmd(t, env, "--repo", dir, "--requester", tc.login, "--format", "json", "--github-url", api)
		if r.code != 0 {
			t.Fatalf("jit list --requester %s: exit %d: %v\n%s", tc.login, r.code, r.err, r.stderr)
		}
		if got := strings.Join(sets(t, r.stdout), " "); got != tc.want {
			t.Errorf("jit list --requester %s lists %s; want %s", tc.login, got, tc.want)
		}
	}

	// Without a token the team is not read: PowerUserAccess is shown as
	// possible, with the team named.
	r := listCmd(t, map[string]string{}, "--repo", dir, "--requester", "octocat")
	if r.code != 0 {
		t.Fatalf("jit list without a token: exit %d: %v\n%s", r.code, r.err, r.stderr)
	}
	wanttext.All(t, "jit list", r.stdout,
		"What @octocat may request (team memberships not checked: set GITHUB_TOKEN or log in with gh)",
		"  PowerUserAccess  max 8h   approved by an SSO admin (@acme/sso-admins)",
		"    only if in @acme/oncall (the requesters of permission set PowerUserAccess; team membership not checked)",
		"payments-prod (111122223333), owners: @acme/payments-leads",
	)

	// A token GitHub refuses is an error, not a silently shorter list.
	r = listCmd(t, map[string]string{"GITHUB_TOKEN": "ghp_wrong"}, "--repo", dir, "--requester", "octocat", "--github-url", api)
	if r.code != 2 || !strings.Contains(r.err.Error(), "401") {
		t.Errorf("jit list with a refused token: exit %d, %v; want 2 with GitHub's 401", r.code, r.err)
	}
}

func TestListRefusesBadInput(t *testing.T) {
	dir := newTestRepo(t, false, nil)
	if r := listCmd(t, nil, "--repo", dir, "--format", "xml"); r.code != 2 || !strings.Contains(r.err.Error(), "want text or json") {
		t.Errorf("--format xml: exit %d, %v", r.code, r.err)
	}
	if r := listCmd(t, nil, "--repo", t.TempDir()); r.code != 2 || !strings.Contains(r.err.Error(), "no .github/jit.yaml") {
		t.Errorf("no config: exit %d, %v", r.code, r.err)
	}
}
