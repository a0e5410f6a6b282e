package audit

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jit-access/jit/internal/gittest"
	"github.com/jit-access/jit/internal/ledger"
)

// trailerMessages are commit messages around git's trailer rules.
var trailerMessages = []string{
	"the root commit\n",
	"jit: activate x\n\nJit-Request: requests/a/b.yaml\nJit-Event: activated\nJit-Pull-Request: 7\n",
	"several values\n\nJit-Event: a\nJit-Event: b\nJit-Request: requests/a/b.yaml\nJit-Request: requests/a/c.yaml\n",
	"folded\n\nJit-Event: a\n  continued here\nJit-Pull-Request: 3\n",
	"folded after a line that is not a trailer\n\nJit-Event: a\nnot a trailer\n  cont\n",
	"not the last paragraph\n\nJit-Event: early\n\nbody text\n",
	"Jit-Event: in-the-title\n",
	"Jit-Event: title\nJit-Pull-Request: 4\n",
	"line one\nline two   \n\nJit-Event: x\n",
	"mixed with a sign-off\n\nsome text\nmore text\nJit-Event: x\nSigned-off-by: A <a@example.com>\n",
	"mixed, mostly text\n\nsome text\nmore text\nyet more\nstill more\nJit-Event: x\nSigned-off-by: A <a@example.com>\n",
	"too little sign-off\n\na\nb\nc\nd\ne\nf\ng\nJit-Event: x\nSigned-off-by: A <a@example.com>\n",
	"mixed without a sign-off\n\nsome text\nJit-Event: x\n",
	"trailing comments\n\nJit-Event: x\n\n# a comment\n\n",
	"scissors\n\nJit-Event: x\n# ------------------------ >8 ------------------------\nJit-Event: y\n",
	"conflicts\n\nJit-Event: x\n\nConflicts:\n\tfile.txt\n",
	"any case\n\njit-event: lower\nJIT-PULL-REQUEST: 9\n",
	"spaced\n\nJit-Event : spaced\nJit-Event\t: tabbed\n",
	"divider\n\nbody\n---\nJit-Event: after-divider\n",
	"\n\n  \nleading blank lines\n\nJit-Event: z\n",
	"",
	"crlf\r\n\r\nJit-Event: crlf\r\nJit-Pull-Request: 12\r\n",
	"no newline at the end\n\nJit-Event: nonl",
	"empty value\n\nJit-Event:\nJit-Event:   \nJit-Event: after\nJit-Pull-Request: 5\nJit-Pull-Request:\n",
	"comment inside\n\nJit-Event: a\n# note\nJit-Event: b\n",
	"indented first\n\n  indented\nJit-Event: a\n",
	"not a token\n\nJit Event: a\nJit-Event: b\n",
	"cherry-pick\n\ntext\ntext\ntext\nJit-Event: picked\n(cherry picked from commit 0123456789abcdef0123456789abcdef01234567)\n",
	"only spaces between\n\nJit-Event: a\n   \nJit-Event: b\n",
	"unicode spaces\n\nJit-Event: \u00a0nbsp\u00a0\nJit-Pull-Request: 0x10\n",
	"request not under requests/\n\nJit-Request: other/a.yaml\n",
}

