package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jit-access/jit/schema"

	"github.com/jit-access/jit/internal/gittest"
)

// TestValidateExtends checks extends: against the grants as the base
// branch holds them, at a time the test chooses (--now).
func TestValidateExtends(t *testing.T) {
	grant := func(account, set, requester, state, expires string) string {
		return "account: " + account + "\npermission_set: " + set + "\nduration: 4h\njustification: \"INC-1234: investigating elevated 5xx rates\"\n" +
			"status:\n  state: " + state + "\n  requester: " + requester + "\n  pull_request: 1\n  activated_at: 2026-11-23T08:00:00Z\n  expires_at: " + expires + "\n"
	}
	onMain := map[string]string{
		"requests/payments-prod/mine.yaml":  grant("payments-prod", "ReadOnlyAccess", "octocat", "active", "2026-11-23T12:00:00Z"),
		"requests/payments-prod/hers.yaml":  grant("payments-prod", "ReadOnlyAccess", "alice", "active", "2026-11-23T12:00:00Z"),
		"requests/payments-prod/power.yaml": grant("payments-prod", "PowerUserAccess", "octocat", "active", "2026-11-23T12:00:00Z"),
		"requests/sandbox/box.yaml":         grant("sandbox", "ReadOnlyAccess", "octocat", "active", "2026-11-23T12:00:00Z"),
		"requests/payments-prod/gone.yaml":  grant("payments-prod", "ReadOnlyAccess", "octocat", "expired", "2026-11-23T09:00:00Z"),
	}
	ext := func(target, duration string) string {
		return "account: payments-prod\npermission_set: ReadOnlyAccess\nextends: " + target + "\nduration: " + duration +
			"\njustification: \"INC-1234: still investigating, need more time\"\n"
	}
	const now = "2026-11-23T10:00:00Z"
	// Every refusal is one finding on ext.yaml: wantError is what follows
	// "requests/payments-prod/ext.yaml:", and "" is an extension accepted.
	for _, tt := range []struct {
		name, target, duration, wantError string
	}{
		{"own active grant, later end", "requests/payments-prod/mine.yaml", "4h", ""},
		{"someone else's grant", "requests/payments-prod/hers.yaml", "4h",
			"3:10: error: requests/payments-prod/hers.yaml is alice's grant: only its requester can extend it (fix: remove extends: to ask for access of your own, or ask alice to extend it)"},
		{"another permission set", "requests/payments-prod/power.yaml", "4h",
			"3:10: error: requests/payments-prod/power.yaml is for permission set PowerUserAccess, and this request asks for ReadOnlyAccess (fix: …"},
		{"another account", "requests/sandbox/box.yaml", "4h",
			"3:10: error: requests/sandbox/box.yaml is for account sandbox, and this request is for payments-prod (fix: …"},
		{"a grant that is not active", "requests/payments-prod/gone.yaml", "4h",
			"3:10: error: requests/payments-prod/gone.yaml is expired: only an active grant can be extended (fix: remove extends: to ask for access of your own)"},
		{"a grant that is not on main", "requests/payments-prod/nope.yaml", "4h",
			"3:10: error: extends: requests/payments-prod/nope.yaml is not a request file on main (fix: …"},
		{"an end that is not later", "requests/payments-prod/mine.yaml", "1h",
			"4:11: error: requests/payments-prod/mine.yaml ends at 2026-11-23T12:00:00Z; duration 1h from now ends at 2026-11-23T11:00:00Z, which is not later (fix: ask for more than the 2h it has left, e.g. 4h)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := newTestRepo(t, true, onMain)
			gittest.Output(t, dir, "checkout", "-q", "-b", "pr")
			writeFiles(t, dir, map[string]string{"requests/payments-prod/ext.yaml": ext(tt.target, tt.duration)})
			commitAll(t, dir, "extend")
			r := validate(t, "--repo", dir, "--base", "main", "--requester", "octocat", "--now", now)
			wantCode, wantStdout := 0, []string(nil)
			if tt.wantError != "" {
				wantCode, wantStdout = 1, []string{"requests/payments-prod/ext.yaml:" + tt.wantError}
			}
			if r.code != wantCode {
				t.Errorf("exit status %d, want %d (err %v)\n%s", r.code, wantCode, r.err, r.stdout)
			}
			matchLines(t, "stdout", lines(r.stdout), wantStdout)
			if wantCode == 0 && !strings.Contains(r.stderr, "1 request file checked, 0 errors, 0 warnings") {
				t.Errorf("stderr: %s", r.stderr)
			}
		})
	}
}

// jit new --extends writes the extends: line and checks it against the
// grant as the clone holds it.
func TestNewExtends(t *testing.T) {
	active := goodRequest + "status:\n  state: active\n  requester: octocat\n  pull_request: 1\n  activated_at: 2026-11-23T08:00:00Z\n  expires_at: 2026-11-23T12:00:00Z\n"
	dir := newTestRepo(t, false, map[string]string{
		"requests/payments-prod/mine.yaml": active,
		"requests/payments-prod/gone.yaml": strings.Replace(active, "state: active", "state: expired", 1),
	})
	args := func(target string) []string {
		return []string{"--account", "payments-prod", "--permission-set", "ReadOnlyAccess", "--duration", "4h",
			"--justification", "INC-1234: still investigating", "--extends", target, "--now", "2026-11-23T10:00:00Z"}
	}
	r := newCmd(t, dir, false, "", args("requests/payments-prod/mine.yaml")...)
	if r.code != 0 {
		t.Fatalf("exit status %d: %v\n%s", r.code, r.err, r.stderr)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "requests/payments-prod/inc-1234-still-investigating.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	data := string(raw)
	req, err := schema.DecodeRequest("requests/payments-prod/inc-1234-still-investigating.yaml", raw)
	if err != nil || req.Extends != "requests/payments-prod/mine.yaml" || !strings.Contains(data, "permission_set: ReadOnlyAccess\nextends: requests/payments-prod/mine.yaml\nduration: 4h\n") {
		t.Errorf("written:\n%s", data)
	}
	r = newCmd(t, dir, false, "", append(args("requests/payments-prod/gone.yaml"), "--name", "more")...)
	if r.code != 1 || !strings.Contains(r.stderr, "requests/payments-prod/more.yaml:4:10: error: requests/payments-prod/gone.yaml is expired: only an active grant can be extended") {
		t.Errorf("exit status %d, stderr:\n%s", r.code, r.stderr)
	}
}
