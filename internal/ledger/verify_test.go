package ledger

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"io"
	"log/slog"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jit-access/jit/internal/gittest"
	"github.com/jit-access/jit/internal/wanterr"
	"github.com/jit-access/jit/schema"
)

const verifyReq = "account: payments-prod\npermission_set: ReadOnlyAccess\nduration: 4h\njustification: \"INC-1 looking at x\"\n"

// Only statuses jit signed count: a status typed into main by anyone else
// (here a commit by the same name and email, unsigned, and one signed by
// another key) is replaced by jit's last signed record. git itself agrees
// with the verdicts, so an auditor can check them with git alone.
func TestRequestsTrustOnlySignedStatuses(t *testing.T) {
	keys := t.TempDir()
	jitKey, jitLine := gittest.SSHKey(t, keys, "jit", `namespaces="git"`)
	otherKey, _ := gittest.SSHKey(t, keys, "mallory", `namespaces="git"`)
	const forged, removed, fresh, signed = "requests/payments-prod/forged.yaml", "requests/payments-prod/removed.yaml",
		"requests/payments-prod/fresh.yaml", "requests/payments-prod/signed.yaml"
	origin, clones := setup(t, map[string]string{SignersPath: "# jit's reconcile\n" + jitLine,
		forged: verifyReq, removed: verifyReq, fresh: verifyReq, signed: verifyReq}, 2)
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	jit, err := Open(clones[0], Options{RetryDelay: -1, Logger: logger, SigningKey: jitKey})
	if err != nil {
		t.Fatal(err)
	}
	if on, err := jit.CheckSigning(ctx); !on || err != nil {
		t.Fatalf("CheckSigning = %v, %v; want on and no error", on, err)
	}
	record := func(r *Repo, path string, st *schema.Status) {
		t.Helper()
		data, err := r.ReadFile(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		out, err := schema.SetStatus(data, st)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Commit(ctx, Change{Path: path, Data: out, Subject: "jit: record " + path}); err != nil {
			t.Fatal(err)
		}
		if err := r.Push(ctx, "origin", "main", nil); err != nil {
			t.Fatal(err)
		}
	}
	expired := &schema.Status{State: schema.StateExpired, PullRequest: 1, Requester: "octocat"}
	record(jit, forged, expired)
	record(jit, removed, expired)
	record(jit, signed, &schema.Status{State: schema.StateActive, PullRequest: 4, Requester: "octocat"})

	// The attacker: the same name and email as jit, no signature or the
	// wrong key; they revive one grant and remove the other's record.
	mallory, err := Open(clones[1], Options{RetryDelay: -1, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mallory.Sync(ctx, "origin", "main"); err != nil {
		t.Fatal(err)
	}
	record(mallory, forged, &schema.Status{State: schema.StateActive, PullRequest: 1, Requester: "octocat"})
	wrongKey, err := Open(clones[1], Options{RetryDelay: -1, Logger: logger, SigningKey: otherKey})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := wrongKey.ReadFile(ctx, removed)
	out, _ := schema.SetStatus(data, nil)
	if _, err := wrongKey.Commit(ctx, Change{Path: removed, Data: out, Subject: "jit: tidy"}); err != nil {
		t.Fatal(err)
	}
	if err := wrongKey.Push(ctx, "origin", "main", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := wrongKey.CheckSigning(ctx); err == nil || !strings.Contains(err.Error(), "not in "+SignersPath) {
		t.Errorf("CheckSigning with a key not in the signers file: %v", err)
	}

	if _, err := jit.Sync(ctx, "origin", "main"); err != nil {
		t.Fatal(err)
	}
	grants, err := jit.Requests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, g := range grants {
		got[g.Path] = stateOf(g.Request.Status)
		if (g.Unverified != "") != (g.Path == forged || g.Path == removed) {
			t.Errorf("%s: Unverified = %q", g.Path, g.Unverified)
		}
	}
	want := map[string]string{forged: "expired", removed: "expired", fresh: "none", signed: "active"}
	for p, w := range want {
		if got[p] != w {
			t.Errorf("%s: state %q, want jit's signed %q", p, got[p], w)
		}
	}
	// git agrees: jit's commits verify against the signers file, the
	// others do not.
	signers := filepath.Join(t.TempDir(), "signers")
	writeFile(t, filepath.Dir(signers), "signers", jitLine)
	for path, good := range map[string]bool{signed: true, forged: false, removed: false} {
		sha := gittest.Run(t, clones[0], "log", "-1", "--format=%H", "--", path)
		cmd := exec.Command("git", "-c", "gpg.ssh.allowedSignersFile="+signers, "verify-commit", sha)
		cmd.Dir = clones[0]
		if err := cmd.Run(); (err == nil) != good {
			t.Errorf("git verify-commit of the last change of %s: %v, want good=%v", path, err, good)
		}
	}
	_ = origin
}

func TestParseSigners(t *testing.T) {
	// An ssh-ed25519 public key in the SSH wire format: the type and the
	// key, each a length-prefixed string.
	pub := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)).Public().(ed25519.PublicKey)
	blob := binary.BigEndian.AppendUint32(nil, uint32(len("ssh-ed25519")))
	blob = append(blob, "ssh-ed25519"...)
	blob = binary.BigEndian.AppendUint32(blob, uint32(len(pub)))
	key := "ssh-ed25519 " + base64.StdEncoding.EncodeToString(append(blob, pub...))
	notEd25519 := "ssh-ed25519 " + base64.StdEncoding.EncodeToString(blob[:15])
	for _, tc := range []struct {
		name, in, wantErr string
	}{
		{name: "a key", in: "jit " + key + "\n"},
		{name: "git's namespace and a comment", in: "# the reconcile\njit namespaces=\"git\" " + key + " jit@ci\n"},
		{name: "only a comment", in: "# only a comment\n", wantErr: "has no key"},
		{name: "an RSA key", in: "jit ssh-rsa AAAAB3NzaC1yc2E\n", wantErr: "only ssh-ed25519"},
		{name: "another option", in: "jit cert-authority ssh-ed25519 x", wantErr: "option cert-authority"},
		{name: "not base64", in: "jit ssh-ed25519 !!!\n", wantErr: "not base64"},
		{name: "not an ed25519 blob", in: "jit " + notEd25519 + "\n", wantErr: ":1: not an ssh-ed25519 public key"},
		{name: "a principal alone", in: "jit\n", wantErr: ":1: want"},
		{name: "a principal alone after a key", in: "jit " + key + "\njit\n", wantErr: ":2: want"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseSigners([]byte(tc.in))
			if !wanterr.Check(t, err, tc.wantErr) {
				return
			}
			if !s.Has(key + " a comment") {
				t.Errorf("the signers lack the key of %q", tc.in)
			}
		})
	}
}
