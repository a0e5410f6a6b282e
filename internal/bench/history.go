package main

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"context"
	"crypto/ed25519"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/jit-access/jit/internal/ledger"
	"github.com/jit-access/jit/schema"
)

// historyVersion names the layout of generated audit histories in the
// cache: change it whenever writeHistory writes something different, so
// that an old cached history is not measured by mistake.
const historyVersion = "signed-v2"

// auditHistory returns a repository whose main branch has n grants spread
// over the given number of account folders (see writeHistory). Full-size
// histories are generated once and kept under the system's temporary
// folder, since 100,000 grants take minutes to write on a shared machine;
// a history is used only when its generation finished.
func (e *env) auditHistory(ctx context.Context, n, accounts int) (string, error) {
	if e.quick {
		dir, err := e.dir("audit")
		if err != nil {
			return "", err
		}
		return dir, writeHistory(ctx, dir, n, accounts)
	}
	cache := filepath.Join(os.TempDir(), "jit-bench-cache")
	dir := filepath.Join(cache, fmt.Sprintf("audit-%s-%d-grants-%d-accounts", historyVersion, n, accounts))
	if _, err := os.Stat(filepath.Join(dir, ".git", "jit-bench-complete")); err == nil {
		e.log.Info("reusing the cached audit history", "dir", dir)
		return dir, nil
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return "", fmt.Errorf("making the history cache: %w", err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", fmt.Errorf("removing an unfinished history: %w", err)
	}
	start := time.Now()
	if err := writeHistory(ctx, dir, n, accounts); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, ".git", "jit-bench-complete"), nil, 0o644); err != nil {
		return "", err
	}
	e.log.Info("generated the audit history", "grants", n, "accounts", accounts, "dir", dir, "took", time.Since(start))
	return dir, nil
}

// benchSigner is the key the generated histories are signed with. It is
// derived from a fixed seed so that a history is the same on every run.
var benchSigner = ed25519.NewKeyFromSeed(seed())

func seed() []byte {
	s := sha256.Sum256([]byte("jit bench signing key"))
	return s[:]
}

// writeHistory makes a git repository whose main branch has n grants spread
// over the given number of account folders, as jit leaves it: a first
// commit adds .github/jit-signers; then each grant is merged (a squash
// commit, not signed by jit, like GitHub's), activated and expired, each in
// its own commit signed by jit's key with its trailers, each naming the
// one before in Jit-Previous as the ledger does. The audit therefore checks
// the newest signature in full and the signer of the other 2n-1, as it
// would on a real history.
//
// git fast-import writes the files and trees quickly but cannot sign, so
// the commits are written twice: fast-import makes unsigned commits on a
// scratch branch, and the signed commits, over the same trees, are written
// here into a pack that git index-pack stores. The unsigned commits stay in
// the repository as unreachable objects.
func writeHistory(ctx context.Context, dir string, n, accounts int) error {
	if out, err := exec.CommandContext(ctx, "git", "init", "-q", "-b", "main", dir).CombinedOutput(); err != nil {
		return fmt.Errorf("git init: %w\n%s", err, out)
	}
	commits, err := importTrees(ctx, dir, n, accounts)
	if err != nil {
		return err
	}
	trees, err := gitLines(ctx, dir, "log", "--first-parent", "--reverse", "--format=%T", "refs/heads/unsigned")
	if err != nil {
		return err
	}
	if len(trees) != len(commits) {
		return fmt.Errorf("git fast-import wrote %d commits, want %d", len(trees), len(commits))
	}
	for i := range commits {
		commits[i].tree = trees[i]
	}
	head, err := packSigned(ctx, dir, commits)
	if err != nil {
		return err
	}
	for _, args := range [][]string{
		{"update-ref", "refs/heads/main", head},
		{"update-ref", "-d", "refs/heads/unsigned"},
		{"reset", "-q", "--hard", "main"},
	} {
		if _, err := gitLines(ctx, dir, args...); err != nil {
			return err
		}
	}
	return nil
}

// genCommit is one commit of a generated history.
type genCommit struct {
	at      time.Time
	message string
	signed  bool
	tree    string
}

