package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/jit-access/jit/internal/ledger"
)

// signersHeader opens the .github/jit-signers jit init writes.
const signersHeader = `# The keys whose signatures make a commit on main jit's own record (git's
# allowed-signers format). Only the SSO admins change this file (CODEOWNERS).
# Check jit's records with:
#   git -c gpg.ssh.allowedSignersFile=.github/jit-signers log --show-signature -- requests/
`

// defaultSigningKeyPath is where jit init offers to put the private key:
// next to the new repository, never in it, so it cannot be committed.
func defaultSigningKeyPath(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(abs), filepath.Base(abs)+"-jit-signing-key"), nil
}

// offerSigningKey asks, on a terminal and without --signing-key, whether to
// generate jit's signing key now.
func (o *initOptions) offerSigningKey(p *prompter) error {
	if o.SigningKey != "" || !p.enabled {
		return nil
	}
	path, err := defaultSigningKeyPath(o.Dir)
	if err != nil {
		return err
	}
	answer, err := p.ask(fmt.Sprintf("Generate jit's signing key now (public half in %s, private key in %s)? [y/n]", ledger.SignersPath, path))
	if err != nil {
		return err
	}
	if strings.HasPrefix(strings.ToLower(answer), "y") {
		o.SigningKey = path
	}
	return nil
}

// signingKey generates jit's signing key when --signing-key (or the answer
// to the offer) names where its private key goes: outside the repository,
// and never over a file. It returns the private key and the content of
// .github/jit-signers; nil when no key was asked for.
func (o *initOptions) signingKey(ctx context.Context) (key, signers []byte, err error) {
	if o.SigningKey == "" {
		return nil, nil, nil
	}
	path, err := filepath.Abs(o.SigningKey)
	if err != nil {
		return nil, nil, err
	}
	repo, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, nil, err
	}
	if rel, err := filepath.Rel(repo, path); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil, nil, fmt.Errorf("--signing-key %s is inside the repository %s: the private key must never be committed; put it outside, e.g. %s", o.SigningKey, o.Dir, filepath.Join(filepath.Dir(repo), filepath.Base(repo)+"-jit-signing-key"))
	}
	if _, err := os.Lstat(path); err == nil {
		return nil, nil, fmt.Errorf("--signing-key %s exists; jit init never overwrites a file", o.SigningKey)
	}
	key, line, err := ledger.GenerateSigningKey(ctx)
	if err != nil {
		return nil, nil, err
	}
	return key, []byte(signersHeader + line), nil
}

// writeSigningKey writes the private key readable by its owner only, never
// over a file.
func writeSigningKey(path string, key []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(key); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}
