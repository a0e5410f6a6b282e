package githubemu

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v62/github"
)

// signJWT builds an App JWT by hand so tests can get every claim wrong.
func signJWT(t *testing.T, key *rsa.PrivateKey, alg string, claims map[string]any) string {
	t.Helper()
	h, _ := json.Marshal(map[string]string{"alg": alg, "typ": "JWT"})
	c, _ := json.Marshal(claims)
	in := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	d := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return in + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestInstallationTokenFlow(t *testing.T) {
	e, ctx := setup(t)
	app, _, err := e.jwt.Apps.Get(ctx, "")
	if err != nil {
		t.Fatalf("GET /app with the App's JWT: %v", err)
	}
	if app.GetID() != testAppID || app.GetSlug() != "jit-test" {
		t.Errorf("GET /app = id %d slug %q, want %d jit-test", app.GetID(), app.GetSlug(), testAppID)
	}
	inst, _, err := e.jwt.Apps.FindRepositoryInstallation(ctx, org, repoName)
	if err != nil || inst.GetID() != e.instID {
		t.Errorf("FindRepositoryInstallation = %d, %v; want %d", inst.GetID(), err, e.instID)
	}
	// The installation client gets a token through ghinstallation and then
	// uses it on every request.
	r, _, err := e.app.Repositories.Get(ctx, org, repoName)
	if err != nil {
		t.Fatalf("GET repo with an installation token: %v", err)
	}
	if r.GetDefaultBranch() != "main" || r.GetFullName() != "acme/access" {
		t.Errorf("repo = %q default %q", r.GetFullName(), r.GetDefaultBranch())
	}
	if got := e.emu.Requests()["POST /app/installations/{installation_id}/access_tokens"]; got != 1 {
		t.Errorf("access token requests = %d, want 1 (ghinstallation caches the token)", got)
	}
	if _, _, err := e.app.Apps.Get(ctx, ""); statusOf(err) != http.StatusUnauthorized {
		t.Errorf("GET /app with an installation token: %v, want 401", err)
	}
}

func TestAuthenticationFailures(t *testing.T) {
	e, ctx := setup(t)
	_, other := testKeys(t)
	now := time.Now().Unix()
	good := map[string]any{"iss": fmt.Sprint(testAppID), "iat": now - 30, "exp": now + 90}
	cases := []struct {
		name string
		tok  string
	}{
		{"other key", signJWT(t, other, "RS256", good)},
		{"wrong issuer", signJWT(t, e.key, "RS256", map[string]any{"iss": "1", "iat": now - 30, "exp": now + 90})},
		{"expired", signJWT(t, e.key, "RS256", map[string]any{"iss": fmt.Sprint(testAppID), "iat": now - 700, "exp": now - 60})},
		{"exp too far", signJWT(t, e.key, "RS256", map[string]any{"iss": fmt.Sprint(testAppID), "iat": now, "exp": now + 3600})},
		{"iat in the future", signJWT(t, e.key, "RS256", map[string]any{"iss": fmt.Sprint(testAppID), "iat": now + 300, "exp": now + 500})},
		{"alg none", strings.Join(strings.Split(signJWT(t, e.key, "none", good), ".")[:2], ".") + "."},
		{"garbage", "not-a-jwt"},
		{"an installation-style token", "ghs_nope"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", fmt.Sprintf("%sapp/installations/%d/access_tokens", e.base, e.instID), nil)
			req.Header.Set("Authorization", "Bearer "+tc.tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("status = %d, want 401", resp.StatusCode)
			}
			var body map[string]string
			_ = json.NewDecoder(resp.Body).Decode(&body)
			if body["message"] == "" || body["documentation_url"] == "" {
				t.Errorf("error body = %v, want message and documentation_url", body)
			}
		})
	}
	// A good hand-made JWT works, for an existing installation only.
	for _, tc := range []struct {
		inst int64
		want int
	}{{e.instID, http.StatusCreated}, {e.instID + 999, http.StatusNotFound}} {
		req, _ := http.NewRequest("POST", fmt.Sprintf("%sapp/installations/%d/access_tokens", e.base, tc.inst), nil)
		req.Header.Set("Authorization", "Bearer "+signJWT(t, e.key, "RS256", good))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("installation %d: status %d, want %d", tc.inst, resp.StatusCode, tc.want)
		}
	}

	// ghinstallation with a key the App does not have fails with 401.
	itr, err := ghinstallation.New(http.DefaultTransport, testAppID, e.instID, pemOf(other))
	if err != nil {
		t.Fatal(err)
	}
	itr.BaseURL = strings.TrimSuffix(e.base, "/")
	bad, _ := github.NewClient(&http.Client{Transport: itr}).WithEnterpriseURLs(e.base, e.base)
	_, _, err = bad.Repositories.Get(ctx, org, repoName)
	var he *ghinstallation.HTTPError
	if !errors.As(err, &he) || he.Response.StatusCode != http.StatusUnauthorized {
		t.Errorf("ghinstallation with the wrong key: %v, want an HTTPError with 401", err)
	}

	// Token endpoints: no token, a made-up token, and a user token.
	if _, _, err := e.plainClient(t).Repositories.Get(ctx, org, repoName); statusOf(err) != http.StatusUnauthorized {
		t.Errorf("no credentials: %v, want 401", err)
	}
	fake, _ := github.NewClient(nil).WithAuthToken("ghs_madeup").WithEnterpriseURLs(e.base, e.base)
	if _, _, err := fake.Repositories.Get(ctx, org, repoName); statusOf(err) != http.StatusUnauthorized || !strings.Contains(err.Error(), "Bad credentials") {
		t.Errorf("made-up token: %v, want 401 Bad credentials", err)
	}
	if _, _, err := e.userClient(t, "alice").Repositories.Get(ctx, org, repoName); err != nil {
		t.Errorf("user token: %v", err)
	}
	if _, err := e.emu.UserToken("nobody"); err == nil {
		t.Errorf("UserToken for an unknown login succeeded")
	}
}

func TestNotFoundShape(t *testing.T) {
	e, ctx := setup(t)
	for _, path := range []string{"repos/acme/nope", "repos/acme/access/pulls/99", "no/such/route"} {
		req, _ := e.app.NewRequest("GET", path, nil)
		_, err := e.app.Do(ctx, req, nil)
		var er *github.ErrorResponse
		if !errors.As(err, &er) || er.Response.StatusCode != 404 || er.Message != "Not Found" || er.DocumentationURL == "" {
			t.Errorf("GET %s: %v, want GitHub's 404 JSON", path, err)
		}
	}
}
