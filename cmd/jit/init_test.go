package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jit-access/jit/internal/initrepo"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/internal/version"
)

var testBuild = version.Info{Version: "v1.2.3", Commit: "0123456789abcdef0123456789abcdef01234567"}

func initArgs(dir string) []string {
	return []string{
		"--repo", "acme/access", "--admins", "@acme/sso-admins", "--region", "eu-west-1",
		"--instance-arn", "arn:aws:sso:::instance/ssoins-0123456789abcdef", "--identity-store-id", "d-0123456789",
		"--account", "payments-prod=111122223333", "--account", "sandbox=444455556666",
		"--permission-set", "ReadOnlyAccess=arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-0123456789abcdef",
		dir,
	}
}

// TestInitWritesAValidAccessRepository: a fresh folder becomes an access
// repository that jit validate and jit policy accept, with no Go source.
func TestInitWritesAValidAccessRepository(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "access")
	res := run(t, newInitCmd(noTerminalReader, testBuild), nil, initArgs(dir)...)
	if res.code != 0 {
		t.Fatalf("jit init exited %d: %v\n%s", res.code, res.err, res.stderr)
	}
	var files []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	want := []string{".github/CODEOWNERS", layout.ConfigPath, ".github/workflows/jit-reconcile.yml", ".github/workflows/jit-sync.yml", ".github/workflows/jit-validate.yml",
		"aws/jit-role.template.json", "aws/provisioner-policy.json", "requests/README.md"}
	if strings.Join(files, " ") != strings.Join(want, " ") {
		t.Fatalf("jit init wrote %v, want %v", files, want)
	}

	if v := run(t, newValidateCmd(func(string) string { return "" }), nil, "--repo", dir); v.code != 0 {
		t.Errorf("jit validate of the new repository exited %d: %v\n%s%s", v.code, v.err, v.stdout, v.stderr)
	}
	// The policy file is exactly jit policy provisioner's output, and the
	// CloudFormation template carries it and the trust of acme/access.
	pol := run(t, newRootCmd(), nil, "policy", "provisioner", "--repo", dir)
	written, _ := os.ReadFile(filepath.Join(dir, initrepo.ProvisionerPolicyPath))
	if pol.code != 0 || pol.stdout != string(written) {
		t.Errorf("aws/provisioner-policy.json differs from jit policy provisioner (exit %d):\n%s\n---\n%s", pol.code, written, pol.stdout)
	}
	var cfn struct {
		Resources map[string]struct {
			Type       string
			Properties map[string]json.RawMessage
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, initrepo.RoleTemplatePath))
	if err := json.Unmarshal(b, &cfn); err != nil {
		t.Fatalf("the CloudFormation template is not JSON: %v", err)
	}
	role := cfn.Resources["ReconcileRole"]
	if role.Type != "AWS::IAM::Role" || !bytes.Contains(role.Properties["AssumeRolePolicyDocument"], []byte(`"repo:acme/access:environment:jit"`)) {
		t.Errorf("the role's trust is not the jit environment of acme/access: %s", role.Properties["AssumeRolePolicyDocument"])
	}
	var compact bytes.Buffer
	json.Compact(&compact, written)
	var inTemplate bytes.Buffer
	var policies []struct{ PolicyDocument json.RawMessage }
	json.Unmarshal(role.Properties["Policies"], &policies)
	if len(policies) == 1 {
		json.Compact(&inTemplate, policies[0].PolicyDocument)
	}
	if compact.String() != inTemplate.String() {
		t.Errorf("the template's permissions are not aws/provisioner-policy.json")
	}
	if cfn.Resources["GitHubOIDCProvider"].Type != "AWS::IAM::OIDCProvider" {
		t.Errorf("the template cannot create GitHub's OIDC provider")
	}

	// jit new in the new repository points the request at the released
	// request schema, since the repository carries no schemas.
	nw := run(t, newNewCmd(noTerminalReader), nil, "--repo", dir, "--account", "sandbox", "--permission-set", "ReadOnlyAccess",
		"--duration", "4h", "--name", "first", "--justification", "INC-1: the first request")
	if nw.code != 0 {
		t.Fatalf("jit new in the new repository: exit %d: %v\n%s", nw.code, nw.err, nw.stderr)
	}
	req, _ := os.ReadFile(filepath.Join(dir, "requests/sandbox/first.yaml"))
	if !strings.HasPrefix(string(req), "# yaml-language-server: $schema=https://raw.githubusercontent.com/jit-access/jit/v1.2.3/schema/request.schema.json\n") {
		t.Errorf("jit new wrote:\n%s", req)
	}
	os.Remove(filepath.Join(dir, "requests/sandbox/first.yaml"))
	os.Remove(filepath.Join(dir, "requests/sandbox"))

	// A second init refuses nothing it wrote itself; a changed file stops it.
	if again := run(t, newInitCmd(noTerminalReader, testBuild), nil, initArgs(dir)...); again.code != 0 || again.stdout != "" {
		t.Errorf("init over its own files: exit %d, wrote %q", again.code, again.stdout)
	}
	os.WriteFile(filepath.Join(dir, layout.ConfigPath), []byte("version: 1\n"), 0o644)
	os.Remove(filepath.Join(dir, "requests/README.md"))
	refused := run(t, newInitCmd(noTerminalReader, testBuild), nil, initArgs(dir)...)
	if refused.code != 2 || !strings.Contains(refused.err.Error(), filepath.Join(dir, layout.ConfigPath)) {
		t.Errorf("init over a changed config: exit %d, %v", refused.code, refused.err)
	}
	if _, err := os.Stat(filepath.Join(dir, "requests/README.md")); err == nil {
		t.Errorf("a refused init wrote requests/README.md")
	}
}

func TestInitNamesMissingFlags(t *testing.T) {
	res := run(t, newInitCmd(noTerminalReader, testBuild), nil, "--repo", "acme/access", t.TempDir())
	if res.code != 2 || !strings.Contains(res.err.Error(), "--admins, --region, --instance-arn, --identity-store-id, --account, --permission-set") {
		t.Fatalf("exit %d, %v", res.code, res.err)
	}
}

func TestInitAsksOnATerminal(t *testing.T) {
	dir := t.TempDir()
	answers := strings.Join([]string{
		"@acme/sso-admins", "us-east-1", "arn:aws:sso:::instance/ssoins-0123456789abcdef", "d-0123456789",
		"payments-prod=111122223333", "ReadOnlyAccess=arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-0123456789abcdef",
		"n", // no signing key now
	}, "\n") + "\n"
	res := run(t, newInitCmd(alwaysTerminal, testBuild), strings.NewReader(answers), "--org", "acme", dir)
	if res.code != 0 {
		t.Fatalf("exit %d: %v\n%s", res.code, res.err, res.stderr)
	}
	if !strings.Contains(res.stderr, "acme/"+filepath.Base(dir)) {
		t.Errorf("--org did not name the repository: %s", res.stderr)
	}
}

func TestInitNeedsAPublishedBuild(t *testing.T) {
	res := run(t, newInitCmd(noTerminalReader, version.Info{Version: "(devel)"}), nil, initArgs(t.TempDir())...)
	if res.code != 2 || !strings.Contains(res.err.Error(), "--action-ref") {
		t.Fatalf("exit %d, %v", res.code, res.err)
	}
	args := append([]string{"--action-ref", "main"}, initArgs(t.TempDir())...)
	if res := run(t, newInitCmd(noTerminalReader, version.Info{Version: "(devel)"}), nil, args...); res.code != 0 {
		t.Fatalf("with --action-ref: exit %d, %v", res.code, res.err)
	}
}
