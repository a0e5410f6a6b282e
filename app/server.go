package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/go-github/v62/github"
	"github.com/hashicorp/golang-lru/v2/expirable"

	"github.com/jit-access/jit/internal/clock"
	"github.com/jit-access/jit/internal/ghrepo"
	"github.com/jit-access/jit/internal/notify"
	"golang.org/x/time/rate"
)

// DefaultMaxBodyBytes caps a webhook body; GitHub caps payloads at 25 MB and
// jit's events are far smaller, so a larger body is refused before reading.
const DefaultMaxBodyBytes = 25 << 20

// DefaultMaxInFlight is Options.MaxInFlight's default: well above the
// deliveries GitHub sends one App at once.
const DefaultMaxInFlight = 32

// DefaultMaxBodyMemory is Options.MaxBodyMemory's default.
const DefaultMaxBodyMemory = 128 << 20

// Options configure the App.
type Options struct {
	// AppID and PrivateKey (PEM) authenticate the App; installation tokens
	// are minted through ghinstallation.
	AppID      int64
	PrivateKey []byte
	// WebhookSecret verifies X-Hub-Signature-256. It must not be empty.
	WebhookSecret []byte
	// BaseURL is the REST API root, e.g. https://api.github.com/ or a GitHub
	// Enterprise/emulator URL ending in /api/v3/.
	BaseURL string
	// BotLogin is the App's own login ("<slug>[bot]"); events it caused are
	// ignored. Looked up with GET /app when empty.
	BotLogin string
	// Transport is the HTTP transport for API calls (nil:
	// http.DefaultTransport); retries and rate limits (ghretry) sit on it.
	Transport http.RoundTripper
	// MaxBodyBytes caps webhook bodies (0: DefaultMaxBodyBytes).
	MaxBodyBytes int64
	// MaxInFlight bounds the deliveries read and handled at once; more are
	// answered 503 with Retry-After (0: DefaultMaxInFlight).
	MaxInFlight int
	// MaxBodyMemory bounds the bytes of the bodies held at once, counted
	// by Content-Length (MaxBodyBytes when it is not sent); a delivery that
	// does not fit is answered 503 with Retry-After (0:
	// DefaultMaxBodyMemory).
	MaxBodyMemory int64
	// RetryFor is how long a failed evaluation is tried again in-process
	// (0: DefaultRetryFor; negative: not retried).
	RetryFor time.Duration
	// HandlerTimeout bounds the work done for one delivery, well under
	// GitHub's 10 s delivery timeout (0: 8 s).
	HandlerTimeout time.Duration
	Clock          clock.Clock
	Logger         *slog.Logger
	// Notifier tells chat channels that a request waits for someone or was
	// approved; nil: no notifications.
	Notifier Notifier
	// CacheBytes bounds the cache of GitHub answers, revalidated on every
	// use, per installation (0: DefaultCacheBytes).
	CacheBytes int
	// Dispatch makes the App dispatch the reconcile workflow at each expiry
	// and scheduled start of every repository it hears a push to main
	// from (Schedule starts one at once).
	Dispatch bool
	// ReconcileWorkflow is the file name of the workflow to dispatch
	// ("": DefaultReconcileWorkflow).
	ReconcileWorkflow string
	// DispatchWindow: instants closer than this share one dispatch
	// (0: DefaultDispatchWindow).
	DispatchWindow time.Duration
}

// Notifier sends one notification; failures are the notifier's to log and
// retry, and never affect the App's work.
type Notifier interface {
	Notify(ctx context.Context, e notify.Event) error
}

// Server is the GitHub App: the webhook endpoint and the sweep. It keeps no
// state that matters for correctness: every decision is recomputed from the
// API, so replicas can run side by side behind a load balancer.
type Server struct {
	opts  Options
	log   *slog.Logger
	clock clock.Clock
	// gh is the App's access to GitHub: its own calls and its
	// installations' clients.
	gh   *ghrepo.App
	seen *deliveries
	mu   sync.Mutex
	// byInst caches the API client of each installation (its token is
	// renewed by ghinstallation): bounded in size and age, so an App
	// installed on many organisations does not keep every client forever.
	byInst *expirable.LRU[int64, *github.Client]
	bot    string
	// bg tracks notifications still being delivered, for Wait.
	bg sync.WaitGroup
	// inFlight holds a token per delivery being read or handled;
	// bodyBytes counts the body bytes they reserved.
	inFlight  chan struct{}
	bodyBytes atomic.Int64
	refusals  *refusalLog
	retries   *retries
	rechecks  *coalescer
	rules     *parsedRules
	// schedules are the repositories the App dispatches the reconcile of,
	// by lower-case owner/name; sched tracks their goroutines.
	schedules map[string]*schedule
	sched     sync.WaitGroup
	// base bounds the schedules started by a push; Close ends it.
	base   context.Context
	cancel context.CancelFunc
}

