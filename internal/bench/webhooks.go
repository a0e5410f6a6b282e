package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jit-access/jit/internal/clock"
	"github.com/jit-access/jit/internal/sandbox"
)

// maxAPIRequestsPerEvent is the App's own guard (app.TestAPIRequestsPerEvent):
// one delivery in the steady state costs at most this many GitHub calls.
const maxAPIRequestsPerEvent = 16

// webhookEvents are the event types the App handles, delivered in turn.
var webhookEvents = []string{"pull_request", "pull_request_review", "issue_comment"}

// benchWebhooks sends signed deliveries from the GitHub emulator to the App
// at a fixed concurrency and reports the App's answer time as GitHub
// measures it and the GitHub API requests each delivery cost.
func benchWebhooks(ctx context.Context, e *env) ([]row, error) {
	total, concurrency := 1000, 50
	if e.quick {
		total, concurrency = 60, 10
	}
	dir, err := e.dir("webhooks")
	if err != nil {
		return nil, err
	}
	w, err := sandbox.Start(ctx, sandbox.Options{Dir: dir, Clock: clock.At(worldStart)})
	if err != nil {
		return nil, fmt.Errorf("starting the sandbox: %w", err)
	}
	defer w.Close()
	bodies, err := eventBodies(w)
	if err != nil {
		return nil, err
	}

	// Each event type alone first, for the per-type cost.
	var perType []string
	for _, ev := range webhookEvents {
		w.GitHub.WaitDeliveries()
		w.GitHub.ResetRequests()
		d, err := w.GitHub.Deliver(ev, bodies[ev])
		if err != nil || d.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("delivering %s: status %d: %v", ev, d.StatusCode, err)
		}
		perType = append(perType, fmt.Sprintf("%s %d", ev, sum(w.GitHub.Requests())))
	}

	w.GitHub.WaitDeliveries()
	w.GitHub.ResetRequests()
	lat := make([]time.Duration, total)
	failures := make([]string, total)
	next := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for range concurrency {
		wg.Go(func() {
			for i := range next {
				ev := webhookEvents[i%len(webhookEvents)]
				d, err := w.GitHub.Deliver(ev, bodies[ev])
				if err != nil || d.StatusCode != http.StatusOK {
					failures[i] = fmt.Sprintf("%s: status %d: %v", ev, d.StatusCode, err)
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
	wall := time.Since(start)
	w.GitHub.WaitDeliveries()
	var failed []string
	for _, f := range failures {
		if f != "" {
			failed = append(failed, f)
		}
	}
	if len(failed) > 0 {
		return nil, fmt.Errorf("%d of %d deliveries failed, e.g. %s", len(failed), total, failed[0])
	}
	slices.Sort(lat)
	perEvent := float64(sum(w.GitHub.Requests())) / float64(total)
	size := fmt.Sprintf("%d deliveries, %d concurrent", total, concurrency)
	return []row{{
		Benchmark: "App: webhook latency",
		Size:      size,
		Result:    fmt.Sprintf("p50 %s, p99 %s (%.0f deliveries/s)", ms(percentile(lat, 50)), ms(percentile(lat, 99)), float64(total)/wall.Seconds()),
		Note:      "signed by the GitHub emulator, answered by the App after its API calls; " + strings.Join(webhookEvents, ", ") + " in turn",
	}, {
		Benchmark: "App: GitHub API requests per event",
		Size:      size,
		Result:    fmt.Sprintf("%.2f per event (alone: %s)", perEvent, strings.Join(perType, ", ")),
		Target:    fmt.Sprintf("≤ %d (the App's guard)", maxAPIRequestsPerEvent),
		Met:       met(perEvent <= maxAPIRequestsPerEvent),
		Note:      "installation token cached, as in the steady state; follow-up events the App causes are included",
	}}, nil
}

// eventBodies opens a request pull request in the sandbox and keeps the
// payload GitHub sent for each event type, to be delivered again with fresh
// delivery ids (the approach of the App's own benchmark).
func eventBodies(w *sandbox.World) (map[string][]byte, error) {
	files := map[string][]byte{"requests/payments-prod/bench.yaml": []byte(standardRequest("payments-prod", "ReadOnlyAccess", "4h", 1))}
	n, err := w.GitHub.OpenPullRequest(sandbox.Org, sandbox.RepoName, "octocat", "octocat/bench", "bench", files)
	if err != nil {
		return nil, fmt.Errorf("opening the request pull request: %w", err)
	}
	bodies := map[string][]byte{}
	seen := 0
	// keep takes the first delivery of event since the last call: the one
	// the driver call caused, not a later one the App's own writes caused.
	keep := func(event, action string) error {
		w.GitHub.WaitDeliveries()
		all := w.GitHub.Deliveries()
		defer func() { seen = len(all) }()
		for _, d := range all[seen:] {
			if d.Event == event && d.Action == action {
				bodies[event] = d.Body
				return nil
			}
		}
		return fmt.Errorf("the emulator delivered no %s/%s event", event, action)
	}
	if err := keep("pull_request", "opened"); err != nil {
		return nil, err
	}
	if _, err := w.GitHub.SubmitReview(sandbox.Org, sandbox.RepoName, n, "alice", "COMMENTED", "looking"); err != nil {
		return nil, fmt.Errorf("reviewing: %w", err)
	}
	if err := keep("pull_request_review", "submitted"); err != nil {
		return nil, err
	}
	if _, err := w.GitHub.Comment(sandbox.Org, sandbox.RepoName, n, "carol", "/jit recheck"); err != nil {
		return nil, fmt.Errorf("commenting: %w", err)
	}
	if err := keep("issue_comment", "created"); err != nil {
		return nil, err
	}
	return bodies, nil
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
