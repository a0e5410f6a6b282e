package app_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jit-access/jit/app"
	"github.com/jit-access/jit/internal/clock"
	"github.com/jit-access/jit/internal/githubemu"
	"github.com/jit-access/jit/internal/syncbuf"
)

// countingBody counts the bytes the server read of a request body.
type countingBody struct {
	r    io.Reader
	read atomic.Int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read.Add(int64(n))
	return n, err
}

func refusingServer(t *testing.T, o app.Options) (*app.Server, *syncbuf.Buffer) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncbuf.Buffer{}
	o.AppID, o.WebhookSecret, o.BotLogin = 1, []byte("s3cret"), "jit[bot]"
	o.PrivateKey = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	// Nothing listens there: refused deliveries never reach GitHub.
	o.BaseURL = "http://127.0.0.1:1/api/v3/"
	o.Clock = clock.At(time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC))
	o.Logger = slog.New(slog.NewTextHandler(logs, nil))
	s, err := app.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s, logs
}

func delivery(body io.Reader, length int64, sig string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/webhook", body)
	req.ContentLength = length
	req.Header.Set("X-GitHub-Event", "ping")
	req.Header.Set("X-GitHub-Delivery", "d-1")
	if sig != "" {
		req.Header.Set("X-Hub-Signature-256", sig)
	}
	return req
}

func TestRefusalsAreCheap(t *testing.T) {
	s, logs := refusingServer(t, app.Options{MaxBodyBytes: 1 << 20})
	h := s.Handler()
	big := int64(24 << 20)
	zeros := strings.Repeat("00", 32)

	// No signature: 401 without reading a byte.
	body := &countingBody{r: io.LimitReader(zeroReader{}, big)}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, delivery(body, -1, ""))
	if rec.Code != http.StatusUnauthorized || body.read.Load() != 0 {
		t.Errorf("unsigned: %d after reading %d bytes, want 401 after none", rec.Code, body.read.Load())
	}
	// Announced larger than the cap: 413 without reading.
	body = &countingBody{r: io.LimitReader(zeroReader{}, big)}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, delivery(body, big, "sha256="+zeros))
	if rec.Code != http.StatusRequestEntityTooLarge || body.read.Load() != 0 {
		t.Errorf("announced too large: %d after reading %d bytes", rec.Code, body.read.Load())
	}
	// Not announced: read under the cap only.
	body = &countingBody{r: io.LimitReader(zeroReader{}, big)}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, delivery(body, -1, "sha256="+zeros))
	if rec.Code != http.StatusRequestEntityTooLarge || body.read.Load() > 2<<20 {
		t.Errorf("too large: %d after reading %d bytes", rec.Code, body.read.Load())
	}
	// A wrong signature, and a right one.
	ping := []byte(`{"zen":"Keep it logically awesome.","installation":{"id":1}}`)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, delivery(bytes.NewReader(ping), int64(len(ping)), "sha256="+zeros))
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("wrong signature: %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, delivery(bytes.NewReader(ping), int64(len(ping)), githubemu.Sign256([]byte("s3cret"), ping)))
	if rec.Code != http.StatusOK {
		t.Errorf("signed ping: %d %s", rec.Code, rec.Body)
	}

	// A flood of refusals writes a bounded number of lines, and says how
	// many it left out.
	before := strings.Count(logs.String(), "\n")
	for range 1000 {
		h.ServeHTTP(httptest.NewRecorder(), delivery(strings.NewReader("{}"), 2, ""))
	}
	lines := strings.Count(logs.String(), "\n") - before
	if lines > 10 {
		t.Errorf("1000 refusals wrote %d log lines", lines)
	}
	time.Sleep(2100 * time.Millisecond)
	h.ServeHTTP(httptest.NewRecorder(), delivery(strings.NewReader("{}"), 2, ""))
	if !strings.Contains(logs.String(), "refusals_not_logged=") {
		t.Errorf("no count of the refusals left out:\n%s", logs)
	}
}

func TestSaturationAnswers503WithRetryAfter(t *testing.T) {
	s, _ := refusingServer(t, app.Options{MaxInFlight: 2, MaxBodyMemory: 1 << 20, MaxBodyBytes: 1 << 20})
	h := s.Handler()
	zeros := "sha256=" + strings.Repeat("00", 32)
	// Two deliveries whose bodies never finish hold both places.
	var wg sync.WaitGroup
	var pipes []*io.PipeWriter
	for range 2 {
		pr, pw := io.Pipe()
		pipes = append(pipes, pw)
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.ServeHTTP(httptest.NewRecorder(), delivery(pr, 100, zeros))
		}()
	}
	// Wait until both are being read.
	for i, pw := range pipes {
		if _, err := pw.Write([]byte("{")); err != nil {
			t.Fatalf("delivery %d: %v", i, err)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, delivery(strings.NewReader("{}"), 2, zeros))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Errorf("third delivery: %d, Retry-After %q; want 503 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
	for _, pw := range pipes {
		pw.Close()
	}
	wg.Wait()
	// Room again.
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, delivery(strings.NewReader("{}"), 2, zeros))
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("after the others ended: %d, want the signature checked (401)", rec.Code)
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
