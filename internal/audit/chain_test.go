package audit

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jit-access/jit/internal/clock"
	"github.com/jit-access/jit/internal/gittest"
	"github.com/jit-access/jit/internal/ledger"
	"github.com/jit-access/jit/schema"
)

// A history the ledger writes is one chain of Jit-Previous trailers, and
// auditing it through the chain gives the records of checking every
// signature: every event jit signed counts, none is unverified.
func TestAuditThroughTheChainOfRecords(t *testing.T) {
	keys := t.TempDir()
	jitKey, jitLine := gittest.SSHKey(t, keys, "jit", "")
	dir := signedRepo(t, jitLine, nil)
	ctx := context.Background()
	clk := clock.At(clock.MustParse("2026-11-02T09:00:00Z").UTC())
	repo, err := ledger.Open(dir, ledger.Options{SigningKey: jitKey, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for i := range 4 {
		p := fmt.Sprintf("requests/p/r%d.yaml", i)
		paths = append(paths, p)
		write(t, dir, p, []byte(reqX))
		gittest.At(t, dir, "2026-11-02T09:00:00Z", "add", p)
		gittest.At(t, dir, "2026-11-02T09:00:00Z", "commit", "-q", "-m", fmt.Sprintf("Request %d (#%d)", i, i+1))
		for _, st := range []string{schema.StateActive, schema.StateExpired} {
			data, err := schema.SetStatus([]byte(reqX), &schema.Status{State: st, PullRequest: i + 1, Requester: "octocat"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := repo.Commit(ctx, ledger.Change{Path: p, Data: data, Subject: "jit: " + st + " " + p,
				Trailers: []ledger.Trailer{{Key: ledger.TrailerRequest, Value: p}, {Key: ledger.TrailerEvent, Value: st}}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	named := strings.Fields(gittest.Run(t, dir, "log", "--format=%(trailers:key="+ledger.TrailerPrevious+",valueonly)"))
	if len(named) != 7 {
		t.Fatalf("%d commits name a previous record, want 7 of the 8 jit made", len(named))
	}
	chained, err := collect(ctx, dir, Filter{}, true)
	if err != nil {
		t.Fatal(err)
	}
	checked, err := collect(ctx, dir, Filter{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(checked, chained); diff != "" {
		t.Errorf("records through the chain (-every signature checked +through the chain):\n%s", diff)
	}
	for _, r := range chained {
		if len(r.Events) != 2 || len(r.UnverifiedEvents) != 0 || r.Unverified != "" || r.State != schema.StateExpired {
			t.Errorf("%s: %+v", r.Path, r)
		}
	}
}

// A commit named by jit's signed record is taken as checked: here its
// signature was broken on purpose after the fact, which only a chain
// that skips the check lets through, and so the test shows the check is
// skipped. A name counts only in a commit that is jit's: one in an
// unsigned commit, or in one signed by another key, vouches for nothing,
// and a named commit must still be signed by a key in the signers file.
func TestOnlyJitsRecordsVouch(t *testing.T) {
	keys := t.TempDir()
	jitKey, jitLine := gittest.SSHKey(t, keys, "jit", "")
	malloryKey, _ := gittest.SSHKey(t, keys, "mallory", "")
	oldKey, _ := gittest.SSHKey(t, keys, "retired", "")
	signers, err := ledger.ParseSigners([]byte(jitLine))
	if err != nil {
		t.Fatal(err)
	}
	active := &schema.Status{State: schema.StateActive, PullRequest: 7, Requester: "octocat"}
	for _, tc := range []struct {
		name string
		// key signs the named commit; broken breaks its signature.
		key    string
		broken bool
		// voucherKey signs the commit naming it ("" unsigned).
		voucherKey string
		want       bool
	}{
		{"named by jit, signature broken", jitKey, true, jitKey, true},
		{"named by jit, signed by a key not in the signers file", oldKey, false, jitKey, false},
		{"named by an unsigned commit", jitKey, true, "", false},
		{"named by mallory's commit", jitKey, true, malloryKey, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := "requests/p/a.yaml", "requests/p/b.yaml"
			dir := signedRepo(t, jitLine, []string{a, b})
			record := func(key, date, path, previous string) string {
				t.Helper()
				data, err := schema.SetStatus([]byte(reqX), active)
				if err != nil {
					t.Fatal(err)
				}
				write(t, dir, path, data)
				gittest.At(t, dir, date, "add", path)
				msg := "jit: activate " + path + "\n\nJit-Request: " + path + "\nJit-Event: activated\n"
				if previous != "" {
					msg += ledger.TrailerPrevious + ": " + previous + "\n"
				}
				args := []string{"commit", "-q", "-m", msg}
				if key != "" {
					args = []string{"-c", "gpg.format=ssh", "-c", "user.signingkey=" + key, "commit", "-q", "-S", "-m", msg}
				}
				gittest.At(t, dir, date, args...)
				return gittest.Run(t, dir, "rev-parse", "HEAD")
			}
			named := record(tc.key, "2026-11-02T10:00:00Z", a, "")
			if tc.broken {
				named = breakSignature(t, dir, named)
				if _, err := signers.VerifyCommit([]byte(gittest.Run(t, dir, "cat-file", "commit", named) + "\n")); err == nil {
					t.Fatal("the broken signature still verifies")
				}
			}
			record(tc.voucherKey, "2026-11-02T10:01:00Z", b, named)
			records, err := Collect(context.Background(), dir, Filter{})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range records {
				if r.Path != a {
					continue
				}
				if got := r.Unverified == "" && len(r.Events) == 1; got != tc.want {
					t.Errorf("the named commit counts as jit's: %v, want %v (%+v)", got, tc.want, r)
				}
			}
		})
	}
}

// signedRepo makes a repository whose first commit, on 2026-11-01, has
// the signers file and the files given, each holding reqX.
func signedRepo(t *testing.T, signersLine string, files []string) string {
	t.Helper()
	dir := t.TempDir()
	gittest.At(t, dir, "2026-11-01T00:00:00Z", "init", "-q", "-b", "main")
	write(t, dir, ledger.SignersPath, []byte(signersLine))
	for _, f := range files {
		write(t, dir, f, []byte(reqX))
	}
	gittest.At(t, dir, "2026-11-01T00:00:00Z", "add", "-A")
	gittest.At(t, dir, "2026-11-01T00:00:00Z", "commit", "-q", "-m", "init")
	return dir
}

// breakSignature rewrites commit sha (HEAD) with one character of its
// signature's ed25519 part changed, and returns the new commit.
func breakSignature(t *testing.T, dir, sha string) string {
	t.Helper()
	raw := gittest.Run(t, dir, "cat-file", "commit", sha) + "\n"
	end := strings.Index(raw, "-----END SSH SIGNATURE-----")
	body := strings.TrimRight(raw[:end], " \n=")
	i := len(body) - 5
	c := byte('A')
	if body[i] == 'A' {
		c = 'B'
	}
	broken := raw[:i] + string(c) + raw[i+1:]
	cmd := exec.Command("git", "hash-object", "-t", "commit", "-w", "--stdin")
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(broken)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	forged := strings.TrimSpace(string(out))
	gittest.Run(t, dir, "update-ref", "refs/heads/main", forged)
	return forged
}
