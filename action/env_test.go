package action_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"embed"
	"encoding/pem"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"text/template"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v62/github"

	"github.com/jit-access/jit/action"
	"github.com/jit-access/jit/internal/clock"
	"github.com/jit-access/jit/internal/ghrepo"
	"github.com/jit-access/jit/internal/githubemu"
	"github.com/jit-access/jit/internal/gittest"
	"github.com/jit-access/jit/internal/identitycenter"
	"github.com/jit-access/jit/internal/identitycenter/idcemu"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/internal/ledger"
	"github.com/jit-access/jit/internal/testworld"
	"github.com/jit-access/jit/schema"
)

const (
	org      = "acme"
	repoName = "access"
	appID    = 4242
	account  = "111122223333"
)

var (
	keyOnce sync.Once
	appKey  *rsa.PrivateKey
)

func testKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		appKey = k
	})
	return appKey
}

// env is the two emulators on one clock, an access repository on the
// GitHub emulator, and clients of both as the Action builds them.
type env struct {
	clk    *clock.Offset
	gh     *githubemu.Server
	ghURL  string
	instID int64
	idc    *idcemu.Emulator
	idcURL string
	// readOnly is the standard set's ARN, isolated the one with isolate: true.
	readOnly, isolated string
	users              map[string]string // login -> principal id
	ghClient           *github.Client
	opts               envOptions
}

type envOptions struct {
	idc idcemu.Options
	// defaultLimits keeps the emulator's AWS limits (20 req/s, 10 in
	// flight, 1 s asynchronous operations) and the adapter's defaults.
	defaultLimits bool
	// users and accounts add requesters and accounts to the config.
	users    []string
	accounts []string
	// accountExtra is YAML added to the payments-prod account (indented by
	// four spaces), configExtra top-level YAML added to the config.
	accountExtra, configExtra string
}

func newEnv(t testing.TB, eo envOptions) *env {
	t.Helper()
	// Every test starts at the same instant, well away from second
	// boundaries: no test depends on today's date.
	e := &env{clk: clock.At(time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)), users: map[string]string{}, opts: eo}

	io := eo.idc
	io.Clock = e.clk
	if io.AsyncDelay == 0 && !eo.defaultLimits {
		io.AsyncDelay = 30 * time.Millisecond
	}
	if io.RequestsPerSecond == 0 && !eo.defaultLimits {
		io.RequestsPerSecond = -1
	}
	if io.MaxInFlightAssignments == 0 && !eo.defaultLimits {
		io.MaxInFlightAssignments = -1
	}
	e.idc = idcemu.New(io)
	its := httptest.NewServer(e.idc)
	t.Cleanup(its.Close)
	e.idcURL = its.URL
	e.readOnly = e.idc.AddPermissionSet("ReadOnlyAccess", 4*time.Hour, []string{"ReadOnlyAccess"}, "")
	e.isolated = e.idc.AddPermissionSet("PowerUserAccess", time.Hour, []string{"PowerUserAccess"}, "")
	for _, u := range append([]string{"alice", "bob", "carol", "dave"}, eo.users...) {
		e.users[u] = e.idc.AddUser(u+"@acme.example", u)
	}

	gh, api := testworld.GitHub(t, e.clk, "alice", "bob", "carol", "dave")
	e.gh, e.ghURL = gh, api
	e.instID = gh.RegisterApp(appID, "jit", &testKey(t).PublicKey)
	gh.AddTeam(org, "payments-leads", "bob")
	gh.AddTeam(org, "sso-admins", "carol")
	if err := gh.CreateRepo(org, repoName, map[string][]byte{
		layout.ConfigPath:    []byte(e.config(t)),
		".github/CODEOWNERS": []byte("*  @acme/sso-admins\n/requests/payments-prod/ @acme/payments-leads\n"),
		"README.md":          []byte("# access\n"),
	}); err != nil {
		t.Fatal(err)
	}
	itr, err := ghinstallation.New(http.DefaultTransport, appID, e.instID, pemOf(testKey(t)))
	if err != nil {
		t.Fatal(err)
	}
	itr.BaseURL = strings.TrimSuffix(e.ghURL, "/")
	e.ghClient, err = github.NewClient(&http.Client{Transport: itr}).WithEnterpriseURLs(e.ghURL, e.ghURL)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func pemOf(k *rsa.PrivateKey) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
}

