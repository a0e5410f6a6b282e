package githubemu

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
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
func newEnv(t *testing.T, opts Options) *env { return newEnvTB(t, opts) }

func newEnvTB(t testing.TB, opts Options) *env {
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
		".github/jit.yaml":   []byte("version: 1\n"),
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
	app, err := github.NewClient(&http.Client{Transport: itr}).WithEnterpriseURLs(base, base)
	if err != nil {
		t.Fatal(err)
	}
	atr, err := ghinstallation.NewAppsTransport(http.DefaultTransport, testAppID, pemOf(key))
	if err != nil {
		t.Fatal(err)
	}
	atr.BaseURL = strings.TrimSuffix(base, "/")
	jwtc, err := github.NewClient(&http.Client{Transport: atr}).WithEnterpriseURLs(base, base)
	if err != nil {
		t.Fatal(err)
	}
	return &env{emu: emu, ts: ts, hooks: rc, app: app, jwt: jwtc, base: base, instID: instID, key: key}
}

// userClient is go-github acting as a person with a static token.
func (e *env) userClient(t *testing.T, login string) *github.Client {
	t.Helper()
	tok, err := e.emu.UserToken(login)
	if err != nil {
		t.Fatal(err)
	}
	c, err := github.NewClient(nil).WithAuthToken(tok).WithEnterpriseURLs(e.base, e.base)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// plainClient sends no credentials at all.
func (e *env) plainClient(t *testing.T) *github.Client {
	t.Helper()
	c, err := github.NewClient(nil).WithEnterpriseURLs(e.base, e.base)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func statusOf(err error) int {
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	var ae *github.AcceptedError
	if errors.As(err, &ae) {
		return http.StatusAccepted
	}
	return 0
}

var ctx = context.Background()

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
