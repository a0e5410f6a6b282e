// Package ghauth finds the GitHub token a person's jit commands use: the
// GITHUB_TOKEN or GH_TOKEN environment variable, or the login the GitHub CLI
// stored in its hosts.yml. It never prints a token.
package ghauth

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// ErrNoToken says no token was found; its message says where jit looked.
var ErrNoToken = errors.New("no GitHub token: set GITHUB_TOKEN, or log in with `gh auth login`")

// Login is a token and where it came from.
type Login struct {
	Token string
	// User is the login gh stored with it; "" for a token from the
	// environment, whose user is not known without asking GitHub.
	User string
	// From names the source for messages: "GITHUB_TOKEN", "gh (~/.config/gh/hosts.yml)".
	From string
}

// Find returns the token for host ("github.com", or an Enterprise host):
// GITHUB_TOKEN, then GH_TOKEN, then gh's hosts.yml. getenv reads the
// environment; a gh that keeps its token in the system keyring leaves
// none in hosts.yml, and then `gh auth token` gives it for GITHUB_TOKEN.
func Find(getenv func(string) string, host string) (Login, error) {
	for _, name := range []string{"GITHUB_TOKEN", "GH_TOKEN"} {
		if t := strings.TrimSpace(getenv(name)); t != "" {
			return Login{Token: t, From: name}, nil
		}
	}
	path := hostsPath(getenv)
	if path == "" {
		return Login{}, ErrNoToken
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Login{}, ErrNoToken
	}
	if err != nil {
		return Login{}, fmt.Errorf("reading gh's login from %s: %w", path, err)
	}
	var hosts map[string]struct {
		User       string `yaml:"user"`
		OAuthToken string `yaml:"oauth_token"`
		Users      map[string]struct {
			OAuthToken string `yaml:"oauth_token"`
		} `yaml:"users"`
	}
	if err := yaml.Unmarshal(data, &hosts); err != nil {
		return Login{}, fmt.Errorf("reading gh's login from %s: %w", path, err)
	}
	h, ok := hosts[host]
	if !ok {
		return Login{}, fmt.Errorf("%w (gh has no login for %s in %s)", ErrNoToken, host, path)
	}
	token := cmp.Or(h.OAuthToken, h.Users[h.User].OAuthToken)
	if token == "" {
		return Login{}, fmt.Errorf("%w (gh keeps the token for %s in the system keyring: run GITHUB_TOKEN=$(gh auth token) jit ...)", ErrNoToken, host)
	}
	return Login{Token: token, User: h.User, From: "gh (" + path + ")"}, nil
}

// WebURL is GitHub's web root for its REST API root (or a web URL): ""
// and api.github.com are https://github.com; GitHub Enterprise Server and
// the emulator serve the API under /api/v3 on the web host.
func WebURL(apiURL string) string {
	u := strings.TrimSuffix(apiURL, "/")
	if p, err := url.Parse(u); u == "" || err == nil && p.Hostname() == "api.github.com" {
		return "https://github.com"
	}
	return strings.TrimSuffix(u, "/api/v3")
}

// Host is the host name of a GitHub API or web URL, the key of gh's
// hosts.yml: "github.com" for "" and for api.github.com.
func Host(githubURL string) (string, error) {
	u, err := url.Parse(WebURL(githubURL))
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("--github-url %q is not a URL like https://github.example.com", githubURL)
	}
	return u.Host, nil
}

// hostsPath is where gh keeps its logins: $GH_CONFIG_DIR, else
// $XDG_CONFIG_HOME/gh, else $AppData/GitHub CLI on Windows, else
// ~/.config/gh.
func hostsPath(getenv func(string) string) string {
	switch {
	case getenv("GH_CONFIG_DIR") != "":
		return filepath.Join(getenv("GH_CONFIG_DIR"), "hosts.yml")
	case getenv("XDG_CONFIG_HOME") != "":
		return filepath.Join(getenv("XDG_CONFIG_HOME"), "gh", "hosts.yml")
	case getenv("AppData") != "":
		return filepath.Join(getenv("AppData"), "GitHub CLI", "hosts.yml")
	case getenv("HOME") != "":
		return filepath.Join(getenv("HOME"), ".config", "gh", "hosts.yml")
	}
	return ""
}
