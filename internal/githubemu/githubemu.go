// Package githubemu emulates the part of the GitHub REST API that jit's App
// and reconcile use, so that the real clients (go-github, ghinstallation) can
// be exercised end to end in tests and in `jit sandbox`.
//
// The emulator is an http.Handler. Its state lives in memory, except for
// repositories, which are real bare git repositories on disk: pull request
// branches, merge commits and contents writes are real commits, and a
// `git clone`/`git push` against RepoDir sees the same history the API does.
// Test drivers (OpenPullRequest, SubmitReview, Merge, ...) change state the
// way a person on github.com would and deliver the signed webhook GitHub
// would send, synchronously, so tests are deterministic.
package githubemu

import (
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v62/github"
	"github.com/jit-access/jit/internal/clock"
)

// Options configures a Server.
type Options struct {
	// Dir holds one bare git repository per repository, as Dir/owner/name.git.
	Dir string
	// Prefix is the path the API is served under; "" means "/api/v3" (what
	// go-github's WithEnterpriseURLs expects) and "/" means the root.
	Prefix string
	// Clock stamps created_at, submitted_at, merged_at and commit dates;
	// nil means the system clock. Authentication (JWT iat/exp, token expiry)
	// always uses the system clock because the clients sign with it.
	Clock clock.Clock
	// Logger receives one debug line per request; nil discards.
	Logger *slog.Logger
	// PageSize is the default per_page of list endpoints; 0 means GitHub's 30.
	PageSize int
	// WebhookTimeout bounds one delivery; 0 means GitHub's 10 s.
	WebhookTimeout time.Duration
	// AllowSelfReview lets authors approve or request changes on their own
	// pull requests, which GitHub refuses; tests use it to check that the
	// App's own rule holds even if GitHub's did not.
	AllowSelfReview bool
	// Latency is added to every API request, as a round trip to github.com
	// would; SetLatency changes it later.
	Latency time.Duration
}

// Server is the emulator. All methods are safe for concurrent use.
type Server struct {
	opts   Options
	prefix string
	clock  clock.Clock
	log    *slog.Logger
	mux    *http.ServeMux

	mu      sync.Mutex
	baseURL string
	nextID  int64
	users   map[string]*user // by lower-case login
	emails  map[string]string
	teams   map[string]*team // by org/slug, lower case
	orgs    map[string]bool
	app     *app
	tokens  map[string]*token
	repos   map[string]*repo // by owner/name, lower case

	reqMu    sync.Mutex
	requests map[string]int
	spans    spanLog
	actions  actionsState

	hooks hookState

	faults faults

	// Apps created from a manifest, by their one-time code (manifests.go).
	manifestCodes map[string]*pendingApp
}

type user struct {
	id                int64
	login, email, typ string
}

type team struct {
	id              int64
	org, slug, name string
	members         []string
	memberSet       map[string]bool
}

type app struct {
	id             int64
	slug, name     string
	pub            *rsa.PublicKey
	installationID int64
	bot            *user
	created        time.Time
}

type token struct {
	login        string
	installation bool
	expires      time.Time
}

type repo struct {
	id          int64
	owner, name string
	git         *gitRepo
	created     time.Time
	nextNumber  int
	pulls       map[int]*pull
	labels      map[string]*label // by lower-case name
	checkRuns   []*checkRun
	comments    map[int64]*comment
	permissions map[string]string
	required    []string
}

type pull struct {
	id                  int64
	number              int
	author, title, body string
	branch              string
	state               string
	created, updated    time.Time
	closedAt, mergedAt  time.Time
	closedBy            string
	// baseRef is the branch the pull request says it targets; "" is main.
	// Only what GitHub reports changes (RetargetPullRequest): diffs and
	// merges are against main.
	baseRef                string
	merged                 bool
	draft                  bool
	mergedBy, mergeCommit  string
	headAtMerge, baseAtMrg string
	mainAtMerge            string
	reviews                []*review
	requestedUsers         []string
	requestedTeams         []string
	labels                 []string
	comments               []int64
}

