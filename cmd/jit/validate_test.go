package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jit-access/jit/internal/gittest"
	"github.com/jit-access/jit/internal/layout"
)

// noEnv is an environment with nothing set, so tests behave the same inside
// and outside GitHub Actions.
func noEnv(string) string { return "" }

// matchLines compares output lines; a wanted line ending in "…" only has
// to be a prefix, for messages the schema package owns.
func matchLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(want); i++ {
		if p, isPrefix := strings.CutSuffix(want[i], "…"); isPrefix {
			ok = strings.HasPrefix(got[i], p)
		} else {
			ok = got[i] == want[i]
		}
	}
	if !ok {
		t.Errorf("%s:\ngot:\n  %s\nwant:\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func validate(t *testing.T, args ...string) result {
	t.Helper()
	return run(t, newValidateCmd(noEnv), nil, args...)
}

const (
	ownerWarning = "requests/sandbox/s.yaml:1:1: warning: no .github/CODEOWNERS rule gives requests/sandbox/ an owner, so only the SSO admins can approve this request (fix: add `/requests/sandbox/ @org/team` to .github/CODEOWNERS)"
	reviewFix    = " (fix: a request adds exactly one new file requests/<account>/<name>.yaml and changes nothing else)"
	forbiddenFix = ", which no pull request may do: merged request files are the audit record and only jit writes them (fix: to extend or renew access, add a new request file; leave existing ones as they are)"
)

func TestValidateWorkingTree(t *testing.T) {
	shortJustification := strings.Replace(goodRequest, `"INC-1234: investigating elevated 5xx rates"`, "short", 1)
	withStatus := goodRequest + "status:\n  state: active\n  pull_request: 7\n"
	tests := []struct {
		name       string
		files      map[string]string
		args       []string
		wantCode   int
		wantStdout []string
		wantStderr string
	}{
		{
			name:       "no requests yet",
			wantStderr: "jit validate: 0 request files checked, 0 errors, 0 warnings",
		},
		{
			name:       "valid request",
			files:      map[string]string{"requests/payments-prod/a.yaml": goodRequest},
			wantStderr: "jit validate: 1 request file checked, 0 errors, 0 warnings",
		},
		{
			name:       "merged request with a status block is fine without --base",
			files:      map[string]string{"requests/payments-prod/a.yaml": withStatus},
			wantStderr: "jit validate: 1 request file checked, 0 errors, 0 warnings",
		},
		{
			name:       "error with line and column, sorted by path",
			files:      map[string]string{"requests/payments-prod/b.yaml": shortJustification, "requests/payments-prod/a.yaml": goodRequest},
			wantCode:   1,
			wantStdout: []string{"requests/payments-prod/b.yaml:4:16: error: justification …"},
			wantStderr: "jit validate: 2 request files checked, 1 error, 0 warnings",
		},
		{
			name: "account without owners is a warning",
			files: map[string]string{"requests/sandbox/s.yaml": strings.Replace(goodRequest,
				"account: payments-prod", "account: sandbox", 1)},
			wantStdout: []string{ownerWarning},
			wantStderr: "jit validate: 1 request file checked, 0 errors, 1 warning",
		},
		{
			name:       "explicit file path",
			files:      map[string]string{"requests/payments-prod/a.yaml": goodRequest, "requests/payments-prod/b.yaml": shortJustification},
			args:       []string{"requests/payments-prod/a.yaml"},
			wantStderr: "jit validate: 1 request file checked, 0 errors, 0 warnings",
		},
		{
			name:       "unknown requester",
			files:      map[string]string{"requests/payments-prod/a.yaml": goodRequest},
			args:       []string{"--requester", "mallory"},
			wantCode:   1,
			wantStdout: []string{"requests/payments-prod/a.yaml:1:1: error: GitHub user mallory …"},
			wantStderr: "jit validate: 1 request file checked, 1 error, 0 warnings",
		},
		{
			name:       "known requester",
			files:      map[string]string{"requests/payments-prod/a.yaml": goodRequest},
			args:       []string{"--requester", "octocat"},
			wantStderr: "jit validate: 1 request file checked, 0 errors, 0 warnings",
		},
		{
			name: "invalid CODEOWNERS lines are errors",
			files: map[string]string{
				".github/CODEOWNERS":            testCodeowners + "/requests/x/ not-an-owner\n",
				"requests/payments-prod/a.yaml": goodRequest,
			},
			wantCode:   1,
			wantStdout: []string{".github/CODEOWNERS:4:14: error: …"},
			wantStderr: "jit validate: 1 request file checked, 1 error, 0 warnings",
		},
		{
			name:       "missing CODEOWNERS is a warning",
			files:      map[string]string{"requests/payments-prod/a.yaml": goodRequest},
			args:       []string{"--repo-remove-codeowners"},
			wantStdout: []string{".github/CODEOWNERS: warning: missing: no account has owners, so only the SSO admins can approve requests (fix: add .github/CODEOWNERS with a line like `/requests/<account>/ @org/team` per account)"},
			wantStderr: "jit validate: 1 request file checked, 0 errors, 1 warning",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := newTestRepo(t, false, tt.files)
			args := []string{"--repo", dir}
			for _, a := range tt.args {
				if a == "--repo-remove-codeowners" {
					if err := os.Remove(filepath.Join(dir, ".github/CODEOWNERS")); err != nil {
						t.Fatal(err)
					}
					continue
				}
				args = append(args, a)
			}
			r := validate(t, args...)
			if r.code != tt.wantCode {
				t.Errorf("exit status %d, want %d (err %v)", r.code, tt.wantCode, r.err)
			}
			matchLines(t, "stdout", lines(r.stdout), tt.wantStdout)
			matchLines(t, "stderr", lines(r.stderr), []string{tt.wantStderr})
		})
	}
}

