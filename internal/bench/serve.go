package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jit-access/jit/internal/clock"
	"github.com/jit-access/jit/internal/sandbox"
)

// served is the real `jit serve` binary running as a child process, with
// the sandbox's GitHub emulator as its GitHub: the emulator signs and
// delivers its webhooks to the child, and the child calls the emulator's
// REST API, where faults are injected. The sandbox's in-process App stays
// idle.
type served struct {
	cmd     *exec.Cmd
	addr    string // host:port the child listens on
	webhook string
	waited  chan struct{}
	mu      sync.Mutex
	tail    []string // the child's last log lines, for errors
}

// startWorld starts a sandbox whose webhooks go to a new `jit serve`
// child. The world's clock is the wall clock's, as the child's is.
func startWorld(ctx context.Context, e *env, name string) (*sandbox.World, *served, error) {
	dir, err := e.dir(name)
	if err != nil {
		return nil, nil, err
	}
	w, err := sandbox.Start(ctx, sandbox.Options{Dir: dir, Clock: clock.At(time.Now())})
	if err != nil {
		return nil, nil, err
	}
	s, err := startServe(ctx, e, w)
	if err != nil {
		w.Close()
		return nil, nil, err
	}
	return w, s, nil
}

// startServe starts `jit serve` on a loopback port for w's App and points
// w's webhooks at it.
func startServe(ctx context.Context, e *env, w *sandbox.World) (*served, error) {
	bin, err := e.jitBinary(ctx)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0", "--github-url", w.GitHubURL, "--dispatch=false")
	// The credentials go through the environment, as the README says to.
	cmd.Env = append(os.Environ(),
		"JIT_APP_ID="+strconv.Itoa(sandbox.AppID),
		"JIT_PRIVATE_KEY="+string(w.PrivateKeyPEM),
		"JIT_WEBHOOK_SECRET="+string(w.WebhookSecret),
		"JIT_PRIVATE_KEY_FILE=", "JIT_WEBHOOK_SECRET_FILE=", "JIT_LISTEN=", "JIT_PAGE_REPO=", "JIT_GITHUB_REPOS=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s serve: %w", bin, err)
	}
	s := &served{cmd: cmd, waited: make(chan struct{})}
	listening := make(chan string, 1)
	go s.readLog(stderr, listening)
	go func() { _ = cmd.Wait(); close(s.waited) }()
	select {
	case s.addr = <-listening:
	case <-s.waited:
		return nil, fmt.Errorf("jit serve exited at start: %s", s.lastLines())
	case <-time.After(30 * time.Second):
		s.stop()
		return nil, fmt.Errorf("jit serve did not listen within 30 s: %s", s.lastLines())
	case <-ctx.Done():
		s.stop()
		return nil, ctx.Err()
	}
	resp, err := http.Get("http://" + s.addr + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		s.stop()
		return nil, fmt.Errorf("jit serve's /healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	s.webhook = "http://" + s.addr + "/webhook"
	w.GitHub.SetWebhook(s.webhook, string(w.WebhookSecret))
	return s, nil
}

// readLog keeps the child's last log lines and reports the address from
// its "jit serve listening" line.
func (s *served) readLog(r io.Reader, listening chan<- string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		var l struct {
			Msg  string `json:"msg"`
			Addr string `json:"addr"`
		}
		if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "jit serve listening" {
			select {
			case listening <- l.Addr:
			default:
			}
		}
		s.mu.Lock()
		s.tail = append(s.tail, line)
		if len(s.tail) > 50 {
			s.tail = s.tail[len(s.tail)-50:]
		}
		s.mu.Unlock()
	}
}

func (s *served) lastLines() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.tail, "\n")
}

// stop ends the child as an operator would (SIGINT: drain, then exit),
// killing it when it does not end within 15 s.
func (s *served) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.waited:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.waited
	}
}

// peakRSS is the child's peak resident set so far (VmHWM), in KiB.
func (s *served) peakRSS() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0, fmt.Errorf("reading the child's peak memory (Linux only): %w", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb, err
		}
	}
	return 0, errors.New("no VmHWM in /proc/PID/status")
}

// quiet waits until the emulator has seen no API request for idle, so that
// the child's background work (retries, queued rechecks) is counted; it
// gives up after limit.
func quiet(w *sandbox.World, idle, limit time.Duration) {
	deadline := time.Now().Add(limit)
	last, since := -1, time.Now()
	for time.Now().Before(deadline) {
		n := sum(w.GitHub.Requests())
		if n != last {
			last, since = n, time.Now()
		} else if time.Since(since) >= idle {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}