type review struct {
	id                          int64
	user, state, body, commitID string
	submitted                   time.Time
	dismissedFrom               string
	dismissalMessage            string
	// dismissedBy and dismissedAt are the review_dismissed event's actor
	// and time, which the issue events API reports.
	dismissedBy string
	dismissedAt time.Time
}

type comment struct {
	id               int64
	number           int
	user, body       string
	created, updated time.Time
}

type label struct {
	id                       int64
	name, color, description string
}

type checkRun struct {
	id                            int64
	appID                         int64
	name, headSHA, status         string
	conclusion, detailsURL, extID string
	started, completed            time.Time
	title, summary, text          string
	annotations                   []*github.CheckRunAnnotation
}

// New creates an emulator whose repositories live under opts.Dir.
func New(opts Options) (*Server, error) {
	if opts.Dir == "" {
		return nil, errors.New("githubemu: Options.Dir is required: it holds the bare git repositories")
	}
	prefix := opts.Prefix
	switch prefix {
	case "":
		prefix = "/api/v3"
	case "/":
		prefix = ""
	}
	prefix = "/" + strings.Trim(prefix, "/")
	if prefix == "/" {
		prefix = ""
	}
	if opts.PageSize <= 0 {
		opts.PageSize = 30
	}
	if opts.PageSize > 100 {
		opts.PageSize = 100
	}
	if opts.WebhookTimeout <= 0 {
		opts.WebhookTimeout = 10 * time.Second
	}
	s := &Server{
		opts:     opts,
		prefix:   prefix,
		clock:    opts.Clock,
		log:      opts.Logger,
		nextID:   1000,
		users:    map[string]*user{},
		emails:   map[string]string{},
		teams:    map[string]*team{},
		orgs:     map[string]bool{},
		tokens:   map[string]*token{},
		repos:    map[string]*repo{},
		requests: map[string]int{},
		baseURL:  "http://github.localhost" + prefix,
	}
	if s.clock == nil {
		s.clock = clock.Real{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if opts.Latency > 0 {
		s.SetLatency(opts.Latency)
	}
	s.hooks.init(s)
	s.routes()
	return s, nil
}

// Close waits for webhooks queued by API calls to be delivered and stops the
// delivery worker.
func (s *Server) Close() { s.hooks.close() }

// SetURL tells the emulator the external URL of the API (including the
// prefix), used in the url fields of responses and webhook payloads. Without
// it, the emulator learns the URL from the first request it serves.
func (s *Server) SetURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.baseURL = strings.TrimRight(u, "/")
}

func (s *Server) now() time.Time { return s.clock.Now().UTC().Truncate(time.Second) }

func (s *Server) newID() int64 {
	s.nextID++
	return s.nextID
}

func key(parts ...string) string { return strings.ToLower(strings.Join(parts, "/")) }

// Requests returns how many requests each route served, keyed by
// "METHOD /route/template", e.g. "GET /repos/{owner}/{repo}/pulls/{number}".
func (s *Server) Requests() map[string]int {
	s.reqMu.Lock()
	defer s.reqMu.Unlock()
	return maps.Clone(s.requests)
}

// ResetRequests zeroes the request counters and forgets the spans.
func (s *Server) ResetRequests() {
	s.reqMu.Lock()
	s.requests = map[string]int{}
	s.reqMu.Unlock()
	s.spans.reset()
}

func (s *Server) count(route string) {
	s.reqMu.Lock()
	s.requests[route]++
	s.reqMu.Unlock()
}

// ServeHTTP serves the REST API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if strings.HasPrefix(s.baseURL, "http://github.localhost") && r.Host != "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		s.baseURL = scheme + "://" + r.Host + s.prefix
	}
	s.mu.Unlock()
	w.Header().Set("X-GitHub-Media-Type", "github.v3; format=json")
	w.Header().Set("X-RateLimit-Limit", "5000")
	w.Header().Set("X-RateLimit-Remaining", "4999")
	w.Header().Set("X-RateLimit-Used", "1")
	w.Header().Set("X-RateLimit-Resource", "core")
	w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
	w.Header().Set("X-GitHub-Request-Id", strings.ToUpper(randomHex(8)))
	s.mux.ServeHTTP(w, r)
}

