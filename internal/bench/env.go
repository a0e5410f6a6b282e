package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// worldStart is where every emulated world of the bench starts, so that a
// run is the same on any date.
var worldStart = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// env is what the benchmarks of one run share: a scratch folder and the jit
// binary, built once.
type env struct {
	quick   bool
	ajvMode string
	log     *slog.Logger

	ajvVersion string

	once    sync.Once
	tmp     string
	tmpErr  error
	jitOnce sync.Once
	jit     string
	jitErr  error
}

// Values of -ajv.
const (
	ajvInstall = "install" // npm install it into the user's cache when missing
	ajvCached  = "cached"  // use it only when already installed: no network
	ajvOff     = "off"
)

// dir returns a new folder under the run's scratch folder.
func (e *env) dir(name string) (string, error) {
	e.once.Do(func() { e.tmp, e.tmpErr = os.MkdirTemp("", "jit-bench-") })
	if e.tmpErr != nil {
		return "", fmt.Errorf("making a scratch folder: %w", e.tmpErr)
	}
	return os.MkdirTemp(e.tmp, name+"-")
}

func (e *env) close() {
	if e.tmp != "" {
		os.RemoveAll(e.tmp)
	}
}

// moduleRoot is the folder of jit's go.mod, where `go build` must run.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("finding the module with `go env GOMOD`: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run the bench inside the jit module (go run ./internal/bench from its top folder)")
	}
	return filepath.Dir(mod), nil
}

// jitBinary builds cmd/jit once, without the race detector or coverage of
// the process that runs the bench, as users run it.
func (e *env) jitBinary(ctx context.Context) (string, error) {
	e.jitOnce.Do(func() {
		root, err := moduleRoot(ctx)
		if err != nil {
			e.jitErr = err
			return
		}
		dir, err := e.dir("bin")
		if err != nil {
			e.jitErr = err
			return
		}
		bin := filepath.Join(dir, "jit")
		cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/jit")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			e.jitErr = fmt.Errorf("go build ./cmd/jit: %w\n%s", err, out)
			return
		}
		e.jit = bin
	})
	return e.jit, e.jitErr
}

// result is one child process's run.
type result struct {
	Wall time.Duration
	// MaxRSS is the peak resident set of the child in KiB (Linux's unit of
	// ru_maxrss).
	MaxRSS int64
	// CPU is user plus system time, which other processes on the machine
	// disturb much less than wall time.
	CPU      time.Duration
	ExitCode int
	Stdout   []byte
	Stderr   []byte
}

// measure runs a child process to the end and returns its wall time and
// peak memory as the kernel accounted them. Standard output is kept only
// when keepStdout, so a large output costs the bench nothing.
func measure(ctx context.Context, dir string, keepStdout bool, name string, args ...string) (result, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout = io.Discard
	if keepStdout {
		cmd.Stdout = &stdout
	}
	cmd.Stderr = &limited{b: &stderr, n: 64 << 10}
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return result{}, fmt.Errorf("running %s: %w", name, err)
	}
	r := result{Wall: wall, ExitCode: cmd.ProcessState.ExitCode(), Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}
	r.MaxRSS = maxRSS(cmd.ProcessState)
	r.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return r, nil
}

// limited keeps the first n bytes written: enough of a child's stderr to
// explain a failure.
type limited struct {
	b *bytes.Buffer
	n int
}

func (l *limited) Write(p []byte) (int, error) {
	if room := l.n - l.b.Len(); room > 0 {
		l.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
