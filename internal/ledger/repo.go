// Package ledger keeps the grants' record in git: it reads the request files
// on main, rewrites a file's status block without touching anything else,
// commits each transition with its audit trailers and pushes without ever
// forcing.
package ledger

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jit-access/jit/internal/clock"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/internal/lifecycle"
	"github.com/jit-access/jit/schema"
)

// Commit trailers that make `git log` the audit log.
const (
	TrailerRequest     = "Jit-Request"
	TrailerEvent       = "Jit-Event"
	TrailerPullRequest = "Jit-Pull-Request"
)

// Values of the Jit-Event trailer.
const (
	EventActivating = "activating"
	EventActivated  = "activated"
	EventExpired    = "expired"
	EventRevoking   = "revoking"
	EventRevoked    = "revoked"
	EventFailed     = "failed"
	// EventExtended is on both files of an extension: the grant whose end
	// moved, and the request with extends: once it has moved it.
	EventExtended = "extended"
)

// RequestsDir is where request files live in the access repository.
const RequestsDir = layout.RequestsDir

// Options configure a Repo. Zero fields take the defaults.
type Options struct {
	// Name and Email are the author and committer of every commit, e.g. the
	// Action's "jit[bot]". Default: jit[bot] <jit[bot]@users.noreply.github.com>.
	Name, Email string
	// Git is the git binary. Default: "git" from PATH.
	Git string
	// PushAttempts bounds how often Push tries before giving up. Default 5.
	PushAttempts int
	// RetryDelay is the pause before each retry of a rejected push, times
	// the attempt number, so that two runs racing do not retry in lockstep.
	// Default one second; tests use zero (a negative value).
	RetryDelay time.Duration
	// Logger receives a line per retried push. Default: slog.Default().
	Logger *slog.Logger
	// SigningKey is the path of the SSH private key (ssh-ed25519) that signs
	// every commit, including those a rebase replays, so that SignersPath
	// tells jit's records from anyone else's. Empty: commits are unsigned.
	// Signing runs ssh-keygen, as git does.
	SigningKey string
	// Clock dates the commits; nil: git's own clock (production). The
	// sandbox sets its clock so that the audit log reads in its time.
	Clock clock.Clock
}

// Repo is a clone of the access repository.
type Repo struct {
	dir  string
	git  gitCmd
	opts Options
	// lease, once AcquireLease took it, is renewed by every Push.
	lease *Lease
	// chainTip is the commit Commit signed last, which the next one names
	// in TrailerPrevious; Sync forgets it.
	chainMu  sync.Mutex
	chainTip string
}

// Open opens the clone at dir (its top level or any directory in it).
func Open(dir string, opts Options) (*Repo, error) {
	if opts.Name == "" {
		opts.Name = "jit[bot]"
	}
	if opts.Email == "" {
		opts.Email = "jit[bot]@users.noreply.github.com"
	}
	if opts.Git == "" {
		opts.Git = "git"
	}
	if opts.PushAttempts <= 0 {
		opts.PushAttempts = 5
	}
	if opts.RetryDelay == 0 {
		opts.RetryDelay = time.Second
	}
	if opts.RetryDelay < 0 {
		opts.RetryDelay = 0
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	g := gitCmd{dir: dir, bin: opts.Git, name: opts.Name, email: opts.Email, clock: opts.Clock, signingKey: opts.SigningKey}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, notRepository(dir + " is not a folder: pass --repo with the folder of a clone of the access repository")
	}
	out, err := g.run(context.Background(), nil, "rev-parse", "--show-toplevel")
	if err != nil && strings.Contains(err.Error(), "not a git repository") {
		// One plain line: git's own message adds nothing a person needs.
		abs, _ := filepath.Abs(dir)
		return nil, notRepository(cmp.Or(abs, dir) + " is not in a git repository: run jit in a clone of the access repository, or pass --repo with its folder")
	}
	if err != nil {
		return nil, fmt.Errorf("opening the access repository at %s: %w", dir, err)
	}
	top := strings.TrimSpace(string(out))
	g.dir = top
	return &Repo{dir: top, git: g, opts: opts}, nil
}

// ErrNotRepository is returned by Open for a folder outside any git
// repository.
var ErrNotRepository = errors.New("not a git repository")

// notRepository is ErrNotRepository with a message for a person.
type notRepository string

func (e notRepository) Error() string        { return string(e) }
func (e notRepository) Is(target error) bool { return target == ErrNotRepository }

// Dir returns the top level of the clone.
func (r *Repo) Dir() string { return r.dir }

