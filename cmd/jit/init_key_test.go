package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jit-access/jit/internal/ledger"
)

// needSSHKeygen skips outside CI when ssh-keygen is missing; in CI, where
// .ci/run installs it, its absence fails.
func needSSHKeygen(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("ssh-keygen is not installed; .ci/run installs it")
		}
		t.Skip("ssh-keygen (OpenSSH) is not installed; .ci/run installs it")
	}
}

// TestInitGeneratesTheSigningKey: with --signing-key, or on a terminal when
// the offer is accepted, jit init writes .github/jit-signers with the public
// half of a new key the ledger accepts, and the private key, readable by
// its owner only, outside the repository, and says where it belongs.
func TestInitGeneratesTheSigningKey(t *testing.T) {
	needSSHKeygen(t)
	for _, tc := range []struct {
		name     string
		terminal bool
	}{{"flag", false}, {"offer", true}} {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			dir := filepath.Join(base, "access")
			keyPath := filepath.Join(base, "access-jit-signing-key")
			args := initArgs(dir)
			cmd, stdin := newInitCmd(noTerminalReader, testBuild), io.Reader(nil)
			if tc.terminal {
				cmd, stdin = newInitCmd(alwaysTerminal, testBuild), strings.NewReader("y\n")
			} else {
				args = append([]string{"--signing-key", keyPath}, args...)
			}
			res := run(t, cmd, stdin, args...)
			if res.code != 0 {
				t.Fatalf("jit init exited %d: %v\n%s", res.code, res.err, res.stderr)
			}
			raw, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(ledger.SignersPath)))
			if err != nil {
				t.Fatal(err)
			}
			signers, err := ledger.ParseSigners(raw)
			if err != nil {
				t.Fatalf("the ledger refuses %s: %v\n%s", ledger.SignersPath, err, raw)
			}
			info, err := os.Stat(keyPath)
			if err != nil {
				t.Fatalf("no private key at %s: %v", keyPath, err)
			}
			if info.Mode().Perm() != 0o600 {
				t.Errorf("the private key is readable by others: %v", info.Mode())
			}
			pub, err := exec.Command("ssh-keygen", "-y", "-f", keyPath).Output()
			if err != nil {
				t.Fatalf("ssh-keygen cannot read the private key: %v", err)
			}
			if !signers.Has(strings.TrimSpace(string(pub))) {
				t.Errorf("%s does not hold the private key's public half %s:\n%s", ledger.SignersPath, pub, raw)
			}
			if want := "gh secret set JIT_SIGNING_KEY --env jit --repo acme/access < " + keyPath; !strings.Contains(res.stderr, want) {
				t.Errorf("jit init does not say where the private key goes (%q):\n%s", want, res.stderr)
			}
			if v := run(t, newValidateCmd(func(string) string { return "" }), nil, "--repo", dir); v.code != 0 {
				t.Errorf("jit validate of the new repository exited %d: %v\n%s%s", v.code, v.err, v.stdout, v.stderr)
			}
		})
	}
}

// TestInitRefusesASigningKeyInsideTheRepository: the private key must never
// be where it could be committed, and an existing file is never replaced;
// nothing is written then.
func TestInitRefusesASigningKeyInsideTheRepository(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "access")
	existing := filepath.Join(base, "taken")
	if err := os.WriteFile(existing, []byte("mine\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		filepath.Join(dir, "jit-signing-key"): "inside the repository",
		existing:                              "never overwrites",
	} {
		res := run(t, newInitCmd(noTerminalReader, testBuild), nil, append([]string{"--signing-key", path}, initArgs(dir)...)...)
		if res.code == 0 || res.err == nil || !strings.Contains(res.err.Error(), want) {
			t.Errorf("--signing-key %s: exit %d, want a refusal saying %q: %v", path, res.code, want, res.err)
		}
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("--signing-key %s: jit init wrote %s anyway", path, dir)
		}
	}
	if b, _ := os.ReadFile(existing); string(b) != "mine\n" {
		t.Errorf("an existing file was overwritten: %q", b)
	}
}
