package catalog

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jit-access/jit/internal/atomicfile"
	"github.com/jit-access/jit/internal/change"
	"github.com/jit-access/jit/internal/iampolicy"
	"github.com/jit-access/jit/schema"
)

//go:embed page
var pageFiles embed.FS

// ManagedPolicies are the AWS managed policies a permission set may attach,
// from iampolicy's list (the one validation checks against), by path and
// name as a request writes them: "AmazonS3ReadOnlyAccess",
// "job-function/ViewOnlyAccess". Service roles' policies are left out:
// they are for AWS services, never for a person's permission set.
func ManagedPolicies() []string {
	var out []string
	for _, p := range iampolicy.ManagedPolicies() {
		if !strings.HasPrefix(p, "service-role/") && !strings.HasPrefix(p, "aws-service-role/") {
			out = append(out, p)
		}
	}
	return out
}

// Page is the data of the request page: the catalog as a form, and where
// the request file goes on GitHub. It holds no secret: the page is public.
type Page struct {
	Catalog *Catalog `json:"catalog"`
	// Repo is the access repository, OWNER/NAME.
	Repo string `json:"repo"`
	// Branch is its default branch, where request pull requests go.
	Branch string `json:"branch"`
	// WebURL is GitHub's web root: https://github.com or an Enterprise host.
	WebURL          string   `json:"web_url"`
	ManagedPolicies []string `json:"managed_policies"`
	// Lint is the URL the page posts the request to as it is typed, to
	// show the linter's findings; "" when none (a static copy without a
	// jit serve to ask).
	Lint string `json:"lint,omitempty"`
}

// NewPage makes the page's data for the repository's rules.
func NewPage(cfg *schema.Config, o Options, repo, branch, webURL string) (*Page, error) {
	if _, _, ok := strings.Cut(repo, "/"); !ok {
		return nil, fmt.Errorf("repository %q is not OWNER/NAME", repo)
	}
	c, err := Build(cfg, o)
	if err != nil {
		return nil, err
	}
	return &Page{Catalog: c, Repo: repo, Branch: branch, WebURL: strings.TrimSuffix(webURL, "/"), ManagedPolicies: ManagedPolicies()}, nil
}

// WriteStatic writes the page as static files for GitHub Pages: the page's
// HTML, script and style, and catalog.json. Each file is written to a
// temporary name and renamed, so a crash leaves the old file or the new
// one, never half of one; running it again repairs the folder.
func WriteStatic(dir string, p *Page) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Errorf("writing catalog.json: %w", err)
	}
	files := map[string][]byte{"catalog.json": append(data, '\n')}
	err = fs.WalkDir(pageFiles, "page", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := pageFiles.ReadFile(name)
		files[strings.TrimPrefix(name, "page/")] = b
		return err
	})
	if err != nil {
		return err
	}
	for name, b := range files {
		if err := atomicfile.Replace(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// NewFileURL is GitHub's "new file" page of the repository's default
// branch with the request file filled in: the link the page opens (its
// script builds the same one).
func (p *Page) NewFileURL(path, content string) string {
	return p.WebURL + "/" + p.Repo + "/new/" + url.PathEscape(p.Branch) +
		"?filename=" + url.QueryEscape(path) + "&value=" + url.QueryEscape(content)
}

// WithApp serves the App's routes (POST /webhook, GET /healthz) and the
// request page (GET /, GET /catalog.json, POST /lint) from one listener.
func WithApp(app, page http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /webhook", app)
	mux.Handle("GET /healthz", app)
	mux.Handle("/", page)
	return mux
}

// MaxLintBytes bounds what POST /lint reads: a request file with the
// largest inline policy AWS accepts (10,240 characters) fits many times.
const MaxLintBytes = 64 << 10

// Source gives the handler the page's data and the config to lint against,
// read fresh (the handler keeps it for a minute).
type Source func(ctx context.Context) (*Page, *schema.Config, error)

// Handler serves the request page: GET / and its scripts and style, GET
// /catalog.json, and POST /lint?path=requests/<account>/<name>.yaml, which
// validates the request file in the body (at most MaxLintBytes) against
// the config and answers its findings. It needs no login and holds no
// secret; lint is open to any origin, as it only reads what it is sent.
func Handler(src Source, now func() time.Time) http.Handler {
	h := &pageHandler{src: src, now: now}
	mux := http.NewServeMux()
	static, _ := fs.Sub(pageFiles, "page")
	files := http.FileServer(http.FS(static))
	mux.Handle("GET /{$}", headers(files))
	mux.Handle("GET /page.js", headers(files))
	mux.Handle("GET /request.js", headers(files))
	mux.Handle("GET /page.css", headers(files))
	mux.HandleFunc("GET /catalog.json", h.catalog)
	mux.HandleFunc("POST /lint", h.lint)
	return mux
}

// headers keep the page to its own files: no inline script, no framing.
func headers(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
}

type pageHandler struct {
	src Source
	now func() time.Time

	mu      sync.Mutex
	page    *Page
	cfg     *schema.Config
	fetched time.Time
}

// cacheFor is how long the page's data is kept: the config changes by
// reviewed pull requests, so a minute's delay is harmless, and a busy
// page does not cost GitHub API calls per visit.
const cacheFor = time.Minute

func (h *pageHandler) load(ctx context.Context) (*Page, *schema.Config, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.page != nil && h.now().Sub(h.fetched) < cacheFor {
		return h.page, h.cfg, nil
	}
	p, cfg, err := h.src(ctx)
	if err != nil {
		return nil, nil, err
	}
	p.Lint = "lint"
	h.page, h.cfg, h.fetched = p, cfg, h.now()
	return p, cfg, nil
}

func (h *pageHandler) catalog(w http.ResponseWriter, r *http.Request) {
	p, _, err := h.load(r.Context())
	if err != nil {
		http.Error(w, "the access repository's configuration cannot be read: "+err.Error(), http.StatusBadGateway)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	json.NewEncoder(w).Encode(p)
}

// LintFinding is one finding of POST /lint.
type LintFinding struct {
	Line     int    `json:"line,omitempty"`
	Column   int    `json:"column,omitempty"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	Fix      string `json:"fix,omitempty"`
}

func (h *pageHandler) lint(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Access-Control-Allow-Origin", "*")
	path := r.URL.Query().Get("path")
	if _, _, err := change.SplitRequestPath(path); err != nil {
		http.Error(w, fmt.Sprintf("path %q: %v", path, err), http.StatusBadRequest)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxLintBytes))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		http.Error(w, fmt.Sprintf("a request file is at most %d bytes", MaxLintBytes), http.StatusRequestEntityTooLarge)
		return
	}
	if err != nil {
		http.Error(w, "reading the request: "+err.Error(), http.StatusBadRequest)
		return
	}
	_, cfg, err := h.load(r.Context())
	if err != nil {
		http.Error(w, "the access repository's configuration cannot be read: "+err.Error(), http.StatusBadGateway)
		return
	}
	_, findings := schema.ValidateRequest(path, body, cfg, schema.CheckOptions{Offline: true, Now: h.now()})
	schema.SortFindings(findings)
	out := []LintFinding{}
	for _, f := range findings {
		out = append(out, LintFinding{Line: f.Line, Column: f.Col, Severity: string(f.Severity), Message: f.Message, Fix: f.Fix})
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}