func TestValidateSymlinkIsNotFollowed(t *testing.T) {
	dir := newTestRepo(t, false, map[string]string{"secret.yaml": "do not print me\n"})
	if err := os.MkdirAll(filepath.Join(dir, "requests/payments-prod"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../secret.yaml", filepath.Join(dir, "requests/payments-prod/link.yaml")); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--repo", dir}, {"--repo", dir, "requests/payments-prod/link.yaml"}} {
		r := validate(t, args...)
		if r.code != 1 {
			t.Errorf("%v: exit status %d, want 1", args, r.code)
		}
		matchLines(t, "stdout", lines(r.stdout), []string{
			"requests/payments-prod/link.yaml: error: is a symbolic link; a request file must be a regular file (fix: replace it with the request's YAML itself)",
		})
	}
}

func TestValidateCannotRun(t *testing.T) {
	good := map[string]string{"requests/payments-prod/a.yaml": goodRequest}
	tests := []struct {
		name       string
		files      map[string]string
		noConfig   bool
		args       []string
		wantErr    string
		wantStdout []string
	}{
		{name: "bad format", args: []string{"--format", "xml"}, wantErr: `unknown --format "xml": use text, json or github`},
		{name: "missing config", noConfig: true, wantErr: "no .github/jit.yaml in the working tree: jit needs the access repository's configuration (see README.md)"},
		{
			name:       "invalid config is reported with lines",
			files:      map[string]string{layout.ConfigPath: strings.Replace(testConfig, "version: 1", "version: 2", 1)},
			wantErr:    ".github/jit.yaml in the working tree has errors; fix them before validating requests",
			wantStdout: []string{".github/jit.yaml:1:10: error: …"},
		},
		{name: "path outside the repository", args: []string{"../elsewhere"}, wantErr: "../elsewhere is outside the repository"},
		{name: "path that does not exist", args: []string{"requests/nope.yaml"}, wantErr: "cannot read requests/nope.yaml"},
		{name: "unknown base", args: []string{"--base", "nope"}, wantErr: `cannot find the commit "nope"`},
		{name: "base that looks like a flag", args: []string{"--base=--output=x"}, wantErr: `"--output=x" is not a git revision`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			files := map[string]string{}
			for k, v := range good {
				files[k] = v
			}
			for k, v := range tt.files {
				files[k] = v
			}
			dir := newTestRepo(t, true, files)
			if tt.noConfig {
				if err := os.Remove(filepath.Join(dir, layout.ConfigPath)); err != nil {
					t.Fatal(err)
				}
			}
			r := validate(t, append([]string{"--repo", dir}, tt.args...)...)
			if r.code != 2 {
				t.Errorf("exit status %d, want 2", r.code)
			}
			if r.err == nil || !strings.HasPrefix(r.err.Error(), tt.wantErr) {
				t.Errorf("error %v, want it to start with %q", r.err, tt.wantErr)
			}
			matchLines(t, "stdout", lines(r.stdout), tt.wantStdout)
		})
	}
}