// caller is who a request is authenticated as.
type caller struct {
	login string
	// installation is true for an App installation token; the login is
	// then the App's bot.
	installation bool
}

type authKind int

const (
	authToken authKind = iota // installation or user token
	authJWT                   // the App's own JWT
)

type handlerFunc func(w http.ResponseWriter, r *http.Request, c caller)

func (s *Server) handle(pattern string, auth authKind, h handlerFunc) {
	_, path, _ := strings.Cut(pattern, " ")
	s.handleAs(pattern, strings.Replace(pattern, path, strings.ReplaceAll(path, "...}", "}"), 1), auth, h)
}

// handleAs registers pattern and counts its requests under route.
func (s *Server) handleAs(pattern, route string, auth authKind, h handlerFunc) {
	method, path, _ := strings.Cut(pattern, " ")
	s.mux.HandleFunc(method+" "+s.prefix+path, s.served(route, auth, h))
}

// served authenticates, counts and serves the requests of one route.
func (s *Server) served(route string, auth authKind, h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.count(route)
		start := time.Now()
		var c caller
		s.serveAPI(w, r, route, start, func(w http.ResponseWriter, r *http.Request) {
			if s.injectFault(w, r, route) {
				return
			}
			var ok bool
			if c, ok = s.authenticate(w, r, auth); ok {
				h(w, r, c)
			}
		})
		s.watchPushes(r)
		s.log.Debug("github api request", "route", route, "path", r.URL.Path, "caller", c.login, "duration", time.Since(start))
	}
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	for _, p := range []string{"token ", "Bearer ", "bearer "} {
		if strings.HasPrefix(h, p) {
			return strings.TrimSpace(h[len(p):])
		}
	}
	return ""
}

func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, kind authKind) (caller, bool) {
	tok := bearer(r)
	if tok == "" {
		if kind == authJWT {
			s.fail(w, http.StatusUnauthorized, "A JSON web token could not be decoded")
		} else {
			s.fail(w, http.StatusUnauthorized, "Requires authentication")
		}
		return caller{}, false
	}
	if kind == authJWT {
		s.mu.Lock()
		a := s.app
		s.mu.Unlock()
		if a == nil {
			s.fail(w, http.StatusUnauthorized, "A JSON web token could not be decoded")
			return caller{}, false
		}
		if err := verifyAppJWT(tok, a.id, a.pub, time.Now()); err != nil {
			s.log.Debug("rejected app JWT", "err", err)
			s.fail(w, http.StatusUnauthorized, err.Error())
			return caller{}, false
		}
		return caller{login: a.bot.login}, true
	}
	s.mu.Lock()
	t, ok := s.tokens[tok]
	s.mu.Unlock()
	if !ok || (!t.expires.IsZero() && time.Now().After(t.expires)) {
		s.fail(w, http.StatusUnauthorized, "Bad credentials")
		return caller{}, false
	}
	return caller{login: t.login, installation: t.installation}, true
}

// ---- responses ----

const docsURL = "https://docs.github.com/rest"

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}

func (s *Server) fail(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"message": msg, "documentation_url": docsURL})
}

func (s *Server) notFound(w http.ResponseWriter) { s.fail(w, http.StatusNotFound, "Not Found") }

// invalid answers 422 Validation Failed with one error naming the field.
func (s *Server) invalid(w http.ResponseWriter, resource, field, code, msg string) {
	e := map[string]string{"resource": resource, "field": field, "code": code}
	if msg != "" {
		e["message"] = msg
	}
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
		"message": "Validation Failed", "errors": []any{e}, "documentation_url": docsURL,
	})
}

func (s *Server) unprocessable(w http.ResponseWriter, msg string) {
	s.fail(w, http.StatusUnprocessableEntity, msg)
}

