package identitycenter

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/jit-access/jit/internal/clock"
	"github.com/jit-access/jit/internal/identitycenter/idcemu"
)

// testStart is where every test's clock starts: tests never depend on
// today's date.
var testStart = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

const (
	testAccount = "111122223333"
	testRequest = "requests/payments-prod/alice-s3.yaml"
)

// env is an emulator behind a loopback server and a Client over the real
// SDK clients pointed at it.
type env struct {
	clk    *clock.Offset
	emu    *idcemu.Emulator
	client *Client
	cfg    aws.Config
	opts   Options
	// puts records the inline policies sent, in order, so tests can see
	// what a set held before it was deleted.
	mu   sync.Mutex
	puts []string
}

// fastEmulator completes asynchronous operations quickly and does not
// throttle unless a test asks it to.
func fastEmulator() idcemu.Options {
	return idcemu.Options{AsyncDelay: 20 * time.Millisecond, RequestsPerSecond: -1, MaxInFlightAssignments: -1, Seed: 1}
}

func fastClient() Options {
	return Options{
		RequestsPerSecond: 1000,
		PollInterval:      10 * time.Millisecond,
		PollTimeout:       10 * time.Second,
		RetryBaseDelay:    5 * time.Millisecond,
		RetryMaxBackoff:   100 * time.Millisecond,
	}
}

func newEnv(t testing.TB, eo idcemu.Options, co Options) *env {
	t.Helper()
	// The emulator and the client share one clock, started at testStart
	// unless the test brings its own.
	e := &env{clk: clock.At(testStart)}
	if eo.Clock == nil {
		eo.Clock = e.clk
	}
	if co.Clock == nil {
		co.Clock = e.clk
	}
	e.emu = idcemu.New(eo)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".PutInlinePolicyToPermissionSet") {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			var in struct{ InlinePolicy string }
			if json.Unmarshal(body, &in) == nil {
				e.mu.Lock()
				e.puts = append(e.puts, in.InlinePolicy)
				e.mu.Unlock()
			}
		}
		e.emu.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	co.Endpoint = srv.URL
	co.Region = "us-east-1"
	co.InstanceARN = idcemu.DefaultInstanceARN
	co.IdentityStoreID = idcemu.DefaultIdentityStoreID
	cfg := aws.Config{
		Region:      "eu-west-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "not-a-secret", ""),
	}
	e.cfg, e.opts = cfg, co
	e.client = NewFromConfig(cfg, co)
	return e
}

// freshClient is a new Client on the same emulator, as the next run of
// the reconcile loop would build.
func (e *env) freshClient() *Client { return NewFromConfig(e.cfg, e.opts) }

func (e *env) inlinePuts() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.puts...)
}

// statements decodes a policy document's statements by Sid.
func statements(t *testing.T, doc string) map[string]map[string]any {
	t.Helper()
	var p struct {
		Version   string
		Statement []map[string]any
	}
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		t.Fatalf("policy %s: %v", doc, err)
	}
	if p.Version != "2012-10-17" {
		t.Errorf("policy Version = %q, want 2012-10-17", p.Version)
	}
	out := map[string]map[string]any{}
	for i, s := range p.Statement {
		sid, _ := s["Sid"].(string)
		if sid == "" {
			sid = "#" + string(rune('0'+i))
		}
		out[sid] = s
	}
	return out
}

func conditionValue(t *testing.T, stmt map[string]any, operator, key string) string {
	t.Helper()
	cond, _ := stmt["Condition"].(map[string]any)
	op, _ := cond[operator].(map[string]any)
	v, _ := op[key].(string)
	if v == "" {
		t.Errorf("statement %v has no %s %s condition", stmt, operator, key)
	}
	return v
}
