package audit

import (
	"context"

	"github.com/jit-access/jit/internal/approval"
	"github.com/jit-access/jit/internal/change"
	"github.com/jit-access/jit/internal/ghrepo"
)

// GitHub lists the REST calls the export of unmerged requests makes, for the
// access repository: calls of ghrepo.Client (ghrepo.New builds it on
// go-github; tests use the GitHub emulator through the same implementation).
type GitHub interface {
	// PullRequests lists every pull request into base, open and closed,
	// oldest first, in one paged listing.
	PullRequests(ctx context.Context, base string) ([]*ghrepo.PR, error)
	// PullRequestFiles lists the files a pull request changes. The files
	// API reports no modes.
	PullRequestFiles(ctx context.Context, number int) ([]change.File, error)
	Reviews(ctx context.Context, number int) ([]approval.Review, error)
	// File returns path's content at ref, its blob SHA and GitHub's content
	// type ("file", "symlink", "submodule", "dir"); content only for a file.
	File(ctx context.Context, path, ref string) (data []byte, sha, kind string, err error)
	// ClosedBy returns the login of whoever closed the pull request, ""
	// when GitHub does not say (a deleted account).
	ClosedBy(ctx context.Context, number int) (string, error)
}
