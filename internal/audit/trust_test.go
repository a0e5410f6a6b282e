package audit

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jit-access/jit/internal/clock"
	"github.com/jit-access/jit/internal/gittest"
	"github.com/jit-access/jit/internal/ledger"
	"github.com/jit-access/jit/schema"
)

// The audit skips the tree diff of a commit jit signed and takes the file
// it changed from its Jit-Request trailer. On a history with every kind of
// commit around that (unsigned merges, a deletion and a re-add, a trailer
// forged in an unsigned commit that changes two files, a commit signed by
// a key that is not jit's, a signed commit naming two files, a signed
// commit adding a file, a merge commit, a merge commit signed with jit's
// key), the records are exactly those of
// diffing every commit.
func TestTrustingSignedTrailersChangesNothing(t *testing.T) {
	keys := t.TempDir()
	jitKey, jitLine := gittest.SSHKey(t, keys, "jit", "")
	malloryKey, _ := gittest.SSHKey(t, keys, "mallory", "")
	dir := signedRepo(t, jitLine, nil)

	merge := func(date, path, req, subject string) {
		write(t, dir, path, []byte(req))
		gittest.At(t, dir, date, "add", path)
		gittest.At(t, dir, date, "commit", "-q", "-m", subject)
	}
	// sign commits the listed files with key (none: unsigned).
	sign := func(key, date, msg string, files map[string]*schema.Status) {
		var paths []string
		for p, st := range files {
			data, err := os.ReadFile(filepath.Join(dir, p))
			if err != nil {
				data = []byte(reqZ)
			}
			if data, err = schema.SetStatus(data, st); err != nil {
				t.Fatal(err)
			}
			write(t, dir, p, data)
			gittest.At(t, dir, date, "add", p)
			paths = append(paths, p)
		}
		args := []string{"commit", "-q", "-m", msg, "--"}
		if key != "" {
			args = append([]string{"-c", "gpg.format=ssh", "-c", "user.signingkey=" + key}, append([]string{"commit", "-q", "-S", "-m", msg, "--"}, paths...)...)
		} else {
			args = append(args, paths...)
		}
		gittest.At(t, dir, date, args...)
	}
	trailers := func(event string, paths ...string) string {
		msg := "jit: " + event + "\n\n"
		for _, p := range paths {
			msg += "Jit-Request: " + p + "\n"
		}
		return msg + "Jit-Event: " + event + "\nJit-Pull-Request: 7\n"
	}
	active := &schema.Status{State: schema.StateActive, PullRequest: 7, Requester: "octocat", ActivatedAt: clock.MustParse("2026-11-02T10:00:00Z"), ExpiresAt: clock.MustParse("2026-11-02T11:00:00Z")}
	expired := &schema.Status{State: schema.StateExpired, PullRequest: 7, Requester: "octocat", ActivatedAt: clock.MustParse("2026-11-02T10:00:00Z"), ExpiresAt: clock.MustParse("2026-11-02T11:00:00Z"), EndedAt: clock.MustParse("2026-11-02T11:00:01Z")}
	a, b, c, d, e, f, g := "requests/p/a.yaml", "requests/p/b.yaml", "requests/q/c.yaml", "requests/q/d.yaml", "requests/p/e.yaml", "requests/q/f.yaml", "requests/p/g.yaml"

	merge("2026-11-02T09:00:00Z", a, reqX, "Request a (#1)")
	merge("2026-11-02T09:01:00Z", b, reqX, "Request b (#2)")
	merge("2026-11-02T09:02:00Z", c, reqZ, "Request c (#3)")
	merge("2026-11-02T09:03:00Z", d, reqZ, "Request d (#4)")
	merge("2026-11-02T09:04:00Z", e, reqZ, "Request e (#5)")
	sign(jitKey, "2026-11-02T10:00:00Z", trailers("activated", a), map[string]*schema.Status{a: active})
	sign(malloryKey, "2026-11-02T10:01:00Z", trailers("activated", b), map[string]*schema.Status{b: active})
	sign("", "2026-11-02T10:02:00Z", trailers("expired", c), map[string]*schema.Status{c: expired, d: expired})
	sign(jitKey, "2026-11-02T10:03:00Z", trailers("activated", e), map[string]*schema.Status{e: active})
	gittest.At(t, dir, "2026-11-02T10:30:00Z", "rm", "-q", e)
	gittest.At(t, dir, "2026-11-02T10:30:00Z", "commit", "-q", "-m", "clean up")
	merge("2026-11-02T10:40:00Z", e, reqX, "Request e again (#6)")
	sign(jitKey, "2026-11-02T10:41:00Z", trailers("activated", e), map[string]*schema.Status{e: active})
	sign(jitKey, "2026-11-02T10:50:00Z", trailers("activated", f), map[string]*schema.Status{f: active})
	sign(jitKey, "2026-11-02T11:00:00Z", trailers("expired", a, f), map[string]*schema.Status{a: expired, f: expired})
	gittest.At(t, dir, "2026-11-02T11:10:00Z", "checkout", "-q", "-b", "octocat/g")
	merge("2026-11-02T11:10:00Z", g, reqX, "ask for g")
	gittest.At(t, dir, "2026-11-02T11:10:00Z", "checkout", "-q", "main")
	gittest.At(t, dir, "2026-11-02T11:20:00Z", "merge", "-q", "--no-ff", "-m", "Merge pull request #8 from octocat/g", "octocat/g")
	sign(jitKey, "2026-11-02T11:21:00Z", trailers("activated", g), map[string]*schema.Status{g: active})
	// A merge commit signed with jit's key and naming one file still
	// brings in its whole branch: it is diffed.
	h1, h2 := "requests/q/h1.yaml", "requests/q/h2.yaml"
	gittest.At(t, dir, "2026-11-02T11:30:00Z", "checkout", "-q", "-b", "octocat/h")
	merge("2026-11-02T11:30:00Z", h1, reqZ, "ask for h1")
	merge("2026-11-02T11:31:00Z", h2, reqZ, "ask for h2")
	gittest.At(t, dir, "2026-11-02T11:31:00Z", "checkout", "-q", "main")
	gittest.At(t, dir, "2026-11-02T11:40:00Z", "-c", "gpg.format=ssh", "-c", "user.signingkey="+jitKey,
		"merge", "-q", "--no-ff", "-S", "-m", trailers("activated", h1), "octocat/h")

	ctx := context.Background()
	trusted, err := collect(ctx, dir, Filter{}, true)
	if err != nil {
		t.Fatal(err)
	}
	diffed, err := collect(ctx, dir, Filter{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(diffed, trusted); diff != "" {
		t.Errorf("records when trusting jit's signed trailers (-diffing every commit +trusting):\n%s", diff)
	}
	// The signed trailers were trusted: the five commits jit signed that
	// name one file were not diffed.
	repo, err := ledger.Open(dir, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := signersAt(ctx, repo, "HEAD")
	if err != nil || v == nil {
		t.Fatalf("signers: %v, %v", v, err)
	}
	commits, err := readHistory(ctx, repo, "HEAD", v)
	if err != nil {
		t.Fatal(err)
	}
	taken := 0
	for _, c := range commits {
		if len(c.changes) == 1 && c.changes[0].blob == "" {
			taken++
		}
	}
	if taken != 5 {
		t.Errorf("%d commits taken from their signed trailer, want 5", taken)
	}
	// The history is what the test means it to be.
	byPath := map[string][]Record{}
	for _, r := range trusted {
		byPath[r.Path] = append(byPath[r.Path], r)
	}
	if r := byPath[a]; len(r) != 1 || len(r[0].Events) != 2 || r[0].Unverified != "" || r[0].State != schema.StateExpired {
		t.Errorf("a: %+v", r)
	}
	if r := byPath[b]; len(r) != 1 || len(r[0].Events) != 0 || len(r[0].UnverifiedEvents) != 1 || r[0].Unverified == "" {
		t.Errorf("b (signed by mallory): %+v", r)
	}
	for _, p := range []string{c, d} {
		if r := byPath[p]; len(r) != 1 || r[0].Unverified == "" {
			t.Errorf("%s (forged): %+v", p, r)
		}
	}
	if r := byPath[e]; len(r) != 2 || r[0].RemovedAt == nil || r[1].RemovedAt != nil || len(r[0].Events) != 1 || len(r[1].Events) != 1 {
		t.Errorf("e (removed and merged again): %+v", r)
	}
	if r := byPath[f]; len(r) != 1 || len(r[0].Events) != 2 || r[0].MergedAt.Format("15:04") != "10:50" {
		t.Errorf("f (added by a signed commit): %+v", r)
	}
	for _, p := range []string{h1, h2} {
		if r := byPath[p]; len(r) != 1 || r[0].MergedAt.Format("15:04") != "11:40" {
			t.Errorf("%s (signed merge commit): %+v", p, r)
		}
	}
	if r := byPath[g]; len(r) != 1 || r[0].PullRequest != 7 || r[0].MergedAt.Format("15:04") != "11:20" {
		t.Errorf("g (merge commit): %+v", r)
	}
}