// Wait blocks until notifications sent in the background are delivered or
// given up; for graceful shutdown and tests.
func (s *Server) Wait() {
	s.rechecks.wait()
	s.bg.Wait()
}

// New checks the options and builds the App.
func New(opts Options) (*Server, error) {
	if len(opts.WebhookSecret) == 0 {
		return nil, errors.New("the webhook secret is empty: set --webhook-secret-file or JIT_WEBHOOK_SECRET to the secret configured on the GitHub App (an App without one would accept forged events)")
	}
	if opts.AppID == 0 {
		return nil, errors.New("the App id is missing: set --app-id or JIT_APP_ID")
	}
	if opts.Transport == nil {
		// The App reads in parallel, about ten requests per delivery:
		// keep a connection per request in flight rather than the default
		// two idle ones per host, so that a burst of deliveries does not
		// dial GitHub anew for most of its requests (over HTTP/1.1; HTTP/2
		// shares one connection anyway).
		t := http.DefaultTransport.(*http.Transport).Clone()
		// Both bounds: the default's 100 in all would close and dial
		// connections beyond it on every burst.
		t.MaxIdleConns, t.MaxIdleConnsPerHost = 512, 512
		opts.Transport = t
	}
	if opts.BaseURL == "" {
		opts.BaseURL = "https://api.github.com/"
	}
	if !strings.HasSuffix(opts.BaseURL, "/") {
		opts.BaseURL += "/"
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = DefaultMaxInFlight
	}
	if opts.MaxBodyMemory <= 0 {
		opts.MaxBodyMemory = DefaultMaxBodyMemory
	}
	if opts.RetryFor == 0 {
		opts.RetryFor = DefaultRetryFor
	}
	if opts.ReconcileWorkflow == "" {
		opts.ReconcileWorkflow = DefaultReconcileWorkflow
	}
	if opts.DispatchWindow <= 0 {
		opts.DispatchWindow = DefaultDispatchWindow
	}
	if opts.HandlerTimeout <= 0 {
		opts.HandlerTimeout = 8 * time.Second
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	// Every API call of the App, its installation tokens included, goes
	// through the retrying transport: 5xx, 429 and rate limits are waited
	// out as GitHub asks, never hammered.
	gh, err := ghrepo.NewApp(ghrepo.Credentials{BaseURL: opts.BaseURL, AppID: opts.AppID, PrivateKey: opts.PrivateKey,
		Transport: opts.Transport, Logger: opts.Logger})
	if err != nil {
		return nil, err
	}
	base, cancel := context.WithCancel(context.Background())
	return &Server{
		rechecks:  newCoalescer(base, opts.HandlerTimeout),
		opts:      opts,
		log:       opts.Logger,
		clock:     opts.Clock,
		gh:        gh,
		seen:      newDeliveries(10000),
		byInst:    expirable.NewLRU[int64, *github.Client](installationCacheSize, nil, installationCacheTTL),
		schedules: map[string]*schedule{},
		bot:       opts.BotLogin,
		base:      base,
		cancel:    cancel,
		inFlight:  make(chan struct{}, opts.MaxInFlight),
		refusals:  newRefusalLog(),
		retries:   newRetries(),
		rules:     newParsedRules(),
	}, nil
}

// Handler serves POST /webhook and GET /healthz.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhook", s.webhook)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "ok\n")
	})
	return mux
}

// installation returns the API client of one installation, above the
// revalidating cache; ghinstallation caches and renews its token.
func (s *Server) installation(id int64) *github.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g, ok := s.byInst.Get(id); ok {
		return g
	}
	c := s.gh.Installation(id, func(rt http.RoundTripper) http.RoundTripper { return cachingTransport(rt, s.opts.CacheBytes) })
	s.byInst.Add(id, c)
	return c
}

// Bounds of the installation client cache.
const (
	installationCacheSize = 256
	installationCacheTTL  = time.Hour
)

// botLogin returns the App's own login, asking GitHub once.
func (s *Server) botLogin(ctx context.Context) (string, error) {
	s.mu.Lock()
	bot := s.bot
	s.mu.Unlock()
	if bot != "" {
		return bot, nil
	}
	bot, err := s.gh.Login(ctx)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	s.bot = bot
	s.mu.Unlock()
	return bot, nil
}

