package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/net/netutil"

	"github.com/jit-access/jit/app"
	"github.com/jit-access/jit/internal/catalog"
	"github.com/jit-access/jit/internal/ghrepo"
	"github.com/jit-access/jit/internal/notify"
)

// serveOptions is one run of jit serve.
type serveOptions struct {
	app      appFlags
	listen   string
	pageRepo string
	dispatch bool
	repos    []string
}

func newServeCmd() *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the GitHub App's webhook server",
		Long: `Run the GitHub App: POST /webhook receives GitHub's signed deliveries,
GET /healthz answers ok. The server keeps no state of its own; run as many
replicas as you like behind a load balancer.

With --page-repo OWNER/NAME it also serves the request page for that access
repository: GET / (the catalog as a form that opens GitHub's new-file page
with the request filled in), GET /catalog.json and POST /lint (the request
validated as it is typed, at most 64 KiB). The page holds no secret and needs
no login.

With --dispatch (the default) the App dispatches the reconcile workflow
(jit-reconcile.yml) at each grant's expiry and each scheduled start, read
from main at start-up (for the --github-repo repositories) and again on every push
to main, so grants end on time without a runner waiting; the workflow's
hourly schedule is the safety net.`,
		Args: cobra.NoArgs,
		RunE: runs(o.run),
	}
	o.app.register(cmd)
	cmd.Flags().StringVar(&o.app.secretFile, "webhook-secret-file", os.Getenv("JIT_WEBHOOK_SECRET_FILE"), "file holding the webhook secret (env JIT_WEBHOOK_SECRET_FILE; or the secret itself in JIT_WEBHOOK_SECRET)")
	cmd.Flags().StringVar(&o.listen, "listen", envOr("JIT_LISTEN", ":8080"), "address to listen on (env JIT_LISTEN)")
	cmd.Flags().BoolVar(&o.dispatch, "dispatch", os.Getenv("JIT_DISPATCH") != "false", "dispatch the reconcile workflow at each expiry and scheduled start on main (env JIT_DISPATCH=false turns it off)")
	cmd.Flags().StringSliceVar(&o.repos, "github-repo", splitList(os.Getenv("JIT_GITHUB_REPOS")), "access repositories, OWNER/NAME, whose reconcile schedule is read at start-up (env JIT_GITHUB_REPOS, comma-separated); others are read at their first push to main")
	cmd.Flags().StringVar(&o.pageRepo, "page-repo", os.Getenv("JIT_PAGE_REPO"), "serve the request page (GET /, POST /lint) for this access repository, OWNER/NAME (env JIT_PAGE_REPO)")
	return cmd
}

// run serves until ctx ends, logging JSON lines to stderr.
func (o *serveOptions) run(ctx context.Context, _, stderr io.Writer) error {
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	opts, err := o.app.options(log)
	if err != nil {
		return err
	}
	if opts.WebhookSecret, err = webhookSecret(o.app.secretFile); err != nil {
		return err
	}
	// Chat webhook URLs are secrets: they come from the environment
	// only, never from the repository or the command line.
	opts.Notifier = notify.FromEnv(os.Getenv)
	opts.Dispatch = o.dispatch
	srv, err := app.New(opts)
	if err != nil {
		return err
	}
	defer srv.Close()
	if o.dispatch {
		for _, r := range o.repos {
			repo, err := ghrepo.Parse(r)
			if err != nil {
				return fmt.Errorf("--github-repo %w", err)
			}
			// A failure is logged, not fatal: the next push to main
			// reads the schedule again, and the hourly run is there.
			if err := srv.Schedule(ctx, 0, repo); err != nil {
				log.Error("reading the reconcile schedule at start-up failed", "repo", r, "err", err)
			}
		}
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", o.listen, err)
	}
	h := srv.Handler()
	if o.pageRepo != "" {
		repo, err := ghrepo.Parse(o.pageRepo)
		if err != nil {
			return fmt.Errorf("--page-repo %w", err)
		}
		h = catalog.WithApp(h, catalog.Handler(srv.PageSource(repo), pageNow))
	}
	log.Info("jit serve listening", "addr", ln.Addr().String(), "github", opts.BaseURL, "app_id", opts.AppID, "page_repo", o.pageRepo)
	return serveUntilDone(ctx, ln, h)
}

// Limits of jit serve's HTTP server.
const (
	maxHeaderBytes = 64 << 10
	// maxConnections caps open connections; more wait in the listen queue.
	maxConnections = 1024
)

// serveUntilDone serves h on ln until ctx ends, then drains in-flight
// deliveries for up to 10 s.
func serveUntilDone(ctx context.Context, ln net.Listener, h http.Handler) error {
	// Every phase of a connection is bounded: headers (5 s, 64 KiB), the
	// body (30 s), the answer (the handler's 8 s and margin), idle
	// keep-alive (60 s); and so is the number of connections.
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 45 * time.Second, IdleTimeout: 60 * time.Second, MaxHeaderBytes: maxHeaderBytes}
	ln = netutil.LimitListener(ln, maxConnections)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return hs.Shutdown(shutdownCtx)
	}
}

// sweepOptions is one run of jit sweep.
type sweepOptions struct {
	app    appFlags
	repo   string
	instID int64
}

func newSweepCmd() *cobra.Command {
	var o sweepOptions
	cmd := &cobra.Command{
		Use:   "sweep",
		Short: "Escalate undecided requests to the SSO admins and close expired ones",
		Long: `Run the App's scheduled duties on one repository: a request with no
decision after escalate_after also asks the SSO admins; an unapproved request
older than request_ttl is closed with the label jit:expired. Idempotent.`, Args: cobra.NoArgs,
		RunE: runs(o.run),
	}
	o.app.register(cmd)
	// --github-repo, as in reconcile and audit: --repo is a folder everywhere.
	cmd.Flags().StringVar(&o.repo, "github-repo", os.Getenv("GITHUB_REPOSITORY"), "the access repository on GitHub, OWNER/NAME (env GITHUB_REPOSITORY)")
	cmd.Flags().Int64Var(&o.instID, "installation-id", 0, "the App's installation id on the repository (looked up when 0)")
	return cmd
}

// run sweeps the repository once, logging text to stderr, and prints what
// it did.
func (o *sweepOptions) run(ctx context.Context, stdout, stderr io.Writer) error {
	opts, err := o.app.options(slog.New(slog.NewTextHandler(stderr, nil)))
	if err != nil {
		return err
	}
	// The sweep receives no webhooks; a placeholder secret satisfies
	// the constructor without weakening anything.
	opts.WebhookSecret = []byte("sweep-receives-no-webhooks")
	r, err := ghrepo.Parse(o.repo)
	if err != nil {
		return fmt.Errorf("--github-repo %w (GITHUB_REPOSITORY in Actions)", err)
	}
	srv, err := app.New(opts)
	if err != nil {
		return err
	}
	res, err := srv.Sweep(ctx, o.instID, r)
	fmt.Fprintf(stdout, "judged again %v, escalated %v, reminded %v, closed %v\n", res.Judged, res.Escalated, res.Reminded, res.Closed)
	return err
}
