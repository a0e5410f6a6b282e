package gittest_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/jit-access/jit/internal/gittest"
)

// A commit made through gittest carries the test's identity and the date
// asked for, whatever the machine's git configuration says.
func TestCommitWithTheTestsIdentity(t *testing.T) {
	dir := t.TempDir()
	gittest.Run(t, dir, "init", "-q", "-b", "main")
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gittest.Run(t, dir, "add", "a.txt")
	gittest.At(t, dir, "2026-11-23T09:00:00Z", "commit", "-q", "-m", "first")
	if got, want := gittest.Run(t, dir, "log", "-1", "--format=%an <%ae> %cn <%ce> %cI"), "jit test <test@example.com> jit test <test@example.com> 2026-11-23T09:00:00+00:00"; got != want {
		t.Errorf("commit: %q, want %q", got, want)
	}
	if got := gittest.Output(t, dir, "show", "main:a.txt"); got != "a\n" {
		t.Errorf("Output: %q, want the file as it is", got)
	}
}
