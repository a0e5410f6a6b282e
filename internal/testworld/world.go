// Package testworld starts the world jit's end-to-end tests run in, and
// drives it the way a test drives GitHub.
//
// A World is a sandbox.World (the GitHub emulator, the IAM Identity Center
// emulator and the App on loopback, around an access repository made from
// the template) started at an instant the test chooses, in t.TempDir(), and
// closed when the test ends. Its methods open, review, push, comment and
// read back a request pull request, and fail the test with what went wrong.
//
// Only _test.go files import this package (TestOnlyTestsImportIt checks).
package testworld

import (
	_ "embed"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jit-access/jit/internal/clock"
	"github.com/jit-access/jit/internal/sandbox"
)

// The sandbox's organisation and access repository.
const (
	Org  = sandbox.Org
	Repo = sandbox.RepoName
)

// Monday is the instant most worlds start at, a Monday morning: no test
// depends on today's date. A test that needs another instant passes it.
var Monday = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// Request files the tests open pull requests with.
var (
	// StandardRequest asks for ReadOnlyAccess on payments-prod for 4h, which
	// an owner of payments-prod (alice) may approve.
	//go:embed testdata/standard-request.yaml
	StandardRequest string
	// CustomRequest defines a custom permission set with iam:PassRole (a
	// warning shown to approvers): an owner, then an SSO admin, approve it.
	//go:embed testdata/custom-request.yaml
	CustomRequest string
)

// World is a running sandbox for one test.
type World struct {
	*sandbox.World
}

// New starts a World at start. opts.Dir and opts.Clock are the test's own
// (a temporary directory and clock.At(start)); without opts.Logger the
// App's warnings and errors go to the test log, so that a failing delivery
// says why.
func New(t testing.TB, start time.Time, opts sandbox.Options) *World {
	t.Helper()
	opts.Dir = t.TempDir()
	opts.Clock = clock.At(start)
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	w, err := sandbox.Start(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	return &World{World: w}
}

// Standard starts a World with the sandbox's defaults at Monday, the world
// most tests need.
func Standard(t testing.TB) *World {
	t.Helper()
	return New(t, Monday, sandbox.Options{})
}

// testLogger logs warnings and errors to t until the test's clean-up
// begins: a server goroutine that logs after the test ended must not panic
// the test binary.
func testLogger(t testing.TB) *slog.Logger {
	tw := &testWriter{t: t}
	t.Cleanup(tw.stop) // registered before the World's Close, so it runs after
	return slog.New(slog.NewTextHandler(tw, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct {
	mu      sync.Mutex
	t       testing.TB
	stopped bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.stopped {
		w.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

func (w *testWriter) stop() {
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
}
