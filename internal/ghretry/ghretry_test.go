package ghretry_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v62/github"

	"github.com/jit-access/jit/internal/clock"
	"github.com/jit-access/jit/internal/ghretry"
	"github.com/jit-access/jit/internal/githubemu"
)

const repoRoute = "GET /repos/{owner}/{repo}"

// world is the GitHub emulator behind a recorder of when each API call
// arrived, and a go-github client of an App installation on it.
type world struct {
	gh *githubemu.Server
	c  *github.Client

	mu       sync.Mutex
	arrivals []time.Time
}

func newWorld(t *testing.T, transport func(http.RoundTripper) http.RoundTripper) *world {
	t.Helper()
	gh, err := githubemu.New(githubemu.Options{Dir: t.TempDir(), Clock: clock.At(time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC))})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{gh: gh}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.URL.Path, "/access_tokens") {
			w.mu.Lock()
			w.arrivals = append(w.arrivals, time.Now())
			w.mu.Unlock()
		}
		gh.ServeHTTP(rw, r)
	}))
	t.Cleanup(func() { gh.Close(); srv.Close() })
	gh.SetURL(srv.URL + "/api/v3")
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	inst := gh.RegisterApp(1, "jit", &key.PublicKey)
	if err := gh.CreateRepo("acme", "access", map[string][]byte{"README.md": []byte("# access\n")}); err != nil {
		t.Fatal(err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	itr, err := ghinstallation.New(transport(http.DefaultTransport), 1, inst, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	base := srv.URL + "/api/v3/"
	itr.BaseURL = strings.TrimSuffix(base, "/")
	if w.c, err = github.NewClient(&http.Client{Transport: itr}).WithEnterpriseURLs(base, base); err != nil {
		t.Fatal(err)
	}
	return w
}

func retrying(base http.RoundTripper) http.RoundTripper {
	return ghretry.New(base, ghretry.Options{WaitMin: 10 * time.Millisecond, WaitMax: 5 * time.Second, Logger: slog.New(slog.DiscardHandler)})
}

func TestServerErrorsAreRetried(t *testing.T) {
	w := newWorld(t, retrying)
	w.gh.InjectFault(githubemu.Fault{Route: repoRoute, Status: http.StatusBadGateway, Count: 2})
	w.gh.InjectFault(githubemu.Fault{Route: repoRoute, Status: http.StatusServiceUnavailable, RetryAfter: time.Second, Count: 1})
	start := time.Now()
	if _, _, err := w.c.Repositories.Get(context.Background(), "acme", "access"); err != nil {
		t.Fatalf("after two 502s and a 503: %v", err)
	}
	if n := w.gh.Requests()[repoRoute]; n != 4 {
		t.Errorf("%d calls, want 4 (three failures, one success)", n)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("answered after %s: the 503's Retry-After of 1 s was not waited for", d)
	}
	// A refusal is not retried.
	w.gh.InjectFault(githubemu.Fault{Route: repoRoute, Status: http.StatusNotFound, Count: 1})
	w.gh.ResetRequests()
	if _, _, err := w.c.Repositories.Get(context.Background(), "acme", "access"); err == nil {
		t.Error("a 404 became a success")
	}
	if n := w.gh.Requests()[repoRoute]; n != 1 {
		t.Errorf("a 404 was sent %d times", n)
	}
}

// TestNoCallInsideARetryAfterWindow: once GitHub answered a secondary rate
// limit with Retry-After, no call of any goroutine reaches it before the
// window ends, and every call succeeds after it.
func TestNoCallInsideARetryAfterWindow(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault githubemu.Fault
	}{
		{"secondary rate limit, Retry-After", githubemu.Fault{Route: repoRoute, Secondary: true, RetryAfter: 2 * time.Second, Count: 1}},
		{"secondary rate limit as 429", githubemu.Fault{Route: repoRoute, Secondary: true, Status: http.StatusTooManyRequests, RetryAfter: 2 * time.Second, Count: 1}},
		{"primary rate limit used up, X-RateLimit-Reset", githubemu.Fault{Route: repoRoute, RateLimitReset: 2 * time.Second, Count: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, retrying)
			// Warm the installation token so that only API calls follow.
			if _, _, err := w.c.Repositories.Get(context.Background(), "acme", "access"); err != nil {
				t.Fatal(err)
			}
			w.mu.Lock()
			w.arrivals = nil
			w.mu.Unlock()
			w.gh.InjectFault(tc.fault)
			var wg sync.WaitGroup
			errs := make(chan error, 21)
			call := func() {
				defer wg.Done()
				_, _, err := w.c.Repositories.Get(context.Background(), "acme", "access")
				errs <- err
			}
			wg.Add(1)
			go call()
			// Twenty more calls once the limit was answered.
			for w.gh.FaultHits()[0] == 0 {
				time.Sleep(5 * time.Millisecond)
			}
			time.Sleep(100 * time.Millisecond)
			for range 20 {
				wg.Add(1)
				go call()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Errorf("call failed: %v", err)
				}
			}
			w.mu.Lock()
			defer w.mu.Unlock()
			limited := w.arrivals[0]
			// Retry-After is in whole seconds, X-RateLimit-Reset a whole
			// epoch second: the window ends at least a second later.
			inside := 0
			for _, at := range w.arrivals[1:] {
				if at.Sub(limited) < time.Second {
					inside++
				}
			}
			if inside > 0 || len(w.arrivals) != 22 {
				t.Errorf("%d of %d calls arrived inside the window", inside, len(w.arrivals)-1)
			}
		})
	}
}
