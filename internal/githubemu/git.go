package githubemu

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// zeroOID is git's "no object", used to say "this ref must not exist yet".
const zeroOID = "0000000000000000000000000000000000000000"

// errNotFound is returned by the git layer when a ref, commit or path does not
// exist; handlers turn it into GitHub's 404.
var errNotFound = errors.New("not found")

// errConflict is returned by merges whose trees conflict.
var errConflict = errors.New("merge conflict")

// errStaleRef is returned when a branch moved between reading its tip and
// updating it (another writer, e.g. a `git push` into the bare repository).
var errStaleRef = errors.New("branch moved while it was being updated")

// gitRepo is one bare repository. Writes are serialised by mu; reads run
// concurrently because git objects are immutable and ref updates are atomic.
type gitRepo struct {
	dir string
	mu  sync.Mutex

	cacheMu sync.Mutex
	cache   map[string]any
}

// identity is a git author or committer.
type identity struct {
	name, email string
	when        time.Time
}

func (id identity) fastImport() string {
	return fmt.Sprintf("%s <%s> %d +0000", id.name, id.email, id.when.Unix())
}

func (id identity) env(kind string) []string {
	return []string{
		"GIT_" + kind + "_NAME=" + id.name,
		"GIT_" + kind + "_EMAIL=" + id.email,
		"GIT_" + kind + "_DATE=" + strconv.FormatInt(id.when.Unix(), 10) + " +0000",
	}
}

// fileChange is one path written or deleted by a commit.
type fileChange struct {
	path    string
	content []byte
	mode    string // 100644, 100755 or 120000
	delete  bool
}

// gitEnv isolates git from the machine's configuration so the emulator
// behaves the same on a laptop and in CI.
func gitEnv(extra []string) []string {
	env := make([]string, 0, len(os.Environ())+8)
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "GIT_") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull, "GIT_TERMINAL_PROMPT=0", "LC_ALL=C")
	return append(env, extra...)
}

// gitError carries git's exit status and stderr so callers can tell a
// conflict from a crash.
type gitError struct {
	args   []string
	code   int
	stderr string
}

func (e *gitError) Error() string {
	return fmt.Sprintf("git %s: exit %d: %s", strings.Join(e.args, " "), e.code, strings.TrimSpace(e.stderr))
}

func (g *gitRepo) run(ctx context.Context, env []string, stdin []byte, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = g.dir
	cmd.Env = gitEnv(env)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	// Output keeps git's stderr in the ExitError.
	out, err := cmd.Output()
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		return out, &gitError{args: args, code: exitErr.ExitCode(), stderr: string(exitErr.Stderr)}
	case err != nil:
		return nil, fmt.Errorf("running git %s: %w", strings.Join(args, " "), err)
	}
	return out, nil
}

func initBare(ctx context.Context, dir string) (*gitRepo, error) {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, fmt.Errorf("creating the repositories directory: %w", err)
	}
	g := &gitRepo{dir: filepath.Dir(dir), cache: map[string]any{}}
	if _, err := g.run(ctx, nil, nil, "init", "--quiet", "--bare", "--initial-branch=main", dir); err != nil {
		return nil, fmt.Errorf("creating bare repository %s: %w", dir, err)
	}
	g.dir = dir
	return g, nil
}

// cached returns a memoised value for keys that name immutable git data
// (object ids), so repeated API reads of the same commit cost no process.
func (g *gitRepo) cached(key string, compute func() (any, error)) (any, error) {
	g.cacheMu.Lock()
	v, ok := g.cache[key]
	g.cacheMu.Unlock()
	if ok {
		return v, nil
	}
	v, err := compute()
	if err != nil {
		return nil, err
	}
	g.cacheMu.Lock()
	if len(g.cache) > 20000 {
		g.cache = map[string]any{}
	}
	g.cache[key] = v
	g.cacheMu.Unlock()
	return v, nil
}

func isOID(s string) bool {
	if len(s) != 40 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// readRef reads a fully qualified ref straight from the repository files:
// it runs on every API call, and a process per call would dominate latency.
func (g *gitRepo) readRef(full string) (string, bool) {
	if b, err := os.ReadFile(filepath.Join(g.dir, filepath.FromSlash(full))); err == nil {
		s := strings.TrimSpace(string(b))
		if isOID(s) {
			return s, true
		}
	}
	f, err := os.Open(filepath.Join(g.dir, "packed-refs"))
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if oid, name, ok := strings.Cut(line, " "); ok && name == full && isOID(oid) {
			return oid, true
		}
	}
	return "", false
}

