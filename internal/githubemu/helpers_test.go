package githubemu

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v62/github"
	"github.com/jit-access/jit/internal/layout"
)

const (
	testAppID  = 4242
	testSecret = "webhook-secret"
	org        = "acme"
	repoName   = "access"
)

var (
	keyOnce sync.Once
	keys    [2]*rsa.PrivateKey
)

// testKeys returns two RSA keys, generated once per test binary because key
// generation dominates a test's run time under -race.
func testKeys(t testing.TB) (app, other *rsa.PrivateKey) {
	t.Helper()
	keyOnce.Do(func() {
		for i := range keys {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			keys[i] = k
		}
	})
	return keys[0], keys[1]
}

func pemOf(k *rsa.PrivateKey) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
}

// hookRecord is one delivery as the receiving App saw it.
type hookRecord struct {
	header http.Header
	body   []byte
	sigOK  bool
}

type receiver struct {
	mu      sync.Mutex
	got     []hookRecord
	status  int
	onEvent func(event string, body []byte)
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	want := Sign256([]byte(testSecret), body)
	ok := hmac.Equal([]byte(want), []byte(r.Header.Get("X-Hub-Signature-256")))
	rc.mu.Lock()
	rc.got = append(rc.got, hookRecord{header: r.Header.Clone(), body: body, sigOK: ok})
	status, on := rc.status, rc.onEvent
	rc.mu.Unlock()
	if on != nil {
		on(r.Header.Get("X-GitHub-Event"), body)
	}
	if status == 0 {
		status = http.StatusAccepted
	}
	w.WriteHeader(status)
}

func (rc *receiver) records() []hookRecord {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]hookRecord(nil), rc.got...)
}

type env struct {
	emu    *Server
	ts     *httptest.Server
	hooks  *receiver
	app    *github.Client // installation token client
	jwt    *github.Client // App JWT client
	base   string
	instID int64
	key    *rsa.PrivateKey
}

// newEnv starts an emulator with an org "acme", users alice (requester),
// bob (payments lead), carol (SSO admin), the App installed, repository
// acme/access with a config and a CODEOWNERS file, and a webhook receiver.
func newEnv(t testing.TB, opts Options) *env {
	t.Helper()
	key, _ := testKeys(t)
	opts.Dir = t.TempDir()
	emu, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(emu)
	t.Cleanup(func() {
		emu.Close()
		ts.Close()
	})
	base := ts.URL + "/api/v3/"
	emu.SetURL(ts.URL + "/api/v3")
	instID := emu.RegisterApp(testAppID, "jit-test", &key.PublicKey)
	emu.AddUser("alice", "alice@acme.example")
	emu.AddUser("bob", "bob@acme.example")
	emu.AddUser("carol", "carol@acme.example")
	emu.AddTeam(org, "payments-leads", "bob")
	emu.AddTeam(org, "sso-admins", "carol")
	if err := emu.CreateRepo(org, repoName, map[string][]byte{
		layout.ConfigPath:    []byte("version: 1\n"),
		".github/CODEOWNERS": []byte("/requests/payments-prod/ @acme/payments-leads\n"),
		"README.md":          []byte("# access\n"),
	}); err != nil {
		t.Fatal(err)
	}
	rc := &receiver{}
	hs := httptest.NewServer(rc)
	t.Cleanup(hs.Close)
	emu.SetWebhook(hs.URL, testSecret)

	itr, err := ghinstallation.New(http.DefaultTransport, testAppID, instID, pemOf(key))
	if err != nil {
		t.Fatal(err)
	}
	itr.BaseURL = strings.TrimSuffix(base, "/")
	atr, err := ghinstallation.NewAppsTransport(http.DefaultTransport, testAppID, pemOf(key))
	if err != nil {
		t.Fatal(err)
	}
	atr.BaseURL = strings.TrimSuffix(base, "/")
	return &env{emu: emu, ts: ts, hooks: rc, instID: instID, key: key, base: base,
		app: clientFor(t, base, &http.Client{Transport: itr}),
		jwt: clientFor(t, base, &http.Client{Transport: atr}),
	}
}

// setup is newEnv with the default options, and the test's context for the
// calls the test makes: the start of most tests here, as go-github's setup
// is of its own.
func setup(t *testing.T) (*env, context.Context) {
	t.Helper()
	return newEnv(t, Options{}), t.Context()
}

// clientFor is go-github on the emulator's API at base, sending requests
// through hc (nil: http.DefaultClient, no credentials).
func clientFor(t testing.TB, base string, hc *http.Client) *github.Client {
	t.Helper()
	c, err := github.NewClient(hc).WithEnterpriseURLs(base, base)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// userClient is go-github acting as a person with a static token.
func (e *env) userClient(t *testing.T, login string) *github.Client {
	t.Helper()
	c, err := e.emu.UserClient(login)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// plainClient sends no credentials at all.
func (e *env) plainClient(t *testing.T) *github.Client {
	t.Helper()
	return clientFor(t, e.base, nil)
}

// openRequest has alice open the pull request req/NAME, titled "Request
// NAME", adding requests/payments-prod/NAME.yaml; it returns the pull
// request's number and head commit.
func (e *env) openRequest(t testing.TB, name string) (int, string) {
	t.Helper()
	n, err := e.emu.OpenPullRequest(org, repoName, "alice", "req/"+name, "Request "+name,
		map[string][]byte{"requests/payments-prod/" + name + ".yaml": []byte(name + ": 1\n")})
	if err != nil {
		t.Fatal(err)
	}
	return n, mustPull(t, e, n).GetHead().GetSHA()
}

// mustPull is pull request n as the emulator holds it.
func mustPull(t testing.TB, e *env, n int) *github.PullRequest {
	t.Helper()
	pr, err := e.emu.PullRequest(org, repoName, n)
	if err != nil {
		t.Fatal(err)
	}
	return pr
}

// statusOf is the HTTP status an error stands for: go-github's error for an
// answer of the API, or the emulator's StatusError for a driver call; 0 for
// any other error.
func statusOf(err error) int {
	var er *github.ErrorResponse
	var ae *github.AcceptedError
	var se *StatusError
	switch {
	case errors.As(err, &er) && er.Response != nil:
		return er.Response.StatusCode
	case errors.As(err, &ae):
		return http.StatusAccepted
	case errors.As(err, &se):
		return se.Status
	}
	return 0
}

// mapped is f of each item, in order: the rows a test compares (nil for no
// items).
func mapped[T, R any](items []T, f func(T) R) []R {
	var out []R
	for _, it := range items {
		out = append(out, f(it))
	}
	return out
}
