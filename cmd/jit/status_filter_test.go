package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jit-access/jit/internal/gittest"
)

func TestStatusJSON(t *testing.T) {
	dir := grantsRepo(t)
	res := run(t, newStatusCmd(), nil, "--repo", dir, "--now", "2026-11-23T13:02:30Z", "--format", "json", "--account", "444455556666")
	if res.err != nil {
		t.Fatalf("status --format json: %v\n%s", res.err, res.stderr)
	}
	var got []statusJSON
	if err := json.Unmarshal([]byte(res.stdout), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, res.stdout)
	}
	exp := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	want := []statusJSON{{State: "expiring", Account: "sandbox", PermissionSet: "S3Read", Custom: true, User: "octocat",
		Duration: "1d", ExpiresAt: &exp, Left: "overdue 1d1h", PullRequest: 44, Request: "requests/sandbox/c.yaml"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("status --format json --account <id> (-want +got):\n%s", d)
	}

	// Nothing is an empty array, not a sentence.
	res = run(t, newStatusCmd(), nil, "--repo", dir, "--format", "json", "--user", "mallory")
	if res.err != nil || strings.TrimSpace(res.stdout) != "[]" {
		t.Errorf("no grants as JSON: %q, %v", res.stdout, res.err)
	}
	if res := run(t, newStatusCmd(), nil, "--repo", dir, "--format", "yaml"); res.code != 2 {
		t.Errorf("--format yaml: exit %d", res.code)
	}
}

func TestStatusMine(t *testing.T) {
	dir := grantsRepo(t)
	mine := func(email string) result {
		t.Helper()
		gittest.At(t, dir, "2026-11-23T12:00:00Z", "config", "user.email", email)
		return run(t, newStatusCmd(), nil, "--repo", dir, "--now", "2026-11-23T13:02:30Z", "--mine")
	}
	for _, email := range []string{"OctoCat@acme.example", "583231+octocat@users.noreply.github.com"} {
		res := mine(email)
		if res.err != nil {
			t.Fatalf("--mine as %s: %v", email, res.err)
		}
		rows := lines(res.stdout)
		if len(rows) != 3 || !strings.Contains(rows[1], "requests/sandbox/c.yaml") || !strings.Contains(rows[2], "requests/payments-prod/a.yaml") {
			t.Errorf("--mine as %s lists:\n%s", email, res.stdout)
		}
	}
	res := mine("stranger@example.com")
	if res.code != 2 || !strings.Contains(res.err.Error(), "--mine: git's user.email stranger@example.com is no Identity Center user under users: in .github/jit.yaml; pass --user LOGIN") {
		t.Errorf("--mine with an unknown email: exit %d, %v", res.code, res.err)
	}
	if res := run(t, newStatusCmd(), nil, "--repo", dir, "--mine", "--user", "bob"); res.code != 2 {
		t.Errorf("--mine --user: exit %d", res.code)
	}
}

func TestStatusUnknownAccount(t *testing.T) {
	dir := grantsRepo(t)
	res := run(t, newStatusCmd(), nil, "--repo", dir, "--account", "payments-prd")
	if res.code != 2 || res.err.Error() != `--account "payments-prd" is not an account of .github/jit.yaml: use one of payments-prod, sandbox` {
		t.Errorf("unknown --account: exit %d, %v", res.code, res.err)
	}
}
