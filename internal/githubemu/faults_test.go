package githubemu

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-github/v62/github"
)

func TestFaults(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
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
