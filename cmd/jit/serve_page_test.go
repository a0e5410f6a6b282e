package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jit-access/jit/internal/catalog"
	"github.com/jit-access/jit/internal/clock"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/internal/testworld"
)

// TestServePage: jit serve --page-repo serves the request page from the
// access repository's default branch, read through the App, beside the
// webhook.
func TestServePage(t *testing.T) {
	gh, api := testworld.GitHub(t, clock.At(testworld.Monday))
	web := strings.TrimSuffix(api, "/api/v3/")
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	gh.RegisterApp(7, "jit", &key.PublicKey)
	if err := gh.CreateRepo("acme", "access", map[string][]byte{layout.ConfigPath: []byte(testConfig), ".github/CODEOWNERS": []byte(testCodeowners)}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "app.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("JIT_WEBHOOK_SECRET", "s3cret")
	addr := freeAddr(t)
	cmd := newServeCmd()
	cmd.SetArgs([]string{"--app-id", "7", "--private-key-file", keyFile, "--listen", addr, "--github-url", api, "--page-repo", "acme/access"})
	cmd.SetErr(&strings.Builder{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(time.Minute):
			t.Error("serve did not stop")
		}
	}()

	resp, err := getOnceUp(t, "http://"+addr+"/")
	if err != nil || resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %v %v", resp, err)
	}
	resp.Body.Close()
	resp, err = http.Get("http://" + addr + "/catalog.json")
	if err != nil {
		t.Fatal(err)
	}
	var p catalog.Page
	err = json.NewDecoder(resp.Body).Decode(&p)
	resp.Body.Close()
	if err != nil || p.Repo != "acme/access" || p.Branch != "main" || p.WebURL != web || len(p.Catalog.Accounts) != 2 || p.Catalog.Accounts[0].Owners[0] != "@acme/payments-leads" {
		t.Fatalf("catalog.json: %v %+v", err, p)
	}
	if resp, err := http.Get("http://" + addr + "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz beside the page: %v %v", resp, err)
	}
	if resp, err := http.Post("http://"+addr+"/webhook", "application/json", strings.NewReader(`{}`)); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("an unsigned delivery beside the page: %v %v", resp, err)
	}
}

func TestServePageRepoMustBeOwnerName(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("JIT_APP_ID", "7")
	t.Setenv("JIT_PRIVATE_KEY", string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})))
	t.Setenv("JIT_WEBHOOK_SECRET", "s")
	res := run(t, newServeCmd(), nil, "--listen", freeAddr(t), "--page-repo", "access")
	if res.code != 2 || !strings.Contains(res.err.Error(), `--page-repo "access" must be OWNER/NAME`) {
		t.Errorf("serve --page-repo access: exit %d, %v", res.code, res.err)
	}
}
