package githubemu

import (
	"fmt"
	"net/http"
	"sync"
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
