package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v62/github"

	"github.com/jit-access/jit/internal/appmanifest"
	"github.com/jit-access/jit/internal/clock"
	"github.com/jit-access/jit/internal/githubemu"
)

var (
	formAction = regexp.MustCompile(`action="([^"]+)"`)
	formValue  = regexp.MustCompile(`name="manifest" value="([^"]+)"`)
)

// startAppCreate runs jit app create against the emulator and returns the
// local page's URL and the command's result channel.
func startAppCreate(t *testing.T, gh *httptest.Server, out string) (string, chan result) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &appCreateOptions{Org: "acme", WebhookURL: "https://jit.acme.example/webhook", GitHubURL: gh.URL + "/api/v3/", WebURL: gh.URL,
		Out: out, Timeout: time.Minute, Listener: ln}
	done := make(chan result, 1)
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	go func() {
		var stdout, stderr bytes.Buffer
		err := o.run(ctx, &stdout, &stderr)
		done <- result{stdout: stdout.String(), stderr: stderr.String(), code: exitCode(err), err: err}
	}()
	return "http://" + ln.Addr().String() + "/", done
}

// browse does what the owner's browser does: load the page, post its form
// to GitHub and follow the redirect back.
func browse(t *testing.T, page string, edit func(action string) string, done chan result) *http.Response {
	t.Helper()
	resp, err := http.Get(page)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	a, m := formAction.FindSubmatch(body), formValue.FindSubmatch(body)
	if a == nil || m == nil {
		t.Fatalf("the page has no manifest form:\n%s", body)
	}
	action := html.UnescapeString(string(a[1]))
	if edit != nil {
		action = edit(action)
	}
	resp, err = http.PostForm(action, url.Values{"manifest": {html.UnescapeString(string(m[1]))}})
	if err != nil {
		select {
		case res := <-done:
			t.Fatalf("%v; the command ended: %+v", err, res)
		default:
		}
		t.Fatal(err)
	}
	return resp
}

func TestAppCreate(t *testing.T) {
	emu, err := githubemu.New(githubemu.Options{Dir: t.TempDir(), Clock: clock.At(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))})
	if err != nil {
		t.Fatal(err)
	}
	emu.AddTeam("acme", "sso-admins", "octocat")
	gh := httptest.NewServer(emu)
	defer gh.Close()
	emu.SetURL(gh.URL + "/api/v3")
	out := filepath.Join(t.TempDir(), "secrets")

	page, done := startAppCreate(t, gh, out)
	resp := browse(t, page, nil, done)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "The jit App is created") {
		t.Fatalf("the browser ended on %d:\n%s", resp.StatusCode, body)
	}
	res := <-done
	if res.code != 0 {
		t.Fatalf("jit app create exited %d: %v\n%s", res.code, res.err, res.stderr)
	}

	id, _ := os.ReadFile(filepath.Join(out, appmanifest.IDFile))
	key, _ := os.ReadFile(filepath.Join(out, appmanifest.PrivateKeyFile))
	secret, _ := os.ReadFile(filepath.Join(out, appmanifest.WebhookSecretFile))
	for name, b := range map[string][]byte{appmanifest.IDFile: id, appmanifest.PrivateKeyFile: key, appmanifest.WebhookSecretFile: secret} {
		st, err := os.Stat(filepath.Join(out, name))
		if err != nil || st.Mode().Perm() != 0o600 || len(bytes.TrimSpace(b)) == 0 {
			t.Fatalf("%s: %v, mode %v, %d bytes", name, err, st.Mode(), len(b))
		}
		if bytes.Contains([]byte(res.stdout+res.stderr), bytes.TrimSpace(b)) {
			t.Errorf("%s was printed", name)
		}
	}
	if block, _ := pem.Decode(key); block == nil {
		t.Fatal("the private key is not PEM")
	} else if _, err := x509.ParsePKCS1PrivateKey(block.Bytes); err != nil {
		t.Fatalf("the private key does not parse: %v", err)
	}

	// The key authenticates as the new App.
	appID, err := strconv.ParseInt(strings.TrimSpace(string(id)), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := ghinstallation.NewAppsTransport(http.DefaultTransport, appID, key)
	if err != nil {
		t.Fatal(err)
	}
	tr.BaseURL = gh.URL + "/api/v3"
	client, _ := github.NewClient(&http.Client{Transport: tr}).WithEnterpriseURLs(gh.URL+"/api/v3/", gh.URL+"/api/v3/")
	got, _, err := client.Apps.Get(t.Context(), "")
	if err != nil || got.GetID() != appID || got.GetSlug() != "jit-access-requests" {
		t.Fatalf("GET /app with the written key: %+v, %v", got, err)
	}

	// A second run refuses to overwrite the credentials before it creates
	// another App.
	_, done = startAppCreate(t, gh, out)
	if res := <-done; res.code != 2 || !strings.Contains(res.err.Error(), "never overwrites") {
		t.Fatalf("second run: exit %d, %v", res.code, res.err)
	}
	if b, _ := os.ReadFile(filepath.Join(out, appmanifest.PrivateKeyFile)); !bytes.Equal(b, key) {
		t.Fatal("the private key was overwritten")
	}
}

// TestAppCreateRefusesAForeignCallback: a redirect that does not carry this
// run's state saves nothing.
func TestAppCreateRefusesAForeignCallback(t *testing.T) {
	emu, err := githubemu.New(githubemu.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	emu.AddTeam("acme", "sso-admins", "octocat")
	gh := httptest.NewServer(emu)
	defer gh.Close()
	out := t.TempDir()
	page, done := startAppCreate(t, gh, out)
	resp := browse(t, page, func(action string) string {
		return regexp.MustCompile(`state=[0-9a-f]+`).ReplaceAllString(action, "state=forged")
	}, done)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a forged state got %d", resp.StatusCode)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Fatalf("files were written: %v", entries)
	}
	select {
	case res := <-done:
		t.Fatalf("the command ended on a forged callback: %+v", res)
	default:
	}
}
