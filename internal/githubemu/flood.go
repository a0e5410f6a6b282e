package githubemu

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"
)

// FloodResult counts what a Flood's deliveries were answered.
type FloodResult struct {
	// Busy counts the answers 503 (the receiver saturated), each sent
	// again at once.
	Busy int
	// Status counts the final answers by status code.
	Status map[int]int
}

// Flood delivers one event per body, each with a fresh GUID, from
// concurrent senders at once, as fast as the receiver accepts them: a
// delivery answered 503 (saturated) is sent again at once, since a load
// test asks how the receiver copes, not how GitHub would back off. It
// fails when a delivery could not be made at all.
func (s *Server) Flood(event string, bodies [][]byte, concurrent int) (FloodResult, error) {
	res := FloodResult{Status: map[int]int{}}
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	next := make(chan []byte)
	for range max(concurrent, 1) {
		wg.Go(func() {
			for body := range next {
				for {
					d, err := s.Deliver(event, body)
					if err == nil && d.Err != nil {
						err = d.Err
					}
					mu.Lock()
					switch {
					case err != nil:
						errs = append(errs, err)
					case d.StatusCode == http.StatusServiceUnavailable:
						res.Busy++
						mu.Unlock()
						continue
					default:
						res.Status[d.StatusCode]++
					}
					mu.Unlock()
					break
				}
			}
		})
	}
	for _, b := range bodies {
		next <- b
	}
	close(next)
	wg.Wait()
	if len(errs) > 0 {
		return res, fmt.Errorf("%d of %d deliveries failed, the first: %w", len(errs), len(bodies), errs[0])
	}
	return res, nil
}

// Burst delivers total events from concurrency senders at once, as a busy
// organisation's GitHub does, each once (unlike Flood, a 503 is a failure): the i-th is events[i%len(events)] with its
// body. It returns the handler latencies GitHub measured, sorted, or an
// error naming how many deliveries failed and the first of them.
func (s *Server) Burst(events []string, bodies map[string][]byte, total, concurrency int) ([]time.Duration, error) {
	lat := make([]time.Duration, total)
	failures := make([]string, total)
	next := make(chan int)
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for i := range next {
				ev := events[i%len(events)]
				d, err := s.Deliver(ev, bodies[ev])
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
	return lat, nil
}
