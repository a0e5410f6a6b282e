package newfiles

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jit-access/jit/internal/gittest"
)

// change is a head commit's files over a base commit's, made with git.
type change struct {
	base map[string]string // path -> content in the base commit
	// head: path -> content added or changed; "" with a mode in modes for
	// a submodule; a path in removed is deleted; renames are moves.
	head    map[string]string
	modes   map[string]string // path -> 100755, 120000 (symlink), 160000 (submodule)
	renames map[string]string // old -> new
}

// diffOf commits c in a new repository (object format sha1 or sha256) and
// returns git's diff of base..head and the blob ids of head's files, as
// GitHub's comparison lists them.
func diffOf(t *testing.T, format string, c change) (string, map[string]string) {
	t.Helper()
	dir := t.TempDir()
	gittest.Run(t, dir, "init", "-q", "--object-format="+format, ".")
	write := func(files map[string]string) {
		for p, content := range files {
			full := filepath.Join(dir, p)
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				t.Fatal(err)
			}
			switch c.modes[p] {
			case "120000":
				if err := os.Symlink(content, full); err != nil {
					t.Fatal(err)
				}
			case "160000":
				// A gitlink to an arbitrary commit id, as a submodule is.
				gittest.Run(t, dir, "update-index", "--add", "--cacheinfo", "160000,"+content+","+p)
				continue
			default:
				perm := os.FileMode(0o644)
				if c.modes[p] == "100755" {
					perm = 0o755
				}
				if err := os.WriteFile(full, []byte(content), perm); err != nil {
					t.Fatal(err)
				}
			}
			gittest.Run(t, dir, "add", "--", p)
		}
	}
	write(map[string]string{"README.md": "# access\n"})
	write(c.base)
	gittest.Run(t, dir, "commit", "-q", "-m", "base")
	for from, to := range c.renames {
		gittest.Run(t, dir, "mv", "--", from, to)
	}
	write(c.head)
	gittest.Run(t, dir, "commit", "-q", "-m", "head")
	diff := gittest.Output(t, dir, "diff", "HEAD~1", "HEAD")
	blobs := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(gittest.Output(t, dir, "ls-tree", "-r", "-z", "HEAD"), "\x00"), "\x00") {
		meta, path, _ := strings.Cut(line, "\t")
		blobs[path] = strings.Fields(meta)[2]
	}
	return diff, blobs
}

const request = "account: payments-prod\npermission_set: ReadOnly\n"

