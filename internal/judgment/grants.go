package judgment

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"

	"github.com/jit-access/jit/schema"
)

// FileGrants looks up the grant a request's extends: names in the base
// branch's files (schema.Grants): the App reads them through the GitHub
// API, jit validate from the base revision or the working tree. The status
// is taken as written there; the reconcile, which moves the end, decides
// again with the statuses jit signed. Each file is read once.
type FileGrants struct {
	ctx   context.Context
	files Files

	mu   sync.Mutex
	seen map[string]grantRead
}

type grantRead struct {
	req schema.Request
	ok  bool
	err error
}

// NewFileGrants reads grants from files; ctx bounds the reads.
func NewFileGrants(ctx context.Context, files Files) *FileGrants {
	return &FileGrants{ctx: ctx, files: files, seen: map[string]grantRead{}}
}

// Grant implements schema.Grants.
func (g *FileGrants) Grant(path string) (schema.Request, bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if r, ok := g.seen[path]; ok {
		return r.req, r.ok, r.err
	}
	var r grantRead
	data, err := g.files.ReadFile(g.ctx, path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		r.err = fmt.Errorf("reading %s on %s: %w", path, g.files.Describe(), err)
	default:
		if r.req, err = schema.DecodeRequest(path, data); err != nil {
			r.err = fmt.Errorf("%s on %s is not a readable request file: %w", path, g.files.Describe(), err)
		} else {
			r.ok = true
		}
	}
	if g.ctx.Err() == nil {
		g.seen[path] = r
	}
	return r.req, r.ok, r.err
}