// TestValidateThroughMain checks the wiring in the binary's root command.
func TestValidateThroughMain(t *testing.T) {
	err := realMain(t.Context(), []string{"validate", "--format", "xml"})
	if err == nil || exitCode(err) != 2 {
		t.Fatalf("realMain = %v, want exit status 2", err)
	}
}

func TestValidateJSON(t *testing.T) {
	dir := newTestRepo(t, false, map[string]string{
		"requests/sandbox/s.yaml": strings.Replace(goodRequest, "account: payments-prod", "account: sandbox", 1),
	})
	r := validate(t, "--repo", dir, "--format", "json")
	if r.code != 0 {
		t.Fatalf("exit status %d: %v", r.code, r.err)
	}
	var got []jsonFinding
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("output is not a JSON array of findings: %v\n%s", err, r.stdout)
	}
	want := []jsonFinding{{
		Path: "requests/sandbox/s.yaml", Line: 1, Col: 1, Severity: "warning",
		Message: "no .github/CODEOWNERS rule gives requests/sandbox/ an owner, so only the SSO admins can approve this request",
		Fix:     "add `/requests/sandbox/ @org/team` to .github/CODEOWNERS",
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}

	empty := validate(t, "--repo", newTestRepo(t, false, nil), "--format", "json")
	if empty.stdout != "[]\n" {
		t.Errorf("no findings printed %q, want an empty array", empty.stdout)
	}
}

func TestValidateGitHubFormat(t *testing.T) {
	// sandbox has no owners (a warning) and the justification is short (an error).
	request := strings.Replace(goodRequest, "account: payments-prod", "account: sandbox", 1)
	request = strings.Replace(request, `"INC-1234: investigating elevated 5xx rates"`, "short", 1)
	dir := newTestRepo(t, false, map[string]string{"requests/sandbox/s.yaml": request})
	summary := filepath.Join(t.TempDir(), "summary.md")
	env := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary}
	r := run(t, newValidateCmd(func(k string) string { return env[k] }), nil, "--repo", dir)
	if r.code != 1 {
		t.Fatalf("exit status %d, want 1 (%v)", r.code, r.err)
	}
	matchLines(t, "stdout", lines(r.stdout), []string{
		"::warning col=1,file=requests/sandbox/s.yaml,line=1,title=jit warning::no .github/CODEOWNERS rule gives requests/sandbox/ an owner, so only the SSO admins can approve this request%0AFix: add `/requests/sandbox/ @org/team` to .github/CODEOWNERS",
		"::error col=16,file=requests/sandbox/s.yaml,line=4,title=jit error::justification …",
	})
	data, err := os.ReadFile(summary)
	if err != nil {
		t.Fatal(err)
	}
	matchLines(t, "job summary", lines(string(data)), []string{
		"### jit validate",
		"",
		"jit validate: 1 request file checked, 1 error, 1 warning",
		"",
		"| | File | Line | Message | Fix |",
		"| --- | --- | --- | --- | --- |",
		"| ⚠️ warning | `requests/sandbox/s.yaml` | 1:1 | no .github/CODEOWNERS rule gives requests/sandbox/ an owner, so only the SSO admins can approve this request | add `/requests/sandbox/ @org/team` to .github/CODEOWNERS |",
		"| ❌ error | `requests/sandbox/s.yaml` | 4:16 | justification …",
	})

	// An explicit --format wins over GITHUB_ACTIONS.
	r = run(t, newValidateCmd(func(k string) string { return env[k] }), nil, "--repo", dir, "--format", "text")
	if strings.HasPrefix(r.stdout, "::") {
		t.Errorf("--format text wrote annotations:\n%s", r.stdout)
	}
}

// baseRepo is a repository whose main branch has the rules and one merged
// request, checked out on a new branch "pr" for the change under test.
func baseRepo(t *testing.T) string {
	t.Helper()
	dir := newTestRepo(t, true, map[string]string{
		"requests/payments-prod/merged.yaml": goodRequest + "status:\n  state: active\n  pull_request: 1\n",
	})
	gittest.Output(t, dir, "checkout", "-q", "-b", "pr")
	return dir
}

// writing is a change that writes files (path: content) into the checkout.
func writing(files map[string]string) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) { writeFiles(t, dir, files) }
}

