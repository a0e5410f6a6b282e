package app_test

import (
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jit-access/jit/internal/githubemu"
	"github.com/jit-access/jit/internal/sandbox"
	"github.com/jit-access/jit/internal/testworld"
)

// eventBodies opens a request PR and returns the payloads GitHub sent for
// each event type the App handles, to be delivered again with fresh ids.
func eventBodies(t testing.TB, w *testworld.World) map[string][]byte {
	fs := map[string][]byte{"requests/payments-prod/bench.yaml": []byte(testworld.StandardRequest)}
	n, err := w.GitHub.OpenPullRequest(org, repo, "octocat", "octocat/bench", "bench", fs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.GitHub.SubmitReview(org, repo, n, "alice", "COMMENTED", "looking"); err != nil {
		t.Fatal(err)
	}
	if _, err := w.GitHub.Comment(org, repo, n, "octocat", "/jit recheck"); err != nil {
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

// isCheckWrite is a request that creates or updates a check run: the end of
// the App's critical path.
func isCheckWrite(sp githubemu.Span) bool {
	return strings.HasSuffix(sp.Route, "/check-runs") && strings.HasPrefix(sp.Route, "POST ") ||
		strings.HasSuffix(sp.Route, "/check-runs/{check_run_id}") && strings.HasPrefix(sp.Route, "PATCH ")
}

// TestRoundTripsPerEvent follows one request through the events of its life,
// each new to the App, with a latency on every GitHub request so that
// requests made at once overlap: from the delivery to the check update the
// App waits for at most 4 round trips in a row, for every kind of event
// (issue 15): reads in two rounds, then the other effects (status comment,
// labels, review requests), then its one check run, jit/approval, on its
// own, last (it carries the App's record of the comment and labels, so it
// is written after them); a /jit recheck first reads its comment by id and
// the pull request, and its effects always rewrite jit/approval.
//
// Each event costs at most 6 requests counted against the rate limit
// (issue 15). A new pull request needs its head check runs and the
// comparison of main with its head read, as JSON (its commits and files)
// and as a diff (the request file's mode and content), and its check run,
// status comment and label written: GitHub asks the code owners to review
// by itself (reviewRequests), and its review_requested deliveries cost the
// App nothing.
// A redelivery of an event, whose answers are all revalidated with 304s,
// costs few requests; one that changes nothing writes nothing. The counts
// are logged for the closing note.
func TestRoundTripsPerEvent(t *testing.T) {
	w := testworld.Standard(t)
	// A first request warms the cache of the rules, as in the steady state.
	w.Open(t, "carol", "carol/warm", map[string]string{"requests/payments-prod/warm.yaml": testworld.StandardRequest})
	w.GitHub.WaitDeliveries()
	// Requests made at once must overlap even on a loaded machine, where a
	// goroutine can start hundreds of milliseconds late (-race, 2 cores
	// shared with other tests): a long round trip keeps such delays from
	// looking like one more trip in a row. Without a hook in the App,
	// which the product rules forbid, overlap in time is the only way to
	// tell requests made at once from requests made one after the other.
	w.GitHub.SetLatency(500 * time.Millisecond)

	type step struct {
		name   string
		act    func() error
		trips  int // at most
		limits int // requests counted against the rate limit, at most
	}
	var n int
	steps := []step{
		{"pull_request opened", func() (err error) {
			n, err = w.GitHub.OpenPullRequest(org, repo, "octocat", "octocat/trips", "trips", map[string][]byte{"requests/payments-prod/trips.yaml": []byte(testworld.StandardRequest)})
			return err
		}, 4, 6},
		{"pull_request_review commented", func() error {
			_, err := w.GitHub.SubmitReview(org, repo, n, "carol", "COMMENTED", "looking")
			return err
		}, 4, 6},
		{"pull_request_review approved", func() error {
			_, err := w.GitHub.SubmitReview(org, repo, n, "alice", "APPROVED", "fine")
			return err
		}, 4, 6},
		{"issue_comment /jit recheck", func() error {
			_, err := w.GitHub.Comment(org, repo, n, "octocat", "/jit recheck")
			return err
		}, 4, 6},
	}
	for _, s := range steps {
		w.GitHub.ResetRequests()
		if err := s.act(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		w.GitHub.WaitDeliveries()
		spans := w.GitHub.Spans()
		trips := githubemu.SequentialRoundTrips(spans, isCheckWrite)
		limited := w.GitHub.RateLimitedRequests()
		var counted []string
		for _, sp := range spans {
			if sp.RateLimited() {
				counted = append(counted, sp.Route)
			}
		}
		sort.Strings(counted)
		t.Logf("%s: %d round trips in a row to the check update, %d requests, %d counted against the rate limit: %s", s.name, trips, len(spans), limited, strings.Join(counted, ", "))
		if trips == 0 || trips > s.trips {
			sort.Slice(spans, func(i, j int) bool { return spans[i].Start.Before(spans[j].Start) })
			for _, sp := range spans {
				t.Logf("  %6.1f–%6.1f ms %d %s", float64(sp.Start.Sub(spans[0].Start).Microseconds())/1000, float64(sp.End.Sub(spans[0].Start).Microseconds())/1000, sp.Status, sp.Route)
			}
			t.Errorf("%s: %d sequential round trips to the check update, want 1 to %d", s.name, trips, s.trips)
		}
		if limited > s.limits {
			t.Errorf("%s: %d requests counted against the rate limit, want at most %d", s.name, limited, s.limits)
		}
	}
	if st := w.State(t, n); st.Approval != "success" {
		t.Fatalf("after the owner's approval the approval check is %q, want success", st.Approval)
	}

	// Redeliveries: everything the App reads is unchanged, so GitHub answers
	// 304s that do not count; only the check run is written again, on the
	// events that revalidate.
	w.GitHub.SetLatency(0)
	bodies := eventBodies(t, w)
	// GitHub's review requests of the code owners: ignored without a
	// single request to GitHub.
	w.GitHub.ResetRequests()
	if d, err := w.GitHub.Deliver("pull_request", w.LastDeliveryOf(t, "pull_request", "review_requested").Body); err != nil || d.StatusCode != http.StatusOK {
		t.Fatalf("review_requested: status %d err %v", d.StatusCode, err)
	}
	if spans := w.GitHub.Spans(); len(spans) != 0 {
		t.Errorf("a review_requested delivery cost %d requests to GitHub, want none: %v", len(spans), spans)
	}
	for _, event := range []string{"pull_request", "pull_request_review", "issue_comment"} {
		for range 2 { // the first may still see the App's own last writes
			w.GitHub.ResetRequests()
			d, err := w.GitHub.Deliver(event, bodies[event])
			if err != nil || d.StatusCode != http.StatusOK {
				t.Fatalf("%s: status %d err %v", event, d.StatusCode, err)
			}
		}
		limited := w.GitHub.RateLimitedRequests()
		var routes []string
		for _, sp := range w.GitHub.Spans() {
			if sp.RateLimited() {
				routes = append(routes, sp.Route)
			}
		}
		sort.Strings(routes)
		t.Logf("%s redelivered: %d requests counted against the rate limit: %s", event, limited, strings.Join(routes, ", "))
		if limited > 3 {
			t.Errorf("%s redelivered cost %d requests against the rate limit, want at most 3", event, limited)
		}
		// A review changes nothing the second time: nothing is written,
		// and every read is a 304.
		if event == "pull_request_review" && limited != 0 {
			t.Errorf("pull_request_review redelivered cost %d requests against the rate limit, want none", limited)
		}
	}
}

// BenchmarkWebhookDeliveries sends 1,000 signed deliveries at 50 concurrent
// (a mix of the event types the App handles) and reports the App's handler
// latency as GitHub measures it, p50 and p99, and API requests per event.
func BenchmarkWebhookDeliveries(b *testing.B) {
	const total, concurrency = 1000, 50
	// Room for every delivery in flight: none is shed with a 503.
	w := testworld.New(b, testworld.Monday, sandbox.Options{Logger: slog.New(slog.DiscardHandler), MaxInFlight: 2 * concurrency})
	bodies := eventBodies(b, w)
	events := []string{"pull_request", "pull_request_review", "issue_comment"}
	for b.Loop() {
		w.GitHub.ResetRequests()
		lat, err := w.GitHub.Burst(events, bodies, total, concurrency)
		if err != nil {
			b.Fatal(err)
		}
		reqs := 0
		for _, c := range w.GitHub.Requests() {
			reqs += c
		}
		b.ReportMetric(float64(lat[total/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[total*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(reqs)/total, "api-req/event")
	}
}
