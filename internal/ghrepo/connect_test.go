package ghrepo_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/jit-access/jit/internal/clock"
	"github.com/jit-access/jit/internal/ghrepo"
	"github.com/jit-access/jit/internal/githubemu"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/internal/testworld"
)

const appID = 4242

// emulator starts the GitHub emulator with the App registered (and so
// installed on every repository) and acme/access created. It returns the
// API root, the App's PEM key and its installation id.
func emulator(t *testing.T) (emu *githubemu.Server, api string, key []byte, inst int64) {
	t.Helper()
	emu, api = testworld.GitHub(t, clock.At(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)), "octocat")
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	inst = emu.RegisterApp(appID, "jit-test", &rk.PublicKey)
	if err := emu.CreateRepo("acme", "access", map[string][]byte{layout.ConfigPath: []byte("version: 1\n")}); err != nil {
		t.Fatal(err)
	}
	key = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk)})
	return emu, api, key, inst
}

// TestConnect authenticates through the real clients (go-github,
// ghinstallation) against the emulator, as the App and with a token, and
// checks that the client is bound to the repository and that an App's
// session names the App and its installation.
func TestConnect(t *testing.T) {
	ctx := context.Background()
	emu, api, key, inst := emulator(t)
	token, err := emu.UserToken("octocat")
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	wrongKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(otherKey)})
	access := ghrepo.Repo{Owner: "acme", Name: "access"}
	for _, tc := range []struct {
		name    string
		creds   ghrepo.Credentials
		repo    ghrepo.Repo
		inst    int64
		bot     string
		wantIn  int64
		lookups int // GET /repos/{owner}/{repo}/installation calls
		err     string
	}{
		{name: "the App, its installation looked up", creds: ghrepo.Credentials{BaseURL: api, AppID: appID, PrivateKey: key},
			repo: access, bot: "jit-test[bot]", wantIn: inst, lookups: 1},
		{name: "the App, its installation given", creds: ghrepo.Credentials{BaseURL: api, AppID: appID, PrivateKey: key},
			repo: access, inst: inst, bot: "jit-test[bot]", wantIn: inst},
		{name: "the App, API root without its final slash", creds: ghrepo.Credentials{BaseURL: strings.TrimSuffix(api, "/"), AppID: appID, PrivateKey: key},
			repo: access, bot: "jit-test[bot]", wantIn: inst, lookups: 1},
		{name: "a token", creds: ghrepo.Credentials{BaseURL: api, Token: token}, repo: access},
		{name: "the App with another key", creds: ghrepo.Credentials{BaseURL: api, AppID: appID, PrivateKey: wrongKey},
			repo: access, err: "authenticating as the App (GET /app)"},
		{name: "the App not installed there", creds: ghrepo.Credentials{BaseURL: api, AppID: appID, PrivateKey: key},
			repo: ghrepo.Repo{Owner: "acme", Name: "elsewhere"}, lookups: 1, err: "finding the App's installation on acme/elsewhere"},
		{name: "a key that is no key", creds: ghrepo.Credentials{BaseURL: api, AppID: appID, PrivateKey: []byte("not a key")},
			repo: access, err: "reading the App's private key"},
		{name: "an App id without its key", creds: ghrepo.Credentials{BaseURL: api, AppID: appID, Token: token},
			repo: access, err: "need both its id and its private key"},
		{name: "no credentials", creds: ghrepo.Credentials{BaseURL: api}, repo: access, err: "no GitHub credentials"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			emu.ResetRequests()
			s, err := ghrepo.Connect(ctx, tc.creds, tc.repo, tc.inst)
			if got := emu.Requests()["GET /repos/{owner}/{repo}/installation"]; got != tc.lookups {
				t.Errorf("installation lookups = %d, want %d", got, tc.lookups)
			}
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Connect = %v, want an error saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Connect: %v", err)
			}
			if s.Bot != tc.bot || s.InstallationID != tc.wantIn || s.Repo() != tc.repo {
				t.Errorf("session: bot %q installation %d repo %s; want %q %d %s", s.Bot, s.InstallationID, s.Repo(), tc.bot, tc.wantIn, tc.repo)
			}
			// The client reads the repository it is bound to.
			data, _, _, err := s.File(ctx, layout.ConfigPath, "main")
			if err != nil || string(data) != "version: 1\n" {
				t.Errorf("reading %s through the session: %q, %v", layout.ConfigPath, data, err)
			}
		})
	}
}