// Git runs a git command in the clone and returns its standard output; the
// audit export uses it for its one `git log`.
func (r *Repo) Git(ctx context.Context, args ...string) ([]byte, error) {
	return r.git.run(ctx, nil, args...)
}

// Objects reads git objects by name (SHA or rev:path) in one
// `git cat-file --batch` and hands each to fn in order.
func (r *Repo) Objects(ctx context.Context, names []string, fn func(i int, data []byte) error) error {
	return catBlobs(ctx, r.git, names, fn)
}

// ObjectStream is Objects for names produced while it runs: it reads until
// names is closed. fn is called in the order the names were sent.
func (r *Repo) ObjectStream(ctx context.Context, names <-chan string, fn func(i int, data []byte) error) error {
	return catStream(ctx, r.git, names, fn)
}

// GitStream starts a git command and hands its standard output to read as
// it is produced; a long `git log` is then parsed while git still walks.
func (r *Repo) GitStream(ctx context.Context, read func(io.Reader) error, args ...string) error {
	return r.GitPipe(ctx, nil, read, args...)
}

// GitFields runs git with args and calls each with every field of its
// output, split at the NUL bytes git's -z formats end them with, while git
// still runs; a last field without its NUL is given too. in, when not nil,
// is git's standard input. An error from each stops git and is returned.
func (r *Repo) GitFields(ctx context.Context, in io.Reader, each func(field string) error, args ...string) error {
	return r.GitPipe(ctx, in, func(out io.Reader) error {
		br := bufio.NewReaderSize(out, 1<<16)
		for {
			f, err := br.ReadString(0)
			if err != nil && !errors.Is(err, io.EOF) {
				return err
			}
			if f != "" {
				if err := each(strings.TrimSuffix(f, "\x00")); err != nil {
					return err
				}
			}
			if err != nil {
				return nil
			}
		}
	}, args...)
}

// GitPipe is GitStream with in as git's standard input (none when nil),
// for commands such as `git diff-tree --stdin` that read their work while
// their answers are parsed.
func (r *Repo) GitPipe(ctx context.Context, in io.Reader, read func(io.Reader) error, args ...string) error {
	cmd := r.git.command(ctx, args...)
	cmd.Stdin = in
	out, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("starting git %s: %w", strings.Join(args, " "), err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting git %s: %w", strings.Join(args, " "), err)
	}
	readErr := read(out)
	if readErr != nil {
		_ = cmd.Process.Kill()
	}
	_, _ = io.Copy(io.Discard, out)
	waitErr := cmd.Wait()
	if readErr != nil {
		return readErr
	}
	if waitErr != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("git %s: %w", strings.Join(args, " "), ctx.Err())
		}
		return newGitError(args, "", stderr.String(), waitErr)
	}
	return nil
}

