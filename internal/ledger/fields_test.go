package ledger

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
)

// GitFields splits git's -z output at its NULs, gives a last field that
// has none (diff-tree ends a pair without changes with a newline only),
// and stops git when the callback fails.
func TestGitFields(t *testing.T) {
	_, clones := setup(t, map[string]string{"requests/a/x.yaml": reqX, "requests/a/y.yaml": reqY}, 1)
	r := open(t, clones[0])
	collect := func(in string, args ...string) ([]string, error) {
		var got []string
		var stdin io.Reader // nil, not a nil *strings.Reader, when there is none
		if in != "" {
			stdin = strings.NewReader(in)
		}
		err := r.GitFields(t.Context(), stdin, func(f string) error { got = append(got, f); return nil }, args...)
		return got, err
	}

	got, err := collect("", "ls-tree", "-r", "-z", "--name-only", "HEAD", "--", "requests/")
	if want := []string{"requests/a/x.yaml", "requests/a/y.yaml"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("ls-tree -z: fields %q, %v; want %q", got, err, want)
	}

	tree := strings.TrimSpace(string(must(r.Git(t.Context(), "rev-parse", "HEAD^{tree}"))))
	got, err = collect(tree+" "+tree+"\n", "diff-tree", "--stdin", "-r", "-z")
	if want := []string{tree + " " + tree + "\n"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("diff-tree of a pair without changes: fields %q, %v; want %q", got, err, want)
	}

	stop := errors.New("enough")
	n := 0
	err = r.GitFields(t.Context(), nil, func(string) error { n++; return stop }, "ls-tree", "-r", "-z", "--name-only", "HEAD")
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("a failing callback: called %d times, error %v; want once, %v", n, err, stop)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
