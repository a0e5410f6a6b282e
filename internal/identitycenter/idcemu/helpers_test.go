package idcemu

import (
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	"github.com/aws/smithy-go"

	"github.com/jit-access/jit/internal/clock"
)

// fastBackoff keeps SDK retries from sleeping the 1 s the standard retryer
// uses after a throttle, so tests stay fast.
type fastBackoff struct{}

func (fastBackoff) BackoffDelay(int, error) (time.Duration, error) { return time.Millisecond, nil }

type harness struct {
	emu   *Emulator
	clock *clock.Held // moves only when the test says so, which makes asynchronous status and the rate limiter deterministic
	sso   *ssoadmin.Client
	ids   *identitystore.Client
	url   string
}

// attempts is the SDK's RetryMaxAttempts: 1 shows the emulator's raw errors.
func newHarness(t *testing.T, opts Options, attempts int) *harness {
	t.Helper()
	clk := clock.Hold(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	if opts.Clock == nil {
		opts.Clock = clk
	}
	if opts.RequestsPerSecond == 0 {
		opts.RequestsPerSecond = -1
	}
	if opts.AsyncDelay == 0 {
		opts.AsyncDelay = time.Second
	}
	emu := New(opts)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	retryer := func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = attempts
			o.Backoff = fastBackoff{}
			o.RateLimiter = ratelimit.None
		})
	}
	creds := credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "")
	return &harness{
		emu:   emu,
		clock: clk,
		url:   srv.URL,
		sso: ssoadmin.New(ssoadmin.Options{
			Region:       "us-east-1",
			BaseEndpoint: aws.String(srv.URL),
			Credentials:  creds,
			HTTPClient:   srv.Client(),
			Retryer:      retryer(),
		}),
		ids: identitystore.New(identitystore.Options{
			Region:       "us-east-1",
			BaseEndpoint: aws.String(srv.URL),
			Credentials:  creds,
			HTTPClient:   srv.Client(),
			Retryer:      retryer(),
		}),
	}
}

// withOpsSet is a harness whose instance has one permission set, Ops. It
// returns the instance's and the set's ARNs as the SDK's inputs take them.
func withOpsSet(t *testing.T) (h *harness, instanceARN, setARN *string) {
	t.Helper()
	h = newHarness(t, Options{}, 1)
	return h, aws.String(h.emu.InstanceARN()), aws.String(h.emu.AddPermissionSet("Ops", time.Hour, nil, ""))
}

// wantAPIError checks that err is the modelled AWS error code with the HTTP
// status AWS uses for it.
func wantAPIError(t *testing.T, err error, code string, status int) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s (%d)", code, status)
	}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("got %v, want an AWS API error %s", err, code)
	}
	if apiErr.ErrorCode() != code {
		t.Fatalf("got error code %s (%v), want %s", apiErr.ErrorCode(), err, code)
	}
	var respErr *awshttp.ResponseError
	if !errors.As(err, &respErr) {
		t.Fatalf("error %v carries no HTTP response", err)
	}
	if got := respErr.HTTPStatusCode(); got != status {
		t.Fatalf("%s: got HTTP %d, want %d", code, got, status)
	}
	if respErr.RequestID == "" {
		t.Errorf("%s: the SDK read no request id from the response", code)
	}
}

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}
