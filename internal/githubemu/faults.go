package githubemu

import (
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Fault makes the emulator misbehave as GitHub does on a bad day, on chosen
// routes: answer with an error status instead of serving, ask the client to
// wait (Retry-After, secondary rate limits), or serve slowly. Tests of
// retries and the performance benchmarks use it.
type Fault struct {
	// Route selects the requests, as counted by Requests: the method and
	// the path pattern, e.g. "GET /repos/{owner}/{repo}/pulls/{pull_number}".
	// Empty: every route.
	Route string
	// Status answers matching requests with this status instead of serving
	// them (500, 502, 503, 429, 403...). Zero: serve them (after Latency).
	Status int
	// RetryAfter sets the Retry-After header of the answer, in whole
	// seconds as GitHub sends it.
	RetryAfter time.Duration
	// Secondary makes the answer GitHub's secondary rate limit: its
	// message and documentation URL (Status defaults to 403, as GitHub's).
	Secondary bool
	// RateLimitReset answers as GitHub does when the primary rate limit is
	// used up: X-RateLimit-Remaining 0 and X-RateLimit-Reset this long
	// from now (Status defaults to 403).
	RateLimitReset time.Duration
	// Latency delays matching requests before they are answered or served.
	Latency time.Duration
	// Rate is the share of matching requests affected, drawn from a
	// generator seeded with Seed so that a run can be repeated. Zero: all.
	Rate float64
	Seed uint64
	// Count bounds how many requests the fault affects; zero: no bound.
	Count int
}

// faultState is one injected fault and what it has done.
type faultState struct {
	Fault
	mu  sync.Mutex
	rng *rand.Rand
	hit int
}

// faults are the injected faults, in the order they were added.
type faults struct {
	mu   sync.Mutex
	list []*faultState
}

// InjectFault adds a fault; the returned function removes it (the outage
// ends). Faults apply in the order they were added; the first that answers
// a request ends it.
func (s *Server) InjectFault(f Fault) (remove func()) {
	if (f.Secondary || f.RateLimitReset > 0) && f.Status == 0 {
		f.Status = http.StatusForbidden
	}
	fs := &faultState{Fault: f, rng: rand.New(rand.NewPCG(f.Seed, f.Seed^0x9e3779b97f4a7c15))}
	s.faults.mu.Lock()
	s.faults.list = append(s.faults.list, fs)
	s.faults.mu.Unlock()
	return func() {
		s.faults.mu.Lock()
		defer s.faults.mu.Unlock()
		for i, x := range s.faults.list {
			if x == fs {
				s.faults.list = append(s.faults.list[:i], s.faults.list[i+1:]...)
				return
			}
		}
	}
}

// FaultHits says how many requests the faults affected, in the order they
// were added (removed faults are not listed).
func (s *Server) FaultHits() []int {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	out := make([]int, len(s.faults.list))
	for i, f := range s.faults.list {
		f.mu.Lock()
		out[i] = f.hit
		f.mu.Unlock()
	}
	return out
}

// injectFault applies the faults to one request of route and reports
// whether one of them answered it.
func (s *Server) injectFault(w http.ResponseWriter, r *http.Request, route string) bool {
	s.faults.mu.Lock()
	list := append([]*faultState(nil), s.faults.list...)
	s.faults.mu.Unlock()
	for _, f := range list {
		if f.Route != "" && f.Route != route {
			continue
		}
		f.mu.Lock()
		take := (f.Count == 0 || f.hit < f.Count) && (f.Rate <= 0 || f.Rate >= 1 || f.rng.Float64() < f.Rate)
		if take {
			f.hit++
		}
		f.mu.Unlock()
		if !take {
			continue
		}
		if f.Latency > 0 {
			t := time.NewTimer(f.Latency)
			select {
			case <-r.Context().Done():
				t.Stop()
				return true
			case <-t.C:
			}
		}
		if f.Status == 0 {
			continue
		}
		if f.RateLimitReset > 0 {
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(f.RateLimitReset).Add(time.Second-1).Unix(), 10))
			msg := map[string]string{"message": "API rate limit exceeded for installation.",
				"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(f.Status)
			_ = json.NewEncoder(w).Encode(msg)
			return true
		}
		if f.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int((f.RetryAfter+time.Second-1)/time.Second)))
		}
		msg := map[string]string{"message": http.StatusText(f.Status),
			"documentation_url": "https://docs.github.com/rest"}
		if f.Secondary {
			msg = map[string]string{"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
				"documentation_url": "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(f.Status)
		_ = json.NewEncoder(w).Encode(msg)
		return true
	}
	return false
}