// webhook verifies and dispatches one delivery. It answers only after the
// work is done so that a failure shows as a failed delivery GitHub can
// redeliver; the work is bounded by HandlerTimeout.
func (s *Server) webhook(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	delivery := r.Header.Get("X-GitHub-Delivery")
	event := r.Header.Get("X-GitHub-Event")
	log := s.log.With("delivery", delivery, "event", event)

	// Refusals cost as little as possible: no signature header, no read
	// of the body; no room for more work, no read either.
	sig, err := signatureHeader(r.Header)
	if err != nil {
		s.refusals.warn(log, "webhook refused", "reason", err.Error())
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	if r.ContentLength > s.opts.MaxBodyBytes {
		s.refusals.warn(log, "webhook refused: body too large", "limit", s.opts.MaxBodyBytes, "content_length", r.ContentLength)
		http.Error(w, fmt.Sprintf("body larger than %d bytes", s.opts.MaxBodyBytes), http.StatusRequestEntityTooLarge)
		return
	}
	reserve := r.ContentLength
	if reserve < 0 {
		reserve = s.opts.MaxBodyBytes
	}
	busy := func(what string) {
		s.refusals.warn(log, "webhook refused: "+what, "max_in_flight", cap(s.inFlight), "max_body_memory", s.opts.MaxBodyMemory)
		w.Header().Set("Retry-After", strconv.Itoa(busyRetryAfter))
		http.Error(w, what+"; retry later", http.StatusServiceUnavailable)
	}
	select {
	case s.inFlight <- struct{}{}:
		defer func() { <-s.inFlight }()
	default:
		busy("too many deliveries in progress")
		return
	}
	if s.bodyBytes.Add(reserve) > s.opts.MaxBodyMemory {
		s.bodyBytes.Add(-reserve)
		busy("too many large deliveries in progress")
		return
	}
	defer s.bodyBytes.Add(-reserve)
	// The body is read under its cap and hashed as it is read.
	mac := hmac.New(sha256.New, s.opts.WebhookSecret)
	body, err := io.ReadAll(io.TeeReader(http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes), mac))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.refusals.warn(log, "webhook refused: body too large", "limit", s.opts.MaxBodyBytes)
			http.Error(w, fmt.Sprintf("body larger than %d bytes", s.opts.MaxBodyBytes), http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "reading body failed", http.StatusBadRequest)
		return
	}
	if !signatureMatches(sig, mac.Sum(nil)) {
		s.refusals.warn(log, "webhook refused", "reason", errBadSignature.Error())
		http.Error(w, errBadSignature.Error(), http.StatusUnauthorized)
		return
	}
	if delivery == "" || event == "" {
		http.Error(w, "missing X-GitHub-Delivery or X-GitHub-Event", http.StatusBadRequest)
		return
	}
	if !s.seen.add(delivery) {
		// A redelivery of work already done: every effect is idempotent, but
		// there is nothing new to learn, so skip the API calls.
		log.Info("duplicate delivery ignored")
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, "duplicate delivery\n")
		return
	}

	ctx, cancel := context.WithTimeout(r.Context(), s.opts.HandlerTimeout)
	defer cancel()
	res, err := s.dispatch(ctx, log, event, body)
	if err != nil {
		s.seen.remove(delivery) // let GitHub's redelivery try again
		log.Error("webhook failed", "err", err, "duration", time.Since(start))
		s.retryLater(log, event, body)
		http.Error(w, "processing failed; retried by the App, or redeliver", http.StatusInternalServerError)
		return
	}
	log.Info("webhook handled", "result", res, "duration", time.Since(start))
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, res+"\n")
}

// busyRetryAfter is the Retry-After, in seconds, of a delivery refused
// because the App is saturated.
const busyRetryAfter = 5

var errBadSignature = errors.New("signature does not match the body: check the webhook secret")

// signatureHeader returns the hex digest of X-Hub-Signature-256 (an
// HMAC-SHA256 of the raw body); SHA-1 signatures are refused.
func signatureHeader(h http.Header) ([]byte, error) {
	sig := h.Get("X-Hub-Signature-256")
	if sig == "" {
		if h.Get("X-Hub-Signature") != "" {
			return nil, errors.New("only a SHA-1 signature (X-Hub-Signature) was sent; jit requires X-Hub-Signature-256")
		}
		return nil, errors.New("missing X-Hub-Signature-256")
	}
	hexSig, ok := strings.CutPrefix(sig, "sha256=")
	if !ok {
		return nil, errors.New("X-Hub-Signature-256 must start with sha256=")
	}
	want, err := hex.DecodeString(hexSig)
	if err != nil || len(want) != sha256.Size {
		return nil, errors.New("X-Hub-Signature-256 is not a hex SHA-256 digest")
	}
	return want, nil
}

