package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/jit-access/jit/internal/catalog"
	"github.com/jit-access/jit/internal/owners"
	"github.com/jit-access/jit/schema"
)

// ScreenshotPath is where the browser test keeps its screenshot of the
// request page, filled in.
var screenshotPath = filepath.Join(os.TempDir(), "jit-request-page.png")

// chromium finds Debian's chromium. Outside CI a machine without it skips
// the browser tests; in CI (CI=true), where .ci/run installs it, its
// absence fails them.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed; .ci/run installs it with apt-get install -y chromium")
	}
	t.Skip("chromium is not installed (apt-get install -y chromium); the request page's browser test needs it")
	return ""
}

// browser starts a headless chromium driven over the DevTools protocol.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox, // CI runs as root
		chromedp.WindowSize(1200, 1800),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(t.Context(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancel(); cancelCtx(); cancelAlloc() })
	return ctx
}

// pickReadOnly opens the page at url, finds an account by typing search
// into the account search and picks its ReadOnlyAccess.
func pickReadOnly(url, search string) chromedp.Tasks {
	return chromedp.Tasks{
		chromedp.Navigate(url),
		chromedp.WaitVisible(`#account option`, chromedp.ByQuery),
		chromedp.SendKeys(`#account-search`, search, chromedp.ByQuery),
		chromedp.WaitVisible(`#set-ReadOnlyAccess`, chromedp.ByQuery),
		chromedp.Click(`#set-ReadOnlyAccess`, chromedp.ByQuery),
	}
}

// pageRepo is an access repository for the page: listConfig (PowerUserAccess
// limited to a team) and the test CODEOWNERS.
func pageRepo(t *testing.T) (string, catalog.Source) {
	t.Helper()
	dir := newTestRepo(t, false, map[string]string{configPath: listConfig})
	cfg, findings := schema.ParseConfig(configPath, []byte(listConfig))
	if schema.HasErrors(findings) {
		t.Fatal(findings)
	}
	rules, err := owners.Parse(codeownersPath, []byte(testCodeowners))
	if err != nil {
		t.Fatal(err)
	}
	src := func(context.Context) (*catalog.Page, *schema.Config, error) {
		p, err := catalog.NewPage(cfg, catalog.Options{Owners: rules}, "acme/access", "main", "https://github.example.com")
		return p, cfg, err
	}
	return dir, src
}

// newFileLink checks that link opens GitHub's new-file page of
// acme/access on main and returns the file it fills in.
func newFileLink(t *testing.T, link string) (filename, value string) {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatalf("link %q: %v", link, err)
	}
	if u.Scheme != "https" || u.Host != "github.example.com" || u.Path != "/acme/access/new/main" {
		t.Fatalf("link %q does not open the new-file page of acme/access on main", link)
	}
	return u.Query().Get("filename"), u.Query().Get("value")
}

// validates writes the linked file into the repository and runs jit
// validate on it as the requester.
func validates(t *testing.T, dir, filename, value string) {
	t.Helper()
	writeFiles(t, dir, map[string]string{filename: value})
	r := run(t, newRootCmd(), nil, "validate", "--repo", dir, "--requester", "octocat", filename)
	if r.code != 0 {
		t.Fatalf("jit validate of the page's file: exit %d\n%s%s\n%s", r.code, r.stdout, r.stderr, value)
	}
}

