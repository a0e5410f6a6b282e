package githubemu

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v62/github"
	"github.com/jit-access/jit/internal/gittest"
)

// The emulator as a whole, whatever the resource: conditional requests,
// latency and round trips, injected faults, paging and concurrent use.

// A conditional GET with the tag of the current representation is answered
// 304 and is not counted against the rate limit; once the resource changes,
// the same tag gets the new representation.
func TestConditionalRequests(t *testing.T) {
	e, ctx := setup(t)
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
	fc, _, _, err := e.app.Repositories.GetContents(t.Context(), "acme", "access", path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return fc.GetSHA()
}

// With a latency, requests made one after the other form a chain as long as
// their number, and requests made at once count as one round trip.
func TestLatencyAndRoundTrips(t *testing.T) {
	e := newEnv(t, Options{Latency: 20 * time.Millisecond})
	ctx := t.Context()
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

func TestFaults(t *testing.T) {
	e, ctx := setup(t)
	const route = "GET /repos/{owner}/{repo}"
	get := func() (*github.Response, error) {
		_, resp, err := e.app.Repositories.Get(ctx, org, repoName)
		return resp, err
	}
	if _, err := get(); err != nil {
		t.Fatal(err)
	}

	// Status and Retry-After, on one route only, for Count requests.
	remove := e.emu.InjectFault(Fault{Route: route, Status: http.StatusServiceUnavailable, RetryAfter: 1500 * time.Millisecond, Count: 2})
	for i := 0; i < 2; i++ {
		resp, err := get()
		if statusOf(err) != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "2" {
			t.Fatalf("call %d: %v, Retry-After %q", i, err, resp.Header.Get("Retry-After"))
		}
	}
	if _, err := get(); err != nil {
		t.Fatalf("after Count: %v", err)
	}
	if _, _, err := e.app.Users.Get(ctx, "alice"); err != nil {
		t.Fatalf("another route: %v", err)
	}
	if hits := e.emu.FaultHits(); len(hits) != 1 || hits[0] != 2 {
		t.Errorf("hits %v", hits)
	}
	remove()

	// A share of the requests, the same share for the same seed.
	failed := func() int {
		remove := e.emu.InjectFault(Fault{Route: route, Status: http.StatusBadGateway, Rate: 0.25, Seed: 7})
		defer remove()
		n := 0
		for i := 0; i < 200; i++ {
			if _, err := get(); err != nil {
				n++
			}
		}
		return n
	}
	first := failed()
	if first < 25 || first > 75 {
		t.Errorf("%d of 200 failed at a rate of 0.25", first)
	}
	if again := failed(); again != first {
		t.Errorf("the same seed failed %d, then %d", first, again)
	}

	// Latency delays the request, which is then served.
	remove = e.emu.InjectFault(Fault{Route: route, Latency: 300 * time.Millisecond})
	start := time.Now()
	if _, err := get(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("served after %s, latency 300ms", d)
	}
	remove()
	// GitHub's secondary rate limit, as go-github recognises it.
	remove = e.emu.InjectFault(Fault{Route: route, Secondary: true, RetryAfter: 30 * time.Second})
	_, err := get()
	var abuse *github.AbuseRateLimitError
	if !errors.As(err, &abuse) || abuse.RetryAfter == nil || *abuse.RetryAfter != 30*time.Second {
		t.Fatalf("secondary limit: %v", err)
	}
	remove()

	// The primary limit used up (go-github now holds back every call of
	// the client above for 30 s, so another client asks).
	remove = e.emu.InjectFault(Fault{Route: route, RateLimitReset: time.Minute})
	_, _, err = e.userClient(t, "alice").Repositories.Get(ctx, org, repoName)
	var rl *github.RateLimitError
	if !errors.As(err, &rl) || rl.Rate.Remaining != 0 || rl.Rate.Reset.Before(time.Now()) {
		t.Fatalf("primary limit: %v", err)
	}
	remove()

}

func TestPaging(t *testing.T) {
	e, ctx := setup(t)
	e.emu.SetWebhook("", "")
	n, _ := e.emu.OpenPullRequest(org, repoName, "alice", "req/pg", "Paging", map[string][]byte{"a.txt": []byte("a\n")})
	for i := 0; i < 75; i++ {
		if _, err := e.emu.Comment(org, repoName, n, "bob", fmt.Sprintf("comment %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	page1, resp, err := e.app.Issues.ListComments(ctx, org, repoName, n, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(page1) != 30 || resp.NextPage != 2 || resp.LastPage != 3 {
		t.Errorf("default page: %d items, next %d last %d; want 30, 2, 3", len(page1), resp.NextPage, resp.LastPage)
	}
	var all []*github.IssueComment
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 40}}
	for pages := 0; ; pages++ {
		cs, resp, err := e.app.Issues.ListComments(ctx, org, repoName, n, opts)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, cs...)
		if resp.NextPage == 0 {
			if pages != 1 {
				t.Errorf("per_page 40 took %d pages, want 2", pages+1)
			}
			break
		}
		opts.Page = resp.NextPage
	}
	if len(all) != 75 || all[74].GetBody() != "comment 74" {
		t.Errorf("walked %d comments, last %q", len(all), all[len(all)-1].GetBody())
	}
	big, resp, _ := e.app.Issues.ListComments(ctx, org, repoName, n, &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 500}})
	if len(big) != 75 || resp.NextPage != 0 {
		t.Errorf("per_page 500 (capped at 100): %d items next %d", len(big), resp.NextPage)
	}
	// Pull request lists page too, newest first by default.
	for i := 0; i < 4; i++ {
		if _, err := e.emu.OpenPullRequest(org, repoName, "alice", fmt.Sprintf("more/%d", i), "more", map[string][]byte{"b.txt": []byte("b\n")}); err != nil {
			t.Fatal(err)
		}
	}
	prs, resp, err := e.app.PullRequests.List(ctx, org, repoName, &github.PullRequestListOptions{State: "all", ListOptions: github.ListOptions{PerPage: 2}})
	if err != nil || len(prs) != 2 || resp.LastPage != 3 || prs[0].GetNumber() != 5 {
		t.Errorf("pull list page 1: %d items first #%d last page %d, %v", len(prs), prs[0].GetNumber(), resp.LastPage, err)
	}
}

