package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/jit-access/jit/internal/clock"
	"github.com/jit-access/jit/internal/githubemu"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/internal/testworld"
)

// The commands ask whether stdin is a terminal before they prompt: these
// answer for a test.
func noTerminalReader(io.Reader) bool { return false }
func alwaysTerminal(io.Reader) bool   { return true }

// gitHubOnMonday is the GitHub emulator with users, on a clock started at
// testworld.Monday, and its API URL.
func gitHubOnMonday(t *testing.T, users ...string) (*githubemu.Server, string) {
	t.Helper()
	return testworld.GitHub(t, clock.At(testworld.Monday), users...)
}

// createAccessRepo creates acme/access on gh with the tests' config and
// CODEOWNERS on main.
func createAccessRepo(t *testing.T, gh *githubemu.Server) {
	t.Helper()
	if err := gh.CreateRepo("acme", "access", map[string][]byte{layout.ConfigPath: []byte(testConfig), ".github/CODEOWNERS": []byte(testCodeowners)}); err != nil {
		t.Fatal(err)
	}
}

// appKey is a fresh GitHub App private key, with its PEM as GitHub hands it
// out (what JIT_PRIVATE_KEY and --private-key-file hold).
func appKey(t testing.TB) (*rsa.PrivateKey, []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return key, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// serveInBackground starts jit serve with args on a free address, its log
// going to logs. It waits until the server answers /healthz; stop ends the
// command's context and returns what it ended with. A test that does not
// call stop has it called when it ends.
func serveInBackground(t *testing.T, logs io.Writer, args ...string) (addr string, stop func() error) {
	t.Helper()
	addr = freeAddr(t)
	cmd := newServeCmd()
	cmd.SetArgs(append(args, "--listen", addr))
	cmd.SetErr(logs)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	var stopped bool
	stop = func() error {
		t.Helper()
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(time.Minute):
			t.Fatal("serve did not stop when its context ended")
			return nil
		}
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("serve stopped with %v", err)
		}
	})
	resp, err := getOnceUp(t, "http://"+addr+"/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	return addr, stop
}

// getOnceUp gets url, retrying while the server is not listening yet. A
// start under -race on a loaded machine can take seconds: the minute is a
// hang guard, not a timing bound.
func getOnceUp(t *testing.T, url string) (*http.Response, error) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := http.Get(url)
		if err == nil || time.Now().After(deadline) {
			return resp, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}