// signatureMatches compares in constant time.
func signatureMatches(want, got []byte) bool { return hmac.Equal(want, got) }

// refusalLog writes refusal lines at a bounded rate, so that a flood of
// forged or oversized deliveries cannot flood the log; each line that is
// written says how many were left out since the last.
type refusalLog struct {
	lim        *rate.Limiter
	suppressed atomic.Int64
}

func newRefusalLog() *refusalLog {
	// A burst of 5, then one line every 2 seconds.
	return &refusalLog{lim: rate.NewLimiter(rate.Every(2*time.Second), 5)}
}

func (l *refusalLog) warn(log *slog.Logger, msg string, args ...any) {
	if !l.lim.Allow() {
		l.suppressed.Add(1)
		return
	}
	if n := l.suppressed.Swap(0); n > 0 {
		args = append(args, "refusals_not_logged", n)
	}
	log.Warn(msg, args...)
}

// envelope holds the fields every event shares.
type envelope struct {
	Action       string `json:"action"`
	Installation struct {
		ID int64 `json:"id"`
	} `json:"installation"`
	// Ref is the pushed ref of a push event.
	Ref        string `json:"ref"`
	Repository struct {
		Name          string `json:"name"`
		DefaultBranch string `json:"default_branch"`
		Owner         struct {
			Login string `json:"login"`
		} `json:"owner"`
	} `json:"repository"`
	Sender struct {
		Login string `json:"login"`
	} `json:"sender"`
	PullRequest *github.PullRequest `json:"pull_request"`
	Issue       *struct {
		Number      int `json:"number"`
		PullRequest *struct {
			URL string `json:"url"`
		} `json:"pull_request"`
	} `json:"issue"`
	Comment *struct {
		ID   int64  `json:"id"`
		Body string `json:"body"`
		User struct {
			Login string `json:"login"`
		} `json:"user"`
	} `json:"comment"`
	CheckRun *struct {
		Name         string `json:"name"`
		HeadSHA      string `json:"head_sha"`
		PullRequests []struct {
			Number int `json:"number"`
		} `json:"pull_requests"`
	} `json:"check_run"`
}

