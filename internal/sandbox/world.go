// Package sandbox runs jit's whole lifecycle on one machine: the GitHub API
// emulator, the IAM Identity Center emulator and the GitHub App on loopback,
// around a temporary access repository made from this repository's template.
// `jit sandbox` and the end-to-end tests use the same World.
package sandbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v62/github"

	jit "github.com/jit-access/jit"
	"github.com/jit-access/jit/app"
	"github.com/jit-access/jit/internal/catalog"
	"github.com/jit-access/jit/internal/clock"
	"github.com/jit-access/jit/internal/ghrepo"
	"github.com/jit-access/jit/internal/githubemu"
	"github.com/jit-access/jit/internal/identitycenter/idcemu"
	"github.com/jit-access/jit/internal/initrepo"
	"github.com/jit-access/jit/internal/layout"
	"github.com/jit-access/jit/internal/ledger"
	"github.com/jit-access/jit/internal/version"
	"github.com/jit-access/jit/schema"
)

// The sandbox organisation. Logins match the template's config and
// CODEOWNERS so that the story reads like a real organisation's.
const (
	Org      = "acme"
	RepoName = "access"
	AppID    = 1001
	AppSlug  = "jit"
)

// People of the sandbox organisation and their roles.
var (
	// Users are the GitHub logins, each with an Identity Center user.
	Users = []string{"octocat", "alice", "bob", "carol", "dave", "erin", "mallory"}
	// Teams maps team slugs to members, matching the template's CODEOWNERS
	// and admins.
	Teams = map[string][]string{
		"sso-admins":     {"bob", "dave"},
		"payments-leads": {"alice"},
		"payments-team":  {"carol"},
		"data-platform":  {"erin"},
	}
)

// Options configure a World.
type Options struct {
	// Dir holds the emulated repositories; it must exist.
	Dir string
	// Clock is shared by the emulators and jit. It is required: a world
	// starts at an instant its caller chooses (clock.At), so that nothing in
	// a test depends on today's date; `jit sandbox` passes the wall clock.
	Clock *clock.Offset
	// AsyncDelay is how long Identity Center takes to finish an assignment
	// operation (0: 200 ms, quick for a story but still asynchronous).
	AsyncDelay time.Duration
	// RequestsPerSecond limits the Identity Center emulator (0: AWS's 20).
	RequestsPerSecond float64
	// AllowSelfReview lets the emulated GitHub accept an author's review of
	// their own pull request (GitHub refuses it) to show that jit refuses it
	// too.
	AllowSelfReview bool
	// Dispatch makes the App dispatch the reconcile workflow at each expiry
	// and scheduled start on main, and the emulated GitHub run the
	// reconcile (without lookahead) for each dispatch, as Actions would.
	Dispatch bool
	// MaxInFlight bounds the deliveries the App handles at once (0: the
	// App's default); benchmarks of many concurrent deliveries raise it.
	MaxInFlight int
	// Notifier receives the App's notifications; nil: none.
	Notifier app.Notifier
	Logger   *slog.Logger
}

// World is a running sandbox.
type World struct {
	Clock *clock.Offset
	Log   *slog.Logger

	GitHub    *githubemu.Server
	GitHubURL string // API root, ending in /api/v3/
	IDC       *idcemu.Emulator
	IDCURL    string
	App       *app.Server
	AppURL    string // the webhook URL
	PageURL   string // the request page

	InstallationID int64
	PrivateKeyPEM  []byte
	// SigningKey is the path of the reconcile's SSH signing key; its public
	// key is in the access repository's .github/jit-signers.
	SigningKey string
	// SignersLine is that key's allowed-signers line.
	SignersLine   string
	WebhookSecret []byte
	// UserIDs maps GitHub logins to Identity Center user ids.
	UserIDs map[string]string
	// PermissionSetARNs maps the standard sets' names to their ARNs in the
	// emulated Identity Center.
	PermissionSetARNs map[string]string

	dir          string
	clones       int
	pollInterval time.Duration
	servers      []*httptest.Server
}