func TestValidateBase(t *testing.T) {
	newRequest := strings.Replace(goodRequest, "4h", "2h", 1)
	tests := []struct {
		name       string
		change     func(t *testing.T, dir string)
		args       []string
		wantCode   int
		wantStdout []string
		wantStderr string
	}{
		{
			name:       "one new request",
			change:     writing(map[string]string{"requests/payments-prod/new.yaml": newRequest}),
			args:       []string{"--requester", "octocat"},
			wantStderr: "jit validate: 1 request file checked, 0 errors, 0 warnings",
		},
		{
			name:       "new request by a requester without a user",
			change:     writing(map[string]string{"requests/payments-prod/new.yaml": newRequest}),
			args:       []string{"--requester", "mallory"},
			wantCode:   1,
			wantStdout: []string{"requests/payments-prod/new.yaml:1:1: error: GitHub user mallory …"},
			wantStderr: "jit validate: 1 request file checked, 1 error, 0 warnings",
		},
		{
			name:       "new request must not carry a status block",
			change:     writing(map[string]string{"requests/payments-prod/new.yaml": newRequest + "status:\n  state: active\n"}),
			wantCode:   1,
			wantStdout: []string{"requests/payments-prod/new.yaml:5:1: error: …"},
			wantStderr: "jit validate: 1 request file checked, 1 error, 0 warnings",
		},
		{
			name:   "config edit needs admin review",
			change: writing(map[string]string{layout.ConfigPath: testConfig + "request_ttl: 48h\n"}),
			wantStdout: []string{
				"warning: this change (main...HEAD) needs SSO admin review: edits .github/jit.yaml (the jit configuration)" + reviewFix,
			},
			wantStderr: "jit validate: 0 request files checked, 0 errors, 1 warning",
		},
		{
			name: "the change's own config does not apply",
			change: writing(map[string]string{
				layout.ConfigPath:                  strings.Replace(testConfig, "max_duration: 1d", "max_duration: 1w", 1),
				"requests/payments-prod/long.yaml": strings.Replace(goodRequest, "4h", "1w", 1),
			}),
			wantCode: 1,
			wantStdout: []string{
				"warning: this change (main...HEAD) needs SSO admin review: adds the request file requests/payments-prod/long.yaml together with other changes; edits .github/jit.yaml (the jit configuration)" + reviewFix,
				"requests/payments-prod/long.yaml:3:11: error: …",
			},
			wantStderr: "jit validate: 1 request file checked, 1 error, 1 warning",
		},
		{
			name:     "edit of a merged request is an error",
			change:   writing(map[string]string{"requests/payments-prod/merged.yaml": strings.Replace(goodRequest, "4h", "8h", 1) + "status:\n  state: active\n  pull_request: 1\n"}),
			wantCode: 1,
			wantStdout: []string{
				"warning: this change (main...HEAD) needs SSO admin review: edits requests/payments-prod/merged.yaml" + reviewFix,
				"requests/payments-prod/merged.yaml: error: this change edits requests/payments-prod/merged.yaml" + forbiddenFix,
			},
			wantStderr: "jit validate: 1 request file checked, 1 error, 1 warning",
		},
		{
			name: "removal of a merged request is an error",
			change: func(t *testing.T, dir string) {
				gittest.Output(t, dir, "rm", "-q", "requests/payments-prod/merged.yaml")
			},
			wantCode: 1,
			wantStdout: []string{
				"warning: this change (main...HEAD) needs SSO admin review: removes requests/payments-prod/merged.yaml" + reviewFix,
				"requests/payments-prod/merged.yaml: error: this change removes requests/payments-prod/merged.yaml" + forbiddenFix,
			},
			wantStderr: "jit validate: 0 request files checked, 1 error, 1 warning",
		},
		{
			name: "symlink request is an error and is not read",
			change: func(t *testing.T, dir string) {
				if err := os.Symlink("merged.yaml", filepath.Join(dir, "requests/payments-prod/link.yaml")); err != nil {
					t.Fatal(err)
				}
			},
			wantCode: 1,
			wantStdout: []string{
				"warning: this change (main...HEAD) needs SSO admin review: adds requests/payments-prod/link.yaml as a symbolic link" + reviewFix,
				"requests/payments-prod/link.yaml: error: this change adds requests/payments-prod/link.yaml as a symbolic link" + forbiddenFix,
			},
			wantStderr: "jit validate: 0 request files checked, 1 error, 1 warning",
		},
		{
			name: "two new requests need admin review and are both validated",
			change: writing(map[string]string{
				"requests/payments-prod/one.yaml": newRequest,
				"requests/payments-prod/two.yaml": strings.Replace(newRequest, "2h", "3h", 1),
			}),
			wantCode: 1,
			wantStdout: []string{
				"warning: this change (main...HEAD) needs SSO admin review: adds 2 request files (requests/payments-prod/one.yaml, requests/payments-prod/two.yaml); a request adds exactly one" + reviewFix,
				"requests/payments-prod/two.yaml:3:11: error: …",
			},
			wantStderr: "jit validate: 2 request files checked, 1 error, 1 warning",
		},
		{
			name:       "explicit paths: merged files may keep their status block",
			change:     writing(map[string]string{"requests/payments-prod/new.yaml": newRequest}),
			args:       []string{"requests/"},
			wantStderr: "jit validate: 2 request files checked, 0 errors, 0 warnings",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := baseRepo(t)
			tt.change(t, dir)
			commitAll(t, dir, "change")
			r := validate(t, append([]string{"--repo", dir, "--base", "main"}, tt.args...)...)
			if r.code != tt.wantCode {
				t.Errorf("exit status %d, want %d (err %v)", r.code, tt.wantCode, r.err)
			}
			matchLines(t, "stdout", lines(r.stdout), tt.wantStdout)
			matchLines(t, "stderr", lines(r.stderr), []string{tt.wantStderr})
		})
	}
}