// dispatch routes an event. The payload is GitHub's (its signature was
// checked) but as of when the event happened: besides the event's identity
// (repository, number, sender, comment text), the App takes from it only
// what the API then confirms is still so (the pull request, once its head
// is the tip of the commits GitHub lists) or what cannot change under a
// pull request (the default branch, read as such from the payload).
func (s *Server) dispatch(ctx context.Context, log *slog.Logger, event string, body []byte) (string, error) {
	var e envelope
	if err := json.Unmarshal(body, &e); err != nil {
		return "", fmt.Errorf("decoding %s payload: %w", event, err)
	}
	if e.Installation.ID == 0 {
		return "ignored: no installation in payload", nil
	}
	if event == "push" {
		// Pushes by jit itself count: the reconcile's commits are what
		// change the expiries.
		return s.push(ctx, e)
	}
	bot, err := s.botLogin(ctx)
	if err != nil {
		return "", err
	}
	if strings.EqualFold(e.Sender.Login, bot) {
		return "ignored: caused by jit itself", nil
	}
	repo := ghrepo.Repo{Owner: e.Repository.Owner.Login, Name: e.Repository.Name}
	gh := ghrepo.New(s.installation(e.Installation.ID), repo)
	log = log.With("repo", repo.String())
	h := &handler{gh: gh, repo: repo, bot: bot, clock: s.clock, log: log, notifier: s.opts.Notifier, bg: &s.bg, appID: s.opts.AppID, rechecks: s.rechecks, rules: s.rules}

	// fromPayload seeds an evaluation with the payload's pull request.
	fromPayload := func() seed {
		p := e.PullRequest
		return seed{payload: ghrepo.PRFromPayload(p), payloadTotals: p.Commits != nil && p.ChangedFiles != nil,
			hint: p.GetHead().GetSHA(), main: e.Repository.DefaultBranch}
	}
	switch event {
	case "pull_request":
		switch e.Action {
		case "opened", "synchronize", "reopened", "edited", "ready_for_review":
			if e.PullRequest == nil {
				return "", errors.New("pull_request event without pull_request")
			}
			s := fromPayload()
			s.opened = e.Action == "opened" && !retrying(ctx)
			s.codeOwnersAsked = (e.Action == "opened" || e.Action == "ready_for_review") && !e.PullRequest.GetDraft()
			return h.evaluate(ctx, e.PullRequest.GetNumber(), true, s)
		}
	case "pull_request_review":
		switch e.Action {
		case "submitted", "dismissed", "edited":
			if e.PullRequest == nil {
				return "", errors.New("pull_request_review event without pull_request")
			}
			return h.evaluate(ctx, e.PullRequest.GetNumber(), false, fromPayload())
		}
	case "issue_comment":
		if e.Action != "created" || e.Issue == nil || e.Issue.PullRequest == nil || e.Comment == nil {
			break
		}
		switch name, _ := commandOf(e.Comment.Body); name {
		case "":
			return "ignored: not a /jit command", nil // spare the API for ordinary comments
		case "recheck":
			if s.rechecks.wasRefused(repo, e.Issue.Number, e.Comment.User.Login) {
				return "ignored: recheck refused to this user recently", nil
			}
			return h.recheck(ctx, e.Issue.Number, e.Comment.ID, e.Comment.User.Login, e.Repository.DefaultBranch, func(key string, evaluate func(context.Context) (string, error)) {
				s.retryEvaluation(log, key, evaluate)
			})
		}
		return h.commentCommand(ctx, e.Issue.Number, e.Comment.ID)
	case "check_run":
		if e.Action != "rerequested" || e.CheckRun == nil {
			break
		}
		for _, p := range e.CheckRun.PullRequests {
			return h.evaluate(ctx, p.Number, true, seed{hint: e.CheckRun.HeadSHA})
		}
		// "Re-run" from the Checks tab can come without pull_requests
		// (GitHub leaves them out, e.g. for a fork's head): the open pull
		// request whose head is the check run's commit is the one.
		if e.CheckRun.HeadSHA == "" {
			return "ignored: check run without pull request or head commit", nil
		}
		prs, err := gh.PullRequestsWithCommit(ctx, e.CheckRun.HeadSHA)
		if err != nil {
			return "", fmt.Errorf("finding the pull request of check run head %s: %w", e.CheckRun.HeadSHA, err)
		}
		for _, p := range prs {
			if p.State == "open" && p.HeadSHA == e.CheckRun.HeadSHA {
				return h.evaluate(ctx, p.Number, true, seed{hint: e.CheckRun.HeadSHA})
			}
		}
		return "ignored: no open pull request has the check run's head commit", nil
	case "ping":
		return "pong", nil
	}
	return fmt.Sprintf("ignored: %s/%s", event, e.Action), nil
}

// push reads main's schedule again after a push to main, for a repository
// the App dispatches the reconcile of (every one, with Options.Dispatch).
// A failed read fails the delivery, so GitHub's redelivery tries again.
func (s *Server) push(ctx context.Context, e envelope) (string, error) {
	branch := e.Repository.DefaultBranch
	if branch == "" || e.Ref != "refs/heads/"+branch {
		return "ignored: not a push to the default branch", nil
	}
	repo := ghrepo.Repo{Owner: e.Repository.Owner.Login, Name: e.Repository.Name}
	sc := s.scheduled(repo)
	switch {
	case sc != nil:
		if err := sc.reload(ctx); err != nil {
			return "", err
		}
	case s.opts.Dispatch:
		// The schedule outlives this delivery: it runs until Close.
		if err := s.startSchedule(s.base, ctx, e.Installation.ID, repo); err != nil {
			return "", err
		}
	default:
		return "ignored: the App does not dispatch the reconcile", nil
	}
	return "schedule read from " + branch, nil
}

// deliveries remembers recent delivery ids so a redelivery of a handled event
// costs no API calls. It is an optimisation only: effects are idempotent, so
// another replica handling the same delivery is harmless.
type deliveries struct {
	mu    sync.Mutex
	max   int
	order []string
	set   map[string]bool
}

func newDeliveries(max int) *deliveries {
	return &deliveries{max: max, set: map[string]bool{}}
}

// add records id and reports whether it was new.
func (d *deliveries) add(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.set[id] {
		return false
	}
	d.set[id] = true
	d.order = append(d.order, id)
	if len(d.order) > d.max {
		delete(d.set, d.order[0])
		d.order = d.order[1:]
	}
	return true
}

func (d *deliveries) remove(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.set, id)
}