// Start builds the organisation, the access repository and the App, and
// starts the three servers on loopback.
func Start(ctx context.Context, opts Options) (w *World, err error) {
	if opts.Dir == "" {
		return nil, errors.New("sandbox: Options.Dir is required")
	}
	if opts.Clock == nil {
		return nil, errors.New("sandbox: Options.Clock is required: start the world at an instant you choose, with clock.At")
	}
	if opts.AsyncDelay == 0 {
		opts.AsyncDelay = 200 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	w = &World{Clock: opts.Clock, Log: opts.Logger, UserIDs: map[string]string{}, PermissionSetARNs: map[string]string{},
		dir: opts.Dir, pollInterval: opts.AsyncDelay / 2}
	defer func() {
		if err != nil {
			w.Close()
		}
	}()

	// Identity Center: users and the template's standard permission sets.
	w.IDC = idcemu.New(idcemu.Options{Clock: opts.Clock, AsyncDelay: opts.AsyncDelay, RequestsPerSecond: opts.RequestsPerSecond, Logger: opts.Logger})
	for _, u := range Users {
		w.UserIDs[u] = w.IDC.AddUser(u+"@acme.example", u)
	}
	w.PermissionSetARNs["ReadOnlyAccess"] = w.IDC.AddPermissionSet("ReadOnlyAccess", time.Hour, []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}, "")
	w.PermissionSetARNs["PowerUserAccess"] = w.IDC.AddPermissionSet("PowerUserAccess", 4*time.Hour, []string{"arn:aws:iam::aws:policy/PowerUserAccess"}, "")
	idc, err := listen(w.IDC)
	if err != nil {
		return nil, err
	}
	w.servers = append(w.servers, idc)
	w.IDCURL = idc.URL

	// GitHub: people, teams, the App and the access repository.
	w.GitHub, err = githubemu.New(githubemu.Options{Dir: opts.Dir, Clock: opts.Clock, Logger: opts.Logger, AllowSelfReview: opts.AllowSelfReview})
	if err != nil {
		return nil, fmt.Errorf("starting the GitHub emulator: %w", err)
	}
	gh, err := listen(w.GitHub)
	if err != nil {
		return nil, err
	}
	w.servers = append(w.servers, gh)
	w.GitHubURL = gh.URL + "/api/v3/"
	w.GitHub.SetURL(gh.URL + "/api/v3")
	for _, u := range Users {
		w.GitHub.AddUser(u, u+"@acme.example")
	}
	for slug, members := range Teams {
		w.GitHub.AddTeam(Org, slug, members...)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("generating the App's key: %w", err)
	}
	w.PrivateKeyPEM = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	w.InstallationID = w.GitHub.RegisterApp(AppID, AppSlug, &key.PublicKey)
	if w.SigningKey, w.SignersLine, err = newSigningKey(ctx, opts.Dir); err != nil {
		return nil, err
	}
	files, err := w.templateFiles()
	if err != nil {
		return nil, err
	}
	if err := w.GitHub.CreateRepo(Org, RepoName, files); err != nil {
		return nil, fmt.Errorf("creating the access repository: %w", err)
	}

	// The App, behind the emulator's signed webhooks.
	secret := make([]byte, 16)
	rand.Read(secret)
	w.WebhookSecret = []byte(hex.EncodeToString(secret))
	w.App, err = app.New(app.Options{
		AppID:         AppID,
		PrivateKey:    w.PrivateKeyPEM,
		WebhookSecret: w.WebhookSecret,
		BaseURL:       w.GitHubURL,
		Clock:         opts.Clock,
		Logger:        opts.Logger,
		Notifier:      opts.Notifier,
		MaxInFlight:   opts.MaxInFlight,
	})
	if err != nil {
		return nil, fmt.Errorf("starting the App: %w", err)
	}
	// The App's listener serves the request page too, as jit serve
	// --page-repo does.
	page := catalog.Handler(w.App.PageSource(ghrepo.Repo{Owner: Org, Name: RepoName}), opts.Clock.Now)
	hook, err := listen(catalog.WithApp(w.App.Handler(), page))
	if err != nil {
		return nil, err
	}
	w.servers = append(w.servers, hook)
	w.AppURL = hook.URL + "/webhook"
	w.PageURL = hook.URL + "/"
	w.GitHub.SetWebhook(w.AppURL, string(w.WebhookSecret))
	if opts.Dispatch {
		w.GitHub.SetDispatchHandler(func(d githubemu.Dispatch) {
			rep, err := w.Reconcile(context.Background(), 0)
			if err != nil || !rep.OK() {
				w.Log.Error("the dispatched reconcile failed", "err", err, "report", rep.String())
			}
		})
		if err := w.App.Schedule(ctx, w.InstallationID, ghrepo.Repo{Owner: Org, Name: RepoName}); err != nil {
			return nil, fmt.Errorf("starting the App's reconcile schedule: %w", err)
		}
	}
	return w, nil
}

