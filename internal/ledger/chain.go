package ledger

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// TrailerPrevious names, in a commit jit signs, the newest commit before it
// on main's first-parent line whose signature jit checked and found valid
// (its own previous record, normally). The signature of the commit that
// carries the trailer makes it jit's word, and the name is the previous
// commit's hash, which fixes every byte of it: an audit that has checked
// one signature of such a chain knows the signatures of the commits the
// chain names are valid without checking each again, and checks only that
// their keys are still in SignersPath. A commit nobody names is checked
// on its own, as before; a name in a commit jit did not sign vouches for
// nothing.
const TrailerPrevious = "Jit-Previous"

// chainWalk bounds how far back Commit looks for the previous signed
// commit when it has not just made one itself: merges and other people's
// commits sit between jit's records, but never thousands of them between
// two reconcile runs. Beyond it the trailer is left out, which only costs
// an audit one more signature check.
const chainWalk = 500

// errFound stops the walk for the previous signed commit.
var errFound = errors.New("found")

// previousSigned returns the commit Commit names in TrailerPrevious: the
// commit this Repo signed last, unless Sync has moved HEAD since, or the
// newest of HEAD's first-parent line whose signature is valid and made by
// a key of SignersPath at HEAD. It returns "" when commits are not signed,
// main has no signers file, or none of the last chainWalk commits is
// signed.
func (r *Repo) previousSigned(ctx context.Context) (string, error) {
	if r.opts.SigningKey == "" {
		return "", nil
	}
	r.chainMu.Lock()
	tip := r.chainTip
	r.chainMu.Unlock()
	if tip != "" {
		// Signed a moment ago with this run's own key: valid by
		// construction, and still HEAD's parent unless Sync moved HEAD,
		// which forgets it.
		return tip, nil
	}
	signers, found, err := r.signersAtHead(ctx)
	if !found || err != nil {
		return "", err
	}
	out, err := r.git.run(ctx, nil, "rev-list", "--first-parent", fmt.Sprintf("--max-count=%d", chainWalk), "HEAD")
	if err != nil {
		return "", fmt.Errorf("listing main's recent commits: %w", err)
	}
	shas := strings.Fields(string(out))
	prev := ""
	err = r.Objects(ctx, shas, func(i int, raw []byte) error {
		if _, err := signers.VerifyCommit(raw); err == nil {
			prev = shas[i]
			return errFound
		}
		return nil
	})
	if err != nil && !errors.Is(err, errFound) {
		return "", fmt.Errorf("finding main's newest signed record: %w", err)
	}
	return prev, nil
}

// signedTip remembers the commit this Repo just signed, or forgets it
// ("") when HEAD moves otherwise.
func (r *Repo) signedTip(sha string) {
	r.chainMu.Lock()
	r.chainTip = sha
	r.chainMu.Unlock()
}
