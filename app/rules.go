package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/jit-access/jit/internal/judgment"
	"github.com/jit-access/jit/internal/layout"
)

// parsedRules remembers the rules parsed from the last few config and
// CODEOWNERS contents. Every delivery reads both files again (a 304 when
// unchanged) and must judge by what they say now; only parsing the same
// bytes again is spared, which is most of a delivery's own CPU after the
// requests. The rules are only read once parsed, so deliveries share them.
type parsedRules struct {
	cache *lru.Cache[string, judgment.Rules]
}

// maxParsedRules is how many distinct rule sets are kept: one per
// repository and version of its rules in use.
const maxParsedRules = 64

func newParsedRules() *parsedRules {
	// New fails only for a size below 1.
	c, _ := lru.New[string, judgment.Rules](maxParsedRules)
	return &parsedRules{cache: c}
}

// load returns the rules of files, parsed once per content: files' config
// and CODEOWNERS as read on main (ref), with the errors of reading them.
// Contents whose read failed are not remembered.
func (p *parsedRules) load(ctx context.Context, files readFiles) (judgment.Rules, error) {
	cfg, co := files.data[layout.ConfigPath], files.data[layout.CodeownersPath]
	if files.errs[layout.ConfigPath] != nil || files.errs[layout.CodeownersPath] != nil || p == nil {
		return judgment.LoadRules(ctx, files)
	}
	h := sha256.New()
	for _, part := range [][]byte{[]byte(files.ref), cfg, co} {
		sum := sha256.Sum256(part)
		h.Write(sum[:])
	}
	key := hex.EncodeToString(h.Sum(nil))
	if r, ok := p.cache.Get(key); ok {
		return r, nil
	}
	r, err := judgment.LoadRules(ctx, files)
	if err == nil {
		p.cache.Add(key, r)
	}
	return r, err
}
