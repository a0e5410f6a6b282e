package ledger

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/jit-access/jit/internal/gittest"
	"github.com/jit-access/jit/schema"
)

// Each commit jit signs names the newest signed commit before it on main,
// so that an audit checks one signature per chain: the one it just made
// itself, or after a restart, a rebase or someone else's commits, the
// newest one whose signature is valid under the signers at HEAD, skipping
// unsigned commits and commits signed by another key.
func TestCommitNamesThePreviousSignedCommit(t *testing.T) {
	keys := t.TempDir()
	jitKey, jitLine := gittest.SSHKey(t, keys, "jit", `namespaces="git"`)
	otherKey, _ := gittest.SSHKey(t, keys, "mallory", `namespaces="git"`)
	const a, b, c = "requests/payments-prod/a.yaml", "requests/payments-prod/b.yaml", "requests/payments-prod/c.yaml"
	_, clones := setup(t, map[string]string{SignersPath: jitLine, a: verifyReq, b: verifyReq, c: verifyReq}, 2)
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	open := func(dir, key string) *Repo {
		t.Helper()
		r, err := Open(dir, Options{RetryDelay: -1, Logger: logger, SigningKey: key})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	record := func(r *Repo, path, state string) string {
		t.Helper()
		data, err := r.ReadFile(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		out, err := schema.SetStatus(data, &schema.Status{State: state, PullRequest: 1, Requester: "octocat"})
		if err != nil {
			t.Fatal(err)
		}
		sha, err := r.Commit(ctx, Change{Path: path, Data: out, Subject: "jit: record " + path,
			Trailers: []Trailer{{Key: TrailerRequest, Value: path}}})
		if err != nil {
			t.Fatal(err)
		}
		return sha
	}
	previous := func(sha string) string {
		t.Helper()
		return gittest.Run(t, clones[0], "log", "-1", "--format=%(trailers:key="+TrailerPrevious+",valueonly)", sha)
	}

	jit := open(clones[0], jitKey)
	first := record(jit, a, schema.StateActive)
	if p := previous(first); p != "" {
		t.Errorf("the first record names %q; no commit before it is signed", p)
	}
	second := record(jit, b, schema.StateActive)
	if p := previous(second); p != first {
		t.Errorf("the second record names %q, want the first %s", p, first)
	}
	if err := jit.Push(ctx, "origin", "main", nil); err != nil {
		t.Fatal(err)
	}

	// Someone else's commits on top: unsigned, and signed by a key that
	// is not in the signers file.
	for i, key := range []string{"", otherKey} {
		other := open(clones[1], key)
		if _, err := other.Sync(ctx, "origin", "main"); err != nil {
			t.Fatal(err)
		}
		record(other, c, []string{schema.StateActive, schema.StateExpired}[i])
		if err := other.Push(ctx, "origin", "main", nil); err != nil {
			t.Fatal(err)
		}
	}
	// A new run (a new Repo) and a run that synced both look back past
	// them to the second record.
	if _, err := jit.Sync(ctx, "origin", "main"); err != nil {
		t.Fatal(err)
	}
	for i, r := range []*Repo{jit, open(clones[0], jitKey)} {
		sha := record(r, a, []string{schema.StateExpired, schema.StateRevoked}[i])
		if p := previous(sha); p != second {
			t.Errorf("run %d: a record after others' commits names %q, want jit's last signed %s", i, p, second)
		}
		second = sha
	}

	// Unsigned runs name nothing.
	unsigned := open(clones[0], "")
	if sha := record(unsigned, b, schema.StateExpired); previous(sha) != "" {
		t.Errorf("an unsigned commit names %q", previous(sha))
	}
	if msg := gittest.Run(t, clones[0], "log", "-1", "--format=%B"); strings.Contains(msg, TrailerPrevious) {
		t.Errorf("an unsigned commit's message has %s:\n%s", TrailerPrevious, msg)
	}
}
