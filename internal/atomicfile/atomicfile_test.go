package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestCreateNeverReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.yaml")
	if err := Create(path, []byte("one\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Create(path, []byte("two\n"), 0o644); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Create over a file: %v, want fs.ErrExist", err)
	}
	assertFile(t, path, "one\n", 0o644)
	if err := Create(filepath.Join(dir, "no-such-folder", "f"), nil, 0o644); err == nil {
		t.Error("Create in a missing folder succeeded")
	}
	assertNoTemp(t, dir)
}

func TestReplace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "secret")
	for _, data := range []string{"one\n", "two\n"} {
		if err := Replace(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		assertFile(t, path, data, 0o600)
	}
	assertNoTemp(t, dir)
}

func assertFile(t *testing.T, path, want string, perm fs.FileMode) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil || string(data) != want {
		t.Errorf("%s holds %q (%v), want %q", path, data, err, want)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != perm {
		t.Errorf("%s has mode %v (%v), want %v", path, st.Mode().Perm(), err, perm)
	}
}

func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	if tmp, _ := filepath.Glob(filepath.Join(dir, TempPrefix+"*")); len(tmp) > 0 {
		t.Errorf("temporary files left behind: %v", tmp)
	}
}
