package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The policy files a newcomer copies into AWS are exactly what jit policy
// prints for the example config: regenerate them with
//
//	go run ./cmd/jit policy provisioner > action/provisioner-policy.json
//	go run ./cmd/jit policy trust --repo acme/access --account 111122223333 > action/oidc-trust-policy.json
func TestCheckedInPoliciesAreTheGeneratedOnes(t *testing.T) {
	root := filepath.Join("..", "..")
	for _, c := range []struct {
		file string
		args []string
	}{
		{"action/provisioner-policy.json", []string{"provisioner", "--repo", root}},
		{"action/oidc-trust-policy.json", []string{"trust", "--repo", "acme/access", "--account", "111122223333", "--dir", root}},
	} {
		want, err := os.ReadFile(filepath.Join(root, c.file))
		if err != nil {
			t.Fatal(err)
		}
		r := run(t, newPolicyCmd(), nil, c.args...)
		if r.code != 0 {
			t.Fatalf("jit policy %s: exit %d: %v\n%s", strings.Join(c.args, " "), r.code, r.err, r.stderr)
		}
		if r.stdout != string(want) {
			t.Errorf("%s differs from jit policy %s; regenerate it (see this test's comment)\ngot:\n%s", c.file, c.args[0], r.stdout)
		}
	}
}

func TestPolicyCommandErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"provisioner", "--repo", dir}, "no .github/jit.yaml"},
		{[]string{"trust", "--repo", "acme/access", "--dir", dir}, "--account ID are required"},
		{[]string{"trust", "--repo", "acme", "--account", "111122223333", "--dir", filepath.Join("..", "..")}, `"acme" is not OWNER/NAME`},
		{[]string{"trust", "--repo", "acme/access", "--account", "1111", "--dir", filepath.Join("..", "..")}, "not a 12-digit AWS account id"},
	} {
		r := run(t, newPolicyCmd(), nil, c.args...)
		if r.code != 2 || r.err == nil || !strings.Contains(r.err.Error(), c.want) {
			t.Errorf("jit policy %s: exit %d, error %v; want exit 2 with %q", strings.Join(c.args, " "), r.code, r.err, c.want)
		}
	}
}
