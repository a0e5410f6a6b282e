package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

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

func TestServeRefusesWithoutSecret(t *testing.T) {
	t.Setenv("JIT_APP_ID", "7")
	t.Setenv("JIT_PRIVATE_KEY", "not used")
	t.Setenv("JIT_WEBHOOK_SECRET", "")
	res := run(t, newServeCmd(), nil, "--listen", freeAddr(t))
	if res.code != 2 || !strings.Contains(res.err.Error(), "webhook secret is empty") {
		t.Fatalf("serve without a secret: code %d, err %v", res.code, res.err)
	}
}

// TestServeAnswersHealthAndStops runs `jit serve` from its flags and
// environment: it listens, answers /healthz, refuses an unsigned delivery
// and stops cleanly when its context ends.
func TestServeAnswersHealthAndStops(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "app.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600); err != nil {
		t.Fatal(err)
	}
	secretFile := filepath.Join(dir, "secret")
	if err := os.WriteFile(secretFile, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	cmd := newServeCmd()
	cmd.SetArgs([]string{"--app-id", "7", "--private-key-file", keyFile, "--webhook-secret-file", secretFile, "--listen", addr})
	var logs strings.Builder
	cmd.SetErr(&logs)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()

	resp, err := getOnceUp(t, "http://"+addr+"/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	resp, err = http.Post("http://"+addr+"/webhook", "application/json", strings.NewReader(`{}`))
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("an unsigned delivery: %v %v", resp, err)
	}
	resp.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve stopped with %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("serve did not stop when its context ended")
	}
	if strings.Contains(logs.String(), "s3cret") || strings.Contains(logs.String(), "PRIVATE KEY") {
		t.Fatalf("a secret reached the logs:\n%s", logs.String())
	}
}
