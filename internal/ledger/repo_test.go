package ledger

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jit-access/jit/internal/gittest"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/internal/lifecycle"
	"github.com/jit-access/jit/schema"
)

func writeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// setup makes a bare origin with main holding files, and n clones of it.
func setup(t *testing.T, files map[string]string, n int) (origin string, clones []string) {
	t.Helper()
	root := t.TempDir()
	origin = filepath.Join(root, "origin.git")
	gittest.Run(t, root, "init", "-q", "--bare", "-b", "main", origin)
	seed := filepath.Join(root, "seed")
	gittest.Run(t, root, "clone", "-q", origin, seed)
	gittest.Run(t, seed, "checkout", "-q", "-b", "main")
	writeFile(t, seed, "README.md", "access repository\n")
	for name, content := range files {
		writeFile(t, seed, name, content)
	}
	gittest.Run(t, seed, "add", "-A")
	gittest.Run(t, seed, "commit", "-q", "-m", "seed")
	gittest.Run(t, seed, "push", "-q", "origin", "main")
	for i := 0; i < n; i++ {
		c := filepath.Join(root, "clone"+string(rune('a'+i)))
		gittest.Run(t, root, "clone", "-q", "-b", "main", origin, c)
		clones = append(clones, c)
	}
	return origin, clones
}

