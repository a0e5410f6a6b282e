package main

import (
	_ "embed"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jit-access/jit/internal/change"
	"github.com/jit-access/jit/internal/gittest"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/internal/ledger"
)

// testConfig is a small access repository configuration: payments-prod has
// owners in testCodeowners, sandbox has none.
//
//go:embed testdata/config.yaml
var testConfig string

//go:embed testdata/CODEOWNERS
var testCodeowners string

// goodRequest is a valid standard request for payments-prod.
const goodRequest = `account: payments-prod
permission_set: ReadOnlyAccess
duration: 4h
justification: "INC-1234: investigating elevated 5xx rates"
`

// newTestRepo makes a folder with the test config and CODEOWNERS plus
// files, and, when withGit is set, commits it all on main.
func newTestRepo(t *testing.T, withGit bool, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	all := map[string]string{layout.ConfigPath: testConfig, ".github/CODEOWNERS": testCodeowners}
	for k, v := range files {
		all[k] = v
	}
	writeFiles(t, dir, all)
	if withGit {
		gittest.Output(t, dir, "init", "-q", "-b", "main")
		commitAll(t, dir, "initial")
	}
	return dir
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func commitAll(t *testing.T, dir, msg string) {
	t.Helper()
	gittest.Output(t, dir, "add", "-A")
	gittest.Output(t, dir, "commit", "-q", "-m", msg)
}

// TestChangedFilesFromGit checks that renames, modes and symbolic links come
// through from a real git diff, including paths with spaces and newlines.
func TestChangedFilesFromGit(t *testing.T) {
	dir := newTestRepo(t, true, map[string]string{
		"requests/payments-prod/old.yaml":  goodRequest,
		"requests/payments-prod/gone.yaml": "something else entirely\n",
	})
	gittest.Output(t, dir, "branch", "base")
	writeFiles(t, dir, map[string]string{"requests/sandbox/odd\nname.yaml": goodRequest})
	gittest.Output(t, dir, "mv", "requests/payments-prod/old.yaml", "requests/sandbox/moved.yaml")
	gittest.Output(t, dir, "rm", "-q", "requests/payments-prod/gone.yaml")
	if err := os.Symlink("../../.github/jit.yaml", filepath.Join(dir, "requests/sandbox/link.yaml")); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, dir, map[string]string{"tool.sh": "#!/bin/sh\n"})
	if err := os.Chmod(filepath.Join(dir, "tool.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	commitAll(t, dir, "change")

	got, err := ledger.OpenCheckout(dir).ChangedFiles(t.Context(), "base")
	if err != nil {
		t.Fatal(err)
	}
	want := []change.File{
		{Path: "requests/payments-prod/gone.yaml", Status: change.Removed, Mode: change.ModeRegular},
		{Path: "requests/sandbox/link.yaml", Status: change.Added, Mode: change.ModeSymlink},
		{Path: "requests/sandbox/moved.yaml", PreviousPath: "requests/payments-prod/old.yaml", Status: change.Renamed, Mode: change.ModeRegular},
		{Path: "requests/sandbox/odd\nname.yaml", Status: change.Added, Mode: change.ModeRegular},
		{Path: "tool.sh", Status: change.Added, Mode: change.ModeExecutable},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changedFiles (-want +got):\n%s", diff)
	}
}
