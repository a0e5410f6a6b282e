package githubemu

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"
)

// GitHub's App-manifest flow
// (https://docs.github.com/apps/sharing-github-apps/registering-a-github-app-from-a-manifest):
// the organisation owner's browser posts a manifest to the web page
// /organizations/{org}/settings/apps/new, GitHub creates the App and
// redirects to the manifest's redirect_url with a one-time code, and the
// code is exchanged within an hour, without authentication, through
// POST /app-manifests/{code}/conversions (operation apps/create-from-manifest
// of GitHub's OpenAPI description) for the App's id, private key and
// webhook secret. The emulator stands in for the owner's confirmation: the
// form post creates the App at once. The created App becomes the emulator's
// App, so its key authenticates at once.

// manifestCodeTTL is how long GitHub accepts a manifest code.
const manifestCodeTTL = time.Hour

// pendingApp is an App created from a manifest whose code was not yet
// exchanged.
type pendingApp struct {
	config  *github.AppConfig
	perms   *github.InstallationPermissions
	events  []string
	key     *rsa.PrivateKey
	created time.Time
}

// manifest is the part of an App manifest the emulator reads.
type manifest struct {
	Name           string `json:"name"`
	URL            string `json:"url"`
	Description    string `json:"description"`
	RedirectURL    string `json:"redirect_url"`
	HookAttributes struct {
		URL    string `json:"url"`
		Active *bool  `json:"active"`
	} `json:"hook_attributes"`
	DefaultPermissions map[string]string `json:"default_permissions"`
	DefaultEvents      []string          `json:"default_events"`
}

var slugRE = regexp.MustCompile(`[^a-z0-9]+`)

// newAppFromManifest answers the web form post: it validates the manifest
// as GitHub's form does and redirects to redirect_url?code=...&state=....
func (s *Server) newAppFromManifest(w http.ResponseWriter, r *http.Request) {
	s.count("POST /organizations/{org}/settings/apps/new")
	org := r.PathValue("org")
	if err := r.ParseForm(); err != nil {
		http.Error(w, "the form could not be read", http.StatusBadRequest)
		return
	}
	var m manifest
	if err := json.Unmarshal([]byte(r.PostForm.Get("manifest")), &m); err != nil {
		http.Error(w, "Invalid GitHub App configuration: the manifest is not JSON", http.StatusUnprocessableEntity)
		return
	}
	var problems []string
	if m.Name == "" {
		problems = append(problems, "name can't be blank")
	}
	if u, err := url.Parse(m.URL); m.URL == "" || err != nil || u.Host == "" {
		problems = append(problems, "url is not a valid URL")
	}
	active := m.HookAttributes.Active == nil || *m.HookAttributes.Active
	if u, err := url.Parse(m.HookAttributes.URL); active && (m.HookAttributes.URL == "" || err != nil || u.Host == "") {
		problems = append(problems, "hook_attributes.url is not a valid URL")
	}
	redirect, err := url.Parse(m.RedirectURL)
	if m.RedirectURL == "" || err != nil || redirect.Host == "" {
		problems = append(problems, "redirect_url is not a valid URL")
	}
	if len(problems) > 0 {
		http.Error(w, "Invalid GitHub App configuration: "+strings.Join(problems, "; "), http.StatusUnprocessableEntity)
		return
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		http.Error(w, "could not create the App's key", http.StatusInternalServerError)
		return
	}

	s.mu.Lock()
	if !s.orgs[strings.ToLower(org)] {
		s.mu.Unlock()
		http.NotFound(w, r)
		return
	}
	now := s.now()
	id := s.newID()
	slug := strings.Trim(slugRE.ReplaceAllString(strings.ToLower(m.Name), "-"), "-")
	perms := &github.InstallationPermissions{}
	if b, err := json.Marshal(m.DefaultPermissions); err == nil {
		_ = json.Unmarshal(b, perms)
	}
	cfg := &github.AppConfig{
		ID:            ptr(id),
		Slug:          ptr(slug),
		NodeID:        ptr(fmt.Sprintf("A_%d", id)),
		Owner:         s.simpleUserLocked(org),
		Name:          ptr(m.Name),
		Description:   ptr(m.Description),
		ExternalURL:   ptr(m.URL),
		HTMLURL:       ptr(htmlBase(s.baseURL) + "/apps/" + slug),
		CreatedAt:     ts(now),
		UpdatedAt:     ts(now),
		ClientID:      ptr("Iv1." + randomHex(8)),
		ClientSecret:  ptr(randomHex(20)),
		WebhookSecret: ptr(randomHex(20)),
		PEM:           ptr(string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))),
	}
	code := randomHex(20)
	if s.manifestCodes == nil {
		s.manifestCodes = map[string]*pendingApp{}
	}
	s.manifestCodes[code] = &pendingApp{config: cfg, perms: perms, events: m.DefaultEvents, key: key, created: now}
	s.mu.Unlock()

	q := redirect.Query()
	q.Set("code", code)
	if state := r.URL.Query().Get("state"); state != "" {
		q.Set("state", state)
	}
	redirect.RawQuery = q.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// createFromManifest is POST /app-manifests/{code}/conversions: a code is
// good once, for an hour.
func (s *Server) createFromManifest(w http.ResponseWriter, r *http.Request) {
	s.count("POST /app-manifests/{code}/conversions")
	code := r.PathValue("code")
	s.mu.Lock()
	p, ok := s.manifestCodes[code]
	if ok {
		delete(s.manifestCodes, code)
	}
	expired := ok && s.now().Sub(p.created) > manifestCodeTTL
	s.mu.Unlock()
	if !ok || expired {
		s.notFound(w)
		return
	}
	cfg := *p.config
	s.RegisterApp(cfg.GetID(), cfg.GetSlug(), &p.key.PublicKey)
	s.mu.Lock()
	s.app.name = cfg.GetName()
	s.mu.Unlock()
	// The response is the App (with its permissions and events) plus its
	// client id, client secret, webhook secret and private key.
	body := struct {
		*github.AppConfig
		Permissions *github.InstallationPermissions `json:"permissions"`
		Events      []string                        `json:"events"`
	}{&cfg, p.perms, p.events}
	if body.Events == nil {
		body.Events = []string{}
	}
	writeJSON(w, http.StatusCreated, body)
}

// simpleUserLocked is the "simple-user" of GitHub's OpenAPI description,
// every required member included, as the manifest conversion's owner.
func (s *Server) simpleUserLocked(login string) *github.User {
	u := s.ownerJSON(s.userLocked(login).login)
	api := s.baseURL + "/users/" + u.GetLogin()
	u.AvatarURL = ptr(fmt.Sprintf("%s/avatars/u/%d", htmlBase(s.baseURL), u.GetID()))
	simpleUserURLs(u, api)
	return u
}

// simpleUserURLs fills the members every "simple-user" of GitHub's OpenAPI
// description has beside its login, id and avatar: the user's API URLs
// below api, and an empty gravatar id.
func simpleUserURLs(u *github.User, api string) {
	u.GravatarID = ptr("")
	u.EventsURL = ptr(api + "/events{/privacy}")
	u.FollowersURL = ptr(api + "/followers")
	u.FollowingURL = ptr(api + "/following{/other_user}")
	u.GistsURL = ptr(api + "/gists{/gist_id}")
	u.OrganizationsURL = ptr(api + "/orgs")
	u.ReceivedEventsURL = ptr(api + "/received_events")
	u.ReposURL = ptr(api + "/repos")
	u.StarredURL = ptr(api + "/starred{/owner}{/repo}")
	u.SubscriptionsURL = ptr(api + "/subscriptions")
}
