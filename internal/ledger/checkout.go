package ledger

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/jit-access/jit/internal/change"
)

// Checkout reads a clone as the person's own git sees it: with their
// identity and configuration, never jit's, and it writes nothing. jit
// validate --base, jit new --pr and jit status --mine read through it.
type Checkout struct {
	dir string
	git gitCmd
}

// OpenCheckout reads the checkout at dir with the git on PATH. Nothing is
// run until a method is called, so a folder outside git fails there, with
// git's message.
func OpenCheckout(dir string) Checkout {
	return Checkout{dir: dir, git: gitCmd{dir: dir, bin: "git"}}
}

// ResolveCommit makes sure ref names a commit, with an error that says how
// to get it when the checkout is shallow. A ref that looks like an option is
// refused before git sees it.
func (c Checkout) ResolveCommit(ctx context.Context, ref string) error {
	if ref == "" || strings.HasPrefix(ref, "-") {
		return fmt.Errorf("%q is not a git revision", ref)
	}
	if _, err := c.git.run(ctx, nil, "rev-parse", "--verify", "--quiet", "--end-of-options", ref+"^{commit}"); err != nil {
		return fmt.Errorf("cannot find the commit %q in %s; fetch it first (in GitHub Actions: actions/checkout with fetch-depth: 0)", ref, c.dir)
	}
	return nil
}

// IsTopLevel reports whether the folder is the top of its repository; paths
// in diffs and in REF:path are relative to it.
func (c Checkout) IsTopLevel(ctx context.Context) (bool, error) {
	out, err := c.git.run(ctx, nil, "rev-parse", "--show-prefix")
	if err != nil {
		return false, err
	}
	return strings.TrimSpace(string(out)) == "", nil
}

// FileAt reads path as it is at ref, at most limit bytes. A path that is
// not at ref wraps fs.ErrNotExist; a folder or a submodule there is an
// error of its own.
func (c Checkout) FileAt(ctx context.Context, ref, path string, limit int64) ([]byte, error) {
	spec := ref + ":" + path
	out, err := c.git.run(ctx, nil, "cat-file", "-t", spec)
	if err != nil {
		return nil, fmt.Errorf("%s is not in %s: %w", path, ref, fs.ErrNotExist)
	}
	if t := strings.TrimSpace(string(out)); t != "blob" {
		return nil, fmt.Errorf("%s in %s is a %s, not a file", path, ref, t)
	}
	data, err := c.git.run(ctx, nil, "cat-file", "blob", spec)
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		data = data[:limit]
	}
	return data, nil
}

// Config returns the value git's configuration holds for key, e.g.
// user.email; "" and an error when it holds none.
func (c Checkout) Config(ctx context.Context, key string) (string, error) {
	out, err := c.git.run(ctx, nil, "config", key)
	return strings.TrimSpace(string(out)), err
}

// RemoteURL returns the URL of the named remote, e.g. origin.
func (c Checkout) RemoteURL(ctx context.Context, remote string) (string, error) {
	out, err := c.git.run(ctx, nil, "remote", "get-url", remote)
	return strings.TrimSpace(string(out)), err
}

// ChangedFiles lists what the branch changed since it left base
// (base...HEAD), with renames detected and file modes, as change.Files.
// Output is machine-readable (-z), so paths with any characters survive.
func (c Checkout) ChangedFiles(ctx context.Context, base string) ([]change.File, error) {
	out, err := c.git.run(ctx, nil, "diff", "--raw", "-z", "-M", "--no-relative", "--no-ext-diff", "--no-textconv",
		"--end-of-options", base+"...HEAD")
	if err != nil {
		return nil, err
	}
	return parseRawDiff(out)
}

// parseRawDiff reads `git diff --raw -z` output:
//
//	:SRCMODE DSTMODE SRCSHA DSTSHA STATUS NUL PATH NUL [PATH2 NUL]
//
// where renames and copies carry a score after the letter and two paths.
func parseRawDiff(out []byte) ([]change.File, error) {
	if len(out) == 0 {
		return nil, nil
	}
	fields := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	var files []change.File
	for i := 0; i < len(fields); {
		head := fields[i]
		meta := strings.Fields(strings.TrimPrefix(head, ":"))
		if !strings.HasPrefix(head, ":") || len(meta) != 5 || meta[4] == "" {
			return nil, fmt.Errorf("unexpected git diff --raw record %q", head)
		}
		srcMode, dstMode, letter := meta[0], meta[1], meta[4][0]
		paths := 1
		if letter == 'R' || letter == 'C' {
			paths = 2
		}
		if i+paths >= len(fields) || slices.Contains(fields[i+1:i+1+paths], "") {
			return nil, fmt.Errorf("git diff --raw record %q has no path", head)
		}
		f := change.File{Path: fields[i+paths], Mode: change.ParseMode(dstMode)}
		switch letter {
		case 'A':
			f.Status = change.Added
		case 'M':
			f.Status = change.Modified
		case 'T':
			f.Status = change.Changed
		case 'D':
			f.Status = change.Removed
			f.Mode = change.ParseMode(srcMode)
		case 'R':
			f.Status, f.PreviousPath = change.Renamed, fields[i+1]
		case 'C':
			f.Status, f.PreviousPath = change.Copied, fields[i+1]
		default:
			// Unmerged (U), unknown (X) and anything newer: Classify fails
			// closed on a status it does not know.
			f.Status = change.Status("git:" + string(letter))
		}
		files = append(files, f)
		i += 1 + paths
	}
	return files, nil
}