// gitFail maps git-layer errors to GitHub's answers.
func (s *Server) gitFail(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, errNotFound):
		s.notFound(w)
	case errors.Is(err, errStaleRef):
		s.fail(w, http.StatusConflict, "Reference update failed: the branch moved, try again")
	default:
		s.log.Error("git operation failed", "err", err)
		s.fail(w, http.StatusInternalServerError, "Server Error")
	}
}

func decodeBody(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	return json.Unmarshal(body, v)
}

func (s *Server) badJSON(w http.ResponseWriter, err error) {
	s.fail(w, http.StatusBadRequest, "Problems parsing JSON: "+err.Error())
}

// paginate answers a list with GitHub's per_page/page parameters and Link
// header, which go-github turns into Response.NextPage and LastPage.
func paginate[T any](s *Server, w http.ResponseWriter, r *http.Request, items []T) []T {
	q := r.URL.Query()
	per := s.opts.PageSize
	if v, err := strconv.Atoi(q.Get("per_page")); err == nil && v > 0 {
		per = min(v, 100)
	}
	page := 1
	if v, err := strconv.Atoi(q.Get("page")); err == nil && v > 0 {
		page = v
	}
	last := max(1, (len(items)+per-1)/per)
	if len(items) > per {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		link := func(p int, rel string) string {
			q.Set("page", strconv.Itoa(p))
			q.Set("per_page", strconv.Itoa(per))
			u := url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path, RawQuery: q.Encode()}
			return fmt.Sprintf("<%s>; rel=%q", u.String(), rel)
		}
		var links []string
		if page > 1 {
			links = append(links, link(page-1, "prev"))
		}
		if page < last {
			links = append(links, link(page+1, "next"), link(last, "last"))
		}
		if page > 1 {
			links = append(links, link(1, "first"))
		}
		if len(links) > 0 {
			w.Header().Set("Link", strings.Join(links, ", "))
		}
	}
	start := (page - 1) * per
	if start >= len(items) {
		return []T{}
	}
	return items[start:min(start+per, len(items))]
}

// ---- state lookups (callers hold s.mu) ----

func (s *Server) repoLocked(owner, name string) *repo { return s.repos[key(owner, name)] }

func (s *Server) pullLocked(owner, name string, number int) (*repo, *pull) {
	rp := s.repoLocked(owner, name)
	if rp == nil {
		return nil, nil
	}
	return rp, rp.pulls[number]
}

func (s *Server) userLocked(login string) *user {
	if u, ok := s.users[strings.ToLower(login)]; ok {
		return u
	}
	if s.app != nil && strings.EqualFold(login, s.app.bot.login) {
		return s.app.bot
	}
	return nil
}

// repoAndPull looks up a pull request from a request's path values.
func (s *Server) pathPull(w http.ResponseWriter, r *http.Request) (*repo, *pull, bool) {
	n, err := strconv.Atoi(r.PathValue("number"))
	if err != nil {
		s.notFound(w)
		return nil, nil, false
	}
	s.mu.Lock()
	rp, pr := s.pullLocked(r.PathValue("owner"), r.PathValue("repo"), n)
	s.mu.Unlock()
	if pr == nil {
		s.notFound(w)
		return nil, nil, false
	}
	return rp, pr, true
}

func (s *Server) pathRepo(w http.ResponseWriter, r *http.Request) (*repo, bool) {
	s.mu.Lock()
	rp := s.repoLocked(r.PathValue("owner"), r.PathValue("repo"))
	s.mu.Unlock()
	if rp == nil {
		s.notFound(w)
		return nil, false
	}
	return rp, true
}

// headSHA is the pull request's head commit: the branch tip while it is open,
// frozen at merge time afterwards.
func (pr *pull) headSHA(rp *repo) string {
	if pr.merged {
		return pr.headAtMerge
	}
	sha, _ := rp.git.branchTip(pr.branch)
	return sha
}

// RepoDir returns the bare git repository behind owner/name, for `git clone`.
func (s *Server) RepoDir(owner, name string) string {
	return filepath.Join(s.opts.Dir, owner, name+".git")
}

// base is the branch the pull request targets.
func (pr *pull) base() string {
	if pr.baseRef == "" {
		return "main"
	}
	return pr.baseRef
}
