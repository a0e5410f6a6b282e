package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jit-access/jit/internal/atomicfile"
	"github.com/jit-access/jit/schema"
)

func newCmd(t *testing.T, dir string, terminal bool, stdin string, args ...string) result {
	t.Helper()
	isTerminal := noTerminalReader
	if terminal {
		isTerminal = alwaysTerminal
	}
	cmd := newNewCmd(isTerminal)
	return run(t, cmd, strings.NewReader(stdin), append([]string{"--repo", dir}, args...)...)
}

// readBack parses a written request with the schema package and fails on
// any finding: what jit new writes must validate.
func readBack(t *testing.T, dir, rel string) (string, schema.Request) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	cfg, findings := schema.ParseConfig(configPath, []byte(testConfig))
	if len(findings) > 0 {
		t.Fatalf("test config: %v", findings)
	}
	f, findings := schema.ValidateRequest(rel, data, cfg, schema.CheckOptions{Requester: "octocat"})
	if len(findings) > 0 || f == nil {
		t.Fatalf("written request does not validate: %v\n%s", findings, data)
	}
	return string(data), f.Request
}

func TestNewStandard(t *testing.T) {
	dir := newTestRepo(t, false, nil)
	r := newCmd(t, dir, false, "",
		"--account", "payments-prod", "--permission-set", "ReadOnlyAccess", "--duration", "4h",
		"--justification", "INC-1234: investigating elevated 5xx rates")
	if r.code != 0 {
		t.Fatalf("exit status %d: %v\n%s", r.code, r.err, r.stderr)
	}
	rel := "requests/payments-prod/inc-1234-investigating-elevated-5xx.yaml"
	matchLines(t, "stdout", lines(r.stdout), []string{
		"wrote " + rel,
		"next: commit it on a new branch and open a pull request that adds only this file",
	})
	data, got := readBack(t, dir, rel)
	wantData := `# yaml-language-server: $schema=../../schema/request.schema.json
account: payments-prod
permission_set: ReadOnlyAccess
duration: 4h
justification: "INC-1234: investigating elevated 5xx rates"
`
	if diff := cmp.Diff(wantData, data); diff != "" {
		t.Errorf("file (-want +got):\n%s", diff)
	}
	want := schema.Request{Account: "payments-prod", PermissionSet: "ReadOnlyAccess", Duration: "4h",
		Justification: "INC-1234: investigating elevated 5xx rates"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
	st, err := os.Stat(filepath.Join(dir, rel))
	if err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("file mode %v (%v), want 0644", st.Mode(), err)
	}
	if tmp, _ := filepath.Glob(filepath.Join(dir, "requests/payments-prod/"+atomicfile.TempPrefix+"*")); len(tmp) > 0 {
		t.Errorf("temporary files left behind: %v", tmp)
	}
}

// TestNewQuotesValues checks that values YAML would read as something else
// (an all-digit id, "yes", a comment marker, a leading quote) come back as
// the same strings.
func TestNewQuotesValues(t *testing.T) {
	dir := newTestRepo(t, false, nil)
	justification := `yes # not a comment: "quoted" 'single' 0x10 ~ null`
	r := newCmd(t, dir, false, "",
		"--account", "111122223333", "--permission-set", "ReadOnlyAccess", "--duration", "1d",
		"--justification", justification, "--name", "by-id")
	if r.code != 0 {
		t.Fatalf("exit status %d: %v\n%s", r.code, r.err, r.stderr)
	}
	_, got := readBack(t, dir, "requests/111122223333/by-id.yaml")
	want := schema.Request{Account: "111122223333", PermissionSet: "ReadOnlyAccess", Duration: "1d", Justification: justification}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
}

