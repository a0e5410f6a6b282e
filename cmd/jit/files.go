package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// makeRequestDir creates requests/<account>/ and refuses to go through a
// symbolic link, which could put the file outside the repository.
func makeRequestDir(repo, account string) error {
	dir := repo
	for _, seg := range []string{requestsDir, account} {
		dir = filepath.Join(dir, seg)
		st, err := os.Lstat(dir)
		if errors.Is(err, fs.ErrNotExist) {
			if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("creating %s: %w", dir, err)
			}
			continue
		}
		if err != nil {
			return err
		}
		if !st.IsDir() {
			return fmt.Errorf("%s is a %s, not a folder", dir, modeName(st.Mode()))
		}
	}
	return nil
}
