package githubemu

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"sync"
	"time"
)

// Delivery is one webhook delivery, as GitHub's "Recent Deliveries" shows it.
type Delivery struct {
	// ID is the X-GitHub-Delivery GUID; a redelivery repeats it.
	ID     string
	Event  string
	Action string
	// Body is the exact payload that was signed and sent.
	Body []byte
	// StatusCode is the receiver's answer, 0 when the request failed.
	StatusCode int
	Duration   time.Duration
	// Err is set when the request could not be made or timed out.
	Err        error
	Redelivery bool
	At         time.Time
}

// pendingEvent is a payload built under the state lock, delivered after it
// is released (the receiver calls back into the API).
type pendingEvent struct {
	event, action string
	body          []byte
}

func (s *Server) newEvent(event, action string, payload any) pendingEvent {
	body, err := json.Marshal(payload)
	if err != nil {
		// Every payload is a go-github struct; failing to encode one is a
		// bug in the emulator, not a condition a test can cause.
		panic(fmt.Sprintf("githubemu: encoding %s payload: %v", event, err))
	}
	return pendingEvent{event: event, action: action, body: body}
}

type hookState struct {
	s      *Server
	client *http.Client

	mu         sync.Mutex
	cond       *sync.Cond
	url        string
	secret     string
	subscribed map[string]bool
	log        []Delivery
	queue      []pendingEvent
	busy       bool
	closed     bool
	done       chan struct{}
}

// maxIdleHookConns bounds the idle connections kept to the webhook
// receiver.
const maxIdleHookConns = 128

func (h *hookState) init(s *Server) {
	h.s = s
	// Deliveries go out in parallel (Deliver from many goroutines): keep a
	// connection per delivery in flight rather than http.DefaultTransport's
	// two idle ones, so that each does not dial the receiver anew.
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost = maxIdleHookConns, maxIdleHookConns
	h.client = &http.Client{Timeout: s.opts.WebhookTimeout, Transport: t}
	h.cond = sync.NewCond(&h.mu)
	h.done = make(chan struct{})
	go h.worker()
}

// worker delivers the events caused by API calls, one at a time and in
// order, like GitHub's queue; the API call that caused them has returned.
func (h *hookState) worker() {
	defer close(h.done)
	h.mu.Lock()
	for {
		for len(h.queue) == 0 && !h.closed {
			h.cond.Wait()
		}
		if len(h.queue) == 0 && h.closed {
			h.mu.Unlock()
			return
		}
		ev := h.queue[0]
		h.queue = h.queue[1:]
		h.busy = true
		h.mu.Unlock()
		h.send(ev, "", false)
		h.mu.Lock()
		h.busy = false
		h.cond.Broadcast()
	}
}

func (h *hookState) enqueue(evs []pendingEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.queue = append(h.queue, evs...)
	h.cond.Broadcast()
}

func (h *hookState) close() {
	h.mu.Lock()
	if !h.closed {
		h.closed = true
		h.cond.Broadcast()
	}
	h.mu.Unlock()
	<-h.done
	h.client.CloseIdleConnections()
}

// deliverNow sends the events in the caller's goroutine, so a driver call
// returns after the App has answered; LastDelivery then shows the result.
func (h *hookState) deliverNow(evs []pendingEvent) {
	for _, ev := range evs {
		h.send(ev, "", false)
	}
}

// send signs and posts one event. It records and returns the delivery; ok is
// false when no webhook is configured or the event is not subscribed.
func (h *hookState) send(ev pendingEvent, id string, redelivery bool) (Delivery, bool) {
	h.mu.Lock()
	url, secret := h.url, h.secret
	subscribed := h.subscribed == nil || h.subscribed[ev.event]
	h.mu.Unlock()
	if url == "" || !subscribed {
		return Delivery{}, false
	}
	if id == "" {
		id = newGUID()
	}
	d := Delivery{ID: id, Event: ev.event, Action: ev.action, Body: ev.body, Redelivery: redelivery, At: time.Now()}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(ev.body))
	if err != nil {
		d.Err = fmt.Errorf("building the webhook request to %s: %w", url, err)
	} else {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "GitHub-Hookshot/githubemu")
		req.Header.Set("X-GitHub-Event", ev.event)
		req.Header.Set("X-GitHub-Delivery", id)
		req.Header.Set("X-GitHub-Hook-ID", "1")
		req.Header.Set("X-GitHub-Hook-Installation-Target-Type", "integration")
		h.s.mu.Lock()
		if h.s.app != nil {
			req.Header.Set("X-GitHub-Hook-Installation-Target-ID", fmt.Sprint(h.s.app.id))
		}
		h.s.mu.Unlock()
		if secret != "" {
			req.Header.Set("X-Hub-Signature-256", Sign256([]byte(secret), ev.body))
			req.Header.Set("X-Hub-Signature", signature("sha1", sha1.New, []byte(secret), ev.body))
		}
		start := time.Now()
		resp, err := h.client.Do(req)
		d.Duration = time.Since(start)
		if err != nil {
			d.Err = fmt.Errorf("delivering %s %s to %s: %w", ev.event, id, url, err)
		} else {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			d.StatusCode = resp.StatusCode
		}
	}
	h.mu.Lock()
	h.log = append(h.log, d)
	h.mu.Unlock()
	h.s.log.Debug("webhook delivered", "delivery", id, "event", ev.event, "action", ev.action, "status", d.StatusCode, "duration", d.Duration, "err", d.Err)
	return d, true
}