func TestNewCustom(t *testing.T) {
	dir := newTestRepo(t, false, nil)
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],` +
		`"Resource":["arn:aws:s3:::my-bucket","arn:aws:s3:::my-bucket/*"],"Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`
	policyFile := filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(policyFile, []byte(policy), 0o644); err != nil {
		t.Fatal(err)
	}
	r := newCmd(t, dir, false, "",
		"--account", "sandbox", "--custom", "S3Read", "--managed-policy", "AmazonS3ReadOnlyAccess",
		"--managed-policy", "arn:aws:iam::aws:policy/AWSSupportAccess", "--inline-policy", policyFile,
		"--session-duration", "1h", "--duration", "4h", "--justification", "INC-42: read the export bucket", "--name", "s3")
	if r.code != 0 {
		t.Fatalf("exit status %d: %v\n%s", r.code, r.err, r.stderr)
	}
	data, got := readBack(t, dir, "requests/sandbox/s3.yaml")
	wantData := `# yaml-language-server: $schema=../../schema/request.schema.json
account: sandbox
custom_permission_set:
  name: S3Read
  session_duration: 1h
  managed_policies:
    - AmazonS3ReadOnlyAccess
    - "arn:aws:iam::aws:policy/AWSSupportAccess"
  inline_policy: |
    {
      "Version": "2012-10-17",
      "Statement": [
        {
          "Effect": "Allow",
          "Action": [
            "s3:GetObject",
            "s3:ListBucket"
          ],
          "Resource": [
            "arn:aws:s3:::my-bucket",
            "arn:aws:s3:::my-bucket/*"
          ],
          "Condition": {
            "Bool": {
              "aws:SecureTransport": "true"
            }
          }
        }
      ]
    }
duration: 4h
justification: "INC-42: read the export bucket"
`
	if diff := cmp.Diff(wantData, data); diff != "" {
		t.Errorf("file (-want +got):\n%s", diff)
	}
	if got.CustomPermissionSet == nil {
		t.Fatal("no custom_permission_set read back")
	}
	var gotPolicy, wantPolicy any
	if err := json.Unmarshal([]byte(got.CustomPermissionSet.InlinePolicy), &gotPolicy); err != nil {
		t.Fatalf("inline policy read back is not JSON: %v", err)
	}
	if err := json.Unmarshal([]byte(policy), &wantPolicy); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantPolicy, gotPolicy); diff != "" {
		t.Errorf("inline policy (-want +got):\n%s", diff)
	}
	got.CustomPermissionSet.InlinePolicy = ""
	want := schema.Request{
		Account: "sandbox", Duration: "4h", Justification: "INC-42: read the export bucket",
		CustomPermissionSet: &schema.CustomPermissionSet{Name: "S3Read", SessionDuration: "1h",
			ManagedPolicies: []string{"AmazonS3ReadOnlyAccess", "arn:aws:iam::aws:policy/AWSSupportAccess"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
}

func TestNewRefusesInvalidRequest(t *testing.T) {
	dir := newTestRepo(t, false, nil)
	r := newCmd(t, dir, false, "",
		"--account", "payments-prod", "--permission-set", "ReadOnlyAccess", "--duration", "1w",
		"--justification", "INC-1234: investigating", "--name", "long")
	if r.code != 1 {
		t.Errorf("exit status %d, want 1", r.code)
	}
	if r.err == nil || r.err.Error() != "requests/payments-prod/long.yaml not written: the request has errors" {
		t.Errorf("error %v", r.err)
	}
	matchLines(t, "stderr", lines(r.stderr), []string{"requests/payments-prod/long.yaml:4:11: error: …"})
	if _, err := os.Stat(filepath.Join(dir, "requests/payments-prod/long.yaml")); !os.IsNotExist(err) {
		t.Errorf("the invalid request was written (stat: %v)", err)
	}
}

func TestNewNeverOverwrites(t *testing.T) {
	dir := newTestRepo(t, false, map[string]string{"requests/payments-prod/mine.yaml": "keep me\n"})
	args := []string{"--account", "payments-prod", "--permission-set", "ReadOnlyAccess", "--duration", "4h",
		"--justification", "INC-1234: investigating elevated 5xx rates"}

	r := newCmd(t, dir, false, "", append(args, "--name", "mine")...)
	if r.code != 2 || r.err == nil || r.err.Error() != "requests/payments-prod/mine.yaml already exists; jit new never overwrites a request: choose another --name" {
		t.Errorf("exit status %d, error %v", r.code, r.err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "requests/payments-prod/mine.yaml")); string(data) != "keep me\n" {
		t.Errorf("existing file changed to %q", data)
	}

	// A derived name that clashes gets a counter instead.
	for _, want := range []string{"inc-1234-investigating-elevated-5xx", "inc-1234-investigating-elevated-5xx-2"} {
		r := newCmd(t, dir, false, "", args...)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "wrote requests/payments-prod/"+want+".yaml\n") {
			t.Errorf("exit status %d, stdout %q, want %s written", r.code, r.stdout, want)
		}
	}
}

func TestNewRefusesSymlinkedFolder(t *testing.T) {
	dir := newTestRepo(t, false, nil)
	outside := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "requests"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "requests/payments-prod")); err != nil {
		t.Fatal(err)
	}
	r := newCmd(t, dir, false, "", "--account", "payments-prod", "--permission-set", "ReadOnlyAccess",
		"--duration", "4h", "--justification", "INC-1234: investigating elevated 5xx rates")
	if r.code != 2 || r.err == nil || !strings.HasSuffix(r.err.Error(), "requests/payments-prod is a symbolic link, not a folder") {
		t.Errorf("exit status %d, error %v", r.code, r.err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) > 0 {
		t.Errorf("wrote through the link: %v", entries)
	}
}

func TestNewBadFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{
			name:    "missing flags without a terminal",
			args:    []string{"--account", "sandbox"},
			wantErr: "missing --permission-set (or --custom), --duration, --justification (stdin is not a terminal, so jit new cannot ask)",
		},
		{
			name:    "missing custom flags",
			args:    []string{"--custom", "X", "--duration", "1h", "--justification", "INC-1: something"},
			wantErr: "missing --account, --session-duration, --managed-policy or --inline-policy (stdin is not a terminal, so jit new cannot ask)",
		},
		{
			name:    "both kinds of permission set",
			args:    []string{"--permission-set", "ReadOnlyAccess", "--custom", "X"},
			wantErr: "--permission-set and --custom exclude each other: a request uses a standard set or defines one",
		},
		{
			name:    "custom flags without --custom",
			args:    []string{"--managed-policy", "ReadOnlyAccess"},
			wantErr: "--managed-policy, --inline-policy and --session-duration define a custom permission set: add --custom NAME",
		},
		{
			name: "bad name",
			args: []string{"--account", "payments-prod", "--permission-set", "ReadOnlyAccess", "--duration", "4h",
				"--justification", "INC-1234: investigating", "--name", "../../x"},
			wantErr: `requests/payments-prod/../../x.yaml has a ".." path segment; choose another --account or --name`,
		},
		{
			name: "inline policy that is not an object",
			args: []string{"--account", "sandbox", "--custom", "X", "--inline-policy", "LIST", "--session-duration", "1h",
				"--duration", "4h", "--justification", "INC-1234: investigating"},
			wantErr: " must hold one policy object with Version and Statement",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := newTestRepo(t, false, nil)
			list := filepath.Join(t.TempDir(), "list.json")
			if err := os.WriteFile(list, []byte(`["s3:GetObject"]`), 0o644); err != nil {
				t.Fatal(err)
			}
			for i, a := range tt.args {
				if a == "LIST" {
					tt.args[i] = list
				}
			}
			r := newCmd(t, dir, false, "", tt.args...)
			if r.code != 2 {
				t.Errorf("exit status %d, want 2", r.code)
			}
			if r.err == nil || !strings.Contains(r.err.Error(), tt.wantErr) {
				t.Errorf("error %v, want it to contain %q", r.err, tt.wantErr)
			}
			if entries, _ := os.ReadDir(filepath.Join(dir, "requests")); len(entries) > 0 {
				t.Errorf("something was written: %v", entries)
			}
		})
	}
}

func TestNewInteractive(t *testing.T) {
	dir := newTestRepo(t, false, nil)
	// Account 2 (sandbox), a wrong answer, then PowerUserAccess by name, then
	// duration 3 of those within PowerUserAccess's 8h cap, then the reason.
	stdin := "2\nAdministratorAccess\nPowerUserAccess\n3\nINC-7: restart the stuck workers\n"
	r := newCmd(t, dir, true, stdin)
	if r.code != 0 {
		t.Fatalf("exit status %d: %v\n%s", r.code, r.err, r.stderr)
	}
	wantPrompts := "Account:\n" +
		"  1) payments-prod (111122223333)\n" +
		"  2) sandbox (444455556666)\n" +
		"Choose 1-2: Permission set:\n" +
		"  1) ReadOnlyAccess\n" +
		"  2) PowerUserAccess\n" +
		"  3) custom (define a permission set for this request)\n" +
		"Choose 1-3: \"AdministratorAccess\" is not one of the choices\n" +
		"Choose 1-3: Access duration:\n" +
		"  1) 1h\n" +
		"  2) 2h\n" +
		"  3) 4h\n" +
		"  4) 8h\n" +
		"Choose 1-4: Justification (why, e.g. a ticket and what you will do): "
	if r.stderr != wantPrompts {
		t.Errorf("prompts:\n%s\nwant:\n%s", r.stderr, wantPrompts)
	}
	_, got := readBack(t, dir, "requests/sandbox/inc-7-restart-the-stuck-workers.yaml")
	want := schema.Request{Account: "sandbox", PermissionSet: "PowerUserAccess", Duration: "4h", Justification: "INC-7: restart the stuck workers"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
}

func TestNewInteractiveCustom(t *testing.T) {
	dir := newTestRepo(t, false, nil)
	stdin := "payments-prod\n2\nS3Read\n1h\nAmazonS3ReadOnlyAccess, AWSSupportAccess\n2h\nINC-8: read the export bucket\n"
	r := newCmd(t, dir, true, stdin, "--name", "custom")
	if r.code != 0 {
		t.Fatalf("exit status %d: %v\n%s", r.code, r.err, r.stderr)
	}
	_, got := readBack(t, dir, "requests/payments-prod/custom.yaml")
	want := schema.Request{Account: "payments-prod", Duration: "2h", Justification: "INC-8: read the export bucket",
		CustomPermissionSet: &schema.CustomPermissionSet{Name: "S3Read", SessionDuration: "1h",
			ManagedPolicies: []string{"AmazonS3ReadOnlyAccess", "AWSSupportAccess"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
}

func TestNewInteractiveInputEnds(t *testing.T) {
	dir := newTestRepo(t, false, nil)
	r := newCmd(t, dir, true, "1\n")
	if r.code != 2 || r.err == nil || r.err.Error() != `no answer for "Choose 1-2": input ended` {
		t.Errorf("exit status %d, error %v", r.code, r.err)
	}
}