// The App handles deliveries concurrently; everything it and the drivers do
// at once must be safe (run with -race) and leave consistent state.
func TestConcurrentUse(t *testing.T) {
	e, ctx := setup(t)
	const prs, workers = 4, 16
	var nums []int
	for i := 0; i < prs; i++ {
		n, _ := e.openRequest(t, fmt.Sprint(i))
		nums = append(nums, n)
	}
	e.emu.ResetRequests()
	var wg sync.WaitGroup
	errs := make(chan error, workers*8)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			n := nums[w%prs]
			check := func(err error) {
				if err != nil {
					errs <- fmt.Errorf("worker %d: %w", w, err)
				}
			}
			pr, _, err := e.app.PullRequests.Get(ctx, org, repoName, n)
			check(err)
			_, _, err = e.app.PullRequests.ListFiles(ctx, org, repoName, n, nil)
			check(err)
			_, _, err = e.app.Issues.CreateComment(ctx, org, repoName, n, &github.IssueComment{Body: github.String(fmt.Sprintf("from %d", w))})
			check(err)
			_, _, err = e.app.Issues.AddLabelsToIssue(ctx, org, repoName, n, []string{fmt.Sprintf("l%d", w%3)})
			check(err)
			if pr != nil {
				_, _, err = e.app.Checks.CreateCheckRun(ctx, org, repoName, github.CreateCheckRunOptions{Name: "jit/approval", HeadSHA: pr.GetHead().GetSHA(), Conclusion: github.String("neutral")})
				check(err)
			}
			_, _, err = e.app.Repositories.CreateFile(ctx, org, repoName, fmt.Sprintf("audit/%d.txt", w), &github.RepositoryContentFileOptions{Message: github.String("w"), Content: []byte("w\n")})
			check(err)
			if w < prs {
				_, err = e.emu.Push(org, repoName, n, "alice", map[string][]byte{fmt.Sprintf("extra/%d.txt", w): []byte("e\n")})
				check(err)
			}
			_, err = e.emu.SubmitReview(org, repoName, n, "bob", "COMMENTED", "hm")
			check(err)
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	e.emu.WaitDeliveries()
	// Every contents write landed on main, one commit each.
	out := gittest.Run(t, e.emu.RepoDir(org, repoName), "ls-tree", "--name-only", "main", "audit/")
	if got := len(strings.Fields(out)); got != workers {
		t.Errorf("audit files on main = %d, want %d", got, workers)
	}
	comments := 0
	for _, n := range nums {
		cs, _ := e.emu.Comments(org, repoName, n)
		comments += len(cs)
	}
	if comments != workers {
		t.Errorf("comments = %d, want %d", comments, workers)
	}
	if got := e.emu.Requests()["PUT /repos/{owner}/{repo}/contents/{path}"]; got != workers {
		t.Errorf("contents PUT count = %d, want %d", got, workers)
	}
	if got := e.emu.Requests()["GET /repos/{owner}/{repo}/pulls/{number}"]; got != workers {
		t.Errorf("pull GET count = %d, want %d; all counts %v", got, workers, e.emu.Requests())
	}
}
