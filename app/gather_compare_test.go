package app

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jit-access/jit/internal/change"
	"github.com/jit-access/jit/internal/clock"
	"github.com/jit-access/jit/internal/ghrepo"
	"github.com/jit-access/jit/internal/githubemu"
)

// tampered is the repository's client with its comparison changed as a
// test says: GitHub answering something the App must not believe.
type tampered struct {
	ghrepo.Client
	compare func(*ghrepo.Comparison)
	diffErr error
}

func (c *tampered) Compare(ctx context.Context, base, head string) (*ghrepo.Comparison, error) {
	cmp, err := c.Client.Compare(ctx, base, head)
	if err == nil && c.compare != nil {
		c.compare(cmp)
	}
	return cmp, err
}

func (c *tampered) CompareDiff(ctx context.Context, base, head string) ([]byte, error) {
	if c.diffErr != nil {
		return nil, c.diffErr
	}
	return c.Client.CompareDiff(ctx, base, head)
}

const (
	gatherOrg  = "acme"
	gatherRepo = "access"
	gatherPath = "requests/payments-prod/x.yaml"
	gatherReq  = "account: payments-prod\npermission_set: ReadOnly\n"
)

// TestGatherFromTheComparison: for a pull request just opened, the added
// request file's mode and content come from the comparison's diff, with no
// tree or contents read, unless the diff cannot be believed for it; then
// they are read as before. A symlink, a submodule or an executable file is
// never taken for a regular file either way.
func TestGatherFromTheComparison(t *testing.T) {
	zeros := strings.Repeat("0", 40)
	tests := []struct {
		name string
		// mode is the request file's git mode (160000: a submodule).
		mode     string
		client   tampered
		wantMode change.Mode
		// fromDiff is set when no tree, contents or pull request list may
		// be read for the file: the comparison settled it.
		fromDiff bool
	}{
		{name: "a regular file", mode: "100644", wantMode: change.ModeRegular, fromDiff: true},
		{name: "a symlink", mode: "120000", wantMode: change.ModeSymlink, fromDiff: true},
		{name: "an executable", mode: "100755", wantMode: change.ModeExecutable, fromDiff: true},
		{name: "a submodule", mode: "160000", wantMode: change.ModeSubmodule, fromDiff: true},
		{name: "a blob id the content does not hash to", mode: "100644", wantMode: change.ModeRegular,
			client: tampered{compare: func(c *ghrepo.Comparison) { setBlobs(c, zeros) }}},
		{name: "a symlink whose blob id does not match", mode: "120000", wantMode: change.ModeSymlink, fromDiff: true,
			client: tampered{compare: func(c *ghrepo.Comparison) { setBlobs(c, zeros) }}},
		{name: "capped commits", mode: "100644", wantMode: change.ModeRegular,
			client: tampered{compare: func(c *ghrepo.Comparison) { c.TotalCommits = ghrepo.MaxComparedCommits + 1 }}},
		{name: "capped commits, a symlink", mode: "120000", wantMode: change.ModeSymlink,
			client: tampered{compare: func(c *ghrepo.Comparison) { c.TotalCommits = ghrepo.MaxComparedCommits + 1 }}},
		{name: "capped files", mode: "100755", wantMode: change.ModeExecutable,
			client: tampered{compare: func(c *ghrepo.Comparison) {
				for len(c.Files) < ghrepo.MaxComparedFiles {
					c.Files = append(c.Files, ghrepo.ComparedFile{File: change.File{Path: "README.md", Status: change.Modified}})
				}
			}}},
		{name: "no diff", mode: "100644", wantMode: change.ModeRegular,
			client: tampered{diffErr: errors.New("406 diff too large")}},
		{name: "no diff, a submodule", mode: "160000", wantMode: change.ModeSubmodule,
			client: tampered{diffErr: errors.New("406 diff too large")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emu, gh := gatherWorld(t)
			n := openWithMode(t, emu, tt.mode)
			pr, err := emu.PullRequest(gatherOrg, gatherRepo, n)
			if err != nil {
				t.Fatal(err)
			}
			c := tt.client
			c.Client = gh
			h := &handler{gh: &c, repo: ghrepo.Repo{Owner: gatherOrg, Name: gatherRepo}, log: slog.New(slog.DiscardHandler), rules: newParsedRules(), appID: 1}
			payload := ghrepo.PRFromPayload(pr)
			emu.ResetRequests()
			f, err := h.gather(t.Context(), n, seed{payload: payload, payloadTotals: true, hint: payload.HeadSHA, main: "main", opened: true})
			if err != nil {
				t.Fatal(err)
			}
			var got change.Mode
			for _, file := range f.files {
				if file.Path == gatherPath {
					got = file.Mode
				}
			}
			if got != tt.wantMode {
				t.Errorf("mode %v, want %v", got, tt.wantMode)
			}
			content, read := f.contents[gatherPath]
			if tt.wantMode == change.ModeRegular {
				if string(content) != gatherReq {
					t.Errorf("content %q, want the request's", content)
				}
			} else if read {
				t.Errorf("a %v has a content %q: only a regular file's is read", tt.wantMode, content)
			}
			reqs := emu.Requests()
			others := reqs["GET /repos/{owner}/{repo}/git/trees/{tree_sha}"] + reqs["GET /repos/{owner}/{repo}/pulls/{number}/files"] + reqs["GET /repos/{owner}/{repo}/pulls/{number}/commits"]
			// The contents API reads the config and CODEOWNERS on main.
			others += reqs["GET /repos/{owner}/{repo}/contents/{path}"] - 2
			if tt.fromDiff && others != 0 {
				t.Errorf("the comparison settled the file, yet %d more reads were made: %v", others, reqs)
			}
			if !tt.fromDiff && others == 0 {
				t.Errorf("the file was taken from a comparison that cannot be believed: %v", reqs)
			}
		})
	}
}

