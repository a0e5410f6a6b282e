package ledger

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// SignerPrincipal is the name jit's key has in SignersPath.
const SignerPrincipal = "jit"

// GenerateSigningKey makes a new ed25519 key to sign jit's commits with, by
// ssh-keygen (OpenSSH), which git also runs to sign. It returns the private
// key in OpenSSH's format (for the reconcile's JIT_SIGNING_KEY) and the line
// of SignersPath that allows its public half to sign git commits. Nothing is
// left on disk.
func GenerateSigningKey(ctx context.Context) (private []byte, signersLine string, err error) {
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		return nil, "", errors.New("ssh-keygen (OpenSSH) is needed: git signs jit's commits with it; install openssh-client")
	}
	dir, err := os.MkdirTemp("", "jit-signing-key-")
	if err != nil {
		return nil, "", fmt.Errorf("generating the signing key: %w", err)
	}
	defer os.RemoveAll(dir)
	key := filepath.Join(dir, "key")
	if out, err := exec.CommandContext(ctx, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", SignerPrincipal, "-f", key).CombinedOutput(); err != nil {
		return nil, "", fmt.Errorf("generating the signing key with ssh-keygen: %v: %s", err, out)
	}
	private, err = os.ReadFile(key)
	if err != nil {
		return nil, "", fmt.Errorf("reading the signing key: %w", err)
	}
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		return nil, "", fmt.Errorf("reading the signing key: %w", err)
	}
	return private, SignerPrincipal + ` namespaces="git" ` + strings.TrimSpace(string(pub)) + "\n", nil
}
