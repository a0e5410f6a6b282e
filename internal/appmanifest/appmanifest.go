// Package appmanifest runs GitHub's App-manifest flow for `jit app create`:
// a page on a loopback port posts the App's manifest to GitHub, GitHub sends
// the owner's browser back with a one-time code, and the code is exchanged
// through POST /app-manifests/{code}/conversions for the App's id, private
// key and webhook secret, which are written to files only the user can read.
package appmanifest

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/google/go-github/v62/github"
	"gopkg.in/yaml.v3"
)

// Build turns the App's YAML manifest into the JSON GitHub's form takes,
// with the webhook URL where jit serve runs and the redirect back to the
// local page.
func Build(base []byte, webhookURL, redirectURL string) ([]byte, error) {
	var m map[string]any
	if err := yaml.Unmarshal(base, &m); err != nil {
		return nil, fmt.Errorf("reading the App manifest: %w", err)
	}
	if u, err := url.Parse(webhookURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("--webhook-url %q is not an http(s) URL where jit serve will listen (e.g. https://jit.example.com/webhook)", webhookURL)
	}
	hook, _ := m["hook_attributes"].(map[string]any)
	if hook == nil {
		hook = map[string]any{}
	}
	hook["url"] = webhookURL
	hook["active"] = true
	m["hook_attributes"] = hook
	m["redirect_url"] = redirectURL
	return json.Marshal(m)
}

// Files an App's credentials are written to.
const (
	IDFile            = "jit-app-id"
	PrivateKeyFile    = "jit-app-private-key.pem"
	WebhookSecretFile = "jit-webhook-secret"
)

// WriteCredentials writes the App's id, private key and webhook secret into
// dir with mode 0600. It writes nothing if any of the files exists.
func WriteCredentials(dir string, cfg *github.AppConfig) ([]string, error) {
	if cfg.GetID() == 0 || cfg.GetPEM() == "" || cfg.GetWebhookSecret() == "" {
		return nil, errors.New("GitHub's answer lacks the App's id, private key or webhook secret")
	}
	files := []struct{ name, content string }{
		{IDFile, strconv.FormatInt(cfg.GetID(), 10) + "\n"},
		{PrivateKeyFile, cfg.GetPEM()},
		{WebhookSecretFile, cfg.GetWebhookSecret() + "\n"},
	}
	if err := CheckFree(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	var written []string
	for _, f := range files {
		path := filepath.Join(dir, f.name)
		fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return written, fmt.Errorf("creating %s: %w", path, err)
		}
		_, werr := fh.WriteString(f.content)
		if err := errors.Join(werr, fh.Close()); err != nil {
			os.Remove(path)
			return written, fmt.Errorf("writing %s: %w", path, err)
		}
		written = append(written, path)
	}
	return written, nil
}

// CheckFree fails if any credential file already exists in dir, so that a
// run stops before it creates an App whose credentials it could not save.
func CheckFree(dir string) error {
	for _, name := range []string{IDFile, PrivateKeyFile, WebhookSecretFile} {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			return fmt.Errorf("%s already exists; jit app create never overwrites a credential", filepath.Join(dir, name))
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// Flow serves the local page and the callback of one manifest flow.
type Flow struct {
	formURL  string // GitHub's "new App from manifest" page, with the state
	manifest []byte
	state    string
	// complete exchanges the code and saves the credentials; its result is
	// shown in the browser and returned by Wait.
	complete func(ctx context.Context, code string) (string, error)

	once sync.Once
	done chan result
}

type result struct {
	summary string
	err     error
}

// NewFlow prepares a flow for organisation org on the GitHub web host
// webURL (https://github.com, or a GitHub Enterprise Server's root).
func NewFlow(webURL, org string, manifest []byte, complete func(ctx context.Context, code string) (string, error)) (*Flow, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	state := hex.EncodeToString(b[:])
	form := fmt.Sprintf("%s/organizations/%s/settings/apps/new?state=%s", strings.TrimRight(webURL, "/"), url.PathEscape(org), state)
	return &Flow{formURL: form, manifest: manifest, state: state, complete: complete, done: make(chan result, 1)}, nil
}

var page = template.Must(template.New("page").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Create the jit GitHub App</title></head>
<body>
<h1>Create the jit GitHub App</h1>
<p>GitHub asks you to confirm the App's name, permissions and events; you need to own the organisation.</p>
<form id="manifest" action="{{.Action}}" method="post">
<input type="hidden" name="manifest" value="{{.Manifest}}">
<button type="submit">Create the App on GitHub</button>
</form>
<script>document.getElementById("manifest").submit()</script>
</body></html>
`))

var donePage = template.Must(template.New("done").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>jit app create</title></head>
<body><h1>{{.Title}}</h1><p>{{.Text}}</p><p>You can close this tab.</p></body></html>
`))

// ServeHTTP serves GET / (the page that posts the manifest) and
// GET /callback (where GitHub sends the browser back with the code).
func (f *Flow) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = page.Execute(w, map[string]string{"Action": f.formURL, "Manifest": string(f.manifest)})
	case r.Method == http.MethodGet && r.URL.Path == "/callback":
		q := r.URL.Query()
		// The state proves the redirect answers this run's form.
		if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.state)) != 1 || q.Get("code") == "" {
			w.WriteHeader(http.StatusBadRequest)
			_ = donePage.Execute(w, map[string]string{"Title": "Not this run's App", "Text": "This link does not answer the form jit app create showed; nothing was saved."})
			return
		}
		ran := false
		f.once.Do(func() {
			ran = true
			// The code is good once: finish even if the browser goes away.
			summary, err := f.complete(context.WithoutCancel(r.Context()), q.Get("code"))
			// The page is written before Wait returns, so the command's
			// shutdown never cuts it off.
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			if err != nil {
				w.WriteHeader(http.StatusBadGateway)
				_ = donePage.Execute(w, map[string]string{"Title": "The App was created, but jit could not save it", "Text": err.Error()})
			} else {
				_ = donePage.Execute(w, map[string]string{"Title": "The jit App is created", "Text": summary})
			}
			if fl, ok := w.(http.Flusher); ok {
				fl.Flush()
			}
			f.done <- result{summary, err}
		})
		if !ran {
			w.WriteHeader(http.StatusConflict)
			_ = donePage.Execute(w, map[string]string{"Title": "Already done", "Text": "This run of jit app create has already received its App."})
		}
	default:
		http.NotFound(w, r)
	}
}

// Wait returns when the callback has completed the flow, or ctx ends.
func (f *Flow) Wait(ctx context.Context) (string, error) {
	select {
	case res := <-f.done:
		return res.summary, res.err
	case <-ctx.Done():
		return "", fmt.Errorf("no App was created: %w", ctx.Err())
	}
}
