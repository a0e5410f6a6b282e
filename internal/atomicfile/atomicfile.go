// Package atomicfile writes files so that a crash leaves the old file or
// the new one, never half of one: the data goes to a temporary file in the
// same folder, synced, then into place. Running the same command again
// repairs what a crash left.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// TempPrefix starts the name of the temporary files, which a crash may
// leave behind; they are never read.
const TempPrefix = ".jit-tmp-"

// Create writes data to path with mode perm, and never replaces a file
// there: its error wraps fs.ErrExist when path exists. The temporary file
// is hard-linked into place, which fails when path exists.
func Create(path string, data []byte, perm fs.FileMode) error {
	return write(path, data, perm, func(tmp string) error {
		err := os.Link(tmp, path)
		if err == nil {
			return nil
		}
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s: %w", path, fs.ErrExist)
		}
		// Some file systems have no hard links; fall back to a rename
		// after checking, which only races with another writer.
		if _, serr := os.Lstat(path); serr == nil {
			return fmt.Errorf("%s: %w", path, fs.ErrExist)
		}
		return os.Rename(tmp, path)
	})
}

// Replace writes data to path with mode perm, replacing any file there.
func Replace(path string, data []byte, perm fs.FileMode) error {
	return write(path, data, perm, func(tmp string) error { return os.Rename(tmp, path) })
}

// write writes data to a new temporary file next to path, synced, and has
// place put it at path; the temporary file never stays behind.
func write(path string, data []byte, perm fs.FileMode, place func(tmp string) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), TempPrefix+"*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(f.Name())
	_, werr := f.Write(data)
	merr := f.Chmod(perm)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, merr, serr, cerr); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := place(f.Name()); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return err
		}
		return fmt.Errorf("moving %s into place: %w", path, err)
	}
	return nil
}
