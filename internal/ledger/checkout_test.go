package ledger

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jit-access/jit/internal/change"
	"github.com/jit-access/jit/internal/layout"
)

func TestParseRawDiff(t *testing.T) {
	raw := ":000000 100644 0000000 1111111 A\x00requests/a/x.yaml\x00" +
		":100644 100644 1111111 2222222 M\x00.github/jit.yaml\x00" +
		":100644 000000 1111111 0000000 D\x00requests/a/old.yaml\x00" +
		":100644 100644 1111111 1111111 R100\x00requests/a/y.yaml\x00requests/b/y.yaml\x00" +
		":100644 100644 1111111 1111111 C075\x00requests/a/z.yaml\x00requests/a/w.yaml\x00" +
		":100644 120000 1111111 3333333 T\x00requests/a/t.yaml\x00" +
		":000000 160000 0000000 4444444 A\x00vendor/sub\x00" +
		":100644 100644 1111111 2222222 U\x00requests/a/u.yaml\x00"
	got, err := parseRawDiff([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	want := []change.File{
		{Path: "requests/a/x.yaml", Status: change.Added, Mode: change.ModeRegular},
		{Path: layout.ConfigPath, Status: change.Modified, Mode: change.ModeRegular},
		{Path: "requests/a/old.yaml", Status: change.Removed, Mode: change.ModeRegular},
		{Path: "requests/b/y.yaml", PreviousPath: "requests/a/y.yaml", Status: change.Renamed, Mode: change.ModeRegular},
		{Path: "requests/a/w.yaml", PreviousPath: "requests/a/z.yaml", Status: change.Copied, Mode: change.ModeRegular},
		{Path: "requests/a/t.yaml", Status: change.Changed, Mode: change.ModeSymlink},
		{Path: "vendor/sub", Status: change.Added, Mode: change.ModeSubmodule},
		{Path: "requests/a/u.yaml", Status: "git:U", Mode: change.ModeRegular},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parseRawDiff (-want +got):\n%s", diff)
	}

	if got, err := parseRawDiff(nil); err != nil || got != nil {
		t.Errorf("parseRawDiff(nil) = %v, %v; want nothing", got, err)
	}
	for _, bad := range []string{"garbage\x00", ":100644 100644 1 2\x00a\x00", ":100644 100644 1 2 M\x00", ":100644 100644 1 2 R100\x00only-one\x00"} {
		if _, err := parseRawDiff([]byte(bad)); err == nil {
			t.Errorf("parseRawDiff(%q) = nil error, want one", bad)
		}
	}
}
