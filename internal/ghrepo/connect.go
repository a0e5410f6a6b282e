package ghrepo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v62/github"

	"github.com/jit-access/jit/internal/ghretry"
)

// DefaultBaseURL is the REST API root of github.com.
const DefaultBaseURL = "https://api.github.com/"

// Credentials say how jit authenticates to GitHub: as a GitHub App (AppID
// and PrivateKey) or with a token (GITHUB_TOKEN in Actions). Reading them
// from flags, files and the environment is the command's job.
type Credentials struct {
	// BaseURL is the REST API root ("": DefaultBaseURL); GitHub Enterprise
	// Server and the emulator serve it under /api/v3/.
	BaseURL string
	// AppID and PrivateKey (PEM) authenticate the App.
	AppID      int64
	PrivateKey []byte
	// Token is used when there are no App credentials.
	Token string
	// Transport carries the calls (nil: http.DefaultTransport); GitHub's
	// retries and rate limits (ghretry) sit on it, under the tokens.
	Transport http.RoundTripper
	// Logger receives ghretry's lines (nil: slog.Default()).
	Logger *slog.Logger
}

// apiURLs parses the REST API root as go-github does for an Enterprise
// host (adding /api/v3/ to a bare host), so that every client and
// ghinstallation's token requests use the same root.
func apiURLs(base string) (api, upload *url.URL, err error) {
	if base == "" {
		base = DefaultBaseURL
	}
	c, err := github.NewClient(nil).WithEnterpriseURLs(base, base)
	if err != nil {
		return nil, nil, fmt.Errorf("the GitHub API root %q: %w", base, err)
	}
	return c.BaseURL, c.UploadURL, nil
}

// client is a go-github client at the API root sending through rt.
func client(rt http.RoundTripper, api, upload *url.URL) *github.Client {
	c := github.NewClient(&http.Client{Transport: rt})
	a, u := *api, *upload
	c.BaseURL, c.UploadURL = &a, &u
	return c
}

// App is a GitHub App's access to GitHub: its own calls (GET /app, finding
// an installation) are signed with a JWT made from its private key, each
// installation's with the token ghinstallation mints and renews. Every call
// goes through ghretry.
type App struct {
	id          int64
	api, upload *url.URL
	apps        *ghinstallation.AppsTransport
	own         *github.Client
}

// NewApp reads the App's credentials; it makes no call.
func NewApp(c Credentials) (*App, error) {
	if c.AppID == 0 {
		return nil, errors.New("the App id is missing")
	}
	api, upload, err := apiURLs(c.BaseURL)
	if err != nil {
		return nil, err
	}
	apps, err := ghinstallation.NewAppsTransport(ghretry.New(c.Transport, ghretry.Options{Logger: c.Logger}), c.AppID, c.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("reading the App's private key: %w", err)
	}
	apps.BaseURL = strings.TrimSuffix(api.String(), "/")
	return &App{id: c.AppID, api: api, upload: upload, apps: apps, own: client(apps, api, upload)}, nil
}

// ID is the App's id.
func (a *App) ID() int64 { return a.id }

// Login returns the App's own login, "<slug>[bot]" (GET /app): the author
// of its comments and commits. It is also the first call that proves the
// credentials work.
func (a *App) Login(ctx context.Context) (string, error) {
	app, _, err := a.own.Apps.Get(ctx, "")
	if err != nil {
		return "", fmt.Errorf("authenticating as the App (GET /app): %w", err)
	}
	return app.GetSlug() + "[bot]", nil
}

// FindInstallation returns the id of the App's installation on r.
func (a *App) FindInstallation(ctx context.Context, r Repo) (int64, error) {
	inst, _, err := a.own.Apps.FindRepositoryInstallation(ctx, r.Owner, r.Name)
	if err != nil {
		return 0, fmt.Errorf("finding the App's installation on %s (is the App installed there?): %w", r, err)
	}
	return inst.GetID(), nil
}

// Installation returns the REST client of one installation. wrap, when not
// nil, is put above the installation's token transport: the App's
// revalidating cache, one per installation so that its answers can be keyed
// by URL alone.
func (a *App) Installation(id int64, wrap func(http.RoundTripper) http.RoundTripper) *github.Client {
	itr := ghinstallation.NewFromAppsTransport(a.apps, id)
	var rt http.RoundTripper = itr
	if wrap != nil {
		rt = wrap(rt)
	}
	return client(rt, a.api, a.upload)
}

// TokenClient is the REST client of c.Token: GITHUB_TOKEN's in Actions, or
// a person's own.
func TokenClient(c Credentials) (*github.Client, error) {
	if c.Token == "" {
		return nil, errors.New("no GitHub credentials: neither the App's nor a token")
	}
	api, upload, err := apiURLs(c.BaseURL)
	if err != nil {
		return nil, err
	}
	return client(ghretry.New(c.Transport, ghretry.Options{Logger: c.Logger}), api, upload).WithAuthToken(c.Token), nil
}

// Session is an authenticated client bound to one repository, with what
// authenticating learnt.
type Session struct {
	Client
	// Bot is the App's login ("<slug>[bot]"); "" with a token.
	Bot string
	// InstallationID is the App's installation on the repository; 0 with a
	// token.
	InstallationID int64
}

// Connect authenticates with c and binds a client to r: the App when c has
// App credentials, else the token. As the App it proves the credentials
// (GET /app), learns the App's login, and finds its installation on r
// unless installationID is given; a token is used as it is.
func Connect(ctx context.Context, c Credentials, r Repo, installationID int64) (*Session, error) {
	if c.AppID == 0 && len(c.PrivateKey) == 0 {
		gc, err := TokenClient(c)
		if err != nil {
			return nil, err
		}
		return &Session{Client: New(gc, r)}, nil
	}
	if c.AppID == 0 || len(c.PrivateKey) == 0 {
		return nil, errors.New("the App's credentials need both its id and its private key")
	}
	a, err := NewApp(c)
	if err != nil {
		return nil, err
	}
	bot, err := a.Login(ctx)
	if err != nil {
		return nil, err
	}
	if installationID == 0 {
		if installationID, err = a.FindInstallation(ctx, r); err != nil {
			return nil, err
		}
	}
	return &Session{Client: New(a.Installation(installationID, nil), r), Bot: bot, InstallationID: installationID}, nil
}