func TestRequestPageInABrowser(t *testing.T) {
	ctx := browser(t)
	dir, src := pageRepo(t)
	now := func() time.Time { return time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC) }
	srv := httptest.NewServer(catalog.WithApp(http.NotFoundHandler(), catalog.Handler(src, now)))
	defer srv.Close()

	// A standard request: the account found by its id, a set, a duration
	// and a justification.
	var link, preview string
	var shot []byte
	err := chromedp.Run(ctx,
		pickReadOnly(srv.URL+"/", "4444"),
		chromedp.SetValue(`#duration`, "4h", chromedp.ByQuery),
		chromedp.Evaluate(`document.getElementById("duration").dispatchEvent(new Event("change"))`, nil),
		chromedp.SendKeys(`#justification`, "INC-1234: load test of the checkout", chromedp.ByQuery),
		chromedp.WaitVisible(`#open[data-state="ready"][data-lint="done"]`, chromedp.ByQuery),
		chromedp.AttributeValue(`#open`, "href", &link, nil, chromedp.ByQuery),
		chromedp.Text(`#preview`, &preview, chromedp.ByQuery),
		chromedp.FullScreenshot(&shot, 100), // 100: PNG,
	)
	if err != nil {
		t.Fatalf("filling the form: %v", err)
	}
	if err := os.WriteFile(screenshotPath, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot of the filled request page: %s", screenshotPath)
	filename, value := newFileLink(t, link)
	// The script's link is the one catalog.Page.NewFileURL makes (the
	// sandbox story follows that one).
	page, _, err := src(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if f, v := newFileLink(t, page.NewFileURL(filename, value)); f != filename || v != value {
		t.Errorf("the page's link and NewFileURL differ:\n%s\n%s", link, page.NewFileURL(filename, value))
	}
	if filename != "requests/sandbox/inc-1234-load-test-of-the-checkout.yaml" {
		t.Errorf("filename = %q", filename)
	}
	want := "# yaml-language-server: $schema=../../schema/request.schema.json\naccount: sandbox\npermission_set: ReadOnlyAccess\nduration: 4h\njustification: \"INC-1234: load test of the checkout\"\n"
	if value != want || strings.TrimSpace(preview) != strings.TrimSpace(want) {
		t.Errorf("the page's file:\n%s\nwant:\n%s\n(preview:\n%s)", value, want, preview)
	}
	validates(t, dir, filename, value)

	// A custom set: a managed policy found by search, and an inline policy
	// whose mistake the linter shows as it is typed, blocking the link.
	var findings string
	err = chromedp.Run(ctx,
		chromedp.Click(`#kind-custom`, chromedp.ByQuery),
		chromedp.SendKeys(`#custom-name`, "S3Read", chromedp.ByQuery),
		chromedp.SendKeys(`#policy-search`, "AmazonS3ReadOnly", chromedp.ByQuery),
		chromedp.Click(`#policy-results li`, chromedp.ByQuery),
		chromedp.SendKeys(`#inline`, `{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "arn:aws:s3:::exports/*"}]}`, chromedp.ByQuery),
		chromedp.WaitVisible(`#open[data-state="blocked"][data-lint="done"]`, chromedp.ByQuery),
		chromedp.Text(`#findings`, &findings, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("filling the custom set: %v", err)
	}
	if !strings.Contains(findings, "s3:GetObjekt") {
		t.Errorf("the linter's finding about s3:GetObjekt is not shown; findings:\n%s", findings)
	}
	err = chromedp.Run(ctx,
		chromedp.Evaluate(`(() => { const e = document.getElementById("inline"); e.value = e.value.replace("GetObjekt", "GetObject"); e.dispatchEvent(new Event("input")); })()`, nil),
		chromedp.WaitVisible(`#open[data-state="ready"][data-lint="done"]`, chromedp.ByQuery),
		chromedp.AttributeValue(`#open`, "href", &link, nil, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("fixing the inline policy: %v", err)
	}
	filename, value = newFileLink(t, link)
	if !strings.Contains(value, "  managed_policies:\n    - AmazonS3ReadOnlyAccess\n  inline_policy: |\n    {\"Version\"") {
		t.Errorf("custom set file:\n%s", value)
	}
	validates(t, dir, filename, value)
}

// TestStaticRequestPage checks jit catalog --html: the same page from
// files, without a linter, still produces a file that validates.
func TestStaticRequestPage(t *testing.T) {
	ctx := browser(t)
	dir, _ := pageRepo(t)
	site := t.TempDir()
	if r := run(t, newRootCmd(), nil, "catalog", "--repo", dir, "--html", site, "--github-repo", "acme/access", "--web-url", "https://github.example.com"); r.code != 0 {
		t.Fatalf("jit catalog --html: exit %d, %v\n%s", r.code, r.err, r.stderr)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(site)))
	defer srv.Close()
	var link, findings string
	err := chromedp.Run(ctx,
		pickReadOnly(srv.URL+"/index.html", "payments"),
		chromedp.SendKeys(`#justification`, "INC-77: read the payment logs", chromedp.ByQuery),
		chromedp.SendKeys(`#name`, "inc-77", chromedp.ByQuery),
		chromedp.WaitVisible(`#open[data-state="ready"]`, chromedp.ByQuery),
		chromedp.AttributeValue(`#open`, "href", &link, nil, chromedp.ByQuery),
		chromedp.Text(`#findings`, &findings, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("filling the static page: %v", err)
	}
	if !strings.Contains(findings, "this copy of the page has no linter") {
		t.Errorf("the static page does not say it has no linter: %q", findings)
	}
	filename, value := newFileLink(t, link)
	if filename != "requests/payments-prod/inc-77.yaml" || !strings.Contains(value, "duration: 1h\n") {
		t.Errorf("static page's file %s:\n%s", filename, value)
	}
	validates(t, dir, filename, value)
}