// branchTip returns the commit a branch points at.
func (g *gitRepo) branchTip(branch string) (string, error) {
	if sha, ok := g.readRef("refs/heads/" + branch); ok {
		return sha, nil
	}
	return "", fmt.Errorf("branch %q: %w", branch, errNotFound)
}

// resolve turns a SHA, branch, tag or ref name into a commit id, as GitHub's
// ?ref= parameters accept all of those.
// resolveTree resolves a tree SHA, or a commit-ish, to something ls-tree and
// rev-parse ^{tree} accept.
func (g *gitRepo) resolveTree(ctx context.Context, ref string) (string, error) {
	if isOID(ref) {
		// An object's type never changes: one process per object.
		typ, err := g.cached("type:"+ref, func() (any, error) {
			out, err := g.run(ctx, nil, nil, "cat-file", "-t", ref)
			if err != nil {
				return nil, err
			}
			return strings.TrimSpace(string(out)), nil
		})
		if err == nil && typ.(string) == "tree" {
			return ref, nil
		}
	}
	return g.resolve(ctx, ref)
}

func (g *gitRepo) resolve(ctx context.Context, ref string) (string, error) {
	if isOID(ref) {
		if err := g.commitExists(ctx, ref); err != nil {
			return "", err
		}
		return ref, nil
	}
	for _, full := range []string{"refs/heads/" + ref, "refs/" + ref, ref} {
		if !strings.HasPrefix(full, "refs/") {
			continue
		}
		if sha, ok := g.readRef(full); ok {
			return sha, nil
		}
	}
	if strings.HasPrefix(ref, "-") || ref == "" {
		return "", fmt.Errorf("ref %q: %w", ref, errNotFound)
	}
	out, err := g.run(ctx, nil, nil, "rev-parse", "--verify", "--quiet", "--end-of-options", ref+"^{commit}")
	if err != nil {
		return "", fmt.Errorf("ref %q: %w", ref, errNotFound)
	}
	return strings.TrimSpace(string(out)), nil
}

func (g *gitRepo) commitExists(ctx context.Context, sha string) error {
	_, err := g.cached("commit:"+sha, func() (any, error) {
		if _, err := g.run(ctx, nil, nil, "cat-file", "-e", sha+"^{commit}"); err != nil {
			return nil, fmt.Errorf("commit %s: %w", sha, errNotFound)
		}
		return true, nil
	})
	return err
}

// isAncestor reports whether commit a is an ancestor of commit b (or b
// itself); the answer for two commits never changes.
func (g *gitRepo) isAncestor(ctx context.Context, a, b string) bool {
	v, err := g.cached("anc:"+a+":"+b, func() (any, error) {
		_, err := g.run(ctx, nil, nil, "merge-base", "--is-ancestor", a, b)
		var ge *gitError
		if errors.As(err, &ge) && ge.code == 1 {
			return false, nil
		}
		if err != nil {
			return nil, err
		}
		return true, nil
	})
	return err == nil && v.(bool)
}

// randomHex is n random bytes in hex: the random part of tokens, codes,
// delivery and request ids.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func validPath(p string) error {
	if p == "" || strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") {
		return fmt.Errorf("path %q must be relative and name a file", p)
	}
	for _, part := range strings.Split(p, "/") {
		if part == "" || part == "." || part == ".." || part == ".git" {
			return fmt.Errorf("path %q has an empty, '.', '..' or '.git' component", p)
		}
	}
	if strings.ContainsAny(p, "\x00\n\r\"") {
		return fmt.Errorf("path %q contains a NUL, newline or quote", p)
	}
	return nil
}