// configTemplate is the access repository's .github/jit.yaml, filled in
// with the emulator's ARNs and the test's users and accounts.
var configTemplate = template.Must(template.ParseFS(testdata, "testdata/jit.yaml.tmpl"))

//go:embed testdata
var testdata embed.FS

func (e *env) config(t testing.TB) string {
	t.Helper()
	type acct struct{ Name, ID string }
	var accounts []acct
	for i, a := range e.opts.accounts {
		accounts = append(accounts, acct{a, fmt.Sprintf("%012d", 900000000000+i)})
	}
	var b strings.Builder
	if err := configTemplate.Execute(&b, map[string]any{
		"InstanceARN": e.idc.InstanceARN(), "IdentityStoreID": e.idc.IdentityStoreID(),
		"Users": e.opts.users, "Account": account, "AccountExtra": e.opts.accountExtra, "Accounts": accounts,
		"ReadOnly": e.readOnly, "Isolated": e.isolated, "ConfigExtra": e.opts.configExtra,
	}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// idcClient is the adapter as one run builds it.
func (e *env) idcClient() *identitycenter.Client {
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "not-a-secret", "")}
	if e.opts.defaultLimits {
		return identitycenter.NewFromConfig(cfg, identitycenter.Options{
			Region: "us-east-1", InstanceARN: e.idc.InstanceARN(), IdentityStoreID: e.idc.IdentityStoreID(),
			Endpoint: e.idcURL, Clock: e.clk, Logger: slog.New(slog.DiscardHandler)})
	}
	return identitycenter.NewFromConfig(cfg, identitycenter.Options{
		Region: "us-east-1", InstanceARN: e.idc.InstanceARN(), IdentityStoreID: e.idc.IdentityStoreID(),
		Endpoint: e.idcURL, RequestsPerSecond: 1000, PollInterval: 10 * time.Millisecond, PollTimeout: 20 * time.Second,
		RetryBaseDelay: 5 * time.Millisecond, RetryMaxBackoff: 100 * time.Millisecond, Clock: e.clk,
		Logger: slog.New(slog.DiscardHandler),
	})
}

// clone makes a working clone of the access repository, as actions/checkout.
func (e *env) clone(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	gittest.Output(t, "", "clone", "--quiet", e.gh.RepoDir(org, repoName), dir)
	return dir
}

type recOption func(*action.Options)

func withIDC(ic action.IdentityCenter) recOption {
	return func(o *action.Options) { o.IdentityCenter = ic }
}
func withoutGitHub() recOption { return func(o *action.Options) { o.GitHub = nil } }
func withNotifier(n action.Notifier, repoURL string) recOption {
	return func(o *action.Options) { o.Notifier, o.RepoURL = n, repoURL }
}

