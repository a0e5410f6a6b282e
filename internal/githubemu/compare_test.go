package githubemu

import (
	"bytes"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v62/github"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/jit-access/jit/internal/gittest"
)

// The comparison of main with a pull request's head, read through
// go-github: as JSON it lists the pull request's commits and files as
// GitHub's OpenAPI description shapes them; with the diff media type it is
// exactly git's diff from the merge base; unknown refs are 404s; it is
// counted, tagged and slowed like any other GET.
func TestCompare(t *testing.T) {
	e, ctx := setup(t)
	n, err := e.emu.OpenPullRequest(org, repoName, "alice", "req/alice", "Request access", map[string][]byte{
		"requests/payments-prod/alice.yaml": []byte("account: payments-prod\n"),
		"README.md":                         []byte("# access\nchanged\n"),
	})
	if err != nil {
		t.Fatal(err)
	}
	head, err := e.emu.PushCommit(org, repoName, n, Commit{Author: "alice", Committer: "bob", Files: map[string][]byte{
		"requests/link.yaml":  []byte("payments-prod/alice.yaml"),
		"requests/run me.sh":  []byte("#!/bin/sh\necho no newline"),
		".github/CODEOWNERS":  nil,
		"requests/empty.yaml": {},
	}, Modes: map[string]string{"requests/link.yaml": "120000", "requests/run me.sh": "100755"}})
	if err != nil {
		t.Fatal(err)
	}
	// main moves on: the comparison still starts at the merge base.
	if _, _, err := e.app.Repositories.UpdateFile(ctx, org, repoName, "README.md", &github.RepositoryContentFileOptions{
		Message: github.String("edit"), Content: []byte("# moved\n"), SHA: github.String(mustSHA(t, e, "README.md")), Branch: github.String("main"),
	}); err != nil {
		t.Fatal(err)
	}

	e.emu.ResetRequests()
	cmpd, _, err := e.app.Repositories.CompareCommits(ctx, org, repoName, "main", head, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.emu.Requests()["GET /repos/{owner}/{repo}/compare/{basehead}"]; got != 1 {
		t.Errorf("compare counted %d times, want 1", got)
	}
	pulls, _, err := e.app.PullRequests.ListFiles(ctx, org, repoName, n, nil)
	if err != nil {
		t.Fatal(err)
	}
	type fileRow struct{ Name, Status, SHA string }
	row := func(f *github.CommitFile) fileRow { return fileRow{f.GetFilename(), f.GetStatus(), f.GetSHA()} }
	if diff := cmp.Diff(mapped(pulls, row), mapped(cmpd.Files, row)); diff != "" {
		t.Errorf("compared files differ from the pull request's (-pull +compare):\n%s", diff)
	}
	commits, _, err := e.app.PullRequests.ListCommits(ctx, org, repoName, n, nil)
	if err != nil {
		t.Fatal(err)
	}
	type commitRow struct{ SHA, Author, Committer string }
	crow := func(c *github.RepositoryCommit) commitRow {
		return commitRow{c.GetSHA(), c.GetAuthor().GetLogin(), c.GetCommitter().GetLogin()}
	}
	if diff := cmp.Diff(mapped(commits, crow), mapped(cmpd.Commits, crow)); diff != "" {
		t.Errorf("compared commits differ from the pull request's (-pull +compare):\n%s", diff)
	}
	if cmpd.GetTotalCommits() != 2 || cmpd.GetAheadBy() != 2 || cmpd.GetBehindBy() != 1 || cmpd.GetStatus() != "diverged" {
		t.Errorf("total %d ahead %d behind %d status %q, want 2, 2, 1, diverged", cmpd.GetTotalCommits(), cmpd.GetAheadBy(), cmpd.GetBehindBy(), cmpd.GetStatus())
	}
	if p := cmpd.Commits[1].Parents; len(p) != 1 || p[0].GetSHA() != cmpd.Commits[0].GetSHA() {
		t.Errorf("the second commit's parents are %v", p)
	}

	// The JSON as GitHub's OpenAPI description shapes it.
	req, err := e.app.NewRequest("GET", "repos/acme/access/compare/main..."+head, nil)
	if err != nil {
		t.Fatal(err)
	}
	var raw bytes.Buffer
	resp, err := e.app.Do(ctx, req, &raw)
	if err != nil {
		t.Fatal(err)
	}
	sch, err := jsonschema.NewCompiler().Compile("testdata/repos-compare-commits.200.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(doc); err != nil {
		t.Errorf("the comparison does not match GitHub's OpenAPI description: %v", err)
	}
	etag := resp.Header.Get("ETag")

	// The diff is git's, from the merge base.
	dir := e.emu.RepoDir(org, repoName)
	mb := gittest.Run(t, dir, "merge-base", "main", head)
	want := gittest.Output(t, dir, "diff", mb, head)
	got, _, err := e.app.Repositories.CompareCommitsRaw(ctx, org, repoName, "main", head, github.RawOptions{Type: github.Diff})
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("the diff is not git's:\n%s", cmp.Diff(want, got))
	}
	for _, line := range []string{"new file mode 120000", "new file mode 100755", "\\ No newline at end of file", "deleted file mode 100644"} {
		if !bytes.Contains([]byte(got), []byte(line)) {
			t.Errorf("the diff lacks %q:\n%s", line, got)
		}
	}

	// A conditional request with the JSON's tag is a 304, not counted.
	e.emu.ResetRequests()
	req, _ = e.app.NewRequest("GET", "repos/acme/access/compare/main..."+head, nil)
	req.Header.Set("If-None-Match", etag)
	if resp, _ := e.app.Do(ctx, req, nil); resp == nil || resp.StatusCode != http.StatusNotModified {
		t.Errorf("compare with If-None-Match: %v, want 304", resp)
	}
	if n := e.emu.RateLimitedRequests(); n != 0 {
		t.Errorf("the 304 was counted against the rate limit")
	}

	// Unknown refs are 404s.
	for _, bh := range [][2]string{{"main", "0123456789012345678901234567890123456789"}, {"nope", head}} {
		if _, _, err := e.app.Repositories.CompareCommits(ctx, org, repoName, bh[0], bh[1], nil); statusOf(err) != http.StatusNotFound {
			t.Errorf("compare %s...%s: %v, want 404", bh[0], bh[1], err)
		}
	}

	// A round trip takes the latency set.
	e.emu.SetLatency(40 * time.Millisecond)
	e.emu.ResetRequests()
	if _, _, err := e.app.Repositories.CompareCommitsRaw(ctx, org, repoName, "main", head, github.RawOptions{Type: github.Diff}); err != nil {
		t.Fatal(err)
	}
	if sp := e.emu.Spans(); len(sp) != 1 || sp[0].End.Sub(sp[0].Start) < 40*time.Millisecond {
		t.Errorf("spans %+v, want one of at least 40ms", sp)
	}
}