// commit writes changes on top of parent ("" for a root commit) and moves
// branch from expectOld (zeroOID: must not exist) to the new commit. It uses
// fast-import so a commit costs two git processes however many files change.
func (g *gitRepo) commit(ctx context.Context, branch, parent, expectOld string, author, committer identity, message string, changes []fileChange) (string, error) {
	tmpRef := "refs/githubemu/tmp/" + randomHex(8)
	var in bytes.Buffer
	fmt.Fprintf(&in, "commit %s\n", tmpRef)
	fmt.Fprintf(&in, "author %s\ncommitter %s\n", author.fastImport(), committer.fastImport())
	fmt.Fprintf(&in, "data %d\n%s\n", len(message), message)
	if parent != "" {
		fmt.Fprintf(&in, "from %s\n", parent)
	}
	for _, c := range changes {
		if err := validPath(c.path); err != nil {
			return "", err
		}
		if c.delete {
			fmt.Fprintf(&in, "D %s\n", c.path)
			continue
		}
		mode := c.mode
		if mode == "" {
			mode = "100644"
		}
		if mode == "160000" {
			// A gitlink (submodule) names a commit; it has no content.
			if !isOID(string(c.content)) {
				return "", fmt.Errorf("writing a commit to %s: the gitlink at %s must name a commit, not %q", branch, c.path, c.content)
			}
			fmt.Fprintf(&in, "M 160000 %s %s\n", c.content, c.path)
			continue
		}
		fmt.Fprintf(&in, "M %s inline %s\ndata %d\n", mode, c.path, len(c.content))
		in.Write(c.content)
		in.WriteByte('\n')
	}
	in.WriteString("done\n")
	if _, err := g.run(ctx, nil, in.Bytes(), "fast-import", "--quiet", "--done", "--force"); err != nil {
		return "", fmt.Errorf("writing a commit to %s: %w", branch, err)
	}
	sha, ok := g.readRef(tmpRef)
	if !ok {
		return "", fmt.Errorf("writing a commit to %s: fast-import left no ref", branch)
	}
	if err := g.moveBranch(ctx, branch, sha, expectOld, tmpRef); err != nil {
		return "", err
	}
	return sha, nil
}

// moveBranch updates branch atomically from old to sha (and deletes tmpRef in
// the same transaction), failing with errStaleRef when someone else moved it.
func (g *gitRepo) moveBranch(ctx context.Context, branch, sha, old, tmpRef string) error {
	var in bytes.Buffer
	in.WriteString("start\n")
	fmt.Fprintf(&in, "update refs/heads/%s %s %s\n", branch, sha, old)
	if tmpRef != "" {
		fmt.Fprintf(&in, "delete %s\n", tmpRef)
	}
	in.WriteString("prepare\ncommit\n")
	if _, err := g.run(ctx, nil, in.Bytes(), "update-ref", "--stdin"); err != nil {
		if tmpRef != "" {
			_, _ = g.run(ctx, nil, nil, "update-ref", "-d", tmpRef)
		}
		var ge *gitError
		if errors.As(err, &ge) && strings.Contains(ge.stderr, "cannot lock ref") {
			return fmt.Errorf("updating %s: %w", branch, errStaleRef)
		}
		return fmt.Errorf("updating %s: %w", branch, err)
	}
	return nil
}

// mergeTree merges two commits in memory and returns the resulting tree.
func (g *gitRepo) mergeTree(ctx context.Context, base, head string) (string, error) {
	v, err := g.cached("merge:"+base+":"+head, func() (any, error) {
		out, err := g.run(ctx, nil, nil, "merge-tree", "--write-tree", "--no-messages", base, head)
		var ge *gitError
		if errors.As(err, &ge) && ge.code == 1 {
			return "", nil
		}
		if err != nil {
			return nil, fmt.Errorf("merging %s into %s: %w", head, base, err)
		}
		tree, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
		return tree, nil
	})
	if err != nil {
		return "", err
	}
	if v.(string) == "" {
		return "", errConflict
	}
	return v.(string), nil
}

