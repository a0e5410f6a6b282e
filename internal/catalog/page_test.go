package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jit-access/jit/schema"
)

func pageServer(t *testing.T, calls *int) *httptest.Server {
	t.Helper()
	cfg, rules := load(t)
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	src := func(context.Context) (*Page, *schema.Config, error) {
		*calls++
		p, err := NewPage(cfg, Options{Owners: rules}, "acme/access", "main", "https://github.com")
		return p, cfg, err
	}
	srv := httptest.NewServer(Handler(src, func() time.Time { return now }))
	t.Cleanup(srv.Close)
	return srv
}

func TestPageHandler(t *testing.T) {
	calls := 0
	srv := pageServer(t, &calls)

	res, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'self'") {
		t.Errorf("GET /: %d, CSP %q", res.StatusCode, res.Header.Get("Content-Security-Policy"))
	}

	res, err = http.Get(srv.URL + "/catalog.json")
	if err != nil {
		t.Fatal(err)
	}
	var p Page
	err = json.NewDecoder(res.Body).Decode(&p)
	res.Body.Close()
	if err != nil || p.Repo != "acme/access" || p.Lint != "lint" || len(p.Catalog.Accounts) != 2 || !slices.Contains(p.ManagedPolicies, "AmazonS3ReadOnlyAccess") {
		t.Errorf("catalog.json: %v %+v", err, p)
	}

	lint := func(path, body string) (int, []LintFinding) {
		t.Helper()
		res, err := http.Post(srv.URL+"/lint?path="+path, "text/plain", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out []LintFinding
		if res.StatusCode == 200 {
			if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
				t.Fatal(err)
			}
			if res.Header.Get("Access-Control-Allow-Origin") != "*" {
				t.Errorf("lint is not open to a static copy of the page")
			}
		}
		return res.StatusCode, out
	}
	code, found := lint("requests/prod/x.yaml", "account: prod\npermission_set: ReadOnlyAccess\nduration: 4h\njustification: \"INC-1: looking into it\"\n")
	if code != 200 || len(found) != 0 {
		t.Errorf("lint of a good request: %d %+v", code, found)
	}
	code, found = lint("requests/prod/x.yaml", "account: prod\npermission_set: ReadOnlyAccess\nduration: 1w\njustification: \"INC-1: looking into it\"\n")
	if code != 200 || len(found) != 1 || found[0].Severity != "error" || found[0].Line != 3 || !strings.Contains(found[0].Message, "longer than the 1d allowed") {
		t.Errorf("lint of a too long request: %d %+v", code, found)
	}
	if code, _ := lint("../etc/passwd", "x"); code != 400 {
		t.Errorf("lint of a path outside requests/: %d", code)
	}
	if code, _ := lint("requests/prod/x.yaml", strings.Repeat("#", MaxLintBytes+1)); code != 413 {
		t.Errorf("lint of more than MaxLintBytes: %d", code)
	}
	if calls != 1 {
		t.Errorf("the config was read %d times within a minute, want once", calls)
	}
}

func TestPageSourceErrorIsShown(t *testing.T) {
	src := func(context.Context) (*Page, *schema.Config, error) { return nil, nil, errors.New("App not installed") }
	srv := httptest.NewServer(Handler(src, time.Now))
	defer srv.Close()
	res, err := http.Get(srv.URL + "/catalog.json")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadGateway {
		t.Errorf("catalog.json without a config: %d", res.StatusCode)
	}
}

func TestWriteStatic(t *testing.T) {
	cfg, rules := load(t)
	p, err := NewPage(cfg, Options{Owners: rules}, "acme/access", "main", "https://ghe.example.com/")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "site")
	for range 2 { // running it again repairs or refreshes, never fails
		if err := WriteStatic(dir, p); err != nil {
			t.Fatal(err)
		}
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"catalog.json", "index.html", "page.css", "page.js", "request.js"}) {
		t.Errorf("files = %v", names)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "catalog.json"))
	if !strings.Contains(string(data), `"web_url": "https://ghe.example.com"`) || strings.Contains(string(data), `"lint"`) {
		t.Errorf("catalog.json:\n%.400s", data)
	}
	if _, err := NewPage(cfg, Options{}, "no-slash", "main", ""); err == nil {
		t.Errorf("a repository without OWNER/ accepted")
	}
}

func TestManagedPolicies(t *testing.T) {
	ps := ManagedPolicies()
	if len(ps) < 900 || !slices.Contains(ps, "AmazonS3ReadOnlyAccess") || !slices.Contains(ps, "job-function/ViewOnlyAccess") {
		t.Errorf("%d managed policies; AmazonS3ReadOnlyAccess or job-function/ViewOnlyAccess missing", len(ps))
	}
	for _, p := range ps {
		if strings.Contains(p, "service-role/") {
			t.Errorf("a service role's policy is offered: %s", p)
		}
	}
}

func TestNewFileURL(t *testing.T) {
	p := &Page{Repo: "acme/access", Branch: "main", WebURL: "https://github.com"}
	content := "account: \"x\"\njustification: \"a & b = 100%\"\n"
	u, err := url.Parse(p.NewFileURL("requests/x/a b.yaml", content))
	if err != nil {
		t.Fatal(err)
	}
	if u.Host != "github.com" || u.Path != "/acme/access/new/main" || u.Query().Get("filename") != "requests/x/a b.yaml" || u.Query().Get("value") != content {
		t.Errorf("NewFileURL = %s", u)
	}
}
