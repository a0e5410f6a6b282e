package main

import (
	"strings"
	"testing"
)

// Small things people trip on (issue 17, point 7).

func TestSweepTakesGitHubRepoLikeReconcileAndAudit(t *testing.T) {
	t.Setenv("JIT_PRIVATE_KEY", "not read before the repository is")
	r := run(t, newRootCmd(), nil, "sweep", "--app-id", "1", "--github-repo", "not-owner-name")
	if r.code != 2 || !strings.Contains(r.err.Error(), `--github-repo "not-owner-name" must be OWNER/NAME`) {
		t.Errorf("sweep --github-repo without a slash: exit %d, %v", r.code, r.err)
	}
	// --repo is a folder everywhere else; sweep has none.
	if r := run(t, newRootCmd(), nil, "sweep", "--repo", "acme/access"); r.err == nil || !strings.Contains(r.err.Error(), "unknown flag: --repo") {
		t.Errorf("sweep --repo: %v, want unknown flag", r.err)
	}
}

func TestAppIDThatIsNotANumber(t *testing.T) {
	t.Setenv("JIT_APP_ID", "abc")
	for _, args := range [][]string{{"serve"}, {"sweep"}, {"reconcile"}} {
		r := run(t, newRootCmd(), nil, args...)
		if r.code != 2 || r.err == nil || r.err.Error() != `JIT_APP_ID="abc" is not a number: set it to the App's numeric id (GitHub App settings, "App ID")` {
			t.Errorf("jit %s with JIT_APP_ID=abc: exit %d, %v", args[0], r.code, r.err)
		}
	}
	// The flag wins over the environment, and commands without an App id
	// do not care.
	if r := run(t, newRootCmd(), nil, "sweep", "--app-id", "12", "--github-repo", "x"); r.err != nil && strings.Contains(r.err.Error(), "not a number") {
		t.Errorf("sweep --app-id 12 still refused JIT_APP_ID: %v", r.err)
	}
	dir := newTestRepo(t, false, nil)
	if r := run(t, newRootCmd(), nil, "list", "--repo", dir); r.code != 0 {
		t.Errorf("jit list with JIT_APP_ID=abc: exit %d, %v", r.code, r.err)
	}
}

func TestOutsideAGitRepository(t *testing.T) {
	dir := t.TempDir()
	for _, cmd := range []string{"audit", "status"} {
		r := run(t, newRootCmd(), nil, cmd, "--repo", dir)
		if r.err == nil {
			t.Fatalf("jit %s outside a git repository succeeded", cmd)
		}
		msg := r.err.Error()
		if !strings.Contains(msg, dir+" is not in a git repository: run jit in a clone of the access repository, or pass --repo with its folder") ||
			strings.Contains(msg, "\n") || strings.Contains(msg, "fatal") {
			t.Errorf("jit %s outside a git repository says %q; want one plain line", cmd, msg)
		}
	}
}

func TestValidateSaysWhatIsNotARequestFile(t *testing.T) {
	dir := newTestRepo(t, false, map[string]string{"README.md": "# Access\n\nSee: the docs.\n"})
	r := run(t, newRootCmd(), nil, "validate", "--repo", dir, "README.md")
	if r.code != 1 || !strings.Contains(r.stdout+r.stderr, "README.md: error: is not a request file: request files are YAML files at requests/<account>/<name>.yaml") {
		t.Errorf("jit validate README.md: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestCompletionFromTheConfig(t *testing.T) {
	dir := newTestRepo(t, false, nil)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"new", "--repo", dir, "--account", "pay"}, "payments-prod\t111122223333"},
		{[]string{"new", "--repo", dir, "--account", "4444"}, "444455556666\tsandbox"},
		{[]string{"new", "--repo", dir, "--account", "sandbox", "--permission-set", ""}, "ReadOnlyAccess\nPowerUserAccess"},
		{[]string{"new", "--repo", dir, "--account", "sandbox", "--permission-set", "PowerUserAccess", "--duration", ""}, "1h\n2h\n4h\n8h"},
		{[]string{"new", "--repo", dir, "--account", "payments-prod", "--permission-set", "ReadOnlyAccess", "--duration", "1"}, "1h\n12h\n1d"},
		{[]string{"status", "--repo", dir, "--account", "s"}, "sandbox\t444455556666"},
	} {
		r := run(t, newRootCmd(), nil, append([]string{"__complete"}, tc.args...)...)
		got := strings.TrimSuffix(strings.SplitN(r.stdout, "\n:", 2)[0], "\n")
		if got != tc.want {
			t.Errorf("completing %v = %q, want %q", tc.args, got, tc.want)
		}
	}
}
