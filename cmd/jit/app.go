package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"
	"github.com/spf13/cobra"

	"github.com/jit-access/jit/app"
	"github.com/jit-access/jit/internal/appmanifest"
)

// appCreateOptions is one run of jit app create.
type appCreateOptions struct {
	Org        string
	WebhookURL string
	GitHubURL  string // the REST API root
	WebURL     string // GitHub's web host (empty: derived from GitHubURL)
	Out        string
	Listen     string
	Timeout    time.Duration
	// Listener, when set, is used instead of listening on Listen.
	Listener net.Listener
	// HTTPClient talks to GitHub's API (nil: http.DefaultClient).
	HTTPClient *http.Client
}

func newAppCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "app",
		Short: "Manage the jit GitHub App",
		Args:  cobra.NoArgs,
	}
	o := appCreateOptions{}
	create := &cobra.Command{
		Use:   "create",
		Short: "Create the jit GitHub App in an organisation from its manifest",
		Long: `Create runs GitHub's App-manifest flow: it serves a page on a loopback port
that posts jit's App manifest (app/manifest.yml: its permissions and events) to
GitHub; after an owner of --org confirms, GitHub sends the browser back with a
one-time code, which jit exchanges (POST /app-manifests/{code}/conversions) for
the App's id, private key and webhook secret. They are written to --out as
jit-app-id, jit-app-private-key.pem and jit-webhook-secret with mode 0600 and
never printed. Existing files are never overwritten.`,
		Example: `  jit app create --org acme --webhook-url https://jit.acme.example/webhook --out /etc/jit`,
		Args:    cobra.NoArgs,
		RunE:    runs(o.run),
	}
	f := create.Flags()
	f.StringVar(&o.Org, "org", "", "the GitHub organisation that owns the App (required)")
	f.StringVar(&o.WebhookURL, "webhook-url", "", "where jit serve receives webhooks, e.g. https://jit.acme.example/webhook (required)")
	f.StringVar(&o.GitHubURL, "github-url", "https://api.github.com/", "GitHub's REST API root (GitHub Enterprise Server: https://HOST/api/v3/)")
	f.StringVar(&o.WebURL, "web-url", "", "GitHub's web root (default: https://github.com, or the --github-url host without /api/v3)")
	f.StringVar(&o.Out, "out", ".", "folder for the App's credential files")
	f.StringVar(&o.Listen, "listen", "127.0.0.1:0", "loopback address of the local page")
	f.DurationVar(&o.Timeout, "timeout", 15*time.Minute, "how long to wait for the browser")
	cmd.AddCommand(create)
	return cmd
}

func (o *appCreateOptions) run(ctx context.Context, stdout, stderr io.Writer) error {
	if o.Org == "" || o.WebhookURL == "" {
		return errors.New("--org and --webhook-url are required")
	}
	if err := appmanifest.CheckFree(o.Out); err != nil {
		return err
	}
	api := strings.TrimRight(o.GitHubURL, "/") + "/"
	web := o.WebURL
	if web == "" {
		web = "https://github.com"
		if api != "https://api.github.com/" {
			web = strings.TrimSuffix(strings.TrimSuffix(api, "/"), "/api/v3")
		}
	}
	ln := o.Listener
	if ln == nil {
		host, _, err := net.SplitHostPort(o.Listen)
		if err != nil || net.ParseIP(host) == nil || !net.ParseIP(host).IsLoopback() {
			return fmt.Errorf("--listen %q: the page serves the App's code, so it listens on a loopback address only (e.g. 127.0.0.1:0)", o.Listen)
		}
		if ln, err = net.Listen("tcp", o.Listen); err != nil {
			return fmt.Errorf("listening for the browser: %w", err)
		}
	}
	local := "http://" + ln.Addr().String()
	manifest, err := appmanifest.Build(app.Manifest, o.WebhookURL, local+"/callback")
	if err != nil {
		return err
	}
	client := github.NewClient(o.HTTPClient)
	if api != "https://api.github.com/" {
		if client, err = client.WithEnterpriseURLs(api, api); err != nil {
			return fmt.Errorf("--github-url: %w", err)
		}
	}
	flow, err := appmanifest.NewFlow(web, o.Org, manifest, func(ctx context.Context, code string) (string, error) {
		cfg, _, err := client.Apps.CompleteAppManifest(ctx, code)
		if err != nil {
			return "", fmt.Errorf("exchanging the code for the App's credentials: %w", err)
		}
		files, err := appmanifest.WriteCredentials(o.Out, cfg)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("App %s (%s) created; its id, private key and webhook secret are in %s", cfg.GetSlug(), cfg.GetHTMLURL(), strings.Join(files, ", ")), nil
	})
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: flow, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer func() {
		// Let the callback's page finish before the listener goes away.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()

	fmt.Fprintf(stderr, "jit: open %s/ in a browser where you are signed in to GitHub as an owner of %s\n", local, o.Org)
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	summary, err := flow.Wait(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, summary)
	fmt.Fprintln(stderr, "jit: install the App on the access repository only, then run jit serve with JIT_APP_ID, JIT_PRIVATE_KEY_FILE and JIT_WEBHOOK_SECRET_FILE")
	return nil
}
