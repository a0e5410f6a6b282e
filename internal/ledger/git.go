package ledger

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/jit-access/jit/internal/clock"
)

// gitCmd runs git in one directory with a fixed identity. The identity is
// passed with -c on every call so that a CI runner with no git config can
// commit and rebase.
type gitCmd struct {
	dir   string
	bin   string
	name  string
	email string
	// clock, when set, dates commits: the sandbox's clock runs ahead of the
	// system's, and the audit log must read in the sandbox's time.
	clock clock.Clock
	// signingKey, when set, signs every commit (and every commit a rebase
	// replays) with this SSH key.
	signingKey string
}

func (g gitCmd) command(ctx context.Context, args ...string) *exec.Cmd {
	// A Checkout has no identity: it reads with the person's own.
	var full []string
	if g.name != "" || g.email != "" {
		full = append(full, "-c", "user.name="+g.name, "-c", "user.email="+g.email)
	}
	if g.signingKey != "" {
		full = append(full, "-c", "gpg.format=ssh", "-c", "user.signingkey="+g.signingKey, "-c", "commit.gpgsign=true")
	}
	full = append(full, args...)
	cmd := exec.CommandContext(ctx, g.bin, full...)
	cmd.Dir = g.dir
	// Prompts would hang an Action forever; a missing credential must fail.
	cmd.Env = append(cmd.Environ(), "GIT_TERMINAL_PROMPT=0")
	if g.clock != nil {
		date := g.clock.Now().UTC().Format(time.RFC3339)
		cmd.Env = append(cmd.Env, "GIT_AUTHOR_DATE="+date, "GIT_COMMITTER_DATE="+date)
	}
	return cmd
}

// run runs git and returns its standard output. The error carries the
// command and git's own message, which is what a person needs to act.
func (g gitCmd) run(ctx context.Context, stdin []byte, args ...string) ([]byte, error) {
	cmd := g.command(ctx, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return stdout.Bytes(), fmt.Errorf("git %s: %w", strings.Join(args, " "), ctx.Err())
		}
		return stdout.Bytes(), newGitError(args, stdout.String(), stderr.String(), err)
	}
	return stdout.Bytes(), nil
}

// GitError is a git command that failed. It deliberately does not wrap
// *exec.ExitError: that type has an ExitCode method, and jit's main would
// take git's status (128) for its own.
type GitError struct {
	Args   []string
	Stdout string
	Stderr string
	// Status is git's exit status, or -1 when git did not run or was killed.
	Status int
	msg    string
}

func newGitError(args []string, stdout, stderr string, err error) *GitError {
	e := &GitError{Args: args, Stdout: stdout, Stderr: strings.TrimSpace(stderr), Status: -1, msg: err.Error()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		e.Status = ee.ExitCode()
	}
	return e
}

func (e *GitError) Error() string {
	msg := e.Stderr
	if msg == "" {
		msg = e.msg
	}
	return fmt.Sprintf("git %s: %s", strings.Join(e.Args, " "), msg)
}

// Blob is one object read by catBlobs.
type blob struct {
	sha  string
	data []byte
}

// catBlobs reads objects by name (a SHA or rev:path) with one
// `git cat-file --batch`, which is what keeps reading thousands of files
// fast. The writer runs concurrently so that a large request list cannot
// deadlock against git's output pipe.
func catBlobs(ctx context.Context, g gitCmd, names []string, fn func(i int, data []byte) error) error {
	if len(names) == 0 {
		return nil
	}
	ch := make(chan string, len(names))
	for _, n := range names {
		ch <- n
	}
	close(ch)
	return catStream(ctx, g, ch, fn)
}

// catStream is catBlobs for names that arrive while it runs; it ends when
// names is closed and every object has been handed to fn.
func catStream(ctx context.Context, g gitCmd, names <-chan string, fn func(i int, data []byte) error) error {
	cmd := g.command(ctx, "cat-file", "--batch")
	in, err := cmd.StdinPipe()
	if err != nil {
		return fmt.Errorf("starting git cat-file: %w", err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("starting git cat-file: %w", err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting git cat-file: %w", err)
	}
	// The writer hands each name it sent to the reader, which therefore
	// knows what to expect and when the stream ends.
	sent := make(chan string, 4096)
	writeErr := make(chan error, 1)
	go func() {
		w := bufio.NewWriter(in)
		var err error
		for n := range names {
			if err != nil {
				continue // drain, so that the producer never blocks
			}
			if strings.ContainsAny(n, "\n") {
				err = fmt.Errorf("object name %q has a newline", n)
				continue
			}
			if _, err = w.WriteString(n + "\n"); err != nil {
				continue
			}
			// Flush when the producer pauses, so that git answers at once.
			if len(names) == 0 {
				err = w.Flush()
			}
			sent <- n
		}
		if err == nil {
			err = w.Flush()
		}
		in.Close()
		close(sent)
		writeErr <- err
	}()
	readErr := func() error {
		r := bufio.NewReaderSize(out, 1<<16)
		i := -1
		for n := range sent {
			i++
			header, err := r.ReadString('\n')
			if err != nil {
				return fmt.Errorf("reading %s from git cat-file: %w", n, err)
			}
			fields := strings.Fields(header)
			if len(fields) == 2 && fields[1] == "missing" {
				return fmt.Errorf("object %s is missing from the repository", n)
			}
			if len(fields) != 3 {
				return fmt.Errorf("unexpected git cat-file header %q for %s", header, n)
			}
			size, err := strconv.Atoi(fields[2])
			if err != nil {
				return fmt.Errorf("unexpected git cat-file header %q for %s", header, n)
			}
			data := make([]byte, size+1)
			if _, err := io.ReadFull(r, data); err != nil {
				return fmt.Errorf("reading %s from git cat-file: %w", n, err)
			}
			if err := fn(i, data[:size]); err != nil {
				return err
			}
		}
		return nil
	}()
	if readErr != nil {
		// Stop git early; what it says afterwards does not matter.
		_ = cmd.Process.Kill()
		for range sent {
		}
	}
	wErr := <-writeErr
	waitErr := cmd.Wait()
	switch {
	case readErr != nil:
		return readErr
	case waitErr != nil:
		return newGitError([]string{"cat-file", "--batch"}, "", stderr.String(), waitErr)
	case wErr != nil && !errors.Is(wErr, io.ErrClosedPipe):
		return fmt.Errorf("writing to git cat-file: %w", wErr)
	}
	return nil
}