func (e *env) reconciler(t testing.TB, dir string, mods ...recOption) *action.Reconciler {
	t.Helper()
	repo, err := ledger.Open(dir, ledger.Options{RetryDelay: -1, Clock: e.clk, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	opts := action.Options{
		Ledger:         repo,
		IdentityCenter: e.idcClient(),
		GitHub:         ghrepo.New(e.ghClient, ghrepo.Repo{Owner: org, Name: repoName}),
		Bot:            e.gh.BotLogin(),
		Clock:          e.clk,
		Logger:         slog.New(slog.DiscardHandler),
	}
	for _, m := range mods {
		m(&opts)
	}
	r, err := action.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// run reconciles from a fresh clone, as one Action run does.
func (e *env) run(t testing.TB, lookahead time.Duration, mods ...recOption) action.Report {
	t.Helper()
	rep, err := e.reconciler(t, e.clone(t), mods...).Run(t.Context(), action.RunOptions{Lookahead: lookahead})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rep
}

func request(set, duration string) []byte {
	return []byte(fmt.Sprintf(`# yaml-language-server: $schema=../../schema/request.schema.json
account: payments-prod
permission_set: %s
duration: %s
justification: "INC-1234: investigating elevated 5xx rates"
`, set, duration))
}

// merge opens a request pull request by author, lets approver approve it
// (none: an admin bypass) and merges it. It returns the PR number and path.
// aliceActive starts an env in which bob approved alice's request for
// ReadOnlyAccess for d, merged as pull request n at path, and a first run
// activated it: the start of every test of what happens to a live grant.
func aliceActive(t testing.TB, d string) (e *env, n int, path string) {
	t.Helper()
	e = newEnv(t, envOptions{})
	n, path = e.merge(t, "alice", "alice-ro", request("ReadOnlyAccess", d), "bob", "")
	if rep := e.run(t, 0); len(rep.Activated) != 1 {
		t.Fatalf("not activated:\n%s", rep)
	}
	return e, n, path
}

// expireAfter moves the clock on by d, runs once, and checks that the run
// expired exactly the grant at path.
func (e *env) expireAfter(t testing.TB, d time.Duration, path string) action.Report {
	t.Helper()
	e.clk.Advance(d)
	rep := e.run(t, 0)
	if diff := cmp.Diff([]string{path}, paths(rep.Expired)); diff != "" {
		t.Fatalf("expired (-want +got):\n%s\n%s", diff, rep)
	}
	return rep
}

func (e *env) merge(t testing.TB, author, name string, body []byte, approver, note string) (int, string) {
	t.Helper()
	path := "requests/payments-prod/" + name + ".yaml"
	n, err := e.gh.OpenPullRequest(org, repoName, author, "req-"+name, "Request "+name, map[string][]byte{path: body})
	if err != nil {
		t.Fatal(err)
	}
	if approver != "" {
		if _, err := e.gh.SubmitReview(org, repoName, n, approver, "APPROVED", note); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.gh.Merge(org, repoName, n, "carol"); err != nil {
		t.Fatal(err)
	}
	return n, path
}

// status reads a request's status on main from the bare repository.
func (e *env) status(t testing.TB, path string) *schema.Status {
	t.Helper()
	data := gittest.Output(t, e.gh.RepoDir(org, repoName), "show", "main:"+path)
	req, err := schema.DecodeRequest(path, []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	return req.Status
}

func (e *env) assignments(psARN, login string) int {
	n := 0
	for _, a := range e.idc.Assignments() {
		if a.AccountID == account && a.PermissionSetARN == psARN && a.PrincipalID == e.users[login] {
			n++
		}
	}
	return n
}

// log is the audit log of requests/ on main.
func (e *env) log(t testing.TB) string {
	return gittest.Output(t, e.gh.RepoDir(org, repoName), "log", "--format=%s%n%(trailers)", "main", "--", "requests/")
}

// writeStatus commits a new status of path in the clone dir and pushes it,
// as the App does through the contents API.
func writeStatus(t testing.TB, dir, path string, st *schema.Status, message string) {
	t.Helper()
	data, err := os.ReadFile(dir + "/" + path)
	if err != nil {
		t.Fatal(err)
	}
	gittest.Output(t, dir, "pull", "--quiet", "--ff-only")
	if data, err = os.ReadFile(dir + "/" + path); err != nil {
		t.Fatal(err)
	}
	out, err := schema.SetStatus(data, st)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/"+path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	gittest.Output(t, dir, "commit", "--quiet", "-m", message, "--", path)
	gittest.Output(t, dir, "push", "--quiet", "origin", "HEAD:main")
}
