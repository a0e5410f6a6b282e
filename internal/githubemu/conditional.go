package githubemu

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// This file holds what GitHub does around every REST call rather than in
// one route: entity tags and conditional requests (a 304 is not counted
// against the rate limit), the time a round trip takes, and a record of when
// each request ran, from which a test can count the round trips a client
// made one after the other.

// Span is one API request as the emulator served it.
type Span struct {
	Route      string // "METHOD /route/template", as in Requests
	Start, End time.Time
	Status     int
}

// RateLimited reports whether GitHub counts the request against the rate
// limit: every request except a conditional one answered 304 Not Modified.
func (sp Span) RateLimited() bool { return sp.Status != http.StatusNotModified }

// SetLatency makes every later API request take at least d longer, as a
// round trip to github.com does; 0 turns it off. It is a Fault with only a
// Latency, on every route, replacing the one set before. Webhook deliveries
// are not affected.
func (s *Server) SetLatency(d time.Duration) {
	s.spans.mu.Lock()
	defer s.spans.mu.Unlock()
	if s.spans.removeLatency != nil {
		s.spans.removeLatency()
		s.spans.removeLatency = nil
	}
	if d > 0 {
		s.spans.removeLatency = s.InjectFault(Fault{Latency: d})
	}
}

// Spans returns the API requests served since the last ResetRequests, in
// the order they finished.
func (s *Server) Spans() []Span {
	s.spans.mu.Lock()
	defer s.spans.mu.Unlock()
	return slices.Clone(s.spans.list)
}

// RateLimitedRequests counts the requests GitHub would count against the
// rate limit since the last ResetRequests.
func (s *Server) RateLimitedRequests() int {
	n := 0
	for _, sp := range s.Spans() {
		if sp.RateLimited() {
			n++
		}
	}
	return n
}

// maxSpans bounds the record in a long-running sandbox; tests and the bench
// reset it long before.
const maxSpans = 1 << 16

type spanLog struct {
	mu   sync.Mutex
	list []Span
	// removeLatency removes the fault SetLatency injected.
	removeLatency func()
}

func (l *spanLog) reset() {
	l.mu.Lock()
	l.list = nil
	l.mu.Unlock()
}

func (l *spanLog) add(sp Span) {
	l.mu.Lock()
	if len(l.list) < maxSpans {
		l.list = append(l.list, sp)
	}
	l.mu.Unlock()
}

// serveAPI runs one API handler the way GitHub's front end would: with an
// entity tag on every successful GET, a 304
// when the client's If-None-Match names the current representation, and a
// span recorded for the request.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, route string, start time.Time, h http.HandlerFunc) {
	status := http.StatusOK
	if r.Method != http.MethodGet {
		rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h(rec, r)
		status = rec.status
	} else {
		status = serveConditional(w, r, h)
	}
	s.spans.add(Span{Route: route, Start: start, End: time.Now(), Status: status})
}

// serveConditional buffers a GET's answer to tag it. GitHub's tags are
// opaque strings that change when the representation does; a hash of the
// body is exactly that. Like GitHub, it tells clients that they may keep the
// answer privately for 60 s; jit's clients revalidate on every use.
func serveConditional(w http.ResponseWriter, r *http.Request, h http.HandlerFunc) int {
	buf := &bufferWriter{header: http.Header{}, status: http.StatusOK}
	h(buf, r)
	for k, v := range buf.header {
		w.Header()[k] = v
	}
	if buf.status != http.StatusOK {
		w.WriteHeader(buf.status)
		w.Write(buf.body.Bytes())
		return buf.status
	}
	sum := sha256.Sum256(buf.body.Bytes())
	etag := `W/"` + hex.EncodeToString(sum[:16]) + `"`
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "private, max-age=60, s-maxage=60")
	w.Header().Set("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP")
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.Header().Del("Content-Type")
		w.Header().Del("Content-Length")
		w.WriteHeader(http.StatusNotModified)
		return http.StatusNotModified
	}
	w.WriteHeader(http.StatusOK)
	w.Write(buf.body.Bytes())
	return http.StatusOK
}

// etagMatches is If-None-Match's weak comparison (RFC 9110, 13.1.2).
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	if strings.TrimSpace(header) == "*" {
		return true
	}
	want := strings.TrimPrefix(etag, "W/")
	for _, t := range strings.Split(header, ",") {
		if strings.TrimPrefix(strings.TrimSpace(t), "W/") == want {
			return true
		}
	}
	return false
}

type bufferWriter struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (b *bufferWriter) Header() http.Header { return b.header }
func (b *bufferWriter) WriteHeader(code int) {
	if !b.wrote {
		b.status, b.wrote = code, true
	}
}
func (b *bufferWriter) Write(p []byte) (int, error) {
	b.wrote = true
	return b.body.Write(p)
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(p []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(p)
}

// SequentialRoundTrips is the length of the longest chain of requests among
// spans in which each request started after the previous one had finished:
// the round trips a client had to wait for one after the other. Requests
// made in parallel overlap and count once. Only spans that finished no later
// than the first span for which last returns true are considered, and that
// span ends the chain (nil: all spans, any end).
func SequentialRoundTrips(spans []Span, last func(Span) bool) int {
	spans = slices.Clone(spans)
	slices.SortFunc(spans, func(a, b Span) int { return a.End.Compare(b.End) })
	end := len(spans) - 1
	if last != nil {
		end = slices.IndexFunc(spans, last)
		if end < 0 {
			return 0
		}
	}
	// depth[i] is the longest chain ending with spans[i]; spans are sorted
	// by end, so every predecessor of i comes before it.
	depth := make([]int, end+1)
	best := 0
	for i := 0; i <= end; i++ {
		depth[i] = 1
		for j := 0; j < i; j++ {
			if !spans[j].End.After(spans[i].Start) && depth[j]+1 > depth[i] {
				depth[i] = depth[j] + 1
			}
		}
		best = max(best, depth[i])
	}
	if last != nil {
		return depth[end]
	}
	return best
}