func open(t *testing.T, dir string) *Repo {
	t.Helper()
	r, err := Open(dir, Options{RetryDelay: -1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

const reqX = "account: payments-prod\npermission_set: ReadOnlyAccess\nduration: 4h\njustification: INC-1 looking at x\n"
const reqY = "account: payments-prod\npermission_set: ReadOnlyAccess\nduration: 1h\njustification: INC-2 looking at y\n"

func TestRequestsReadsWhatIsCommitted(t *testing.T) {
	_, clones := setup(t, map[string]string{
		"requests/payments-prod/x.yaml":      reqX,
		"requests/payments-prod/y.yaml":      reqY + "status:\n  state: active\n  requester: bob\n",
		"requests/payments-prod/broken.yaml": "account: [\n",
		"requests/README.md":                 "not a request\n",
		"requests/other/notes.txt":           "x",
		"config/outside.yaml":                reqX,
	}, 1)
	dir := clones[0]
	// The working tree is not main: local edits and new files are ignored.
	writeFile(t, dir, "requests/payments-prod/x.yaml", "account: changed\n")
	writeFile(t, dir, "requests/payments-prod/new.yaml", reqX)

	r := open(t, filepath.Join(dir, "requests"))
	grants, err := r.Requests(context.Background())
	var fe FileErrors
	if !errors.As(err, &fe) || len(fe) != 1 || fe[0].Path != "requests/payments-prod/broken.yaml" ||
		!strings.Contains(fe[0].Error(), "requests/payments-prod/broken.yaml:1:1: error: invalid YAML") {
		t.Fatalf("error = %v, want FileErrors naming broken.yaml and its line", err)
	}
	want := []lifecycle.Grant{
		{Path: "requests/payments-prod/x.yaml", Request: schema.Request{Account: "payments-prod", PermissionSet: "ReadOnlyAccess",
			Duration: "4h", Justification: "INC-1 looking at x"}},
		{Path: "requests/payments-prod/y.yaml", Request: schema.Request{Account: "payments-prod", PermissionSet: "ReadOnlyAccess",
			Duration: "1h", Justification: "INC-2 looking at y", Status: &schema.Status{State: "active", Requester: "bob"}}},
	}
	if diff := cmp.Diff(want, grants); diff != "" {
		t.Errorf("Requests (-want +got):\n%s", diff)
	}
}

func TestRequestsOnEmptyRequestsDir(t *testing.T) {
	_, clones := setup(t, nil, 1)
	grants, err := open(t, clones[0]).Requests(context.Background())
	if err != nil || len(grants) != 0 {
		t.Fatalf("Requests = %v, %v; want none", grants, err)
	}
}

func TestCommit(t *testing.T) {
	_, clones := setup(t, map[string]string{"requests/payments-prod/x.yaml": reqX}, 1)
	dir := clones[0]
	ctx := context.Background()
	r, err := Open(dir, Options{Name: "jit[bot]", Email: "123+jit[bot]@users.noreply.github.com"})
	if err != nil {
		t.Fatal(err)
	}
	// Something else staged must not ride along in the audit commit.
	writeFile(t, dir, "README.md", "edited\n")
	gittest.Run(t, dir, "add", "README.md")

	data, err := schema.SetStatus([]byte(reqX), &schema.Status{State: schema.StateActive, PullRequest: 42})
	if err != nil {
		t.Fatal(err)
	}
	sha, err := r.Commit(ctx, Change{
		Path: "requests/payments-prod/x.yaml", Data: data,
		Subject: "jit: activate payments-prod/ReadOnlyAccess for octocat (#42)",
		Body:    "AWS confirmed the assignment.",
		Trailers: []Trailer{
			{TrailerRequest, "requests/payments-prod/x.yaml"},
			{TrailerEvent, EventActivated},
			{TrailerPullRequest, "42"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if head := gittest.Run(t, dir, "rev-parse", "HEAD"); head != sha {
		t.Errorf("Commit returned %s, HEAD is %s", sha, head)
	}
	got := gittest.Run(t, dir, "log", "-1", "--format=%an <%ae>|%cn <%ce>|%s|%(trailers:key=Jit-Event,valueonly)|%(trailers:key=Jit-Pull-Request,valueonly)|%(trailers:key=Jit-Request,valueonly)")
	want := "jit[bot] <123+jit[bot]@users.noreply.github.com>|jit[bot] <123+jit[bot]@users.noreply.github.com>|" +
		"jit: activate payments-prod/ReadOnlyAccess for octocat (#42)|activated\n|42\n|requests/payments-prod/x.yaml"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("commit (-want +got):\n%s", diff)
	}
	if files := gittest.Run(t, dir, "show", "--name-only", "--format=", "HEAD"); files != "requests/payments-prod/x.yaml" {
		t.Errorf("commit touched %q, want only the request file", files)
	}
	if body := gittest.Run(t, dir, "log", "-1", "--format=%B"); !strings.Contains(body, "\n\nAWS confirmed the assignment.\n\nJit-Request: ") {
		t.Errorf("message layout:\n%s", body)
	}
	if _, err := r.Commit(ctx, Change{Path: "requests/payments-prod/x.yaml", Data: data, Subject: "again"}); !errors.Is(err, ErrNoChange) {
		t.Errorf("same content again: error = %v, want ErrNoChange", err)
	}
	// A transition computed from an older version of the file is refused
	// and leaves HEAD as it was.
	next, err := schema.SetStatus([]byte(reqX), &schema.Status{State: schema.StateExpired, PullRequest: 42})
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Commit(ctx, Change{Path: "requests/payments-prod/x.yaml", Data: next, Base: []byte(reqX), Subject: "jit: expire"})
	if !errors.Is(err, ErrStale) {
		t.Errorf("commit onto a changed file: error = %v, want ErrStale", err)
	}
	if head := gittest.Run(t, dir, "rev-parse", "HEAD"); head != sha {
		t.Errorf("a refused commit moved HEAD to %s", head)
	}
	if _, err := r.Commit(ctx, Change{Path: "requests/payments-prod/x.yaml", Data: next, Base: data, Subject: "jit: expire"}); err != nil {
		t.Errorf("commit onto the version it was computed from: %v", err)
	}
}

func TestCommitRefusesBadInput(t *testing.T) {
	_, clones := setup(t, nil, 1)
	r := open(t, clones[0])
	ok := Change{Path: "requests/a/x.yaml", Data: []byte(reqX), Subject: "s"}
	tests := []struct {
		name   string
		change func(c *Change)
		want   string
	}{
		{"path outside requests", func(c *Change) { c.Path = layout.ConfigPath }, "must be a clean relative path under requests/"},
		{"path escaping", func(c *Change) { c.Path = "requests/../../x.yaml" }, "must be a clean relative path"},
		{"absolute path", func(c *Change) { c.Path = "/requests/x.yaml" }, "must be a clean relative path"},
		{"into .git", func(c *Change) { c.Path = "requests/.git/config" }, "must be a clean relative path"},
		{"two-line subject", func(c *Change) { c.Subject = "a\nb" }, "must be one non-empty line"},
		{"trailer with newline", func(c *Change) { c.Trailers = []Trailer{{TrailerRequest, "x\nJit-Event: expired"}} }, "must be one non-empty line"},
		{"trailer key with colon", func(c *Change) { c.Trailers = []Trailer{{"Jit:Event", "x"}} }, "must be one word"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.change(&c)
			_, err := r.Commit(context.Background(), c)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// setState commits a status change the way the reconcile does.
// x and y are the request files of twoRuns.
const x, y = "requests/payments-prod/x.yaml", "requests/payments-prod/y.yaml"

// twoRuns is two reconcile runs racing on one origin whose main holds x
// and y: the origin, the two clones, and a ledger on each.
func twoRuns(t *testing.T) (origin string, clones []string, a, b *Repo) {
	t.Helper()
	origin, clones = setup(t, map[string]string{x: reqX, y: reqY}, 2)
	return origin, clones, open(t, clones[0]), open(t, clones[1])
}

// wantPushed checks the subjects of main's history on origin, newest first
// and joined by newlines, and that the clone's working tree is clean.
func wantPushed(t *testing.T, origin, clone, history string) {
	t.Helper()
	if got := gittest.Run(t, origin, "log", "--format=%s", "main"); got != history {
		t.Errorf("origin history:\n%s\nwant:\n%s", got, history)
	}
	if st := gittest.Run(t, clone, "status", "--porcelain"); st != "" {
		t.Errorf("working tree left dirty:\n%s", st)
	}
}

func setState(t *testing.T, r *Repo, path, state string) {
	t.Helper()
	ctx := context.Background()
	data, err := r.ReadFile(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	data, err = schema.SetStatus(data, &schema.Status{State: state})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Commit(ctx, Change{Path: path, Data: data, Subject: "jit: " + state + " " + path,
		Trailers: []Trailer{{TrailerRequest, path}, {TrailerEvent, state}}}); err != nil {
		t.Fatal(err)
	}
}

func states(t *testing.T, r *Repo) map[string]string {
	t.Helper()
	grants, err := r.Requests(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, g := range grants {
		s := "-"
		if g.Request.Status != nil {
			s = g.Request.Status.State
		}
		out[g.Path] = s
	}
	return out
}

func TestPushRebasesAndReplansAfterAConcurrentRun(t *testing.T) {
	origin, _, a, b := twoRuns(t)
	ctx := context.Background()

	setState(t, a, x, schema.StateActive)
	setState(t, b, y, schema.StateActive)
	if err := a.Push(ctx, "origin", "main", nil); err != nil {
		t.Fatal(err)
	}
	aHead, _ := a.Head(ctx)

	replans := 0
	err := b.Push(ctx, "origin", "main", func(ctx context.Context) error {
		replans++
		// The re-plan sees the other run's work and its own rebased commit.
		if diff := cmp.Diff(map[string]string{x: "active", y: "active"}, states(t, b)); diff != "" {
			t.Errorf("state seen by replan (-want +got):\n%s", diff)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if replans != 1 {
		t.Errorf("replan called %d times, want 1", replans)
	}
	// Never forced: the first run's commit is still on main.
	gittest.Run(t, origin, "merge-base", "--is-ancestor", aHead, "main")
	if got := gittest.Run(t, origin, "log", "--format=%s", "main"); got != "jit: active "+y+"\njit: active "+x+"\nseed" {
		t.Errorf("origin history:\n%s", got)
	}
}

func TestPushDropsAStaleCommitOnTheSameFile(t *testing.T) {
	origin, clones, a, b := twoRuns(t)
	ctx := context.Background()

	// Both runs expire x; b also activated y. a wins the race.
	setState(t, a, x, schema.StateExpired)
	setState(t, b, y, schema.StateActive)
	setState(t, b, x, schema.StateRevoked)
	if err := a.Push(ctx, "origin", "main", nil); err != nil {
		t.Fatal(err)
	}
	err := b.Push(ctx, "origin", "main", func(ctx context.Context) error {
		if diff := cmp.Diff(map[string]string{x: "expired", y: "active"}, states(t, b)); diff != "" {
			t.Errorf("after rebase (-want +got):\n%s", diff)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	wantPushed(t, origin, clones[1], "jit: active "+y+"\njit: expired "+x+"\nseed")
}

// TestPushDropsACommitWhoseFileChangedEvenWithoutAConflict: the remote
// changed the top of the file, the local commit its status block. git could
// merge the two texts, but the local transition was computed from a version
// that is gone, so it is dropped and planned again.
func TestPushDropsACommitWhoseFileChangedEvenWithoutAConflict(t *testing.T) {
	origin, clones, a, b := twoRuns(t)
	ctx := context.Background()

	edited := "# Reviewed by the security team.\n" + reqX
	if _, err := a.Commit(ctx, Change{Path: x, Data: []byte(edited), Subject: "edit x", Trailers: []Trailer{{TrailerRequest, x}}}); err != nil {
		t.Fatal(err)
	}
	if err := a.Push(ctx, "origin", "main", nil); err != nil {
		t.Fatal(err)
	}
	setState(t, b, x, schema.StateActive)
	setState(t, b, y, schema.StateActive)
	replans := 0
	if err := b.Push(ctx, "origin", "main", func(context.Context) error { replans++; return nil }); err != nil {
		t.Fatal(err)
	}
	if replans != 1 {
		t.Errorf("replan called %d times, want 1", replans)
	}
	wantPushed(t, origin, clones[1], "jit: active "+y+"\nedit x\nseed")
	if got := gittest.Run(t, origin, "show", "main:"+x); got != strings.TrimSpace(edited) {
		t.Errorf("x on main:\n%s", got)
	}
}

func TestPushGivesUpAfterBoundedAttempts(t *testing.T) {
	_, _, a, b := twoRuns(t)
	ctx := context.Background()
	setState(t, b, y, schema.StateActive)
	// Another run always pushes first.
	states := []string{schema.StateActive, schema.StateRevoking, schema.StateRevoked, "s4", "s5", "s6", "s7"}
	i := 0
	race := func(ctx context.Context) error {
		if _, err := a.Sync(ctx, "origin", "main"); err != nil {
			return err
		}
		setState(t, a, x, states[i])
		i++
		return a.Push(ctx, "origin", "main", nil)
	}
	if err := race(ctx); err != nil {
		t.Fatal(err)
	}
	err := b.Push(ctx, "origin", "main", race)
	if !errors.Is(err, ErrPushRejected) || !strings.Contains(err.Error(), "attempt 5 of 5") {
		t.Fatalf("error = %v, want ErrPushRejected after 5 attempts", err)
	}
}

func TestPushDoesNotRetryOtherFailures(t *testing.T) {
	origin, clones := setup(t, map[string]string{"requests/a/x.yaml": reqX}, 1)
	hook := filepath.Join(origin, "hooks", "pre-receive")
	if err := os.WriteFile(hook, []byte("#!/bin/sh\necho 'protected branch' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := open(t, clones[0])
	setState(t, r, "requests/a/x.yaml", schema.StateActive)
	called := false
	err := r.Push(context.Background(), "origin", "main", func(context.Context) error { called = true; return nil })
	if err == nil || errors.Is(err, ErrPushRejected) || called {
		t.Fatalf("error = %v, replan called = %v; want a plain error and no retry", err, called)
	}
	if !strings.Contains(err.Error(), "pushing to origin main") {
		t.Errorf("error %q does not say what was being done", err)
	}
}

func TestOpenOutsideARepository(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(dir, Options{})
	if !errors.Is(err, ErrNotRepository) || err.Error() != dir+" is not in a git repository: run jit in a clone of the access repository, or pass --repo with its folder" {
		t.Fatalf("error = %v", err)
	}
	_, err = Open(filepath.Join(dir, "missing"), Options{})
	if !errors.Is(err, ErrNotRepository) || !strings.Contains(err.Error(), "missing is not a folder") {
		t.Fatalf("missing folder: error = %v", err)
	}
}
