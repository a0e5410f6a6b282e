// Package gittest runs git the way jit's tests need it: in a directory the
// test made, with an identity of its own and without the user's or the
// system's git configuration, so that a test behaves alike on a developer's
// machine and on a CI runner that has no git config at all.
//
// Only _test.go files import this package.
package gittest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Env is the environment every git of a test runs with: no system or global
// config, and the test's own author and committer.
func Env() []string {
	return append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull,
		"GIT_AUTHOR_NAME=jit test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=jit test", "GIT_COMMITTER_EMAIL=test@example.com")
}

// Output runs git with args in dir ("" for the test's working directory)
// and returns exactly what it printed; a failure fails the test with git's
// output.
func Output(t testing.TB, dir string, args ...string) string {
	t.Helper()
	return run(t, dir, nil, args)
}

// Run is Output with the surrounding space trimmed, for a commit id, a ref
// or one line.
func Run(t testing.TB, dir string, args ...string) string {
	t.Helper()
	return strings.TrimSpace(run(t, dir, nil, args))
}

// At is Run with the author and committer dates set to date (any format
// git accepts), for history whose times a test compares.
func At(t testing.TB, dir, date string, args ...string) string {
	t.Helper()
	return strings.TrimSpace(run(t, dir, []string{"GIT_AUTHOR_DATE=" + date, "GIT_COMMITTER_DATE=" + date}, args))
}

func run(t testing.TB, dir string, env, args []string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(Env(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// SSHKey makes an ssh-ed25519 key for principal in dir, as git signs with,
// and returns the private key's path and principal's line of an
// allowed-signers file, "principal [options ]ssh-ed25519 AAAA...\n"
// (options such as namespaces="git", as jit init writes it, or "").
// Without ssh-keygen the test is skipped, or fails under CI=true: .ci/run
// installs it.
func SSHKey(t testing.TB, dir, principal, options string) (key, signersLine string) {
	t.Helper()
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("ssh-keygen is not installed; .ci/run installs it")
		}
		t.Skip("ssh-keygen is not installed (git signs with it); .ci/run installs it")
	}
	key = filepath.Join(dir, principal+"_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", principal, "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	pub, err := exec.Command("ssh-keygen", "-y", "-f", key).Output()
	if err != nil {
		t.Fatal(err)
	}
	if options != "" {
		options += " "
	}
	return key, principal + " " + options + strings.TrimSpace(string(pub)) + "\n"
}