// Without paging parameters the comparison lists the newest 250 commits
// and says how many there are; with them it pages oldest first.
func TestCompareCaps(t *testing.T) {
	e, ctx := setup(t)
	_, head := e.openRequest(t, "many")
	// 250 more commits on the branch, written by git in one process: the
	// emulator's drivers would take one push (and its events) each.
	var stream strings.Builder
	for i := range maxComparedCommits {
		fmt.Fprintf(&stream, "commit refs/heads/req/many\ncommitter alice <alice@acme.example> %d +0000\ndata 2\n%d\n", 1700000000+i, i%10)
		if i == 0 {
			fmt.Fprintf(&stream, "from %s\n", head)
		}
		fmt.Fprintf(&stream, "M 100644 inline x.txt\ndata 2\n%c\n\n", 'a'+i%26)
	}
	cmd := exec.Command("git", "-C", e.emu.RepoDir(org, repoName), "fast-import", "--quiet", "--force")
	cmd.Env = append(gittest.Env(), "GIT_CONFIG_NOSYSTEM=1")
	cmd.Stdin = strings.NewReader(stream.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git fast-import: %v\n%s", err, out)
	}
	head = gittest.Run(t, e.emu.RepoDir(org, repoName), "rev-parse", "refs/heads/req/many")
	c, _, err := e.app.Repositories.CompareCommits(ctx, org, repoName, "main", head, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Commits) != maxComparedCommits || c.GetTotalCommits() != maxComparedCommits+1 || c.Commits[len(c.Commits)-1].GetSHA() != head {
		t.Errorf("listed %d of %d commits, last %s; want the newest 250 of 251, ending at %s", len(c.Commits), c.GetTotalCommits(), c.Commits[len(c.Commits)-1].GetSHA(), head)
	}
	page2, _, err := e.app.Repositories.CompareCommits(ctx, org, repoName, "main", head, &github.ListOptions{Page: 2, PerPage: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(page2.Commits) != 100 || len(page2.Files) != 0 {
		t.Errorf("page 2 lists %d commits and %d files, want 100 and none", len(page2.Commits), len(page2.Files))
	}
	page1, _, err := e.app.Repositories.CompareCommits(ctx, org, repoName, "main", head, &github.ListOptions{Page: 1, PerPage: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(page1.Files) == 0 || page2.Commits[0].Parents[0].GetSHA() != page1.Commits[99].GetSHA() {
		t.Errorf("page 1 lists %d files; page 2 does not follow on from page 1", len(page1.Files))
	}
}