func (g *gitRepo) commitTree(ctx context.Context, tree string, parents []string, author, committer identity, message string) (string, error) {
	args := []string{"commit-tree", tree}
	for _, p := range parents {
		args = append(args, "-p", p)
	}
	args = append(args, "-F", "-")
	env := append(author.env("AUTHOR"), committer.env("COMMITTER")...)
	out, err := g.run(ctx, env, []byte(message), args...)
	if err != nil {
		return "", fmt.Errorf("writing a commit: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

func (g *gitRepo) mergeBase(ctx context.Context, a, b string) (string, error) {
	v, err := g.cached("mb:"+a+":"+b, func() (any, error) {
		out, err := g.run(ctx, nil, nil, "merge-base", a, b)
		if err != nil {
			return nil, fmt.Errorf("finding the merge base of %s and %s: %w", a, b, err)
		}
		return strings.TrimSpace(string(out)), nil
	})
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

// treeEntry is one line of `git ls-tree --long`.
type treeEntry struct {
	mode, typ, oid, path string
	size                 int
}

func parseLsTree(out []byte) []treeEntry {
	var entries []treeEntry
	for _, rec := range bytes.Split(out, []byte{0}) {
		if len(rec) == 0 {
			continue
		}
		meta, path, ok := strings.Cut(string(rec), "\t")
		if !ok {
			continue
		}
		f := strings.Fields(meta)
		if len(f) < 4 {
			continue
		}
		size, _ := strconv.Atoi(f[3])
		entries = append(entries, treeEntry{mode: f[0], typ: f[1], oid: f[2], size: size, path: path})
	}
	return entries
}

// lsTree lists the entry at path in commit (a file, or a directory's own
// entry); path "" lists the root directory.
func (g *gitRepo) lsTree(ctx context.Context, commit, path string, recursive bool) ([]treeEntry, error) {
	key := fmt.Sprintf("ls:%s:%t:%s", commit, recursive, path)
	v, err := g.cached(key, func() (any, error) {
		args := []string{"ls-tree", "-z", "--long"}
		if recursive {
			args = append(args, "-r", "-t")
		}
		args = append(args, commit)
		if path != "" {
			args = append(args, "--", path)
		}
		out, err := g.run(ctx, nil, nil, args...)
		if err != nil {
			return nil, fmt.Errorf("listing %s at %s: %w", path, commit, errNotFound)
		}
		return parseLsTree(out), nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]treeEntry), nil
}

func (g *gitRepo) blob(ctx context.Context, oid string) ([]byte, error) {
	v, err := g.cached("blob:"+oid, func() (any, error) {
		out, err := g.run(ctx, nil, nil, "cat-file", "blob", oid)
		if err != nil {
			return nil, fmt.Errorf("reading blob %s: %w", oid, errNotFound)
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]byte), nil
}

// diffFile is one file of a pull request's diff.
type diffFile struct {
	status               string // added, modified, removed, renamed
	path, previous       string
	oldMode, newMode     string
	oldOID, newOID       string
	additions, deletions int
	binary               bool
	patch                string
}

// diff computes what GitHub shows as a pull request's files: base...head,
// i.e. from the merge base, with renames detected.
func (g *gitRepo) diff(ctx context.Context, base, head string) ([]diffFile, error) {
	v, err := g.cached("diff:"+base+":"+head, func() (any, error) { return g.computeDiff(ctx, base, head) })
	if err != nil {
		return nil, err
	}
	return v.([]diffFile), nil
}

func (g *gitRepo) computeDiff(ctx context.Context, base, head string) ([]diffFile, error) {
	raw, err := g.run(ctx, nil, nil, "diff", "--raw", "-z", "-M", "--no-abbrev", base, head)
	if err != nil {
		return nil, fmt.Errorf("diffing %s..%s: %w", base, head, err)
	}
	var files []diffFile
	recs := strings.Split(string(raw), "\x00")
	for i := 0; i < len(recs); i++ {
		meta := recs[i]
		if !strings.HasPrefix(meta, ":") {
			continue
		}
		f := strings.Fields(meta[1:])
		if len(f) < 5 || i+1 >= len(recs) {
			return nil, fmt.Errorf("diffing %s..%s: unexpected raw line %q", base, head, meta)
		}
		d := diffFile{oldMode: f[0], newMode: f[1], oldOID: f[2], newOID: f[3]}
		i++
		d.path = recs[i]
		switch f[4][0] {
		case 'A':
			d.status = "added"
		case 'D':
			d.status = "removed"
		case 'R':
			d.status = "renamed"
			if i+1 >= len(recs) {
				return nil, fmt.Errorf("diffing %s..%s: rename without a new path", base, head)
			}
			d.previous = d.path
			i++
			d.path = recs[i]
		case 'T':
			d.status = "changed"
		default:
			d.status = "modified"
		}
		files = append(files, d)
	}
	num, err := g.run(ctx, nil, nil, "diff", "--numstat", "-z", "-M", base, head)
	if err != nil {
		return nil, fmt.Errorf("counting lines in %s..%s: %w", base, head, err)
	}
	counts := strings.Split(string(num), "\x00")
	idx := 0
	for i := 0; i < len(counts) && idx < len(files); i++ {
		f := strings.Split(counts[i], "\t")
		if len(f) < 3 {
			continue
		}
		if f[2] == "" { // rename: the two paths follow as their own records
			i += 2
		}
		if f[0] == "-" {
			files[idx].binary = true
		} else {
			files[idx].additions, _ = strconv.Atoi(f[0])
			files[idx].deletions, _ = strconv.Atoi(f[1])
		}
		idx++
	}
	patch, err := g.unifiedDiff(ctx, base, head)
	if err != nil {
		return nil, err
	}
	for i, p := range splitPatch(string(patch)) {
		if i < len(files) && !files[i].binary {
			files[i].patch = p
		}
	}
	return files, nil
}

// splitPatch cuts a multi-file patch into GitHub's per-file "patch" fields:
// the hunks only, without the diff and index headers.
func splitPatch(patch string) []string {
	var out []string
	var cur *strings.Builder
	inHunks := false
	flush := func() {
		if cur != nil {
			out = append(out, strings.TrimSuffix(cur.String(), "\n"))
		}
	}
	for _, line := range strings.SplitAfter(patch, "\n") {
		if strings.HasPrefix(line, "diff --git ") {
			flush()
			cur = &strings.Builder{}
			inHunks = false
			continue
		}
		if cur == nil {
			continue
		}
		if strings.HasPrefix(line, "@@") {
			inHunks = true
		}
		if inHunks {
			cur.WriteString(line)
		}
	}
	flush()
	return out
}

// logEntry is one commit as `git log` reports it.
type logEntry struct {
	sha, tree                 string
	parents                   []string
	authorName, authorEmail   string
	authorDate                time.Time
	committerName, committerE string
	committerDate             time.Time
	message                   string
}

// log lists the commits in base..head, oldest first, as GitHub lists a pull
// request's commits.
func (g *gitRepo) log(ctx context.Context, base, head string) ([]logEntry, error) {
	v, err := g.cached("log:"+base+":"+head, func() (any, error) {
		rng := head
		if base != "" {
			rng = base + ".." + head
		}
		out, err := g.run(ctx, nil, nil, "log", "--reverse", "-z", logFormat, rng)
		if err != nil {
			return nil, fmt.Errorf("listing commits %s: %w", rng, err)
		}
		return parseLog(out), nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]logEntry), nil
}

// logFormat is the --format of the commits parseLog reads.
const logFormat = "--format=%H%x1f%T%x1f%P%x1f%an%x1f%ae%x1f%at%x1f%cn%x1f%ce%x1f%ct%x1f%B"

func parseLog(out []byte) []logEntry {
	var entries []logEntry
	for _, rec := range strings.Split(string(out), "\x00") {
		f := strings.Split(rec, "\x1f")
		if len(f) < 10 {
			continue
		}
		at, _ := strconv.ParseInt(f[5], 10, 64)
		ct, _ := strconv.ParseInt(f[8], 10, 64)
		entries = append(entries, logEntry{
			sha: f[0], tree: f[1], parents: strings.Fields(f[2]),
			authorName: f[3], authorEmail: f[4], authorDate: time.Unix(at, 0).UTC(),
			committerName: f[6], committerE: f[7], committerDate: time.Unix(ct, 0).UTC(),
			message: strings.TrimRight(f[9], "\n"),
		})
	}
	return entries
}

// show reads one commit.
func (g *gitRepo) show(ctx context.Context, sha string) (logEntry, error) {
	v, err := g.cached("show:"+sha, func() (any, error) {
		out, err := g.run(ctx, nil, nil, "log", "-1", "-z", logFormat, sha)
		if err != nil {
			return nil, fmt.Errorf("reading commit %s: %w", sha, errNotFound)
		}
		entries := parseLog(out)
		if len(entries) != 1 {
			return nil, fmt.Errorf("reading commit %s: %w", sha, errNotFound)
		}
		return entries[0], nil
	})
	if err != nil {
		return logEntry{}, err
	}
	return v.(logEntry), nil
}

// unifiedDiff is git's own diff of base..head, with renames detected as in
// diff: what GitHub serves as the diff media type.
func (g *gitRepo) unifiedDiff(ctx context.Context, base, head string) ([]byte, error) {
	v, err := g.cached("udiff:"+base+":"+head, func() (any, error) {
		out, err := g.run(ctx, nil, nil, "diff", "-M", "--no-color", "--no-ext-diff", base, head)
		if err != nil {
			return nil, fmt.Errorf("diffing %s..%s: %w", base, head, err)
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]byte), nil
}