func setBlobs(c *ghrepo.Comparison, sha string) {
	for i := range c.Files {
		c.Files[i].SHA = sha
	}
}

// gatherWorld is a GitHub emulator with acme/access and a client of it.
func gatherWorld(t *testing.T) (*githubemu.Server, ghrepo.Client) {
	t.Helper()
	emu, err := githubemu.New(githubemu.Options{Dir: t.TempDir(), Clock: clock.At(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(emu)
	t.Cleanup(func() {
		emu.Close()
		ts.Close()
	})
	emu.SetURL(ts.URL + "/api/v3")
	emu.AddUser("octocat", "octocat@acme.example")
	if err := emu.CreateRepo(gatherOrg, gatherRepo, map[string][]byte{"README.md": []byte("# access\n")}); err != nil {
		t.Fatal(err)
	}
	c, err := emu.UserClient("octocat")
	if err != nil {
		t.Fatal(err)
	}
	return emu, ghrepo.New(c, ghrepo.Repo{Owner: gatherOrg, Name: gatherRepo})
}

// openWithMode opens a pull request adding gatherPath with mode; a
// submodule's gitlink names main's commit.
func openWithMode(t *testing.T, emu *githubemu.Server, mode string) int {
	t.Helper()
	c := githubemu.Commit{Author: "octocat", Files: map[string][]byte{gatherPath: []byte(gatherReq)},
		Modes: map[string]string{gatherPath: mode}}
	switch mode {
	case "120000":
		c.Files[gatherPath] = []byte("../../README.md")
	case "160000":
		mainSHA, err := emu.MainSHA(gatherOrg, gatherRepo)
		if err != nil {
			t.Fatal(err)
		}
		c.Files[gatherPath] = []byte(mainSHA)
	}
	n, err := emu.OpenPullRequestWith(gatherOrg, gatherRepo, "octocat", "octocat/x", "x", "", c)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestGatherComparisonOfAnOldBase: an event from before the pull request's
// base was changed names the old base; once the pull request read from
// the API shows another, the comparison with the old base is not used.
func TestGatherComparisonOfAnOldBase(t *testing.T) {
	emu, gh := gatherWorld(t)
	n := openWithMode(t, emu, "100644")
	pr, err := emu.PullRequest(gatherOrg, gatherRepo, n)
	if err != nil {
		t.Fatal(err)
	}
	mainSHA, err := emu.MainSHA(gatherOrg, gatherRepo)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("git", "-C", emu.RepoDir(gatherOrg, gatherRepo), "update-ref", "refs/heads/release", mainSHA)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git update-ref: %v\n%s", err, out)
	}
	payload := ghrepo.PRFromPayload(pr)
	// The old base, and totals that no longer agree: the pull request is
	// read again.
	payload.BaseRef, payload.Commits = "release", payload.Commits+1
	h := &handler{gh: gh, repo: ghrepo.Repo{Owner: gatherOrg, Name: gatherRepo}, log: slog.New(slog.DiscardHandler), rules: newParsedRules(), appID: 1}
	emu.ResetRequests()
	f, err := h.gather(t.Context(), n, seed{payload: payload, payloadTotals: true, hint: payload.HeadSHA, main: "main", opened: true})
	if err != nil {
		t.Fatal(err)
	}
	if f.pr.BaseRef != "main" {
		t.Fatalf("base %q, want main as the pull request now says", f.pr.BaseRef)
	}
	if reqs := emu.Requests(); reqs["GET /repos/{owner}/{repo}/pulls/{number}/files"] == 0 || reqs["GET /repos/{owner}/{repo}/git/trees/{tree_sha}"] == 0 {
		t.Errorf("the comparison with the old base was used: %v", reqs)
	}
}
