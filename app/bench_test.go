package app_test

import (
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jit-access/jit/internal/clock"
	"github.com/jit-access/jit/internal/sandbox"
)

// eventBodies opens a request PR and returns the payloads GitHub sent for
// each event type the App handles, to be delivered again with fresh ids.
func eventBodies(t testing.TB, w *sandbox.World) map[string][]byte {
	fs := map[string][]byte{"requests/payments-prod/bench.yaml": []byte(standardRequest)}
	n, err := w.GitHub.OpenPullRequest(org, repo, "octocat", "octocat/bench", "bench", fs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.GitHub.SubmitReview(org, repo, n, "alice", "COMMENTED", "looking"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.GitHub.Comment(org, repo, n, "carol", "/jit recheck"); err != nil {
		t.Fatal(err)
	}
	w.GitHub.WaitDeliveries()
	// Pick the deliveries by event and action: the App's own writes cause
	// later deliveries (labeled, its comments) that it ignores at no cost.
	want := map[string]string{"pull_request": "opened", "pull_request_review": "submitted", "issue_comment": "created"}
	bodies := map[string][]byte{}
	for _, d := range w.GitHub.Deliveries() {
		if want[d.Event] == d.Action && bodies[d.Event] == nil && !strings.Contains(string(d.Body), `"login":"jit[bot]"`) {
			bodies[d.Event] = d.Body
		}
	}
	if len(bodies) != len(want) {
		t.Fatalf("found deliveries for %d of %d events", len(bodies), len(want))
	}
	return bodies
}

// TestAPIRequestsPerEvent guards how many GitHub API requests one delivery
// costs in the steady state (an installation token already cached), so that
// a change that multiplies them is noticed. The counts are logged for the
// closing note of the App issue.
func TestAPIRequestsPerEvent(t *testing.T) {
	w := newWorld(t, false)
	bodies := eventBodies(t, w)
	for _, event := range []string{"pull_request", "pull_request_review", "issue_comment"} {
		w.GitHub.ResetRequests()
		d, err := w.GitHub.Deliver(event, bodies[event])
		if err != nil || d.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d err %v", event, d.StatusCode, err)
		}
		total := 0
		var routes []string
		for route, n := range w.GitHub.Requests() {
			total += n
			routes = append(routes, route)
		}
		sort.Strings(routes)
		t.Logf("%s: %d API requests: %s", event, total, strings.Join(routes, ", "))
		if total > 16 {
			t.Errorf("%s cost %d API requests, want at most 16", event, total)
		}
	}
}

// BenchmarkWebhookDeliveries sends 1,000 signed deliveries at 50 concurrent
// (a mix of the event types the App handles) and reports the App's handler
// latency as GitHub measures it, p50 and p99, and API requests per event.
func BenchmarkWebhookDeliveries(b *testing.B) {
	const total, concurrency = 1000, 50
	w, err := sandbox.Start(b.Context(), sandbox.Options{Dir: b.TempDir(), Clock: clock.At(testStart)})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	bodies := eventBodies(b, w)
	events := []string{"pull_request", "pull_request_review", "issue_comment"}
	for b.Loop() {
		w.GitHub.ResetRequests()
		lat := make([]time.Duration, total)
		var wg sync.WaitGroup
		next := make(chan int)
		var failed sync.Map
		for range concurrency {
			wg.Go(func() {
				for i := range next {
					ev := events[i%len(events)]
					d, err := w.GitHub.Deliver(ev, bodies[ev])
					if err != nil || d.StatusCode != http.StatusOK {
						failed.Store(i, d.StatusCode)
					}
					lat[i] = d.Duration
				}
			})
		}
		for i := range total {
			next <- i
		}
		close(next)
		wg.Wait()
		n := 0
		failed.Range(func(_, _ any) bool { n++; return true })
		if n > 0 {
			b.Fatalf("%d of %d deliveries failed", n, total)
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		reqs := 0
		for _, c := range w.GitHub.Requests() {
			reqs += c
		}
		b.ReportMetric(float64(lat[total/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[total*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(reqs)/total, "api-req/event")
	}
}
