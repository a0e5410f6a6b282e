package ghauth

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestFind(t *testing.T) {
	dir := t.TempDir()
	hosts := `github.com:
    user: octocat
    oauth_token: gho_stored
    git_protocol: https
ghe.example.com:
    user: alice
    users:
        alice:
            oauth_token: gho_multi
keyring.example.com:
    user: bob
    git_protocol: https
`
	if err := os.WriteFile(filepath.Join(dir, "hosts.yml"), []byte(hosts), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, host        string
		env               map[string]string
		token, user, from string
		err               string
	}{
		{name: "GITHUB_TOKEN first", host: "github.com", env: map[string]string{"GITHUB_TOKEN": "ghp_env", "GH_TOKEN": "x", "GH_CONFIG_DIR": dir}, token: "ghp_env", from: "GITHUB_TOKEN"},
		{name: "GH_TOKEN", host: "github.com", env: map[string]string{"GH_TOKEN": "ghp_gh", "GH_CONFIG_DIR": dir}, token: "ghp_gh", from: "GH_TOKEN"},
		{name: "gh's login", host: "github.com", env: map[string]string{"GH_CONFIG_DIR": dir}, token: "gho_stored", user: "octocat", from: "gh (" + filepath.Join(dir, "hosts.yml") + ")"},
		{name: "gh's per-user login", host: "ghe.example.com", env: map[string]string{"GH_CONFIG_DIR": dir}, token: "gho_multi", user: "alice", from: "gh (" + filepath.Join(dir, "hosts.yml") + ")"},
		{name: "token in the keyring", host: "keyring.example.com", env: map[string]string{"GH_CONFIG_DIR": dir}, err: "gh auth token"},
		{name: "host gh does not know", host: "other.example.com", env: map[string]string{"GH_CONFIG_DIR": dir}, err: "no login for other.example.com"},
		{name: "XDG_CONFIG_HOME without gh", host: "github.com", env: map[string]string{"XDG_CONFIG_HOME": t.TempDir()}, err: "no GitHub token"},
		{name: "nothing at all", host: "github.com", env: map[string]string{}, err: "no GitHub token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := Find(env(tc.env), tc.host)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, ErrNoToken) {
					t.Fatalf("Find = %+v, %v; want ErrNoToken saying %q", l, err, tc.err)
				}
				return
			}
			if err != nil || l.Token != tc.token || l.User != tc.user || l.From != tc.from {
				t.Fatalf("Find = %+v, %v; want token %q user %q from %q", l, err, tc.token, tc.user, tc.from)
			}
		})
	}
}

func TestWebURLAndHost(t *testing.T) {
	for _, tc := range []struct{ in, web, host string }{
		{in: "", web: "https://github.com", host: "github.com"},
		{in: "https://api.github.com/", web: "https://github.com", host: "github.com"},
		{in: "https://ghe.example.com/api/v3/", web: "https://ghe.example.com", host: "ghe.example.com"},
		{in: "http://127.0.0.1:9/api/v3", web: "http://127.0.0.1:9", host: "127.0.0.1:9"},
		{in: "http://127.0.0.1:8080/api/v3/", web: "http://127.0.0.1:8080", host: "127.0.0.1:8080"},
		{in: "https://github.example.com", web: "https://github.example.com", host: "github.example.com"},
	} {
		if got := WebURL(tc.in); got != tc.web {
			t.Errorf("WebURL(%q) = %q, want %q", tc.in, got, tc.web)
		}
		if got, err := Host(tc.in); err != nil || got != tc.host {
			t.Errorf("Host(%q) = %q, %v; want %q", tc.in, got, err, tc.host)
		}
	}
	if _, err := Host("not a url"); err == nil {
		t.Errorf("Host(\"not a url\") accepted")
	}
}