// TestValidateBaseReadsRulesFromBase checks that a broken or missing config
// in the working tree does not matter with --base, and a broken one on the
// base branch does.
func TestValidateBaseReadsRulesFromBase(t *testing.T) {
	dir := baseRepo(t)
	if err := os.Remove(filepath.Join(dir, layout.ConfigPath)); err != nil {
		t.Fatal(err)
	}
	commitAll(t, dir, "drop the config")
	r := validate(t, "--repo", dir, "--base", "main")
	if r.code != 0 {
		t.Errorf("exit status %d, want 0: %v\n%s", r.code, r.err, r.stdout)
	}
	matchLines(t, "stdout", lines(r.stdout), []string{
		"warning: this change (main...HEAD) needs SSO admin review: removes .github/jit.yaml (the jit configuration)" + reviewFix,
	})

	r = validate(t, "--repo", dir, "--base", "HEAD")
	if r.code != 2 || r.err == nil || r.err.Error() != "no .github/jit.yaml in HEAD: jit needs the access repository's configuration (see README.md)" {
		t.Errorf("base without config: exit status %d, error %v", r.code, r.err)
	}
}

func TestValidateBaseNeedsTopLevel(t *testing.T) {
	dir := baseRepo(t)
	r := validate(t, "--repo", filepath.Join(dir, "requests"), "--base", "main")
	if r.code != 2 || r.err == nil || !strings.Contains(r.err.Error(), "is not the top folder of its git repository") {
		t.Errorf("exit status %d, error %v; want 2 and a message about the top folder", r.code, r.err)
	}
}

// jit validate refuses a request for the organisation's management account
// unless the config allows it, at the request's account line.
func TestValidateManagementAccount(t *testing.T) {
	marked := strings.Replace(testConfig, "    max_duration: 1d\n", "    max_duration: 1d\n    management_account: true\n", 1)
	for _, tc := range []struct {
		name, config string
		wantCode     int
		wantStdout   []string
	}{
		{"refused unless allowed", marked, 1, []string{"requests/payments-prod/a.yaml:1:10: error: account payments-prod is the organisation's management account, and .github/jit.yaml does not allow requests for it (fix: ask for another account; the SSO admins can set allow_management_account: true when jit's role lives in the management account itself)"}},
		{"allowed", marked + "allow_management_account: true\n", 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := newTestRepo(t, false, map[string]string{layout.ConfigPath: tc.config, "requests/payments-prod/a.yaml": goodRequest})
			r := validate(t, "--repo", dir)
			if r.code != tc.wantCode {
				t.Errorf("exit status %d, want %d (err %v)\n%s", r.code, tc.wantCode, r.err, r.stdout)
			}
			matchLines(t, "stdout", lines(r.stdout), tc.wantStdout)
		})
	}
}