// listen serves h on a loopback port only: the sandbox never listens on an
// external interface.
func listen(h http.Handler) (*httptest.Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening on loopback: %w", err)
	}
	s := httptest.NewUnstartedServer(h)
	s.Listener.Close()
	s.Listener = ln
	s.Start()
	return s, nil
}

// templateFiles returns the access repository's first commit: the embedded
// template with the Identity Center ARNs of the emulator.
func (w *World) templateFiles() (map[string][]byte, error) {
	files := map[string][]byte{}
	err := fs.WalkDir(jit.Template, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(jit.Template, p)
		if err != nil {
			return err
		}
		files[p] = b
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the template: %w", err)
	}
	cfg := files[layout.ConfigPath]
	cfg = bytes.ReplaceAll(cfg, []byte("arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-0123456789abcdef"), []byte(w.PermissionSetARNs["ReadOnlyAccess"]))
	cfg = bytes.ReplaceAll(cfg, []byte("arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-fedcba9876543210"), []byte(w.PermissionSetARNs["PowerUserAccess"]))
	cfg = bytes.ReplaceAll(cfg, []byte("arn:aws:sso:::instance/ssoins-0123456789abcdef"), []byte(w.IDC.InstanceARN()))
	cfg = bytes.ReplaceAll(cfg, []byte("d-0123456789"), []byte(w.IDC.IdentityStoreID()))
	files[layout.ConfigPath] = cfg
	files[ledger.SignersPath] = []byte("# The reconcile's signing key: only commits it signed are jit's records.\n" + w.SignersLine)
	// The rest of what jit init writes, so that the kept repository has the
	// shape of an adopter's: the requesters' README, the workflows and the
	// AWS role.
	// The workflows jit init writes, pinned to this build's release or
	// commit; a development build has neither and uses main.
	build := version.Read()
	ref, err := build.ActionRef()
	if err != nil {
		ref = "main"
	}
	workflows, err := initrepo.Workflows(initrepo.DefaultActionRepo, ref, build.Version)
	if err != nil {
		return nil, fmt.Errorf("rendering the workflows: %w", err)
	}
	maps.Copy(files, workflows)
	readme, err := initrepo.RequestsREADME(initrepo.DefaultActionRepo, ref)
	if err != nil {
		return nil, err
	}
	files[initrepo.RequestsReadme] = readme
	cfgFile, findings := schema.ParseConfig(initrepo.ConfigPath, files[initrepo.ConfigPath])
	if schema.HasErrors(findings) || cfgFile == nil {
		return nil, fmt.Errorf("the sandbox's config has errors: %v", findings)
	}
	aws, err := initrepo.AWSFiles(Org+"/"+RepoName, cfgFile)
	if err != nil {
		return nil, err
	}
	maps.Copy(files, aws)
	return files, nil
}

// newSigningKey makes the reconcile's ssh-ed25519 signing key in dir with
// ssh-keygen, which git also runs to sign, and returns its path and its
// allowed-signers line.
func newSigningKey(ctx context.Context, dir string) (string, string, error) {
	private, line, err := ledger.GenerateSigningKey(ctx)
	if err != nil {
		return "", "", err
	}
	key := filepath.Join(dir, "jit-signing-key")
	if err := os.WriteFile(key, private, 0o600); err != nil {
		return "", "", fmt.Errorf("writing the signing key: %w", err)
	}
	return key, line, nil
}

// Client returns a go-github client authenticated as the App's installation,
// as the reconcile Action uses it.
func (w *World) Client() (*github.Client, error) {
	tr, err := ghinstallation.New(http.DefaultTransport, AppID, w.InstallationID, w.PrivateKeyPEM)
	if err != nil {
		return nil, err
	}
	tr.BaseURL = w.GitHubURL[:len(w.GitHubURL)-1]
	return github.NewClient(&http.Client{Transport: tr}).WithEnterpriseURLs(w.GitHubURL, w.GitHubURL)
}

// Close stops the servers.
func (w *World) Close() {
	if w.App != nil {
		w.App.Close()
	}
	if w.GitHub != nil {
		w.GitHub.WaitRuns()
	}
	for i := len(w.servers) - 1; i >= 0; i-- {
		w.servers[i].Close()
	}
	w.servers = nil
	if w.App != nil {
		w.App.Close()
	}
	if w.GitHub != nil {
		w.GitHub.Close()
	}
}