// Head returns the commit HEAD points at.
func (r *Repo) Head(ctx context.Context) (string, error) {
	out, err := r.git.run(ctx, nil, "rev-parse", "--verify", "HEAD^{commit}")
	if err != nil {
		return "", fmt.Errorf("reading HEAD: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// FileError is a request file that could not be read.
type FileError struct {
	Path string
	Err  error
}

func (e FileError) Error() string {
	if msg := e.Err.Error(); strings.HasPrefix(msg, e.Path+":") {
		return msg // it already says where, with the line
	}
	return e.Path + ": " + e.Err.Error()
}

// FileErrors lists request files Requests could not read. It is returned
// together with the grants that could be read, so that one broken file does
// not stop every other grant's expiry; the caller reports it and must not
// treat the broken files as absent (fail closed).
type FileErrors []FileError

func (e FileErrors) Error() string {
	msgs := make([]string, len(e))
	for i, fe := range e {
		msgs[i] = fe.Error()
	}
	return fmt.Sprintf("%d request file(s) could not be read: %s", len(e), strings.Join(msgs, "; "))
}

// Requests reads every requests/**/*.yaml committed at HEAD — what is on
// main, not whatever the working tree holds — sorted by path. Files that
// cannot be decoded are returned as a FileErrors error alongside the rest.
func (r *Repo) Requests(ctx context.Context) ([]lifecycle.Grant, error) {
	out, err := r.git.run(ctx, nil, "ls-tree", "-r", "-z", "--full-tree", "HEAD", "--", RequestsDir+"/")
	if err != nil {
		return nil, fmt.Errorf("listing request files at HEAD: %w", err)
	}
	type entry struct{ sha, path string }
	var entries []entry
	for _, rec := range bytes.Split(out, []byte{0}) {
		if len(rec) == 0 {
			continue
		}
		meta, p, ok := strings.Cut(string(rec), "\t")
		fields := strings.Fields(meta)
		if !ok || len(fields) != 3 {
			return nil, fmt.Errorf("unexpected git ls-tree output %q", rec)
		}
		if fields[1] != "blob" || !strings.HasSuffix(p, ".yaml") {
			continue
		}
		entries = append(entries, entry{fields[2], p})
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].path < entries[j].path })
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.sha
	}
	grants := make([]lifecycle.Grant, 0, len(entries))
	var bad FileErrors
	err = r.Objects(ctx, names, func(i int, data []byte) error {
		req, err := schema.DecodeRequest(entries[i].path, data)
		if err != nil {
			bad = append(bad, FileError{Path: entries[i].path, Err: err})
			return nil
		}
		grants = append(grants, lifecycle.Grant{Path: entries[i].path, Request: req})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading request files at HEAD: %w", err)
	}
	if _, err := r.verify(ctx, grants); err != nil {
		return nil, fmt.Errorf("checking that the statuses on main are jit's: %w", err)
	}
	if len(bad) > 0 {
		return grants, bad
	}
	return grants, nil
}

// signersAtHead reads SignersPath at HEAD; found is false when main has
// none (or it cannot be read), and the error is a file that does not parse.
func (r *Repo) signersAtHead(ctx context.Context) (signers *Signers, found bool, err error) {
	raw, err := r.git.run(ctx, nil, "cat-file", "blob", "HEAD:"+SignersPath)
	if err != nil {
		return nil, false, nil
	}
	signers, err = ParseSigners(raw)
	return signers, true, err
}

// CheckSigning tells whether main asks for signed records (it has
// SignersPath) and, when it does, that this clone signs its commits with a
// key listed there: records nobody can verify would not count.
func (r *Repo) CheckSigning(ctx context.Context) (bool, error) {
	signers, found, err := r.signersAtHead(ctx)
	if !found || err != nil {
		return found, err
	}
	if r.opts.SigningKey == "" {
		return true, fmt.Errorf("main has %s, so jit's records must be signed, but no signing key was given (JIT_SIGNING_KEY)", SignersPath)
	}
	pub, err := exec.CommandContext(ctx, "ssh-keygen", "-y", "-f", r.opts.SigningKey).Output()
	if err != nil {
		return true, fmt.Errorf("reading the public key of the signing key with ssh-keygen -y: %w", err)
	}
	if !signers.Has(string(pub)) {
		return true, fmt.Errorf("the signing key's public key is not in %s on main: add %q", SignersPath, strings.TrimSpace(string(pub)))
	}
	return true, nil
}

// Files reads the files committed at HEAD of the checkout of Branch, for
// judgment.LoadRules. A file that cannot be read counts as missing: the
// reconcile then stops without a config, and without CODEOWNERS lets only
// SSO admins approve.
type Files struct {
	Git interface {
		Git(ctx context.Context, args ...string) ([]byte, error)
	}
	Branch string
}

// ReadFile returns path at HEAD; its error wraps fs.ErrNotExist.
func (f Files) ReadFile(ctx context.Context, path string) ([]byte, error) {
	data, err := f.Git.Git(ctx, "cat-file", "blob", "HEAD:"+path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", fs.ErrNotExist, err)
	}
	return data, nil
}

// Describe names the branch, for messages.
func (f Files) Describe() string { return f.Branch }

// ReadFile returns the content of path as committed at HEAD.
func (r *Repo) ReadFile(ctx context.Context, p string) ([]byte, error) {
	if err := checkPath(p); err != nil {
		return nil, err
	}
	out, err := r.git.run(ctx, nil, "cat-file", "blob", "HEAD:"+p)
	if err != nil {
		return nil, fmt.Errorf("reading %s at HEAD: %w", p, err)
	}
	return out, nil
}

// Trailer is one "Key: value" line at the end of a commit message.
type Trailer struct {
	Key, Value string
}

// Change is one transition to record: the new content of one request file
// and the commit message that says what happened.
type Change struct {
	// Path is the file, relative to the top of the repository.
	Path string
	Data []byte
	// Subject is the commit's first line, e.g.
	// "jit: activate payments-prod/ReadOnlyAccess for octocat (#42)".
	Subject string
	// Body is optional prose between the subject and the trailers.
	Body string
	// Trailers are written in order, normally Jit-Request, Jit-Event and
	// Jit-Pull-Request.
	Trailers []Trailer
	// Base, when not nil, is the file the new content was computed from.
	// Commit refuses with ErrStale unless HEAD holds exactly that: a
	// transition is only ever written onto the version it was derived from,
	// never over a change someone else made meanwhile.
	Base []byte
}

// ErrNoChange is returned by Commit when the file already has the content:
// an empty commit would be a false entry in the audit log.
var ErrNoChange = errors.New("the file already has this content; nothing to commit")

// ErrStale is returned by Commit when the file at HEAD is no longer
// Change.Base: someone else changed it, and the change must be planned again
// from what HEAD holds now.
var ErrStale = errors.New("the file changed since the transition was planned; nothing committed")

// Message returns the commit message of c, or an error when a part would
// corrupt the message (a multi-line subject, a trailer with a newline).
func (c Change) Message() (string, error) {
	subject := strings.TrimSpace(c.Subject)
	if subject == "" || strings.ContainsAny(subject, "\r\n") {
		return "", fmt.Errorf("commit subject %q must be one non-empty line", c.Subject)
	}
	var b strings.Builder
	b.WriteString(subject)
	b.WriteString("\n")
	if body := strings.TrimSpace(c.Body); body != "" {
		b.WriteString("\n" + body + "\n")
	}
	if len(c.Trailers) > 0 {
		b.WriteString("\n")
	}
	for _, t := range c.Trailers {
		if t.Key == "" || strings.ContainsAny(t.Key, ": \t\r\n") {
			return "", fmt.Errorf("trailer key %q must be one word without a colon", t.Key)
		}
		v := strings.TrimSpace(t.Value)
		if v == "" || strings.ContainsAny(v, "\r\n") {
			return "", fmt.Errorf("trailer %s value %q must be one non-empty line", t.Key, t.Value)
		}
		b.WriteString(t.Key + ": " + v + "\n")
	}
	return b.String(), nil
}

// Commit writes c.Data to c.Path and records it as one commit that touches
// only that file, with the configured identity as author and committer. It
// returns the new commit's SHA.
func (r *Repo) Commit(ctx context.Context, c Change) (string, error) {
	if err := checkPath(c.Path); err != nil {
		return "", err
	}
	prev, err := r.previousSigned(ctx)
	if err != nil {
		return "", fmt.Errorf("committing %s: %w", c.Path, err)
	}
	if prev != "" {
		c.Trailers = append(slices.Clone(c.Trailers), Trailer{Key: TrailerPrevious, Value: prev})
	}
	msg, err := c.Message()
	if err != nil {
		return "", fmt.Errorf("committing %s: %w", c.Path, err)
	}
	full := filepath.Join(r.dir, filepath.FromSlash(c.Path))
	old, err := r.git.run(ctx, nil, "cat-file", "blob", "HEAD:"+c.Path)
	if c.Base != nil && (err != nil || !bytes.Equal(old, c.Base)) {
		return "", fmt.Errorf("committing %s: %w", c.Path, ErrStale)
	}
	if err == nil && bytes.Equal(old, c.Data) {
		return "", fmt.Errorf("committing %s: %w", c.Path, ErrNoChange)
	}
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return "", fmt.Errorf("committing %s: %w", c.Path, err)
	}
	if err := os.WriteFile(full, c.Data, 0o644); err != nil {
		return "", fmt.Errorf("committing %s: %w", c.Path, err)
	}
	if _, err := r.git.run(ctx, nil, "add", "--", c.Path); err != nil {
		return "", fmt.Errorf("committing %s: %w", c.Path, err)
	}
	// --only with the path commits this file and nothing else that might
	// be staged; --no-verify because hooks are not the Action's business.
	if _, err := r.git.run(ctx, []byte(msg), "commit", "--no-verify", "--cleanup=verbatim", "-F", "-", "--only", "--", c.Path); err != nil {
		return "", fmt.Errorf("committing %s: %w", c.Path, err)
	}
	sha, err := r.Head(ctx)
	if err == nil && r.opts.SigningKey != "" {
		r.signedTip(sha)
	}
	return sha, err
}

// checkPath refuses paths that would write outside the repository or outside
// requests/: the Action writes nothing else.
func checkPath(p string) error {
	clean := path.Clean(p)
	if p == "" || clean != p || path.IsAbs(p) || strings.Contains(p, `\`) ||
		!strings.HasPrefix(p, RequestsDir+"/") || strings.HasPrefix(clean, "../") {
		return fmt.Errorf("path %q: must be a clean relative path under %s/", p, RequestsDir)
	}
	for _, part := range strings.Split(p, "/") {
		if part == ".." || part == "." || part == ".git" {
			return fmt.Errorf("path %q: must be a clean relative path under %s/", p, RequestsDir)
		}
	}
	return nil
}
