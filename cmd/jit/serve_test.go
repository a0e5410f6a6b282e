package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jit-access/jit/internal/catalog"
)

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
	_, pemKey := appKey(t)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "app.pem")
	if err := os.WriteFile(keyFile, pemKey, 0o600); err != nil {
		t.Fatal(err)
	}
	secretFile := filepath.Join(dir, "secret")
	if err := os.WriteFile(secretFile, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	addr, stop := serveInBackground(t, &logs, "--app-id", "7", "--private-key-file", keyFile, "--webhook-secret-file", secretFile)
	resp, err := http.Post("http://"+addr+"/webhook", "application/json", strings.NewReader(`{}`))
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("an unsigned delivery: %v %v", resp, err)
	}
	resp.Body.Close()
	if err := stop(); err != nil {
		t.Fatalf("serve stopped with %v", err)
	}
	if strings.Contains(logs.String(), "s3cret") || strings.Contains(logs.String(), "PRIVATE KEY") {
		t.Fatalf("a secret reached the logs:\n%s", logs.String())
	}
}

// TestServePage: jit serve --page-repo serves the request page from the
// access repository's default branch, read through the App, beside the
// webhook.
func TestServePage(t *testing.T) {
	gh, api := gitHubOnMonday(t)
	web := strings.TrimSuffix(api, "/api/v3/")
	key, pemKey := appKey(t)
	gh.RegisterApp(7, "jit", &key.PublicKey)
	createAccessRepo(t, gh)
	keyFile := filepath.Join(t.TempDir(), "app.pem")
	if err := os.WriteFile(keyFile, pemKey, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("JIT_WEBHOOK_SECRET", "s3cret")
	addr, _ := serveInBackground(t, &strings.Builder{}, "--app-id", "7", "--private-key-file", keyFile, "--github-url", api, "--page-repo", "acme/access")

	resp, err := http.Get("http://" + addr + "/")
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
	if resp, err := http.Post("http://"+addr+"/webhook", "application/json", strings.NewReader(`{}`)); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("an unsigned delivery beside the page: %v %v", resp, err)
	}
}

func TestServePageRepoMustBeOwnerName(t *testing.T) {
	_, pemKey := appKey(t)
	t.Setenv("JIT_APP_ID", "7")
	t.Setenv("JIT_PRIVATE_KEY", string(pemKey))
	t.Setenv("JIT_WEBHOOK_SECRET", "s")
	res := run(t, newServeCmd(), nil, "--listen", freeAddr(t), "--page-repo", "access")
	if res.code != 2 || !strings.Contains(res.err.Error(), `--page-repo "access" must be OWNER/NAME`) {
		t.Errorf("serve --page-repo access: exit %d, %v", res.code, res.err)
	}
}