// Sign256 returns the X-Hub-Signature-256 value GitHub sends for body.
func Sign256(secret, body []byte) string {
	return signature("sha256", sha256.New, secret, body)
}

// signature is a signature header's value: the HMAC of body under secret
// with h, in hex after the hash's name (GitHub still sends the SHA-1 one
// beside the SHA-256 one).
func signature(name string, h func() hash.Hash, secret, body []byte) string {
	mac := hmac.New(h, secret)
	mac.Write(body)
	return name + "=" + hex.EncodeToString(mac.Sum(nil))
}

func newGUID() string {
	b := []byte(randomHex(16))
	return fmt.Sprintf("%s-%s-4%s-a%s-%s", b[0:8], b[8:12], b[13:16], b[17:20], b[20:32])
}

// SetWebhook sets where deliveries go and the secret they are signed with;
// an empty url turns deliveries off.
func (s *Server) SetWebhook(url, secret string) {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	s.hooks.url, s.hooks.secret = url, secret
}

// SubscribeEvents limits deliveries to the named events, as an App's event
// subscriptions do; with no arguments every event is delivered (the default).
func (s *Server) SubscribeEvents(events ...string) {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	if len(events) == 0 {
		s.hooks.subscribed = nil
		return
	}
	s.hooks.subscribed = map[string]bool{}
	for _, e := range events {
		s.hooks.subscribed[e] = true
	}
}

// Deliveries returns every delivery so far, oldest first.
func (s *Server) Deliveries() []Delivery {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	return append([]Delivery(nil), s.hooks.log...)
}

// LastDelivery returns the most recent delivery.
func (s *Server) LastDelivery() (Delivery, bool) {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	if len(s.hooks.log) == 0 {
		return Delivery{}, false
	}
	return s.hooks.log[len(s.hooks.log)-1], true
}

// WaitDeliveries blocks until the webhooks caused by API calls (for example
// the issue_comment event of the App's own comment) have been delivered.
func (s *Server) WaitDeliveries() {
	h := &s.hooks
	h.mu.Lock()
	defer h.mu.Unlock()
	for (len(h.queue) > 0 || h.busy) && !h.closed {
		h.cond.Wait()
	}
}

// Redeliver sends a past delivery again with the same GUID and body, as
// GitHub's "Redeliver" button does.
func (s *Server) Redeliver(id string) (Delivery, error) {
	s.hooks.mu.Lock()
	var ev *pendingEvent
	for _, d := range s.hooks.log {
		if d.ID == id {
			ev = &pendingEvent{event: d.Event, action: d.Action, body: d.Body}
			break
		}
	}
	s.hooks.mu.Unlock()
	if ev == nil {
		return Delivery{}, fmt.Errorf("redelivering %s: no such delivery", id)
	}
	d, ok := s.hooks.send(*ev, id, true)
	if !ok {
		return Delivery{}, errors.New("redelivering: no webhook URL is set")
	}
	return d, nil
}

// Deliver sends an arbitrary event (a go-github event struct or raw JSON
// bytes) with a fresh GUID; load tests use it to fire many deliveries.
func (s *Server) Deliver(event string, payload any) (Delivery, error) {
	var body []byte
	switch p := payload.(type) {
	case []byte:
		body = p
	case json.RawMessage:
		body = p
	default:
		var err error
		if body, err = json.Marshal(payload); err != nil {
			return Delivery{}, fmt.Errorf("encoding the %s payload: %w", event, err)
		}
	}
	var action struct {
		Action string `json:"action"`
	}
	_ = json.Unmarshal(body, &action)
	d, ok := s.hooks.send(pendingEvent{event: event, action: action.Action, body: body}, "", false)
	if !ok {
		return Delivery{}, errors.New("delivering: no webhook URL is set or the event is not subscribed")
	}
	return d, nil
}