// importTrees writes the history's files and trees with git fast-import on
// refs/heads/unsigned and returns its commits, oldest first, without trees.
func importTrees(ctx context.Context, dir string, n, accounts int) ([]genCommit, error) {
	imp := exec.CommandContext(ctx, "git", "fast-import", "--quiet")
	imp.Dir = dir
	var stderr bytes.Buffer
	imp.Stderr = &limited{b: &stderr, n: 4096}
	in, err := imp.StdinPipe()
	if err != nil {
		return nil, err
	}
	if err := imp.Start(); err != nil {
		return nil, fmt.Errorf("starting git fast-import: %w", err)
	}
	w := bufio.NewWriterSize(in, 1<<20)
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	commits := make([]genCommit, 0, 3*n+1)
	commit := func(c genCommit, path string, data []byte) {
		commits = append(commits, c)
		mark := len(commits)
		fmt.Fprintf(w, "commit refs/heads/unsigned\nmark :%d\ncommitter jit <jit@example.com> %d +0000\ndata 0\n", mark, c.at.Unix())
		if mark > 1 {
			fmt.Fprintf(w, "from :%d\n", mark-1)
		}
		fmt.Fprintf(w, "M 100644 inline %s\ndata %d\n%s\n", path, len(data), data)
	}
	pub, _ := sshPublicKey(benchSigner.Public().(ed25519.PublicKey))
	commit(genCommit{at: start.Add(-time.Hour), message: "Add jit's signing key\n"}, ledger.SignersPath, []byte("jit "+pub+"\n"))
	var genErr error
	for i := range n {
		account := fmt.Sprintf("account-%03d", i%accounts)
		path := fmt.Sprintf("requests/%s/grant-%05d.yaml", account, i)
		merged := start.Add(time.Duration(i) * 30 * time.Minute)
		req := []byte(standardRequest(account, "ReadOnlyAccess", "4h", i))
		commit(genCommit{at: merged, message: fmt.Sprintf("Request %s (#%d)\n", path, i+1)}, path, req)
		activated := merged.Add(2 * time.Minute)
		expires := activated.Add(4 * time.Hour)
		st := &schema.Status{State: schema.StateActive, PullRequest: i + 1, Requester: fmt.Sprintf("user%d", i%50), Duration: "4h",
			Approvals:   []schema.Approval{{By: "alice", Stage: "owner", At: merged.Add(-time.Minute), Note: "ok for INC-" + fmt.Sprint(1000+i)}},
			ActivatedAt: &activated, ExpiresAt: &expires}
		data, err := schema.SetStatus(req, st)
		if err != nil {
			genErr = err
			break
		}
		trailers := fmt.Sprintf("\n\nJit-Request: %s\nJit-Event: %%s\nJit-Pull-Request: %d\n", path, i+1)
		commit(genCommit{at: activated, message: "jit: activate " + path + fmt.Sprintf(trailers, "activated"), signed: true}, path, data)
		ended := expires.Add(10 * time.Second)
		st.State, st.EndedAt = schema.StateExpired, &ended
		if data, err = schema.SetStatus(req, st); err != nil {
			genErr = err
			break
		}
		commit(genCommit{at: ended, message: "jit: expire " + path + fmt.Sprintf(trailers, "expired"), signed: true}, path, data)
	}
	flushErr := w.Flush()
	in.Close()
	waitErr := imp.Wait()
	switch {
	case genErr != nil:
		return nil, fmt.Errorf("writing a grant's status: %w", genErr)
	case flushErr != nil || waitErr != nil:
		return nil, fmt.Errorf("git fast-import: %v %v: %s", flushErr, waitErr, stderr.String())
	}
	return commits, nil
}

