package ghrepo

import (
	"context"

	"github.com/google/go-github/v62/github"

	"github.com/jit-access/jit/internal/approval"
	"github.com/jit-access/jit/internal/change"
)

// The comparison of two commits (repos/compare-commits): a pull request's
// commits and files read at one head commit, and git's diff of them.

// GitHub's caps on a comparison read without paging parameters: it lists
// the newest MaxComparedCommits commits and at most MaxComparedFiles files.
const (
	MaxComparedCommits = 250
	MaxComparedFiles   = 300
)

// Comparison is what GitHub reports of base...head: the commits from the
// merge base of base and head to head, and the files they change.
type Comparison struct {
	// Commits are oldest first; at most MaxComparedCommits, the newest.
	Commits []approval.Commit
	// TotalCommits is the true number of commits.
	TotalCommits int
	Files        []ComparedFile
}

// ComparedFile is a changed file and its blob.
type ComparedFile struct {
	change.File
	// SHA is the blob's id after the change (before it, for a removed file).
	SHA string
}

// Capped reports whether GitHub may have left commits or files out.
func (c *Comparison) Capped() bool {
	return len(c.Commits) != c.TotalCommits || len(c.Commits) >= MaxComparedCommits || len(c.Files) >= MaxComparedFiles
}

func (g *goGitHub) Compare(ctx context.Context, base, head string) (*Comparison, error) {
	r := g.r
	// No paging parameters: the newest commits, and every file up to the cap.
	cmp, _, err := g.c.Repositories.CompareCommits(ctx, r.Owner, r.Name, base, head, nil)
	if err != nil {
		return nil, wrap(err, "comparing %s...%s in %s", base, head, r)
	}
	out := &Comparison{TotalCommits: cmp.GetTotalCommits()}
	for _, c := range cmp.Commits {
		out.Commits = append(out.Commits, commitOf(c))
	}
	for _, f := range cmp.Files {
		out.Files = append(out.Files, ComparedFile{File: fileOf(f), SHA: f.GetSHA()})
	}
	return out, nil
}

func (g *goGitHub) CompareDiff(ctx context.Context, base, head string) ([]byte, error) {
	r := g.r
	diff, _, err := g.c.Repositories.CompareCommitsRaw(ctx, r.Owner, r.Name, base, head, github.RawOptions{Type: github.Diff})
	if err != nil {
		return nil, wrap(err, "reading the diff of %s...%s in %s", base, head, r)
	}
	return []byte(diff), nil
}
