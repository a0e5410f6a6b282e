package githubemu

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-github/v62/github"
)

// A conditional GET with the tag of the current representation is answered
// 304 and is not counted against the rate limit; once the resource changes,
// the same tag gets the new representation.
func TestConditionalRequests(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	get := func(etag string) *github.Response {
		t.Helper()
		req, err := e.app.NewRequest("GET", "repos/acme/access/contents/README.md", nil)
		if err != nil {
			t.Fatal(err)
		}
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		resp, err := e.app.Do(ctx, req, nil)
		if err != nil && (resp == nil || resp.StatusCode != http.StatusNotModified) {
			t.Fatal(err)
		}
		return resp
	}
	first := get("")
	etag := first.Header.Get("ETag")
	if first.StatusCode != http.StatusOK || etag == "" {
		t.Fatalf("first GET: status %d, ETag %q; want 200 with a tag", first.StatusCode, etag)
	}
	e.emu.ResetRequests()
	if again := get(etag); again.StatusCode != http.StatusNotModified {
		t.Fatalf("GET with If-None-Match %s: status %d, want 304", etag, again.StatusCode)
	}
	if n := e.emu.RateLimitedRequests(); n != 0 {
		t.Errorf("a 304 was counted against the rate limit (%d requests)", n)
	}
	if _, _, err := e.app.Repositories.UpdateFile(ctx, "acme", "access", "README.md", &github.RepositoryContentFileOptions{
		Message: github.String("edit"), Content: []byte("# changed\n"), SHA: github.String(mustSHA(t, e, "README.md")), Branch: github.String("main"),
	}); err != nil {
		t.Fatal(err)
	}
	e.emu.ResetRequests()
	if changed := get(etag); changed.StatusCode != http.StatusOK || changed.Header.Get("ETag") == etag {
		t.Fatalf("GET after a change: status %d, ETag %q; want 200 with a new tag", changed.StatusCode, changed.Header.Get("ETag"))
	}
	if n := e.emu.RateLimitedRequests(); n != 1 {
		t.Errorf("a 200 counted %d times against the rate limit, want 1", n)
	}
}

func mustSHA(t *testing.T, e *env, path string) string {
	t.Helper()
	fc, _, _, err := e.app.Repositories.GetContents(context.Background(), "acme", "access", path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return fc.GetSHA()
}

// With a latency, requests made one after the other form a chain as long as
// their number, and requests made at once count as one round trip.
func TestLatencyAndRoundTrips(t *testing.T) {
	e := newEnv(t, Options{Latency: 20 * time.Millisecond})
	ctx := context.Background()
	if _, _, err := e.app.Repositories.Get(ctx, "acme", "access"); err != nil { // token minted
		t.Fatal(err)
	}
	e.emu.ResetRequests()
	start := time.Now()
	for range 2 {
		if _, _, err := e.app.Repositories.Get(ctx, "acme", "access"); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 3)
	for range 3 {
		go func() {
			_, _, err := e.app.Repositories.Get(ctx, "acme", "access")
			done <- err
		}()
	}
	for range 3 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := e.app.PullRequests.List(ctx, "acme", "access", nil); err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed < 4*20*time.Millisecond {
		t.Errorf("4 round trips took %s, less than 4 latencies", elapsed)
	}
	spans := e.emu.Spans()
	if len(spans) != 6 {
		t.Fatalf("%d spans recorded, want 6", len(spans))
	}
	if n := SequentialRoundTrips(spans, nil); n != 4 {
		t.Errorf("SequentialRoundTrips = %d, want 4 (2 in turn, 3 at once, 1 more)", n)
	}
	if n := SequentialRoundTrips(spans, func(sp Span) bool { return sp.Route == "GET /repos/{owner}/{repo}/pulls" }); n != 4 {
		t.Errorf("SequentialRoundTrips up to the list = %d, want 4", n)
	}
	if n := SequentialRoundTrips(spans, func(sp Span) bool { return sp.Route == "POST /nowhere" }); n != 0 {
		t.Errorf("SequentialRoundTrips up to a request never made = %d, want 0", n)
	}
}