// packSigned writes the commits, each the parent of the next, as a pack
// that git index-pack stores, signing those marked signed as git does with
// gpg.format=ssh (an SSHSIG over the commit without its gpgsig header, in
// the "git" namespace). It returns the last commit's name.
func packSigned(ctx context.Context, dir string, commits []genCommit) (string, error) {
	idx := exec.CommandContext(ctx, "git", "index-pack", "--stdin")
	idx.Dir = dir
	var stderr bytes.Buffer
	idx.Stderr = &limited{b: &stderr, n: 4096}
	idx.Stdout = io.Discard
	in, err := idx.StdinPipe()
	if err != nil {
		return "", err
	}
	if err := idx.Start(); err != nil {
		return "", fmt.Errorf("starting git index-pack: %w", err)
	}
	sum := sha1.New()
	w := bufio.NewWriterSize(io.MultiWriter(in, sum), 1<<20)
	var hdr [12]byte
	copy(hdr[:], "PACK")
	binary.BigEndian.PutUint32(hdr[4:], 2)
	binary.BigEndian.PutUint32(hdr[8:], uint32(len(commits)))
	w.Write(hdr[:])
	_, pubBlob := sshPublicKey(benchSigner.Public().(ed25519.PublicKey))
	zw, _ := zlib.NewWriterLevel(io.Discard, zlib.BestSpeed)
	parent, previous := "", ""
	var obj bytes.Buffer
	for _, c := range commits {
		obj.Reset()
		fmt.Fprintf(&obj, "tree %s\n", c.tree)
		if parent != "" {
			fmt.Fprintf(&obj, "parent %s\n", parent)
		}
		ident := "GitHub <noreply@github.com>"
		if c.signed {
			ident = "jit[bot] <jit[bot]@users.noreply.github.com>"
		}
		fmt.Fprintf(&obj, "author %s %d +0000\ncommitter %s %d +0000\n", ident, c.at.Unix(), ident, c.at.Unix())
		headers := obj.Len()
		fmt.Fprintf(&obj, "\n%s", c.message)
		if c.signed && previous != "" {
			// As ledger.Repo.Commit chains jit's records.
			fmt.Fprintf(&obj, "%s: %s\n", ledger.TrailerPrevious, previous)
		}
		data := obj.Bytes()
		if c.signed {
			sig := sshSign(pubBlob, data)
			signed := make([]byte, 0, len(data)+len(sig)+16)
			signed = append(signed, data[:headers]...)
			signed = append(signed, "gpgsig "...)
			signed = append(signed, strings.ReplaceAll(strings.TrimSuffix(sig, "\n"), "\n", "\n ")...)
			signed = append(signed, '\n')
			data = append(signed, data[headers:]...)
		}
		h := sha1.New()
		fmt.Fprintf(h, "commit %d\x00", len(data))
		h.Write(data)
		parent = fmt.Sprintf("%x", h.Sum(nil))
		if c.signed {
			previous = parent
		}
		// The pack entry: type 1 (commit) and size in the varint header,
		// then the zlib stream.
		size := len(data)
		b := byte(1<<4) | byte(size&0x0f)
		size >>= 4
		for size > 0 {
			w.WriteByte(b | 0x80)
			b = byte(size & 0x7f)
			size >>= 7
		}
		w.WriteByte(b)
		zw.Reset(w)
		zw.Write(data)
		zw.Close()
	}
	flushErr := w.Flush()
	if flushErr == nil {
		_, flushErr = in.Write(sum.Sum(nil))
	}
	in.Close()
	if err := idx.Wait(); err != nil || flushErr != nil {
		return "", fmt.Errorf("git index-pack: %v %v: %s", flushErr, err, stderr.String())
	}
	return parent, nil
}

// sshPublicKey returns the authorized-keys form of an ed25519 key and its
// wire blob.
func sshPublicKey(key ed25519.PublicKey) (string, []byte) {
	var blob bytes.Buffer
	writeSSHString(&blob, []byte("ssh-ed25519"))
	writeSSHString(&blob, key)
	return "ssh-ed25519 " + base64.StdEncoding.EncodeToString(blob.Bytes()), blob.Bytes()
}

// sshSign returns the armored SSH signature of data in the "git"
// namespace, as ssh-keygen -Y sign makes it (PROTOCOL.sshsig).
func sshSign(pubBlob, data []byte) string {
	var h hash.Hash = sha512.New()
	h.Write(data)
	var signed bytes.Buffer
	signed.WriteString("SSHSIG")
	for _, f := range [][]byte{[]byte("git"), nil, []byte("sha512"), h.Sum(nil)} {
		writeSSHString(&signed, f)
	}
	var sig bytes.Buffer
	writeSSHString(&sig, []byte("ssh-ed25519"))
	writeSSHString(&sig, ed25519.Sign(benchSigner, signed.Bytes()))
	var blob bytes.Buffer
	blob.WriteString("SSHSIG")
	binary.Write(&blob, binary.BigEndian, uint32(1))
	for _, f := range [][]byte{pubBlob, []byte("git"), nil, []byte("sha512"), sig.Bytes()} {
		writeSSHString(&blob, f)
	}
	b64 := base64.StdEncoding.EncodeToString(blob.Bytes())
	var out strings.Builder
	out.WriteString("-----BEGIN SSH SIGNATURE-----\n")
	for len(b64) > 70 {
		out.WriteString(b64[:70] + "\n")
		b64 = b64[70:]
	}
	out.WriteString(b64 + "\n-----END SSH SIGNATURE-----\n")
	return out.String()
}

func writeSSHString(b *bytes.Buffer, s []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(s)))
	b.Write(n[:])
	b.Write(s)
}

// gitLines runs git in dir and returns its output's lines.
func gitLines(ctx context.Context, dir string, args ...string) ([]string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &limited{b: &stderr, n: 4096}
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.Fields(string(out)), nil
}
