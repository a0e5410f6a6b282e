package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jit-access/jit/internal/sandbox"
)

// (d) 1,000 /jit recheck comments on one pull request, by a stranger and
// by the requester, delivered one at a time and 50 at once, each as soon
// as the child has answered the one before.
func reliabilityRechecks(ctx context.Context, e *env) ([]row, error) {
	rechecks := 1000
	if e.quick {
		rechecks = 100
	}
	var rows []row
	for _, tc := range []struct {
		user, who  string
		concurrent int
		target     int
	}{
		{"mallory", "a stranger", 1, 10},
		{"mallory", "a stranger", 50, 10},
		{"octocat", "the requester", 1, 3000},
		{"octocat", "the requester", 50, 3000},
	} {
		r, err := floodRechecks(ctx, e, rechecks, tc.user, tc.concurrent)
		if err != nil {
			return rows, err
		}
		target := "≤ 3000 calls for 1,000"
		if tc.target < 3000 {
			target = "a handful (≤ 10 calls)"
		}
		rows = append(rows, row{
			Benchmark: reliabilityPrefix + "/jit recheck flood by " + tc.who + fmt.Sprintf(", %d at a time", tc.concurrent),
			Size:      fmt.Sprintf("%d comments on one pull request (%d comments in all), delivered %d at a time as fast as answered", rechecks, r.comments, tc.concurrent),
			Result: fmt.Sprintf("%d GitHub calls (%d counted against the rate limit), %d evaluations, %d refusal comments; delivered in %.1f s, answers %v",
				r.calls, r.limited, r.evaluations, r.refusals, r.took.Seconds(), r.answers),
			Target: target,
			Met:    met(r.calls <= tc.target),
			Note:   "every request the child made from the first delivery until it had been idle for 3 s (queued evaluations included); by route: " + r.routes,
		})
	}
	return rows, nil
}

type floodResult struct {
	calls, limited, evaluations, refusals, comments int
	took                                            time.Duration
	answers                                         map[int]int
	routes                                          string
}

func floodRechecks(ctx context.Context, e *env, n int, user string, concurrent int) (floodResult, error) {
	var r floodResult
	w, s, pr, err := startWithRequest(ctx, e, "rechecks")
	if err != nil {
		return r, err
	}
	defer w.Close()
	defer s.stop()
	bodies := make([][]byte, n)
	for i := range bodies {
		if bodies[i], err = w.GitHub.CommentUndelivered(sandbox.Org, sandbox.RepoName, pr, user, "/jit recheck"); err != nil {
			return r, err
		}
	}
	quiet(w, time.Second, time.Minute)
	w.GitHub.ResetRequests()
	start := time.Now()
	res, err := w.GitHub.Flood("issue_comment", bodies, concurrent)
	if err != nil {
		return r, err
	}
	r.took = time.Since(start)
	r.answers = res.Status
	if res.Busy > 0 {
		r.answers[http.StatusServiceUnavailable] = res.Busy
	}
	quiet(w, 3*time.Second, 2*time.Minute)
	byRoute := w.GitHub.Requests()
	r.calls, r.limited = sum(byRoute), w.GitHub.RateLimitedRequests()
	r.evaluations = byRoute["GET /repos/{owner}/{repo}/commits/{ref}/check-runs"]
	var routes []string
	for route, c := range byRoute {
		routes = append(routes, fmt.Sprintf("%s %d", route, c))
	}
	sort.Strings(routes)
	r.routes = strings.Join(routes, ", ")
	comments, err := w.GitHub.Comments(sandbox.Org, sandbox.RepoName, pr)
	if err != nil {
		return r, err
	}
	r.comments = len(comments)
	for _, c := range comments {
		if strings.Contains(c.GetBody(), "@"+user+" you may not run `/jit recheck`") {
			r.refusals++
		}
	}
	return r, nil
}

// postBodies posts n bodies of size bytes at once to url, signed with sig
// ("" for no signature header), and counts the answers; a connection the
// server closed before taking the whole body counts as "closed".
func postBodies(ctx context.Context, url string, n, size int, sig string) (string, error) {
	body := bytes.Repeat([]byte{'{'}, size)
	var (
		mu      sync.Mutex
		answers = map[string]int{}
		wg      sync.WaitGroup
	)
	client := &http.Client{Timeout: time.Minute}
	for i := range n {
		wg.Go(func() {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
			if err != nil {
				return
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-GitHub-Event", "pull_request")
			req.Header.Set("X-GitHub-Delivery", fmt.Sprintf("bench-%d", i))
			if sig != "" {
				req.Header.Set("X-Hub-Signature-256", sig)
			}
			answer := "closed"
			if resp, err := client.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				answer = fmt.Sprint(resp.StatusCode)
			}
			mu.Lock()
			answers[answer]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	var out []string
	for a, c := range answers {
		out = append(out, fmt.Sprintf("%s ×%d", a, c))
	}
	sort.Strings(out)
	return strings.Join(out, ", "), nil
}