func TestRead(t *testing.T) {
	gitlink := "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		name   string
		format string
		change change
		want   map[string]File // of every path of the head
	}{
		{"a regular file", "sha1", change{head: map[string]string{"requests/p/a.yaml": request}},
			map[string]File{"requests/p/a.yaml": {Mode: "100644", Content: []byte(request), Verified: true}}},
		{"an executable", "sha1", change{head: map[string]string{"requests/p/a.yaml": request}, modes: map[string]string{"requests/p/a.yaml": "100755"}},
			map[string]File{"requests/p/a.yaml": {Mode: "100755", Content: []byte(request), Verified: true}}},
		{"a symlink", "sha1", change{head: map[string]string{"requests/p/a.yaml": "../../README.md"}, modes: map[string]string{"requests/p/a.yaml": "120000"}},
			map[string]File{"requests/p/a.yaml": {Mode: "120000", Content: []byte("../../README.md"), Verified: true}}},
		// A submodule's section holds "Subproject commit ...", whose hash is
		// not the commit id the comparison lists: only its mode is read.
		{"a submodule", "sha1", change{head: map[string]string{"requests/p/a.yaml": gitlink}, modes: map[string]string{"requests/p/a.yaml": "160000"}},
			map[string]File{"requests/p/a.yaml": {Mode: "160000"}}},
		{"no newline at the end", "sha1", change{head: map[string]string{"requests/p/a.yaml": "account: x"}},
			map[string]File{"requests/p/a.yaml": {Mode: "100644", Content: []byte("account: x"), Verified: true}}},
		{"an empty file", "sha1", change{head: map[string]string{"requests/p/a.yaml": ""}},
			map[string]File{"requests/p/a.yaml": {Mode: "100644", Content: []byte{}, Verified: true}}},
		{"a binary file is left out", "sha1", change{head: map[string]string{"requests/p/a.yaml": "account: \x00\x01\n"}},
			map[string]File{}},
		{"a rename is left out", "sha1", change{base: map[string]string{"requests/p/old.yaml": request}, renames: map[string]string{"requests/p/old.yaml": "requests/p/a.yaml"}},
			map[string]File{}},
		{"a changed file is left out", "sha1", change{base: map[string]string{"requests/p/a.yaml": request}, head: map[string]string{"requests/p/a.yaml": request + "reason: more\n"}},
			map[string]File{}},
		{"two files", "sha1", change{head: map[string]string{"requests/p/a.yaml": request, "requests/q/b.yaml": "account: q\n", "README.md": "# changed\n"}},
			map[string]File{
				"requests/p/a.yaml": {Mode: "100644", Content: []byte(request), Verified: true},
				"requests/q/b.yaml": {Mode: "100644", Content: []byte("account: q\n"), Verified: true},
			}},
		{"a path with spaces", "sha1", change{head: map[string]string{"requests/p/a b.yaml": request, "requests/p/c b d.yaml": ""}},
			map[string]File{
				"requests/p/a b.yaml":   {Mode: "100644", Content: []byte(request), Verified: true},
				"requests/p/c b d.yaml": {Mode: "100644", Content: []byte{}, Verified: true},
			}},
		{"a quoted path", "sha1", change{head: map[string]string{"requests/p/\"tab\there\".yaml": request}},
			map[string]File{"requests/p/\"tab\there\".yaml": {Mode: "100644", Content: []byte(request), Verified: true}}},
		{"a SHA-256 repository", "sha256", change{head: map[string]string{"requests/p/a.yaml": request}},
			map[string]File{"requests/p/a.yaml": {Mode: "100644", Content: []byte(request), Verified: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			diff, blobs := diffOf(t, tt.format, tt.change)
			got, err := Read([]byte(diff), blobs)
			if err != nil {
				t.Fatalf("Read: %v\n%s", err, diff)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("Read (-want +got):\n%s\n%s", d, diff)
			}
		})
	}
}

// A content that does not hash to the listed blob is not believed, while
// the mode of the file's own section still is; a diff cut short, or two
// sections naming one path, are not read at all.
func TestReadUnsure(t *testing.T) {
	diff, blobs := diffOf(t, "sha1", change{head: map[string]string{"requests/p/a.yaml": request, "requests/p/b.yaml": "account: b\n"}})
	wrong := map[string]string{"requests/p/a.yaml": strings.Repeat("0", 40), "requests/p/b.yaml": blobs["requests/p/b.yaml"][:39]}
	got, err := Read([]byte(diff), wrong)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]File{"requests/p/a.yaml": {Mode: "100644"}, "requests/p/b.yaml": {Mode: "100644"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("mismatching blobs (-want +got):\n%s", d)
	}

	// Cut inside the last section's lines: the hunk's count is not met.
	cut := diff[:len(diff)-5]
	if got, err := Read([]byte(cut), blobs); err == nil {
		if f, ok := got["requests/p/b.yaml"]; ok && f.Verified {
			t.Errorf("a diff cut short gave b.yaml's content %q", f.Content)
		}
	}

	// The same path added twice: neither section is believed.
	twice := diff + diff
	got, err = Read([]byte(twice), blobs)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Errorf("a path in two sections was read: %+v", got)
	}

	// Not a diff at all.
	if got, err := Read([]byte("<html>rate limited</html>\n"), blobs); err != nil || len(got) != 0 {
		t.Errorf("an HTML page: %v %v", got, err)
	}
}