// parseCommit reads what `git log` did when the audit asked it to
// format each commit (%P, %cI, %s and %(trailers:key=…,valueonly)):
// on commits around git's trailer rules, with several parents and time
// zones, both give the same commits.
func TestParseCommitMatchesGitLog(t *testing.T) {
	dir := t.TempDir()
	gittest.At(t, dir, "2026-11-01T00:00:00Z", "init", "-q", "-b", "main")
	tree := strings.TrimSpace(gittest.At(t, dir, "2026-11-01T00:00:00Z", "write-tree"))
	var parent, side string
	for i, msg := range trailerMessages {
		args := []string{"commit-tree", tree}
		if parent != "" {
			args = append(args, "-p", parent)
		}
		if i%5 == 4 && side != "" {
			args = append(args, "-p", side) // a merge
		}
		date := time.Date(2026, 11, 1, i, 0, 0, 0, time.UTC).Format(time.RFC3339)
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		zone := []string{"+0000", "-0700", "+0530"}[i%3]
		cmd.Env = append(gittest.Env(), "GIT_AUTHOR_NAME=a", "GIT_AUTHOR_EMAIL=a@example.com", "GIT_COMMITTER_NAME=c",
			"GIT_COMMITTER_EMAIL=c@example.com", "GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date[:19]+" "+zone)
		cmd.Stdin = strings.NewReader(msg)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("git commit-tree: %v", err)
		}
		side, parent = parent, strings.TrimSpace(string(out))
	}
	// git makes no commit with a NUL byte in its message, but one can be
	// written by hand.
	obj := "tree " + tree + "\nparent " + parent + "\nauthor a <a@example.com> 1 +0000\ncommitter c <c@example.com> 2 +0000\n\n" +
		"with a nul\n\nJit-Event: before\x00\nJit-Event: after\n"
	cmd := exec.Command("git", "hash-object", "-t", "commit", "-w", "--literally", "--stdin")
	cmd.Dir, cmd.Env, cmd.Stdin = dir, gittest.Env(), strings.NewReader(obj)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git hash-object: %v", err)
	}
	parent = strings.TrimSpace(string(out))
	gittest.At(t, dir, "2026-11-01T00:00:00Z", "update-ref", "refs/heads/main", parent)

	repo, err := ledger.Open(dir, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Each commit comes with its object exactly as git stores it, whether
	// rebuilt from rev-list's output or read with cat-file.
	if _, err := readCommits(context.Background(), repo, "HEAD", func(c *commit, raw []byte) error {
		if want := gittest.Output(t, dir, "cat-file", "commit", c.sha); string(raw) != want {
			t.Errorf("commit %s: object %q, want %q", c.sha, raw, want)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got, err := readHistory(context.Background(), repo, "HEAD", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := gitLogCommits(t, dir)
	for _, c := range got {
		c.changes = nil
	}
	if len(want) != len(trailerMessages)+1 {
		t.Fatalf("git log listed %d commits, want %d", len(want), len(trailerMessages))
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(commit{})); diff != "" {
		t.Errorf("commits (-git log +parsed):\n%s", diff)
	}
}

// gitLogCommits is how the audit read commits before it parsed them
// itself: git log's formatting of each.
func gitLogCommits(t *testing.T, dir string) []*commit {
	t.Helper()
	const format = "%x1e%H %T%x1f%P%x1f%cI%x1f" +
		"%(trailers:key=Jit-Event,valueonly,separator=%x1d)%x1f" +
		"%(trailers:key=Jit-Pull-Request,valueonly,separator=%x1d)%x1f" +
		"%(trailers:key=Jit-Request,valueonly,separator=%x1d)%x1f%s"
	out := gittest.At(t, dir, "2026-11-01T00:00:00Z", "log", "--first-parent", "-z", "--format="+format, "HEAD")
	values := func(s string) []string {
		var vs []string
		for _, v := range strings.Split(s, "\x1d") {
			if v = strings.TrimSpace(v); v != "" {
				vs = append(vs, v)
			}
		}
		return vs
	}
	var commits []*commit
	for _, rec := range strings.Split(strings.TrimSuffix(out, "\x00"), "\x00") {
		f := strings.SplitN(strings.TrimPrefix(strings.TrimPrefix(rec, "\n"), "\x1e"), "\x1f", 7)
		if len(f) != 7 {
			t.Fatalf("git log record %q", rec)
		}
		c := &commit{subject: f[6], events: values(f[3])}
		c.sha, c.tree, _ = strings.Cut(f[0], " ")
		parents := strings.Fields(f[1])
		if len(parents) > 0 {
			c.parent = parents[0]
		}
		at, err := time.Parse(time.RFC3339, f[2])
		if err != nil {
			t.Fatal(err)
		}
		c.at = at.UTC()
		if prs := values(f[4]); len(prs) > 0 {
			c.pr, _ = strconv.Atoi(prs[len(prs)-1])
		}
		if reqs := values(f[5]); len(reqs) == 1 && isRequestPath(reqs[0]) && len(parents) == 1 {
			c.request = reqs[0]
		}
		commits = append(commits, c)
	}
	for i, c := range commits {
		if c.parentTree = emptyTree(c.sha); i+1 < len(commits) {
			c.parentTree = commits[i+1].tree
		}
	}
	return commits
}
